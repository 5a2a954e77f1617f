import { buildProgram } from '../cli/runc/program.js';

// Before the thread pool starts: moving a process into its cgroups writes to a dozen
// hierarchies at once (see CgroupManager.joinAsync), and four threads would queue them.
process.env['UV_THREADPOOL_SIZE'] ??= '16';

// The exit code is set, not forced with process.exit(), so that stdout is
// flushed first when it is a pipe.
const program = buildProgram((code) => {
  process.exitCode = code;
});
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`berth-runtime: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
