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
 * once; stdin stays open until the command ends. `script -e` exits with the
 * command's code. The output has the terminal's \r\n line ends.
 */
export function runInPty(argv: string[], opts: RunOptions & { input?: string } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qefc', argv.map(quote).join(' '), '/dev/null'], { env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.stdin.on('error', () => undefined);
    if (opts.input) child.stdin.write(opts.input);
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
