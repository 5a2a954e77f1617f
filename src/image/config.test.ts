import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { parseDigest, sha256Of } from '../lib/digest.js';
import { checkImageConfig, MediaType, type ImageConfig } from '../spec/oci-image.js';
import {
  chainId,
  chainIds,
  childImageConfig,
  diffIdsOf,
  EMPTY_LAYER_DIFF_ID,
  hostPlatform,
  imageId,
  parseImageConfig,
  parseImageIndex,
  parseImageManifest,
  serializeImageConfig,
} from './config.js';

// DiffIDs of three made-up layers, and their chain IDs as computed with sha256sum(1):
//   printf '%s %s' "$A" "$B" | sha256sum
const A = parseDigest('sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
const B = parseDigest('sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d');
const C = parseDigest('sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6');
const AB = 'sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676';
const ABC = 'sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106';

describe('chain ids', () => {
  it('ChainID(L0) = DiffID(L0)', () => {
    assert.deepEqual(chainIds([A]), [A]);
    assert.equal(chainId([A]), A);
  });
  it('ChainID(L0..n) = sha256(ChainID(L0..n-1) + " " + DiffID(n)) — known vectors', () => {
    assert.deepEqual(chainIds([A, B, C]), [A, AB, ABC]);
    assert.equal(chainId([A, B]), AB);
    assert.equal(chainId([A, B, C]), ABC);
  });
  it('depends on order, and is undefined without layers', () => {
    assert.notEqual(chainId([B, A]), AB);
    assert.equal(chainId([]), undefined);
  });
  it('knows the empty layer (an empty tar: 1024 zero bytes) as Docker does', () => {
    assert.equal(EMPTY_LAYER_DIFF_ID, 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
  });
  it('takes an image id from the exact config bytes', () => {
    const bytes = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    assert.equal(imageId(bytes), sha256Of(bytes));
    // the same JSON with other whitespace is another image
    assert.notEqual(imageId(Buffer.from(bytes.toString().replace(':', ': '))), imageId(bytes));
  });
});

describe('decoding documents', () => {
  it('reads a config, a manifest and an index, naming what failed', () => {
    const config = parseImageConfig(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [A] } })));
    assert.deepEqual(diffIdsOf(config), [A]);
    assert.throws(() => parseImageConfig(Buffer.from('{'), `image config ${A}`), (err: unknown) => {
      assert.ok(isEngineError(err, 'INVALID_IMAGE_CONFIG'));
      assert.equal(err.kind, 'InvalidArgument');
      assert.match(err.message, new RegExp(`^read image config ${A}: not valid JSON: `));
      return true;
    });
    assert.throws(() => parseImageConfig(Buffer.from('{"os":"linux"}')), /^EngineError: read image config: architecture: must be a string, got nothing$/);
    const manifest = { schemaVersion: 2, mediaType: MediaType.DockerManifest, config: { mediaType: MediaType.DockerConfig, size: 1, digest: A }, layers: [] };
    assert.deepEqual(parseImageManifest(Buffer.from(JSON.stringify(manifest))), manifest);
    assert.throws(() => parseImageManifest(Buffer.from('[]'), 'manifest of busybox'), (err: unknown) => isEngineError(err, 'INVALID_MANIFEST') && err.message === 'read manifest of busybox: document: must be an object, got an array');
    assert.throws(() => parseImageIndex(Buffer.from('{"schemaVersion":2}')), (err: unknown) => isEngineError(err, 'INVALID_INDEX'));
  });
  it('refuses diff ids of another algorithm', () => {
    const config = parseImageConfig(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha512:${'a'.repeat(128)}`] } })));
    assert.throws(() => diffIdsOf(config), (err: unknown) => isEngineError(err, 'UNSUPPORTED_DIGEST'));
  });
});

describe('childImageConfig', () => {
  const created = new Date('2024-05-01T12:00:00.000Z');

  it('makes an imported base image: one layer, one history entry, this host\'s platform', () => {
    const config = childImageConfig({ diffId: A, config: { Cmd: ['sh'] }, history: { comment: 'Imported from -' }, created });
    assert.deepEqual(config, {
      architecture: hostPlatform().architecture,
      os: 'linux',
      created: '2024-05-01T12:00:00.000Z',
      comment: 'Imported from -',
      config: { Cmd: ['sh'] },
      rootfs: { type: 'layers', diff_ids: [A] },
      history: [{ created: '2024-05-01T12:00:00.000Z', comment: 'Imported from -' }],
    });
    assert.ok(checkImageConfig(config).ok);
  });

  it('stacks a committed layer on its parent, keeping the parent\'s platform and history', () => {
    const parent: ImageConfig = {
      architecture: 'arm64', variant: 'v8', os: 'linux',
      rootfs: { type: 'layers', diff_ids: [A] },
      history: [{ created: '2020-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop) ADD file:x in /' }],
      config: { Cmd: ['sh'] },
    };
    const child = childImageConfig({ parent, diffId: B, config: { Cmd: ['app'] }, history: { created_by: 'sh -c make', author: 'me', comment: 'built' }, created, container: 'abc123', containerConfig: { Cmd: ['sh', '-c', 'make'] } });
    assert.equal(child.architecture, 'arm64');
    assert.equal(child.variant, 'v8');
    assert.equal(child.author, 'me');
    assert.equal(child.container, 'abc123');
    assert.deepEqual(child.container_config, { Cmd: ['sh', '-c', 'make'] });
    assert.deepEqual(child.rootfs.diff_ids, [A, B]);
    assert.deepEqual(child.history, [parent.history![0], { created: '2024-05-01T12:00:00.000Z', author: 'me', created_by: 'sh -c make', comment: 'built' }]);
    assert.deepEqual(child.config, { Cmd: ['app'] });
    assert.deepEqual(parent.rootfs.diff_ids, [A], 'the parent is not modified');
  });

  it('records a metadata-only step as an empty layer, without a diff id', () => {
    const parent: ImageConfig = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [A] } };
    for (const diffId of [undefined, EMPTY_LAYER_DIFF_ID]) {
      const child = childImageConfig({ parent, ...(diffId ? { diffId } : {}), history: { created_by: 'LABEL a=b' }, created });
      assert.deepEqual(child.rootfs.diff_ids, [A]);
      assert.deepEqual(child.history, [{ created: '2024-05-01T12:00:00.000Z', created_by: 'LABEL a=b', empty_layer: true }]);
    }
  });

  it('serializes to bytes whose digest is the id, and that read back the same', () => {
    const config = childImageConfig({ diffId: C, created });
    const bytes = serializeImageConfig(config);
    assert.deepEqual(parseImageConfig(bytes), config);
    assert.equal(imageId(bytes), sha256Of(bytes));
  });

  it('names the platform in Go\'s terms', () => {
    const p = hostPlatform();
    assert.equal(p.os, process.platform);
    if (process.arch === 'x64') assert.equal(p.architecture, 'amd64');
    if (process.arch === 'arm64') assert.equal(p.architecture, 'arm64');
  });
});
