import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { isEngineError } from '../../errors/engine-error.js';
import { sha256Of } from '../../lib/digest.js';
import { buildTar, listTar } from '../../snapshot/layer/testing.js';
import { chainIds } from '../config.js';
import { MediaType } from '../../spec/oci-image.js';
import { archive, blobName, chunks, cleanupHarnesses, gzip, harness, imageConfig, json, layer, picture, readAll, type Harness } from '../testing.js';

after(cleanupHarnesses);

/**
 * Archives are untrusted. Every malformed one must fail with an
 * EngineError (never a TypeError or a crash), and leave the stores exactly
 * as they were: no image, tag, snapshot, blob or ingest file added, and
 * nothing that was there removed — including a layer the bad archive
 * shares with an image already loaded.
 */

const fixture = readFileSync(new URL('../../../test/fixtures/images/docker-20.10-save.tar', import.meta.url));

/** A store that already has an image whose bottom layer the archives below share. */
async function primed(): Promise<Harness> {
  const h = harness();
  await h.service.load(chunks(fixture));
  await h.service.tag('fixture/base:1.0', 'keep:me');
  return h;
}

async function expectRefused(h: Harness, bytes: Buffer, code: string | RegExp, what: string): Promise<void> {
  const before = await picture(h);
  await assert.rejects(h.service.load(chunks(bytes, 700)), (err: unknown) => {
    assert.ok(isEngineError(err), `${what}: not an EngineError: ${String((err as Error)?.stack ?? err)}`);
    assert.ok(typeof code === 'string' ? err.code === code : code.test(err.code), `${what}: expected ${String(code)}, got ${err.code}: ${err.message}`);
    assert.match(err.message, /^load: /, what);
    return true;
  });
  assert.deepEqual(await picture(h), before, `${what}: the stores changed`);
}

// ——— a Docker ≥25 archive of two images (base, child) to break in many ways ———

const baseLayer = layer({ 'etc/': '', 'etc/motd': 'hello' });
const childLayer = layer({ 'etc/': '', 'etc/note': 'child' });
const baseConfig = imageConfig([sha256Of(baseLayer)]);
const childConfig = imageConfig([sha256Of(baseLayer), sha256Of(childLayer)]);

function docker25(overrides: { manifest?: unknown; members?: [string, Buffer | string][]; drop?: string[] } = {}): Buffer {
  const manifest = 'manifest' in overrides ? overrides.manifest : [
    { Config: blobName(sha256Of(baseConfig)), RepoTags: ['bad/base:1'], Layers: [blobName(sha256Of(baseLayer))] },
    { Config: blobName(sha256Of(childConfig)), RepoTags: ['bad/child:1'], Layers: [blobName(sha256Of(baseLayer)), blobName(sha256Of(childLayer))] },
  ];
  const members: [string, Buffer | string][] = [
    [blobName(sha256Of(baseLayer)), baseLayer],
    [blobName(sha256Of(childLayer)), childLayer],
    [blobName(sha256Of(baseConfig)), baseConfig],
    [blobName(sha256Of(childConfig)), childConfig],
    ['manifest.json', json(manifest)],
  ];
  return archive([...members.filter(([name]) => !overrides.drop?.includes(name)), ...(overrides.members ?? [])]);
}

describe('load refuses malformed archives and leaves the stores as they were', () => {
  it('accepts the unbroken archive (the cases below each break one thing)', async () => {
    const h = await primed();
    const result = await h.service.load(chunks(docker25()));
    assert.deepEqual(result.loaded, ['bad/base:1', 'bad/child:1']);
  });

  const badConfig = (v: unknown): Buffer => json(v);
  const cases: [string, () => Buffer, string | RegExp][] = [
    ['an empty input', () => Buffer.alloc(0), 'ARCHIVE_EMPTY'],
    ['garbage', () => Buffer.from('this is not an archive '.repeat(40)), 'TAR_CORRUPT'],
    ['a truncated gzip', () => gzip(docker25()).subarray(0, 300), /LAYER_CORRUPT|TAR_CORRUPT/],
    ['bzip2', () => Buffer.concat([Buffer.from('BZh91AY&SY'), Buffer.alloc(600)]), 'LAYER_COMPRESSION'],
    ['a manifest naming a missing layer', () => docker25({ drop: [blobName(sha256Of(childLayer))] }), 'ARCHIVE_MISSING_MEMBER'],
    ['a manifest naming a missing config', () => docker25({ drop: [blobName(sha256Of(childConfig))] }), 'ARCHIVE_MISSING_MEMBER'],
    ['a blob whose content does not match its name', () => docker25({ drop: [blobName(sha256Of(childLayer))], members: [[blobName(sha256Of(childLayer)), layer({ 'etc/': '', 'etc/note': 'CHILD' })]] }), 'DIGEST_MISMATCH'],
    ['a layer whose content is not the diff ID its config says', () => {
      const other = layer({ evil: 'x' });
      const manifest = [{ Config: blobName(sha256Of(childConfig)), RepoTags: ['bad/child:1'], Layers: [blobName(sha256Of(baseLayer)), 'other.tar'] }];
      return docker25({ manifest, members: [['other.tar', other]] });
    }, 'DIFF_ID_MISMATCH'],
    ['a gzip layer whose content is not its diff ID', () => {
      const manifest = [{ Config: blobName(sha256Of(childConfig)), RepoTags: [], Layers: [blobName(sha256Of(baseLayer)), 'child.tar.gz'] }];
      return docker25({ manifest, members: [['child.tar.gz', gzip(layer({ 'etc/': '', 'etc/note': 'other' }))]] });
    }, 'DIFF_ID_MISMATCH'],
    ['a member named with ..', () => docker25({ members: [['../escape', Buffer.from('x')]] }), 'ARCHIVE_UNSAFE_PATH'],
    ['an absolute member name', () => docker25({ members: [['/etc/passwd', Buffer.from('x')]] }), 'ARCHIVE_UNSAFE_PATH'],
    ['a manifest path with ..', () => docker25({ manifest: [{ Config: '../config.json', RepoTags: [], Layers: [] }] }), 'ARCHIVE_INVALID'],
    ['a layer link that leads out of the archive', () => {
      const manifest = [{ Config: blobName(sha256Of(baseConfig)), RepoTags: [], Layers: ['x/layer.tar'] }];
      return docker25({ manifest, members: [['x/layer.tar', '../../../etc/shadow']] });
    }, 'ARCHIVE_UNSAFE_PATH'],
    ['a link loop', () => {
      const manifest = [{ Config: blobName(sha256Of(baseConfig)), RepoTags: [], Layers: ['a'] }];
      return docker25({ manifest, members: [['a', 'b'], ['b', 'a']] });
    }, 'ARCHIVE_INVALID'],
    ['a device member', () => buildTar([{ name: 'dev/null', type: 'char', devmajor: 1, devminor: 3 }]), 'ARCHIVE_INVALID'],
    ['two members of one name', () => docker25({ members: [['manifest.json', json([])]] }), 'ARCHIVE_INVALID'],
    ['manifest.json that is not JSON', () => docker25({ drop: ['manifest.json'], members: [['manifest.json', Buffer.from('[{"Config": ')]] }), 'ARCHIVE_INVALID'],
    ['manifest.json that is null', () => docker25({ manifest: null }), 'ARCHIVE_INVALID'],
    ['manifest.json of the wrong shape', () => docker25({ manifest: [{ Config: 5, Layers: 'x' }] }), 'ARCHIVE_INVALID'],
    ['a config that is not JSON', () => docker25({ manifest: [{ Config: 'c.json', RepoTags: [], Layers: [] }], members: [['c.json', Buffer.from('{nope')]] }), 'INVALID_IMAGE_CONFIG'],
    ['a config without rootfs', () => docker25({ manifest: [{ Config: 'c.json', RepoTags: [], Layers: [] }], members: [['c.json', badConfig({ architecture: 'amd64', os: 'linux' })]] }), 'INVALID_IMAGE_CONFIG'],
    ['a Windows image', () => docker25({ manifest: [{ Config: 'c.json', RepoTags: [], Layers: [] }], members: [['c.json', imageConfig([], { os: 'windows' })]] }), 'UNSUPPORTED_PLATFORM'],
    ['more layers than the config has', () => docker25({ manifest: [{ Config: blobName(sha256Of(baseConfig)), RepoTags: [], Layers: [blobName(sha256Of(baseLayer)), blobName(sha256Of(childLayer))] }] }), 'LAYER_COUNT_MISMATCH'],
    ['an invalid tag', () => docker25({ manifest: [{ Config: blobName(sha256Of(baseConfig)), RepoTags: ['UPPER:1'], Layers: [blobName(sha256Of(baseLayer))] }] }), 'ARCHIVE_INVALID'],
    ['a digest as a tag', () => docker25({ manifest: [{ Config: blobName(sha256Of(baseConfig)), RepoTags: [`x@${sha256Of('x')}`], Layers: [blobName(sha256Of(baseLayer))] }] }), 'ARCHIVE_INVALID'],
    ['a parent whose history does not lead to the child', () => {
      const manifest = [
        { Config: blobName(sha256Of(baseConfig)), RepoTags: [], Layers: [blobName(sha256Of(baseLayer))] },
        { Config: blobName(sha256Of(childConfig)), RepoTags: [], Layers: [blobName(sha256Of(baseLayer)), blobName(sha256Of(childLayer))], Parent: sha256Of(baseConfig) },
      ];
      // imageConfig gives the base one history entry and the child two, but both "step 0": valid — so break the child's
      const brokenChild = imageConfig([sha256Of(baseLayer), sha256Of(childLayer)], { history: [{ created_by: 'other' }, { created_by: 'x' }] });
      manifest[1]!.Config = 'child.json';
      return docker25({ manifest, members: [['child.json', brokenChild]] });
    }, 'ARCHIVE_INVALID'],
    ['a layer with an entry that climbs out', () => {
      const evil = layer({}, [{ name: '../../etc/cron.d/x', content: 'boom' }]);
      const config = imageConfig([sha256Of(evil)]);
      return archive([['l.tar', evil], ['c.json', config], ['manifest.json', json([{ Config: 'c.json', RepoTags: ['bad/evil:1'], Layers: ['l.tar'] }])]]);
    }, 'LAYER_UNSAFE_PATH'],
    ['a truncated layer', () => {
      const cut = baseLayer.subarray(0, 1024);
      const config = imageConfig([sha256Of(cut)]);
      return archive([['l.tar', cut], ['c.json', config], ['manifest.json', json([{ Config: 'c.json', RepoTags: [], Layers: ['l.tar'] }])]]);
    }, 'TAR_CORRUPT'],
    ['no manifest, no index, no layer directories', () => archive([['hello.txt', Buffer.from('hi')]]), 'ARCHIVE_INVALID'],
  ];
  for (const [what, make, code] of cases) {
    it(`refuses ${what}`, async () => expectRefused(await primed(), make(), code, what));
  }

  it('undoes the first image when the second fails (unpack failure in the snapshotter)', async () => {
    const h = await primed();
    const [, childChain] = chainIds([sha256Of(baseLayer), sha256Of(childLayer)]);
    h.snapshots.failApply.add(childChain!);
    await expectRefused(h, docker25(), /.+/, 'a failing apply');
  });
});

describe('load refuses malformed OCI layouts and legacy archives', () => {
  const l = gzip(layer({ a: '1' }));
  const config = imageConfig([sha256Of(layer({ a: '1' }))]);
  const manifestOf = (layerType: string, size = l.length): Buffer => json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: sha256Of(config), size: config.length }, layers: [{ mediaType: layerType, digest: sha256Of(l), size }] });
  const oci = (manifest: Buffer, entryType: string = MediaType.OciManifest, extra: [string, Buffer | string][] = []): Buffer =>
    archive([
      ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
      ['index.json', json({ schemaVersion: 2, manifests: [{ mediaType: entryType, digest: sha256Of(manifest), size: manifest.length, annotations: { 'io.containerd.image.name': 'bad/oci:1' } }] })],
      [blobName(sha256Of(l)), l],
      [blobName(sha256Of(config)), config],
      [blobName(sha256Of(manifest)), manifest],
      ...extra,
    ]);

  it('accepts the unbroken layout', async () => {
    const h = await primed();
    assert.deepEqual((await h.service.load(chunks(oci(manifestOf(MediaType.OciLayerGzip))))).loaded, ['bad/oci:1']);
  });

  const cases: [string, () => Buffer, string | RegExp][] = [
    ['an unknown layer media type', () => oci(manifestOf('application/vnd.example.layer+weird')), 'ARCHIVE_INVALID'],
    ['an unknown entry media type', () => oci(manifestOf(MediaType.OciLayerGzip), 'application/vnd.example.thing+json'), 'UNSUPPORTED_MEDIA_TYPE'],
    ['a descriptor size that lies', () => oci(manifestOf(MediaType.OciLayerGzip, l.length + 1)), 'SIZE_MISMATCH'],
    ['no oci-layout', () => archive([['index.json', json({ schemaVersion: 2, manifests: [] })]]), 'ARCHIVE_MISSING_MEMBER'],
    ['an index that is not an index', () => archive([['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')], ['index.json', json({ schemaVersion: 1 })]]), 'ARCHIVE_INVALID'],
    ['a blob reached through a link, with other content', () => {
      const manifest = manifestOf(MediaType.OciLayerGzip);
      const bytes = archive([
        ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
        ['index.json', json({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciManifest, digest: sha256Of(manifest), size: manifest.length }] })],
        ['other', Buffer.from('x'.repeat(manifest.length))],
        [blobName(sha256Of(manifest)), '../../other'],
      ]);
      return bytes;
    }, 'DIGEST_MISMATCH'],
    ['a platform this host is not', () => {
      const manifest = manifestOf(MediaType.OciLayerGzip);
      const index = json({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: sha256Of(manifest), size: manifest.length, platform: { os: 'linux', architecture: 's390x' } }] });
      return archive([
        ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
        ['index.json', json({ schemaVersion: 2, manifests: [{ mediaType: MediaType.OciIndex, digest: sha256Of(index), size: index.length }] })],
        [blobName(sha256Of(index)), index],
        [blobName(sha256Of(manifest)), manifest],
      ]);
    }, 'NO_MATCHING_PLATFORM'],
    ['a legacy layer whose parent is missing', () => archive([['a/json', json({ id: 'a'.repeat(64), parent: 'b'.repeat(64) })], ['a/layer.tar', layer({ x: '1' })]]), 'ARCHIVE_MISSING_MEMBER'],
    ['a legacy parent cycle', () => {
      const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
      return archive([[`${a}/json`, json({ id: a, parent: b })], [`${a}/layer.tar`, layer({ x: '1' })], [`${b}/json`, json({ id: b, parent: a })], [`${b}/layer.tar`, layer({ y: '1' })]]);
    }, 'ARCHIVE_INVALID'],
    ['legacy repositories naming a missing layer', () => archive([['a/json', json({ id: 'a'.repeat(64) })], ['a/layer.tar', layer({ x: '1' })], ['repositories', json({ x: { latest: 'nope' } })]]), 'ARCHIVE_INVALID'],
    ['a legacy json that is not a v1 image', () => archive([['a/json', json({ id: 'short' })], ['a/layer.tar', layer({ x: '1' })]]), 'ARCHIVE_INVALID'],
  ];
  for (const [what, make, code] of cases) {
    it(`refuses ${what}`, async () => expectRefused(await primed(), make(), code, what));
  }
});

describe('load fuzz: generated damage to real archives fails cleanly or loads', () => {
  // a small deterministic PRNG: the same damage on every run
  let seed = 0x5eed;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };

  async function tryLoad(bytes: Buffer, what: string): Promise<void> {
    const h = harness();
    const before = await picture(h);
    try {
      await h.service.load(chunks(bytes, 1 + rand(4096)));
    } catch (err) {
      assert.ok(isEngineError(err), `${what}: not an EngineError: ${String((err as Error)?.stack ?? err)}`);
      assert.notEqual(err.code, 'LOAD_FAILED', `${what}: an unexpected failure: ${err.message}`);
      assert.deepEqual(await picture(h), before, `${what}: the stores changed`);
    }
  }

  const sources: [string, Buffer][] = [['docker 20.10', fixture], ['docker 25', docker25()]];

  it('cut at every 512-byte block', async () => {
    for (const [name, bytes] of sources) {
      for (let cut = 0; cut < bytes.length; cut += 512) await tryLoad(bytes.subarray(0, cut), `${name} cut at ${cut}`);
    }
  });

  it('bytes flipped in headers and contents (200 cases)', async () => {
    for (let i = 0; i < 200; i++) {
      const [name, original] = sources[i % sources.length]!;
      const bytes = Buffer.from(original);
      const flips = 1 + rand(4);
      for (let f = 0; f < flips; f++) {
        const at = rand(bytes.length);
        bytes[at] = bytes[at]! ^ (1 << rand(8));
      }
      await tryLoad(bytes, `${name} damage ${i}`);
    }
  });

  it('member names replaced by hostile ones', async () => {
    const entries = await listTar(fixture);
    const hostile = ['../x', '/abs', 'a/../../b', 'blobs/sha256/../../x', '.', ''];
    for (const [i, name] of hostile.entries()) {
      const rebuilt = buildTar(entries.map((e, j) => ({ ...e, name: j === i + 1 ? name : e.name, content: e.content, xattrs: {} })));
      await tryLoad(rebuilt, `hostile name ${JSON.stringify(name)}`);
    }
  });

  it('a saved archive survives its own round trip under damage too', async () => {
    const h = harness();
    await h.service.load(chunks(fixture));
    const saved = await readAll(await h.service.save(['fixture/child:latest']));
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(saved);
      const at = rand(bytes.length);
      bytes[at] = bytes[at]! ^ 0xff;
      await tryLoad(bytes, `saved damage ${i}`);
    }
  });
});
