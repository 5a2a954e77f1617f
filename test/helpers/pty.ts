import { spawn } from 'node:child_process';

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const quote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/**
 * Runs argv with a pseudo-terminal as its stdin, stdout and stderr (through
 * `script -qefc`), as a person at a terminal would. `input` is typed in at
 * once; stdin stays open until the command ends. `steps` are typed one by
 * one, each once the output so far (both streams) matches its pattern, as a
 * person answers a prompt. `script -e` exits with the command's code. The
 * output has the terminal's \r\n line ends.
 */
export function runInPty(argv: string[], opts: RunOptions & { input?: string; steps?: [RegExp, string][] } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', argv.map(quote).join(' '), '/dev/null'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const steps = [...(opts.steps ?? [])];
    const next = (): void => {
      while (steps.length && steps[0]![0].test(stdout + stderr)) child.stdin.write(steps.shift()![1]);
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      next();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      next();
    });
    child.stdin.on('error', () => undefined);
    if (opts.input) child.stdin.write(opts.input);
    next();
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child.stdin.destroy();
      if (signal) reject(new Error(`script ${argv.join(' ')}: killed by ${signal} (timeout?)\n${stdout}\n${stderr}`));
      else resolve({ status: code, stdout, stderr });
    });
  });
}
