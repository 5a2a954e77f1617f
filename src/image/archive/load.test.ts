import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { sha256Of, type Digest } from '../../lib/digest.js';
import { MediaType } from '../../spec/oci-image.js';
import { chainIds } from '../config.js';
import { archive, blobName, chunks, cleanupHarnesses, gzip, harness, imageConfig, json, layer, picture } from '../testing.js';

after(cleanupHarnesses);

/*
 * The fixtures were written by Docker 20.10.24 (Debian's docker.io):
 *   docker import -c 'CMD ["/bin/sh"]' base.tar fixture/base:1.0        (etc/motd, etc/passwd)
 *   DOCKER_BUILDKIT=0 docker build -t fixture/child .                    (FROM fixture/base:1.0,
 *       COPY note /etc/note, ENV GREETING=hi, LABEL org.example=fixture)
 *   docker save fixture/base:1.0 fixture/child:latest                   → docker-20.10-save.tar
 * Its shared bottom layer is a symlink (ffbc…/layer.tar -> ../e3ff…/layer.tar). legacy-save.tar is
 * the same archive without manifest.json and the <id>.json configs: the pre-1.10 format. The IDs
 * and answers below are what that dockerd gave after loading each.
 */
const fixture = (name: string): Buffer => readFileSync(new URL(`../../../test/fixtures/images/${name}`, import.meta.url));
const BASE_ID = 'sha256:c8b04ff7568a82383fd13016f4453cc97eea7ee46b8d61ee72cf2f2588339c4e';
const CHILD_ID = 'sha256:92a439d79227cc5aa44a42b86f099f5f2d73f6400a9c77183d831159796a76ee';
const LEGACY_CHILD_ID = 'sha256:c03d58c3b3e23a1ef21932f3ad795a5978085b9d95adcda3365bee1b7657858c';
const BASE_DIFF = 'sha256:e4f7e91500223b29c8625d4011743f2f117f1e5bfdf32b86f1dafc61e6e73529' as Digest;
const CHILD_DIFF = 'sha256:0b1566b9daa6d2d3a2ae56196ce4e7de1dd43d3a00c932b7a2cad9b2baebecbd' as Digest;

describe('load: Docker 20.10 archives', () => {
  it('loads both images with the IDs, tags and files dockerd gives, following the shared layer symlink', async () => {
    const h = harness();
    const progress: string[] = [];
    const result = await h.service.load(chunks(fixture('docker-20.10-save.tar'), 3000), { onProgress: (e) => progress.push(`${e.layer} ${e.index + 1}/${e.count}`) });
    assert.deepEqual(result.loaded, ['fixture/base:1.0', 'fixture/child:latest']);
    assert.deepEqual(progress, ['e4f7e9150022 1/1', 'e4f7e9150022 1/2', '0b1566b9daa6 2/2']);
    assert.deepEqual(result.images.map((i) => i.id), [BASE_ID, CHILD_ID]);
    const [, top] = chainIds([BASE_DIFF, CHILD_DIFF]);
    assert.deepEqual(h.snapshots.tree(top!), { etc: '', 'etc/motd': 'hello from the base\n', 'etc/note': 'added by the child\n', 'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n' });
    // the shared layer is stored once
    assert.equal(h.snapshots.applied.length, 2);
  });

  it("answers inspect, history and images as dockerd did for the same archive", async () => {
    const h = harness();
    await h.service.load(chunks(fixture('docker-20.10-save.tar')));
    const inspect = await h.service.inspect('fixture/child');
    assert.equal(inspect.Id, CHILD_ID);
    assert.deepEqual(inspect.RepoTags, ['fixture/child:latest']);
    assert.deepEqual(inspect.RepoDigests, []);
    assert.equal(inspect.Parent, '');
    assert.equal(inspect.Created, '2026-11-22T19:00:37.139707606Z');
    assert.equal(inspect.Container, '0d9d7424d3e15753e98d24cd1049987b41a8149e47fc5f87cf3f8e373220d475');
    assert.equal(inspect.ContainerConfig.Hostname, '0d9d7424d3e1');
    assert.equal(inspect.DockerVersion, '20.10.24+dfsg1');
    assert.deepEqual(Object.keys(inspect.Config!), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']);
    assert.deepEqual(inspect.Config!.Labels, { 'org.example': 'fixture' });
    assert.equal(inspect.Size, 69);
    assert.equal(inspect.VirtualSize, 69);
    assert.deepEqual(inspect.RootFS, { Type: 'layers', Layers: [BASE_DIFF, CHILD_DIFF] });
    assert.deepEqual(inspect.GraphDriver, { Data: null, Name: 'vfs' });
    assert.deepEqual(Object.keys(inspect), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'Container', 'ContainerConfig', 'DockerVersion', 'Author', 'Config', 'Architecture', 'Os', 'Size', 'VirtualSize', 'GraphDriver', 'RootFS', 'Metadata']);

    assert.deepEqual(await h.service.history('fixture/child:latest'), [
      { Comment: '', Created: 1795374037, CreatedBy: '/bin/sh -c #(nop)  LABEL org.example=fixture', Id: CHILD_ID, Size: 0, Tags: ['fixture/child:latest'] },
      { Comment: '', Created: 1795374037, CreatedBy: '/bin/sh -c #(nop)  ENV GREETING=hi', Id: '<missing>', Size: 0, Tags: null },
      { Comment: '', Created: 1795374037, CreatedBy: '/bin/sh -c #(nop) COPY file:1e46ec970e4875b7be84fc86bd1d0ede2b781d454c107019518369da4a2554ef in /etc/note ', Id: '<missing>', Size: 19, Tags: null },
      { Comment: 'Imported from -', Created: 1795374036, CreatedBy: '', Id: '<missing>', Size: 50, Tags: null },
    ].map((e) => ({ Id: e.Id, Created: e.Created, CreatedBy: e.CreatedBy, Tags: e.Tags, Size: e.Size, Comment: e.Comment })));

    const list = await h.service.list();
    assert.deepEqual(
      list.map(({ Containers, SharedSize, ...rest }) => (void Containers, void SharedSize, rest)),
      [
        { Created: 1795374037, Id: CHILD_ID, Labels: { 'org.example': 'fixture' }, ParentId: '', RepoDigests: null, RepoTags: ['fixture/child:latest'], Size: 69, VirtualSize: 69 },
        { Created: 1795374036, Id: BASE_ID, Labels: null, ParentId: '', RepoDigests: null, RepoTags: ['fixture/base:1.0'], Size: 50, VirtualSize: 50 },
      ],
    );
    // the base layer is in both: shared
    assert.deepEqual(list.map((i) => i.SharedSize), [50, 50]);
  });
});

describe('load: the legacy format (no manifest.json)', () => {
  it('rebuilds the chain from parent links, one image per layer, with the IDs dockerd makes', async () => {
    const h = harness();
    const result = await h.service.load(chunks(fixture('legacy-save.tar')));
    const byTag = Object.fromEntries(result.images.flatMap((i) => i.tags.map((t) => [t, i.id])));
    assert.equal(byTag['fixture/base:1.0'], BASE_ID);
    assert.equal(byTag['fixture/child:latest'], LEGACY_CHILD_ID);
    assert.equal(h.images.list().length, 3, 'the middle layer is an untagged intermediate image');
    // Docker 20.10 saved the child's bottom layer under a v1 id of its own (a link to the base's layer.tar): a chain of its own
    const child = h.images.get(LEGACY_CHILD_ID as Digest)!;
    assert.deepEqual(child.layers.map((l) => l.diffId), [BASE_DIFF, CHILD_DIFF]);
    const middle = h.images.get(child.parent!)!;
    assert.deepEqual(middle.layers.map((l) => l.diffId), [BASE_DIFF]);
    assert.equal(middle.parent, undefined);
    assert.deepEqual((await h.service.list()).map((i) => i.RepoTags), [['fixture/child:latest'], ['fixture/base:1.0']]);
    assert.equal((await h.service.list({ all: true })).length, 3);
  });
});

describe('load: OCI image layouts', () => {
  function layout(): { archive: Buffer; amd: Digest; arm: Digest; armLayer: Digest } {
    const amdLayer = gzip(layer({ 'arch': 'amd64' }));
    const armLayer = gzip(layer({ 'arch': 'arm64' }));
    const mk = (l: Buffer, inner: Buffer, arch: string): { config: Buffer; manifest: Buffer } => {
      const config = imageConfig([sha256Of(inner)], { architecture: arch });
      const manifest = json({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: sha256Of(config), size: config.length },
        layers: [{ mediaType: MediaType.OciLayerGzip, digest: sha256Of(l), size: l.length }],
      });
      return { config, manifest };
    };
    const amd = mk(amdLayer, layer({ 'arch': 'amd64' }), 'amd64');
    const arm = mk(armLayer, layer({ 'arch': 'arm64' }), 'arm64');
    const attestation = json({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: sha256Of(amd.config), size: amd.config.length }, layers: [] });
    const inner = json({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: [
        { mediaType: MediaType.OciManifest, digest: sha256Of(arm.manifest), size: arm.manifest.length, platform: { architecture: 'arm64', os: 'linux' } },
        { mediaType: MediaType.OciManifest, digest: sha256Of(amd.manifest), size: amd.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
        { mediaType: MediaType.OciManifest, digest: sha256Of(attestation), size: attestation.length, platform: { architecture: 'unknown', os: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      ],
    });
    const outer = json({
      schemaVersion: 2,
      manifests: [
        { mediaType: MediaType.OciIndex, digest: sha256Of(inner), size: inner.length, annotations: { 'io.containerd.image.name': 'example.com/multi:2', 'org.opencontainers.image.ref.name': '2' } },
        { mediaType: MediaType.OciManifest, digest: sha256Of(amd.manifest), size: amd.manifest.length, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
      ],
    });
    const blobs = [amdLayer, armLayer, amd.config, arm.config, amd.manifest, arm.manifest, attestation, inner];
    return {
      archive: archive([
        ['oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}')],
        ['index.json', outer],
        ...blobs.map((b): [string, Buffer] => [blobName(sha256Of(b)), b]),
      ]),
      amd: sha256Of(amd.config),
      arm: sha256Of(arm.config),
      armLayer: sha256Of(armLayer),
    };
  }

  it("picks this host's platform through nested indexes, names images by annotation, and keeps no other platform's blobs", async () => {
    const h = harness();
    const { archive: bytes, amd, armLayer } = layout();
    const result = await h.service.load(chunks(gzip(bytes)));
    assert.deepEqual(result.loaded, ['example.com/multi:2']);
    assert.deepEqual(result.images, [{ id: amd, tags: ['example.com/multi:2'] }]);
    const record = h.images.get(amd)!;
    assert.equal(record.layers[0]!.blob!.mediaType, MediaType.OciLayerGzip);
    assert.equal(record.manifests.length, 1);
    assert.equal(await h.content.has(armLayer), false);
    assert.deepEqual(h.snapshots.tree(record.layers[0]!.chainId), { arch: 'amd64' });
  });

  it('save sends the manifest the image came with, gzip layers as they are', async () => {
    const h = harness();
    const { archive: bytes, amd } = layout();
    await h.service.load(chunks(bytes));
    const saved = await (await import('../testing.js')).readAll(await h.service.save(['example.com/multi:2']));
    const other = harness();
    const result = await other.service.load(chunks(saved));
    assert.deepEqual(result.images, [{ id: amd, tags: ['example.com/multi:2'] }]);
    assert.deepEqual(other.images.get(amd)!.manifests, h.images.get(amd)!.manifests);
  });
});

describe('load: tags', () => {
  it('moves a tag that named another image, and says so', async () => {
    const h = harness();
    const { id: old } = await h.service.importImage(chunks(layer({ a: '1' })), { ref: 'fixture/base:1.0' });
    const result = await h.service.load(chunks(fixture('docker-20.10-save.tar')));
    assert.deepEqual(result.moved, [{ tag: 'fixture/base:1.0', previous: old }]);
    assert.equal((await h.service.list()).find((i) => i.Id === old)!.RepoTags![0], '<none>:<none>');
  });

  it('loading the same archive twice changes nothing the second time', async () => {
    const h = harness();
    await h.service.load(chunks(fixture('docker-20.10-save.tar')));
    const before = await picture(h);
    await h.service.load(chunks(fixture('docker-20.10-save.tar')));
    assert.deepEqual(await picture(h), before);
  });
});
