import { constants } from 'node:os';
import { EngineError } from '../errors/engine-error.js';

const SIGNALS = constants.signals as Record<string, number>;

/** "KILL", "SIGKILL", "sigkill" or "9" → 9; anything else is an error. */
export function parseSignal(text: string): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n >= 0 && n <= 64) return n; // 0 only checks that the process exists, as kill(2)
  } else {
    const upper = text.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = SIGNALS[name];
    if (n !== undefined) return n;
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name);
    if (rt) return 34 + Number(rt[1] ?? 0);
  }
  throw new EngineError('InvalidArgument', 'BAD_SIGNAL', `unknown signal ${JSON.stringify(text)}`, { hint: 'use a name such as TERM or KILL, or a number' });
}
