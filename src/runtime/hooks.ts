import { EngineError } from '../errors/engine-error.js';
import type { Hook, HookKind, State } from '../spec/oci-runtime.js';
import { InitProcess } from '../sys/init-process.js';
import { signalProcess } from '../sys/proc.js';
import { runProgram, type ProgramResult } from '../sys/run-program.js';
import { compileNamespaceCommand } from './plan/compile-exec.js';

/**
 * Runs one hook with the container state on its stdin, as the spec says:
 * args[0] is argv[0], env is exactly hook.env, a timeout kills it.
 * `inContainerOf` runs it in the container's namespaces (createContainer).
 */
export async function runHook(kind: HookKind, hook: Hook, state: State, inContainerOf?: number): Promise<void> {
  const input = JSON.stringify(state);
  const what = `${kind} hook ${JSON.stringify(hook.path)}`;
  const result = inContainerOf === undefined ? await runOnHost(hook, input) : await runInNamespaces(hook, input, inContainerOf);
  if (result.timedOut) throw new EngineError('Internal', 'HOOK_TIMEOUT', `${what}: timed out after ${hook.timeout} s`);
  if (result.error) throw new EngineError('Internal', 'HOOK_FAILED', `${what}: ${result.error}`);
  if (result.status !== 0) {
    const detail = result.stderr.trim() ? `: ${result.stderr.trim().split('\n').slice(-3).join('; ')}` : '';
    throw new EngineError('Internal', 'HOOK_FAILED', `${what}: exited with ${result.status}${detail}`);
  }
}

/** Runs every hook of a kind in order; the first failure stops the rest. */
export async function runHooks(kind: HookKind, hooks: Hook[] | undefined, state: State, inContainerOf?: number): Promise<void> {
  for (const hook of hooks ?? []) await runHook(kind, hook, state, inContainerOf);
}

type HookResult = ProgramResult;

function runOnHost(hook: Hook, input: string): Promise<HookResult> {
  return runProgram({ path: hook.path, argv: hook.args ?? [hook.path], env: hook.env ?? [], input, timeoutMs: hook.timeout ? hook.timeout * 1000 : undefined });
}

async function runInNamespaces(hook: Hook, input: string, pid: number): Promise<HookResult> {
  const args = hook.args ?? [hook.path];
  const plan = compileNamespaceCommand(pid, { path: hook.path, args, env: hook.env ?? [] });
  const init = new InitProcess(plan.encode(), { preserveFds: 0, stdio: ['pipe', 'inherit', 'inherit'] });
  const stdin = init.child!.stdin!; // not launched: Node's own child, with the pipe asked for
  stdin.on('error', () => undefined);
  stdin.end(input);
  let timedOut = false;
  const timer = hook.timeout
    ? setTimeout(() => {
        timedOut = true;
        if (init.pid) signalProcess(init.pid, 'SIGKILL');
      }, hook.timeout * 1000)
    : undefined;
  try {
    await init.ready;
  } catch (err) {
    clearTimeout(timer);
    return { status: -1, stderr: '', timedOut, error: err instanceof Error ? err.message : String(err) };
  }
  const { waitStatus } = await init.exited;
  clearTimeout(timer);
  return { status: decodeWaitStatus(waitStatus), stderr: '', timedOut };
}

/** exit code, or 128+signal as shells report it. */
export function decodeWaitStatus(status: number | undefined): number {
  if (status === undefined) return 255;
  const signal = status & 0x7f;
  return signal === 0 ? (status >> 8) & 0xff : 128 + signal;
}
