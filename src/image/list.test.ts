import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { sha256Of } from '../lib/digest.js';
import { globMatch } from './filters.js';
import { chunks, cleanupHarnesses, harness, layer, type Harness } from './testing.js';
import { dockerContainerConfig } from './views.js';

after(cleanupHarnesses);

const baseLayer = layer({ big: 'x'.repeat(1000) });

/** base:1 (1000 bytes), then app:1 and app:2 on it (10 and 20 bytes), a dangling image, and an intermediate one. */
async function images(h: Harness): Promise<Record<string, string>> {
  const { id: base } = await h.service.importImage(chunks(baseLayer), { ref: 'base:1' });
  const made: Record<string, string> = { base };
  for (const [name, size, label] of [['app:1', 10, 'a'], ['app:2', 20, 'b']] as const) {
    h.tick(60);
    const key = `c-${name}`;
    h.snapshots.prepare(key, sha256Of(baseLayer));
    h.snapshots.write(key, layer({ [name]: 'y'.repeat(size) }));
    made[name] = (await h.service.commit(key, { parentImage: 'base:1', ref: name, changes: [`LABEL tier=${label}`] })).id;
  }
  h.tick(60);
  made['dangling'] = (await h.service.importImage(chunks(layer({ d: 'z' })))).id;
  h.tick(60);
  // an untagged image with a child: intermediate, shown only with all
  h.snapshots.prepare('mid', sha256Of(baseLayer));
  made['intermediate'] = (await h.service.commit('mid', { parentImage: 'base:1', changes: ['ENV X=1'] })).id;
  h.snapshots.prepare('top', sha256Of(baseLayer));
  made['top'] = (await h.service.commit('top', { parentImage: made['intermediate'], ref: 'top:1' })).id;
  return made;
}

describe('images', () => {
  it('lists tagged and dangling images newest first, hides intermediate ones unless all, with sizes shared and unique', async () => {
    const h = harness();
    const ids = await images(h);
    const list = await h.service.list();
    assert.deepEqual(list.map((i) => i.RepoTags), [['top:1'], ['<none>:<none>'], ['app:2'], ['app:1'], ['base:1']]);
    const app1 = list.find((i) => i.Id === ids['app:1'])!;
    assert.equal(app1.Size, 1010);
    assert.equal(app1.SharedSize, 1000, 'the base layer is shared');
    assert.deepEqual(app1.Labels, { tier: 'a' });
    assert.equal(app1.ParentId, ids['base']);
    assert.equal(list.find((i) => i.Id === ids['dangling'])!.SharedSize, 0);
    assert.deepEqual(list.find((i) => i.Id === ids['dangling'])!.RepoDigests, ['<none>@<none>']);
    assert.equal((await h.service.list({ all: true })).length, 6);
    h.users.set(ids['app:1'] as never, [{ id: 'x', running: true }]);
    assert.equal((await h.service.list()).find((i) => i.Id === ids['app:1'])!.Containers, 1);
  });

  it('filters by dangling, reference, label, before and since as dockerd does', async () => {
    const h = harness();
    const ids = await images(h);
    const tags = async (filters: Record<string, string[]>, all = false): Promise<string[]> => (await h.service.list({ filters, all })).map((i) => i.RepoTags!.join(','));
    assert.deepEqual(await tags({ dangling: ['true'] }), ['<none>:<none>']);
    assert.deepEqual(await tags({ dangling: ['false'] }), ['top:1', 'app:2', 'app:1', 'base:1']);
    assert.deepEqual(await tags({ reference: ['app'] }), ['app:2', 'app:1']);
    assert.deepEqual(await tags({ reference: ['app:1', 'b*'] }), ['app:1', 'base:1']);
    assert.deepEqual(await tags({ label: ['tier'] }), ['app:2', 'app:1']);
    assert.deepEqual(await tags({ label: ['tier=b'] }), ['app:2']);
    assert.deepEqual(await tags({ before: ['app:2'] }), ['app:1', 'base:1']);
    assert.deepEqual(await tags({ since: ['app:2'] }), ['top:1', '<none>:<none>']);
    await assert.rejects(h.service.list({ filters: { dangling: ['maybe'] } }), (err: unknown) => isEngineError(err, 'INVALID_FILTER'));
    await assert.rejects(h.service.list({ filters: { size: ['1'] } }), (err: unknown) => isEngineError(err, 'INVALID_FILTER') && err.message === "invalid filter 'size'");
    assert.ok(ids['intermediate']);
  });
});

describe("Go's path.Match for reference filters", () => {
  it('matches as Go does', () => {
    assert.equal(globMatch('busy*', 'busybox'), true);
    assert.equal(globMatch('*', 'library/busybox'), false, '* stops at /');
    assert.equal(globMatch('*/*', 'user/app'), true);
    assert.equal(globMatch('b?sybox', 'busybox'), true);
    assert.equal(globMatch('[a-c]usybox', 'busybox'), true);
    assert.equal(globMatch('[^a-c]usybox', 'busybox'), false);
    assert.equal(globMatch('a.b', 'axb'), false);
    assert.throws(() => globMatch('[abc', 'a'), (err: unknown) => isEngineError(err, 'INVALID_FILTER'));
  });
});

describe("inspect's Config", () => {
  it("is Docker's container.Config: every field, omitempty ones in their place", () => {
    const c = dockerContainerConfig({ ExposedPorts: { '80/tcp': {} }, Healthcheck: { Test: ['NONE'] }, StopSignal: 'SIGQUIT', Shell: ['/bin/bash', '-c'], Cmd: ['x'] });
    assert.deepEqual(Object.keys(c), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Healthcheck', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels', 'StopSignal', 'Shell']);
    assert.equal(c.Env, null);
  });
});
