import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { sha256Of } from '../../lib/digest.js';
import { listTar } from '../../snapshot/layer/testing.js';
import { cleanupHarnesses, harness, layer, type Harness } from '../../image/testing.js';
import { startTestServer, type TestServer } from '../testing.js';
import { registerImageRoutes } from './images.js';

/** The image routes over an image service with the in-memory snapshotter: no root needed. */

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  text: string;
  json: () => any;
}

function call(socketPath: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, method, path, headers: { ...headers, ...(body ? { 'Content-Type': 'application/x-tar' } : {}) }, agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const b = Buffer.concat(parts);
        resolve({ status: res.statusCode!, headers: res.headers, body: b, text: b.toString(), json: () => JSON.parse(b.toString()) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const q = (v: unknown): string => encodeURIComponent(JSON.stringify(v));
const lines = (text: string): any[] => text.trim().split('\n').map((l) => JSON.parse(l));

describe('image routes', () => {
  let h: Harness;
  let ts: TestServer;
  const rootfs = layer({ 'bin/': '', 'bin/sh': 'shell' });
  let id = '';
  const api = (method: string, path: string, body?: Buffer): Promise<Reply> => call(ts.socketPath, method, path, body);

  before(async () => {
    h = harness();
    ts = await startTestServer();
    registerImageRoutes(ts.server.router, { images: h.service });
  });
  after(async () => {
    await ts.stop();
    cleanupHarnesses();
  });

  it('POST /images/create?fromSrc=- imports the body and answers with its ID in a JSON stream', async () => {
    const r = await api('POST', `/v1.41/images/create?fromSrc=-&repo=app&tag=1&message=hello&changes=${encodeURIComponent('CMD ["sh"]')}&changes=${encodeURIComponent('ENV A=1')}`, rootfs);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers['content-type'], 'application/json');
    const msgs = lines(r.text);
    assert.equal(msgs.length, 1);
    id = msgs[0].status;
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const inspect = await h.service.inspect('app:1');
    assert.equal(inspect.Id, id);
    assert.equal(inspect.Comment, 'hello');
    assert.deepEqual(inspect.Config?.Cmd, ['sh']);
    assert.deepEqual(inspect.Config?.Env, ['A=1']);
  });

  it('refuses an import it cannot do before reading the body: a digest name, a bad change, a pull, a URL', async () => {
    const digest = sha256Of('x');
    let r = await api('POST', `/images/create?fromSrc=-&repo=app@${digest}`, rootfs);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), { message: 'cannot import digest reference' });
    r = await api('POST', `/images/create?fromSrc=-&changes=${encodeURIComponent('FROM x')}`, rootfs);
    assert.equal(r.status, 400);
    r = await api('POST', '/images/create?fromImage=busybox&tag=latest');
    assert.equal(r.status, 501);
    r = await api('POST', '/images/create?fromSrc=http%3A%2F%2Fexample.com%2Fx.tar');
    assert.equal(r.status, 501);
    r = await api('POST', '/images/create');
    assert.equal(r.status, 400);
  });

  it("GET /images/json: dockerd 20.10's shape at 1.41, the later one at 1.47, shared sizes when asked", async () => {
    let r = await api('GET', '/v1.41/images/json');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), [
      { Containers: -1, Created: 1704164645, Id: id, Labels: null, ParentId: '', RepoDigests: null, RepoTags: ['app:1'], SharedSize: -1, Size: (await h.service.list())[0]!.Size, VirtualSize: (await h.service.list())[0]!.Size },
    ]);
    r = await api('GET', '/v1.47/images/json?shared-size=1');
    const [img] = r.json();
    assert.deepEqual(img.RepoDigests, []);
    assert.equal('VirtualSize' in img, false);
    assert.equal(img.SharedSize, 0);
    r = await api('GET', `/v1.41/images/json?filters=${q({ reference: { 'nope*': true } })}`);
    assert.deepEqual(r.json(), []);
    r = await api('GET', `/v1.41/images/json?filters=${q({ colour: { red: true } })}`);
    assert.equal(r.status, 400);
    assert.deepEqual(r.json(), { message: "invalid filter 'colour'" }, 'without berth\'s hint');
  });

  it('GET /images/{name}/json and /history; a missing image is dockerd\'s 404', async () => {
    let r = await api('GET', '/v1.41/images/app:1/json');
    assert.equal(r.status, 200);
    let doc = r.json();
    assert.equal(doc.Id, id);
    assert.ok('VirtualSize' in doc && 'ContainerConfig' in doc && 'Container' in doc);
    r = await api('GET', '/v1.47/images/app:1/json');
    doc = r.json();
    assert.ok(!('VirtualSize' in doc) && !('ContainerConfig' in doc) && !('Container' in doc));
    r = await api('GET', '/images/app:1/history');
    assert.deepEqual(
      r.json().map((x: any) => [x.Id, x.Tags, x.Comment]),
      [[id, ['app:1'], 'hello']],
    );
    for (const path of ['/images/nope/json', '/images/nope/history', '/images/nope/get']) {
      r = await api('GET', path);
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.json(), { message: 'No such image: nope:latest' }, path);
    }
  });

  it('POST /images/{name}/tag: 201; repo and tag combined as dockerd does; its errors', async () => {
    let r = await api('POST', '/images/app:1/tag?repo=app&tag=2');
    assert.equal(r.status, 201);
    assert.equal(r.body.length, 0);
    r = await api('POST', '/images/app:1/tag?repo=other/app:9');
    assert.equal(r.status, 201);
    r = await api('POST', '/images/app:1/tag?repo=lib/x:5&tag=6');
    assert.equal(r.status, 201);
    assert.deepEqual((await h.service.inspect(id)).RepoTags.sort(), ['app:1', 'app:2', 'lib/x:6', 'other/app:9']);
    r = await api('POST', `/images/app:1/tag?repo=app@${id}`);
    assert.deepEqual([r.status, r.json()], [400, { message: 'refusing to create a tag with a digest reference' }]);
    r = await api('POST', '/images/app:1/tag?repo=App');
    assert.deepEqual([r.status, r.json()], [400, { message: 'invalid reference format: repository name must be lowercase' }]);
    r = await api('POST', '/images/app:1/tag?repo=app&tag=a@b');
    assert.deepEqual([r.status, r.json()], [400, { message: 'invalid tag format' }]);
    r = await api('POST', '/images/nope/tag?repo=x');
    assert.deepEqual([r.status, r.json()], [404, { message: 'No such image: nope:latest' }]);
  });

  it('DELETE /images/{name}: untags, and refuses by ID with dockerd\'s conflict message', async () => {
    let r = await api('DELETE', '/images/lib/x:6');
    assert.deepEqual([r.status, r.json()], [200, [{ Untagged: 'lib/x:6' }]]);
    r = await api('DELETE', `/images/${id.slice(7, 19)}`);
    assert.equal(r.status, 409);
    assert.deepEqual(r.json(), { message: `conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories` });
    r = await api('DELETE', '/images/nope:3');
    assert.deepEqual([r.status, r.json()], [404, { message: 'No such image: nope:3' }]);
  });

  it('GET /images/get and /images/{name}/get send a tar; POST /images/load takes it back', async () => {
    const one = await api('GET', '/images/app:1/get');
    assert.equal(one.status, 200);
    assert.equal(one.headers['content-type'], 'application/x-tar');
    const names = (await listTar(one.body)).map((e) => e.name);
    assert.ok(names.includes('manifest.json') && names.includes('index.json'), names.join(' '));
    const both = await api('GET', '/images/get?names=app:1&names=app:2');
    assert.equal(both.status, 200);
    assert.equal(JSON.parse((await listTar(both.body)).find((e) => e.name === 'manifest.json')!.content.toString())[0].RepoTags.length, 2);

    let r = await api('DELETE', `/images/${id}?force=1`);
    assert.equal(r.status, 200, r.text);
    r = await api('POST', '/images/load?quiet=0', both.body);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(lines(r.text), [
      { status: 'Loading layer', progress: '1/1', id: sha256Of(rootfs).slice(7, 19) },
      { stream: 'Loaded image: app:1\n' },
      { stream: 'Loaded image: app:2\n' },
    ]);
    // quiet is the default, as in dockerd
    r = await api('POST', '/images/load', one.body);
    assert.deepEqual(lines(r.text), [{ stream: 'Loaded image: app:1\n' }]);
  });

  it('POST /images/load says that a tag moved, and reports a bad archive in the stream with 200', async () => {
    const archive = (await api('GET', '/images/app:1/get')).body;
    const other = await api('POST', '/images/create?fromSrc=-&repo=app&tag=1', layer({ x: 'y' }));
    const otherId = lines(other.text)[0].status;
    let r = await api('POST', '/images/load', archive);
    assert.deepEqual(lines(r.text), [
      { stream: `The image app:1 already exists, renaming the old one with ID ${otherId} to empty string\n` },
      { stream: 'Loaded image: app:1\n' },
    ]);
    r = await api('POST', '/images/load', Buffer.from('not a tar'));
    assert.equal(r.status, 200);
    const [msg] = lines(r.text);
    assert.match(msg.error, /^load: /);
    assert.deepEqual(msg.errorDetail, { message: msg.error });
  });

  it('POST /images/prune: dangling images by default; nothing to prune is ImagesDeleted null', async () => {
    let r = await api('POST', '/images/prune');
    assert.equal(r.status, 200);
    const report = r.json();
    assert.ok(report.ImagesDeleted.some((d: any) => d.Deleted?.startsWith('sha256:')));
    assert.equal(typeof report.SpaceReclaimed, 'number');
    r = await api('POST', '/images/prune');
    assert.deepEqual(r.json(), { ImagesDeleted: null, SpaceReclaimed: 0 });
    r = await api('POST', `/images/prune?filters=${q({ dangling: { false: true } })}`);
    assert.ok(r.json().ImagesDeleted.some((d: any) => d.Untagged === 'app:1'));
    assert.deepEqual(await h.service.list(), []);
  });
});
