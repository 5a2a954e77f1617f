import { buildProgram } from '../cli/runc/program.js';


// The exit code is set, not forced with process.exit(), so that stdout is
// flushed first when it is a pipe.
const program = buildProgram((code) => {
  process.exitCode = code;
});
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`berth-runtime: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
