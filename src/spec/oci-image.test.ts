import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import ajvDraft04 from 'ajv-draft-04';
import {
  checkDockerRepositories,
  checkDockerSaveManifest,
  checkImageConfig,
  checkImageIndex,
  checkImageManifest,
  checkLegacyV1Image,
  checkOciLayout,
  isAttestationManifest,
  layerCompression,
  MediaType,
  type Checked,
  type Descriptor,
} from './oci-image.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;

// the OCI image schemas, to show that what the validators accept conforms (ajv is a dev dependency only)
const SCHEMA_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'specs', 'oci-image');
const Ajv = ajvDraft04.default;
let ajv: InstanceType<typeof Ajv> | undefined;
function schemaProblems(file: string, value: unknown): string[] {
  if (!ajv) {
    ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
    // nested "id"s would move the base of the files' relative $refs: register each file under its name only
    const dropIds = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(dropIds);
      if (typeof v !== 'object' || v === null) return v;
      return Object.fromEntries(Object.entries(v).filter(([k]) => k !== 'id').map(([k, x]) => [k, dropIds(x)]));
    };
    for (const f of readdirSync(SCHEMA_DIR).filter((x) => x.endsWith('.json'))) {
      const schema = dropIds(JSON.parse(readFileSync(join(SCHEMA_DIR, f), 'utf8'))) as Record<string, unknown>;
      schema['id'] = f;
      ajv.addSchema(schema, f);
    }
  }
  const validate = ajv.getSchema(file)!;
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
const noSchemas = existsSync(SCHEMA_DIR) ? false : `needs ${SCHEMA_DIR}`;

function ok<T>(r: Checked<T>): T {
  assert.ok(r.ok, r.ok ? '' : r.problem);
  return r.value;
}
function problem<T>(r: Checked<T>): string {
  assert.ok(!r.ok, 'expected a problem');
  return r.problem;
}

const dockerManifest = {
  schemaVersion: 2,
  mediaType: MediaType.DockerManifest,
  config: { mediaType: MediaType.DockerConfig, size: 1457, digest: D1 },
  layers: [{ mediaType: MediaType.DockerLayerGzip, size: 772788, digest: D2 }],
};
const ociManifest = {
  schemaVersion: 2,
  mediaType: MediaType.OciManifest,
  config: { mediaType: MediaType.OciConfig, size: 10, digest: D1 },
  layers: [
    { mediaType: MediaType.OciLayerGzip, size: 5, digest: D2 },
    { mediaType: MediaType.OciLayerZstd, size: 6, digest: D3, annotations: { a: 'b' } },
  ],
  annotations: { [`org.opencontainers.image.created`]: '2024-01-01T00:00:00Z' },
};
// as docker 20.10 writes it for busybox
const dockerConfig = {
  architecture: 'amd64',
  config: {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    Tty: false, OpenStdin: false, StdinOnce: false, Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
    Cmd: ['sh'], Image: 'sha256:abc', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  },
  container: 'b2b3f8f2', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ', 'CMD ["sh"]'], Labels: {} },
  created: '2023-07-18T23:19:33.655005962Z', docker_version: '20.10.23',
  history: [
    { created: '2023-07-18T23:19:33.538571854Z', created_by: '/bin/sh -c #(nop) ADD file:7e9002edaafd4e457 in / ' },
    { created: '2023-07-18T23:19:33.655005962Z', created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
  ],
  os: 'linux',
  rootfs: { type: 'layers', diff_ids: [D3] },
};

describe('checkImageManifest', () => {
  it('accepts Docker schema2 and OCI manifests, which conform to the OCI schema', { skip: noSchemas }, () => {
    for (const m of [dockerManifest, ociManifest]) {
      assert.deepEqual(ok(checkImageManifest(m)), m);
      assert.deepEqual(schemaProblems('image-manifest-schema.json', m), []);
    }
  });
  it('accepts a manifest without layers (FROM scratch plus metadata, as Docker pushes it)', () => {
    ok(checkImageManifest({ ...dockerManifest, layers: [] }));
  });
  it('names the field that is wrong', () => {
    const cases: [unknown, string][] = [
      [[], 'document: must be an object, got an array'],
      [{ ...dockerManifest, schemaVersion: 1 }, 'schemaVersion: must be 2, got number 1'],
      [{ ...dockerManifest, mediaType: MediaType.OciIndex }, `mediaType: "${MediaType.OciIndex}" is not an image manifest media type`],
      [{ ...dockerManifest, config: undefined }, 'config: must be an object, got nothing'],
      [{ ...dockerManifest, config: { ...dockerManifest.config, mediaType: 'application/json' } }, 'config.mediaType: "application/json" is not an image config media type'],
      [{ ...dockerManifest, config: { ...dockerManifest.config, size: -1 } }, 'config.size: must be a byte count, got number -1'],
      [{ ...dockerManifest, config: { ...dockerManifest.config, size: '12' } }, 'config.size: must be a byte count, got the string "12"'],
      [{ ...dockerManifest, layers: {} }, 'layers: must be an array, got an object'],
      [{ ...ociManifest, layers: [ociManifest.layers[0], { ...ociManifest.layers[1], digest: 'sha256:abc' }] }, 'layers[1].digest: "sha256:abc" is not a sha256 digest (64 lower-case hex digits)'],
      [{ ...ociManifest, layers: [{ ...ociManifest.layers[0], digest: 'nocolon' }] }, 'layers[0].digest: "nocolon" is not a digest'],
      [{ ...ociManifest, layers: [{ ...ociManifest.layers[0], mediaType: 'application/vnd.in-toto+json' }] }, 'layers[0].mediaType: unknown layer media type "application/vnd.in-toto+json"'],
      [{ ...ociManifest, layers: [{ ...ociManifest.layers[0], mediaType: 'not a type' }] }, 'layers[0].mediaType: "not a type" is not a media type'],
      [{ ...ociManifest, annotations: { a: 1 } }, 'annotations.a: must be a string, got number 1'],
    ];
    for (const [doc, want] of cases) assert.equal(problem(checkImageManifest(doc)), want);
  });
});

describe('checkImageIndex', () => {
  const index: { schemaVersion: number; mediaType: string; manifests: Descriptor[] } = {
    schemaVersion: 2,
    mediaType: MediaType.OciIndex,
    manifests: [
      { mediaType: MediaType.OciManifest, size: 7, digest: D1, platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'org.opencontainers.image.ref.name': 'latest' } },
      { mediaType: MediaType.OciManifest, size: 8, digest: D2, platform: { architecture: 'unknown', os: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
    ],
  };
  it('accepts an index and a manifest list', { skip: noSchemas }, () => {
    assert.deepEqual(ok(checkImageIndex(index)), index);
    assert.deepEqual(schemaProblems('image-index-schema.json', index), []);
    ok(checkImageIndex({ ...index, mediaType: MediaType.DockerManifestList }));
    ok(checkImageIndex({ schemaVersion: 2, manifests: [] }));
  });
  it('recognises attestation manifests', () => {
    assert.deepEqual(index.manifests.map((d) => isAttestationManifest(d)), [false, true]);
  });
  it('names the field that is wrong', () => {
    assert.equal(problem(checkImageIndex({ schemaVersion: 2 })), 'manifests: must be an array, got nothing');
    assert.equal(problem(checkImageIndex({ ...index, mediaType: MediaType.OciManifest })), `mediaType: "${MediaType.OciManifest}" is not an image index media type`);
    assert.equal(problem(checkImageIndex({ ...index, manifests: [{ ...index.manifests[0], platform: { os: 'linux' } }] })), 'manifests[0].platform.architecture: must be a string, got nothing');
  });
});

describe('checkImageConfig', () => {
  it('accepts a config as Docker writes it, which conforms to the OCI schema', { skip: noSchemas }, () => {
    assert.deepEqual(ok(checkImageConfig(dockerConfig)), dockerConfig);
    assert.deepEqual(schemaProblems('config-schema.json', dockerConfig), []);
  });
  it('names the field that is wrong', () => {
    const cases: [unknown, string][] = [
      [{ ...dockerConfig, os: undefined }, 'os: must be a string, got nothing'],
      [{ ...dockerConfig, rootfs: undefined }, 'rootfs: must be an object, got nothing'],
      [{ ...dockerConfig, rootfs: { type: 'layer', diff_ids: [] } }, 'rootfs.type: must be "layers", got the string "layer"'],
      [{ ...dockerConfig, rootfs: { type: 'layers', diff_ids: [D1, 'x:'] } }, 'rootfs.diff_ids[1]: "x:" is not a digest'],
      [{ ...dockerConfig, config: { Cmd: 'sh' } }, 'config.Cmd: must be an array of strings, got the string "sh"'],
      [{ ...dockerConfig, config: { Env: ['A=1', 2] } }, 'config.Env[1]: must be a string, got number 2'],
      [{ ...dockerConfig, config: { ExposedPorts: { '80/tcp': true } } }, 'config.ExposedPorts.80/tcp: must be an object, got boolean true'],
      [{ ...dockerConfig, config: { Healthcheck: { Test: ['NONE'], Interval: 1.5 } } }, 'config.Healthcheck.Interval: must be an integer, got number 1.5'],
      [{ ...dockerConfig, history: [{ empty_layer: 'yes' }] }, 'history[0].empty_layer: must be a boolean, got the string "yes"'],
    ];
    for (const [doc, want] of cases) assert.equal(problem(checkImageConfig(doc)), want);
  });
});

describe('archive files', () => {
  it('checks docker save manifest.json, refusing paths that leave the archive', () => {
    const entry = { Config: `${'a'.repeat(64)}.json`, RepoTags: ['busybox:latest'], Layers: [`${'b'.repeat(64)}/layer.tar`] };
    ok(checkDockerSaveManifest([entry, { ...entry, RepoTags: null }]));
    ok(checkDockerSaveManifest([{ ...entry, LayerSources: { [D1]: { mediaType: MediaType.DockerForeignLayerGzip, size: 1, digest: D1, urls: ['https://x'] } } }]));
    assert.equal(problem(checkDockerSaveManifest({})), 'document: must be an array, got an object');
    assert.equal(problem(checkDockerSaveManifest([{ ...entry, Layers: ['../../etc/passwd'] }])), '[0].Layers[0]: "../../etc/passwd" is not a path inside the archive');
    assert.equal(problem(checkDockerSaveManifest([{ ...entry, Config: '/abs.json' }])), '[0].Config: "/abs.json" is not a path inside the archive');
    assert.equal(problem(checkDockerSaveManifest([{ ...entry, RepoTags: 'x' }])), '[0].RepoTags: must be an array of strings, got the string "x"');
  });
  it('checks repositories, oci-layout and legacy <id>/json', () => {
    ok(checkDockerRepositories({ busybox: { latest: 'a'.repeat(64) } }));
    assert.equal(problem(checkDockerRepositories({ busybox: { latest: 1 } })), 'busybox.latest: must be a string, got number 1');
    ok(checkOciLayout({ imageLayoutVersion: '1.0.0' }));
    assert.match(problem(checkOciLayout({ imageLayoutVersion: '2.0.0' })), /^imageLayoutVersion: unsupported version "2.0.0"/);
    ok(checkLegacyV1Image({ id: 'a'.repeat(64), parent: 'b'.repeat(64), config: { Cmd: ['sh'] } }));
    assert.equal(problem(checkLegacyV1Image({ id: '../x' })), 'id: "../x" is not a 64-hex-digit layer id');
  });
});

describe('media types', () => {
  it('knows how each layer type is compressed', () => {
    assert.equal(layerCompression(MediaType.DockerLayerGzip), 'gzip');
    assert.equal(layerCompression(MediaType.DockerLayer), 'none');
    assert.equal(layerCompression(MediaType.OciLayer), 'none');
    assert.equal(layerCompression(MediaType.OciLayerGzip), 'gzip');
    assert.equal(layerCompression(MediaType.OciLayerZstd), 'zstd');
    assert.equal(layerCompression(MediaType.DockerConfig), undefined);
    assert.equal(layerCompression('toString'), undefined);
  });
});
