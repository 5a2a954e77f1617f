import { diskUsage, type DiskUsageKind } from '../../daemon/disk-usage.js';
import { eventLogOf, type EventMessage } from '../../daemon/events.js';
import type { Services } from '../../daemon/services.js';
import { pruneContainers } from '../../engine/prune.js';
import { statsStream } from '../../engine/stats.js';
import { EngineError } from '../../errors/engine-error.js';
import type { Router } from '../router.js';
import { versionAtLeast } from '../version.js';

/**
 * Watching and tidying: pause/unpause, top, stats, events, system df and
 * container prune, in dockerd's shapes and words.
 */
export function registerMonitoringRoutes(router: Router, s: Services): void {
  const engine = s.engine;
  // made now, as berthd starts, so that `events --since` sees what happened from here on
  const events = eventLogOf(engine);

  router.post('/containers/:id/pause', async (ctx) => {
    await engine.pause(ctx.params['id']!);
    ctx.noContent();
  });

  router.post('/containers/:id/unpause', async (ctx) => {
    await engine.unpause(ctx.params['id']!);
    ctx.noContent();
  });

  router.get('/containers/:id/top', (ctx) => engine.top(ctx.params['id']!, ctx.query.string('ps_args') ?? ''));

  router.get('/containers/:id/stats', async (ctx) => {
    const c = engine.get(ctx.params['id']!);
    const stream = ctx.query.bool('stream', true);
    const oneShot = ctx.query.bool('one-shot');
    if (stream && oneShot) throw new EngineError('InvalidArgument', 'BAD_STATS_OPTIONS', 'cannot have stream=true and one-shot=true');
    const samples = statsStream(engine.ctx, c.ID, { stream, oneShot, signal: ctx.signal });
    if (!stream) {
      for await (const one of samples) return one;
      return undefined;
    }
    const out = ctx.stream();
    for await (const one of samples) {
      if (out.closed) break;
      await out.writeJson(one);
    }
    await out.end();
  });

  router.get('/events', async (ctx) => {
    const sinceText = ctx.query.string('since') ?? '';
    const untilText = ctx.query.string('until') ?? '';
    const since = eventTime(sinceText);
    const until = eventTime(untilText);
    let waitMs: number | undefined;
    if (until !== undefined) {
      if (until < (since ?? 0n)) throw new EngineError('InvalidArgument', 'BAD_EVENTS_RANGE', `\`since\` time (${sinceText}) cannot be after \`until\` time (${untilText})`);
      const now = BigInt(Date.now()) * 1_000_000n;
      waitMs = until < now ? 0 : Number((until - now) / 1_000_000n);
    }
    const sub = events.subscribe({ ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}), filters: ctx.query.filters() });
    const queue: EventMessage[] = [];
    let wake: (() => void) | undefined;
    sub.onEvent((m) => {
      queue.push(m);
      wake?.();
    });
    const out = ctx.stream();
    // `until` is reached when the timer says so, even if it fires while no one waits on `wake`
    // or a few ms before Date.now() shows the deadline (it counts from the event loop's clock)
    let expired = false;
    let timer: NodeJS.Timeout | undefined;
    if (waitMs) {
      const deadline = Date.now() + waitMs;
      const arm = (ms: number): void => {
        timer = setTimeout(
          () => {
            const left = deadline - Date.now();
            if (left > 100) return arm(left); // setTimeout waits 24.8 days at most
            expired = true;
            wake?.();
          },
          Math.min(ms, 2 ** 31 - 1),
        );
      };
      arm(waitMs);
    }
    const onAbort = (): void => wake?.();
    ctx.signal.addEventListener('abort', onAbort);
    try {
      for (const m of sub.past) await out.writeJson(m);
      for (;;) {
        if (waitMs === 0 || out.closed || ctx.signal.aborted) break;
        while (queue.length && !out.closed) await out.writeJson(queue.shift()!);
        if (expired) break;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      sub.close();
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
    await out.end();
  });

  router.get('/system/df', async (ctx) => {
    // `type` came with API 1.42; older requests are answered whole, whatever they send
    const kinds = versionAtLeast(ctx.version, '1.42') ? (ctx.query.strings('type') as DiskUsageKind[]) : [];
    for (const k of kinds) {
      if (!['container', 'image', 'volume', 'build-cache'].includes(k)) throw new EngineError('InvalidArgument', 'BAD_DF_TYPE', `unknown object type: ${k}`);
    }
    const usage = await diskUsage(s, kinds);
    const images = usage.Images?.map((img) => {
      const view: Record<string, unknown> = { ...img };
      if (versionAtLeast(ctx.version, '1.43')) {
        view['RepoTags'] = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
        view['RepoDigests'] = (img.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
      }
      if (versionAtLeast(ctx.version, '1.44')) delete view['VirtualSize'];
      return view;
    });
    return {
      ...usage,
      ...(images ? { Images: images } : {}),
      // BuilderSize went away with API 1.42, where the build cache got its own list
      ...(versionAtLeast(ctx.version, '1.42') ? {} : { BuilderSize: 0 }),
    };
  });

  router.post('/containers/prune', (ctx) => pruneContainers(engine, ctx.query.filters()));
}

/**
 * dockerd's event times: "seconds[.fraction]" as the clients send them
 * (they turn dates and durations into this form); absent or empty for
 * none. Epoch nanoseconds.
 */
export function eventTime(text: string): bigint | undefined {
  if (text === '') return undefined;
  const [secs = '', frac] = text.split('.', 2) as [string, string | undefined];
  const int = /^[+-]?\d+$/;
  if (!int.test(secs)) throw new EngineError('InvalidArgument', 'BAD_TIME', `strconv.ParseInt: parsing ${JSON.stringify(secs)}: invalid syntax`);
  let nanos = 0n;
  if (frac !== undefined) {
    if (!int.test(frac)) throw new EngineError('InvalidArgument', 'BAD_TIME', `strconv.ParseInt: parsing ${JSON.stringify(frac)}: invalid syntax`);
    // "should already be in nanoseconds", as dockerd says: fewer digits are scaled up
    nanos = frac.length <= 9 ? BigInt(frac) * 10n ** BigInt(9 - frac.length) : BigInt(frac.slice(0, 9));
  }
  return BigInt(secs) * 1_000_000_000n + nanos;
}
