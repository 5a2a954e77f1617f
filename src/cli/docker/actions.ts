import { EngineError } from '../../errors/engine-error.js';
import { errorLine } from './context.js';

/** Where a command's output and errors go, and how its exit status is set. */
export interface ActionIo {
  io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  setExitCode: (code: number) => void;
}

export interface Actions {
  /** Writes text to stdout, if there is any. */
  print(text: string): void;
  /**
   * Wraps a command's handler: a number it returns is the exit status; an
   * EngineError is printed as docker prints it (exit status 1). Anything else
   * is a bug and goes on up.
   */
  act<A extends unknown[]>(fn: (...args: A) => Promise<unknown> | unknown): (...args: A) => Promise<void>;
  /** Prints a multi-object command's output and its per-object errors (exit status 1 if any). */
  report(result: { out: string; errors: string[] }): void;
}

/** The print/act/report trio every group of `berth` commands uses. */
export function actions({ io, setExitCode }: ActionIo): Actions {
  const print = (text: string): void => {
    if (text) io.stdout.write(text);
  };
  return {
    print,
    act:
      <A extends unknown[]>(fn: (...args: A) => Promise<unknown> | unknown) =>
      async (...args: A): Promise<void> => {
        try {
          const code = await fn(...args);
          if (typeof code === 'number' && code !== 0) setExitCode(code);
        } catch (err) {
          if (!(err instanceof EngineError)) throw err;
          io.stderr.write(`${errorLine(err)}\n`);
          setExitCode(1);
        }
      },
    report({ out, errors }) {
      print(out);
      for (const e of errors) io.stderr.write(`${e}\n`);
      if (errors.length) setExitCode(1);
    },
  };
}
