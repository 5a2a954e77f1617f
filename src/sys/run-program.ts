import { spawn, spawnSync } from 'node:child_process';

export interface ProgramRun {
  path: string;
  /** argv, argv[0] included (it may differ from path, as for OCI hooks). */
  argv: string[];
  /** Exactly this environment, KEY=value. */
  env: string[];
  input: string;
  timeoutMs?: number | undefined;
}

export interface ProgramResult {
  /** Exit code, or "signal SIGx". */
  status: number | string;
  stderr: string;
  timedOut: boolean;
  /** Set when the program could not be started at all. */
  error?: string;
}

/** Runs a host program with input on stdin, stdout passed through, stderr kept; SIGKILL at the timeout. */
export function runProgram(run: ProgramRun): Promise<ProgramResult> {
  return new Promise((resolve) => {
    const child = spawn(run.path, run.argv.slice(1), { argv0: run.argv[0] ?? run.path, env: envObject(run.env), stdio: ['pipe', 'inherit', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    const timer = run.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, run.timeoutMs)
      : undefined;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.on('error', () => undefined);
    child.stdin.end(run.input);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ status: -1, stderr, timedOut, error: err.message });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? `signal ${signal}`, stderr, timedOut });
    });
  });
}

/** Runs ps(1) with these arguments and returns what it printed, or throws with its complaint. */
export function runPs(args: string[]): string {
  const out = spawnSync('ps', args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(out.stderr.trim() || out.error?.message || `exit ${out.status}`);
  return out.stdout;
}

function envObject(env: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) out[e.slice(0, i)] = e.slice(i + 1);
  }
  return out;
}
