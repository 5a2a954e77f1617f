import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Gives the memory of a burst of work back once a long-lived process has gone
 * quiet. V8 keeps the heap a burst grew it to: after a hundred containers
 * berthd held ~45 MB of heap for ~9 MB of live objects, and V8's own memory
 * reducer gives it back late (after 10–15 s of quiet), or not at all.
 * So `touch()` marks work (an API request starting or ending), and after
 * `delayMs` without any, two full collections run: the first frees, the
 * second compacts the pages the first left sparse, and both hand the empty
 * pages back. A last one follows `settleMs` later if it is still quiet: by
 * then V8 has measured a low allocation rate (over its last 5 s) and shrinks
 * the young generation back to its least. Nothing more until the next work:
 * an idle process is left alone.
 *
 * `gc` is V8's (exposeGc below); a pass costs ~10–30 ms of CPU.
 */
export class IdleCollector {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  /** passes made since the last work: 0, 1 (the two collections) or 2 (the last one) */
  private passes = 0;

  constructor(
    private readonly gc: () => void,
    private readonly delayMs = 2000,
    private readonly settleMs = 5500,
  ) {}

  /** Marks work: the collections wait for delayMs without any. */
  touch(): void {
    this.last = performance.now();
    this.passes = 0;
    this.timer ??= this.arm(this.delayMs);
  }

  /** Cancels what is pending. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): NodeJS.Timeout {
    // unref'd: a pending collection never keeps the process alive
    return setTimeout(() => this.fire(), ms).unref();
  }

  private fire(): void {
    const due = this.passes === 0 ? this.delayMs : this.delayMs + this.settleMs;
    const quiet = performance.now() - this.last;
    if (quiet < due) {
      this.timer = this.arm(due - quiet);
      return;
    }
    if (this.passes === 0) {
      this.gc();
      this.gc();
      this.passes = 1;
      this.timer = this.arm(this.settleMs);
    } else {
      this.gc();
      this.passes = 2;
      this.timer = undefined;
    }
  }
}

/**
 * V8's gc() without node --expose-gc: any V8 flag on node's command line
 * cost berthd ~18 ms of start, because node's code cache for its own modules
 * (http, net, crypto…) no longer fits then. So the flag is set just long
 * enough to make a context that has gc(), then set back. The process's own
 * gc() when it has one; undefined where neither works.
 */
export function exposeGc(): (() => void) | undefined {
  const own = (globalThis as { gc?: unknown }).gc;
  if (typeof own === 'function') return own as () => void;
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
