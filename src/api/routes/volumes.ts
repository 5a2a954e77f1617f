import type { Services } from '../../daemon/services.js';
import { EngineError } from '../../errors/engine-error.js';
import type { Router } from '../router.js';

/** /volumes: Docker's volume API over the local driver. */
export function registerVolumeRoutes(router: Router, s: Services): void {
  const usedBy = (name: string): string[] => s.ctx.containers.list().filter((c) => c.Mounts.some((m) => m.Type === 'volume' && m.Name === name)).map((c) => c.ID);
  // Anonymous is berth's own bookkeeping, not part of Docker's Volume
  const view = (v: ReturnType<typeof s.volumes.inspect>): Record<string, unknown> => Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'Anonymous'));

  router.get('/volumes', (ctx) => {
    const filters = ctx.query.filters();
    let list = s.volumes.list();
    for (const [key, values] of Object.entries(filters)) {
      if (values.length === 0) continue;
      if (key === 'name') list = list.filter((v) => values.some((n) => v.Name.includes(n)));
      else if (key === 'dangling') list = list.filter((v) => values.some((d) => (usedBy(v.Name).length === 0) === (d === 'true' || d === '1')));
      else if (key === 'driver') list = list.filter((v) => values.includes(v.Driver));
      else if (key === 'label') list = list.filter((v) => values.every((l) => { const [k, val] = l.split('=', 2) as [string, string?]; return k in v.Labels && (val === undefined || v.Labels[k] === val); }));
      else throw new EngineError('InvalidArgument', 'BAD_FILTER', `invalid filter '${key}'`);
    }
    return { Volumes: list.map(view), Warnings: null };
  });

  router.post('/volumes/create', async (ctx) => {
    const body = ((await ctx.body()) ?? {}) as { Name?: string; Driver?: string; DriverOpts?: Record<string, string>; Labels?: Record<string, string> };
    const v = s.volumes.create(body.Name || undefined, { ...(body.Labels ? { labels: body.Labels } : {}), ...(body.Driver ? { driver: body.Driver } : {}), ...(body.DriverOpts ? { driverOpts: body.DriverOpts } : {}) });
    ctx.json(201, view(v));
  });

  router.get('/volumes/:name', (ctx) => view(s.volumes.inspect(ctx.params['name']!)));

  router.delete('/volumes/:name', (ctx) => {
    s.volumes.remove(ctx.params['name']!, usedBy(ctx.params['name']!), ctx.query.bool('force'));
    ctx.noContent();
  });

  router.post('/volumes/prune', (ctx) => {
    const filters = ctx.query.filters();
    const all = (filters['all'] ?? []).some((v) => v === 'true' || v === '1');
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of s.volumes.list()) {
      // Docker ≥23 prunes anonymous volumes only, unless all=true
      if (!all && !v.Anonymous) continue;
      if (usedBy(v.Name).length > 0) continue;
      reclaimed += s.volumes.usage(v.Name);
      s.volumes.remove(v.Name, []);
      deleted.push(v.Name);
    }
    return { VolumesDeleted: deleted, SpaceReclaimed: reclaimed };
  });
}
