import { buildProgram } from '../cli/docker/program.js';

// The standard streams are made on first use (stdin alone costs ~2 ms at
// start, and most commands never read it).
const io = {
  get stdout() {
    return process.stdout;
  },
  get stderr() {
    return process.stderr;
  },
  get stdin() {
    return process.stdin;
  },
};

// The exit code is set, not forced with process.exit(), so that stdout is
// flushed first when it is a pipe.
const program = buildProgram(
  io,
  (code) => {
    process.exitCode = code;
  },
  process.argv,
);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`berth: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
