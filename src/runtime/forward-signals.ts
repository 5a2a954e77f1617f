import { signalProcess } from '../sys/proc.js';

/** Signals a foreground runtime passes on to the container, as runc run does. */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

/** Forwards until the returned function is called. */
export function forwardSignals(pid: () => number | undefined): () => void {
  const handlers = FORWARDED.map((sig) => {
    const handler = (): void => {
      const target = pid();
      if (target !== undefined) signalProcess(target, sig);
    };
    process.on(sig, handler);
    return [sig, handler] as const;
  });
  return () => {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  };
}
