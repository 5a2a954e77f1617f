import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { parseDigest } from '../lib/digest.js';
import {
  familiarName,
  familiarString,
  formatReference,
  nameOnly,
  parseAnyReference,
  parseDockerRef,
  parseReference,
  parseTag,
  repositoryName,
  withDefaultTag,
  withDigest,
  withTag,
} from './reference.js';

const HEX = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
const DIGEST = `sha256:${HEX}`;

/** input → full normalized form, the familiar form docker prints, and whether that familiar form reads back the same */
const VALID: [string, string, string, boolean?][] = [
  ['busybox', 'docker.io/library/busybox', 'busybox'],
  ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36.1-musl', 'docker.io/library/busybox:1.36.1-musl', 'busybox:1.36.1-musl'],
  ['user/app', 'docker.io/user/app', 'user/app'],
  ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
  ['library/debian', 'docker.io/library/debian', 'debian'],
  ['docker/docker', 'docker.io/docker/docker', 'docker/docker'],
  ['docker.io/debian', 'docker.io/library/debian', 'debian'],
  ['docker.io/library/debian', 'docker.io/library/debian', 'debian'],
  ['docker.io/docker/docker', 'docker.io/docker/docker', 'docker/docker'],
  ['index.docker.io/debian', 'docker.io/library/debian', 'debian'],
  ['index.docker.io/docker/docker', 'docker.io/docker/docker', 'docker/docker'],
  ['localhost/foo', 'localhost/foo', 'localhost/foo'],
  ['localhost:5000/x:1', 'localhost:5000/x:1', 'localhost:5000/x:1'],
  ['127.0.0.1:5000/debian', '127.0.0.1:5000/debian', '127.0.0.1:5000/debian'],
  ['127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian', '127.0.0.1:5000/library/debian'],
  ['registry.example.com/busybox', 'registry.example.com/busybox', 'registry.example.com/busybox'],
  [`registry.example.com/a/b@${DIGEST}`, `registry.example.com/a/b@${DIGEST}`, `registry.example.com/a/b@${DIGEST}`],
  [`busybox@${DIGEST}`, `docker.io/library/busybox@${DIGEST}`, `busybox@${DIGEST}`],
  [`busybox:1.36@${DIGEST}`, `docker.io/library/busybox:1.36@${DIGEST}`, `busybox:1.36@${DIGEST}`],
  [`test:5000/repo:tag@${DIGEST}`, `test:5000/repo:tag@${DIGEST}`, `test:5000/repo:tag@${DIGEST}`],
  // no "/" means no registry: "test.com:5000" is the repository test.com with tag 5000
  ['test.com:5000', 'docker.io/library/test.com:5000', 'test.com:5000'],
  ['foo/foo_bar.com:8080', 'docker.io/foo/foo_bar.com:8080', 'foo/foo_bar.com:8080'],
  ['lowercase:Uppercase', 'docker.io/library/lowercase:Uppercase', 'lowercase:Uppercase'],
  ['sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux:some-long-tag', 'sub-dom1.foo.com/bar/baz/quux:some-long-tag'],
  ['b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io/test.example.com/my-app:test.example.com', 'b.gcr.io/test.example.com/my-app:test.example.com'],
  ['xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com/myimage:xn--n3h.com', 'xn--n3h.com/myimage:xn--n3h.com'],
  // a registry's host may have capitals; the repository may not
  ['Registry.Example.com/app', 'Registry.Example.com/app', 'Registry.Example.com/app'],
  ['foo_bar/a__b/c---d/e.f', 'docker.io/foo_bar/a__b/c---d/e.f', 'foo_bar/a__b/c---d/e.f'],
  ['busybox:_under', 'docker.io/library/busybox:_under', 'busybox:_under'],
  [`busybox:${'t'.repeat(128)}`, `docker.io/library/busybox:${'t'.repeat(128)}`, `busybox:${'t'.repeat(128)}`],
  // a path of 64 hex digits is a name when anything precedes it
  [`docker.io/${HEX}`, `docker.io/library/${HEX}`, HEX, false],
  // a full digest where a tag would be is a tag
  [`sha256:${HEX}`, `docker.io/library/sha256:${HEX}`, `sha256:${HEX}`],
  // familiar names drop "library/" as a prefix even in deeper paths, as Docker's TrimPrefix does
  // (so the familiar form names another repository: a quirk kept for compatibility)
  ['docker.io/library/foo/bar', 'docker.io/library/foo/bar', 'foo/bar', false],
  ['thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', 'docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev', 'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev'],
];

/** input → Docker's message */
const INVALID: [string, string][] = [
  ['', 'invalid reference format'],
  ['Busybox', 'invalid reference format: repository name must be lowercase'],
  ['docker/Docker', 'invalid reference format: repository name must be lowercase'],
  ['docker.io/docker/Docker', 'invalid reference format: repository name must be lowercase'],
  ['Uppercase:tag', 'invalid reference format: repository name must be lowercase'],
  ['localhost:5000/Foo', 'invalid reference format: repository name must be lowercase'],
  // "Localhost" is not a registry (no dot, no port), so it is a repository component
  ['Localhost/foo', 'invalid reference format: repository name must be lowercase'],
  [HEX, `invalid repository name (${HEX}), cannot specify 64-byte hexadecimal strings`],
  ['https://github.com/docker/docker', 'invalid reference format'],
  ['-docker', 'invalid reference format'],
  ['-docker/docker', 'invalid reference format'],
  ['-docker.io/docker/docker', 'invalid reference format'],
  ['docker///docker', 'invalid reference format'],
  ['docker.io/docker///docker', 'invalid reference format'],
  ['aa/asdf$$^/aa', 'invalid reference format'],
  [':justtag', 'invalid reference format'],
  [`@${DIGEST}`, 'invalid reference format'],
  ['busybox:', 'invalid reference format'],
  ['busybox:.dot', 'invalid reference format'],
  ['busybox:-dash', 'invalid reference format'],
  [`busybox:${'t'.repeat(129)}`, 'invalid reference format'],
  ['foo___bar', 'invalid reference format'],
  ['foo..bar', 'invalid reference format'],
  ['foo.-bar', 'invalid reference format'],
  ['foo/', 'invalid reference format'],
  ['busybox@sha256:abc', 'invalid reference format'],
  ['[2001:db8::1]:5000/repo', 'invalid reference format'],
  ['busybox latest', 'invalid reference format'],
  [`busybox@sha256:${HEX.slice(1)}`, 'invalid checksum digest length'],
  [`busybox@sha256:${HEX.toUpperCase()}`, 'invalid checksum digest format'],
  [`validname@invaliddigest:${HEX}`, 'unsupported digest algorithm'],
  [`${'a/'.repeat(128)}a:tag`, 'repository name must not be more than 255 characters'],
  // the normalized name counts: docker.io/library/ plus 238 characters is too long
  ['a'.repeat(238), 'repository name must not be more than 255 characters'],
];

describe('parseReference (Docker normalization)', () => {
  for (const [input, full, familiar, roundTrips = true] of VALID) {
    it(`${JSON.stringify(input.length > 60 ? `${input.slice(0, 60)}…` : input)} → ${familiar.length > 40 ? '…' : familiar}`, () => {
      const ref = parseReference(input);
      assert.equal(formatReference(ref), full);
      assert.equal(familiarString(ref), familiar);
      // normalization is idempotent, from either form
      assert.deepEqual(parseReference(full), ref);
      if (roundTrips) assert.deepEqual(parseReference(familiar), ref);
    });
  }

  it('splits domain, path, tag and digest', () => {
    assert.deepEqual(parseReference('busybox'), { domain: 'docker.io', path: 'library/busybox' });
    assert.deepEqual(parseReference('localhost:5000/x:1'), { domain: 'localhost:5000', path: 'x', tag: '1' });
    assert.deepEqual(parseReference(`registry.example.com/a/b@${DIGEST}`), { domain: 'registry.example.com', path: 'a/b', digest: DIGEST });
    assert.deepEqual(parseReference(`name:tag@${DIGEST}`), { domain: 'docker.io', path: 'library/name', tag: 'tag', digest: DIGEST });
  });

  it('refuses what Docker refuses, with Docker\'s message', () => {
    for (const [input, message] of INVALID) {
      assert.throws(() => parseReference(input), (err: unknown) => {
        assert.ok(isEngineError(err, 'INVALID_REFERENCE'), `${input}: ${String(err)}`);
        assert.equal(err.kind, 'InvalidArgument');
        assert.equal(err.message, message, input);
        assert.ok(err.hint?.startsWith('in "'), err.hint);
        return true;
      });
    }
  });

  it('gives up quickly on long hostile input', () => {
    const start = process.hrtime.bigint();
    for (const s of ['a'.repeat(200_000), `${'a-'.repeat(400)}!`, `${'a.'.repeat(400)}a:${'1'.repeat(100)}/!`, `${'a'.repeat(1000)}!`]) {
      assert.throws(() => parseReference(s), /invalid reference format|must not be more than/);
    }
    assert.ok(process.hrtime.bigint() - start < 500_000_000n, 'took longer than 0.5 s');
  });
});

describe('reference helpers', () => {
  it('adds :latest only to a bare name (TagNameOnly)', () => {
    assert.equal(formatReference(withDefaultTag(parseReference('busybox'))), 'docker.io/library/busybox:latest');
    assert.equal(formatReference(withDefaultTag(parseReference('busybox:1'))), 'docker.io/library/busybox:1');
    assert.equal(formatReference(withDefaultTag(parseReference(`busybox@${DIGEST}`))), `docker.io/library/busybox@${DIGEST}`);
  });

  it('parseDockerRef: :latest by default, the digest alone when both are given', () => {
    assert.equal(formatReference(parseDockerRef('busybox')), 'docker.io/library/busybox:latest');
    assert.equal(formatReference(parseDockerRef(`busybox:1.36@${DIGEST}`)), `docker.io/library/busybox@${DIGEST}`);
    assert.equal(formatReference(parseDockerRef('user/app:v2')), 'docker.io/user/app:v2');
  });

  it('parseAnyReference: ids (bare hex or sha256:) or references', () => {
    assert.deepEqual(parseAnyReference(HEX), { id: DIGEST });
    assert.deepEqual(parseAnyReference(DIGEST), { id: DIGEST });
    assert.deepEqual(parseAnyReference('busybox'), { ref: { domain: 'docker.io', path: 'library/busybox' } });
    // a short hex string may be an id prefix, but as a reference it is a name; the image store decides
    assert.deepEqual(parseAnyReference('5f70bf'), { ref: { domain: 'docker.io', path: 'library/5f70bf' } });
    assert.throws(() => parseAnyReference('Busybox'), /repository name must be lowercase/);
  });

  it('checks tags by themselves', () => {
    assert.equal(parseTag('v1.0_rc-2'), 'v1.0_rc-2');
    for (const bad of ['', '.x', '-x', 'a b', 'a:b', 'x'.repeat(129)]) assert.throws(() => parseTag(bad), /^EngineError: invalid tag format$/);
  });

  it('builds and takes apart references', () => {
    const ref = parseReference('localhost:5000/team/app');
    assert.equal(repositoryName(ref), 'localhost:5000/team/app');
    assert.equal(familiarName(ref), 'localhost:5000/team/app');
    const tagged = withTag(ref, 'v3');
    assert.equal(formatReference(tagged), 'localhost:5000/team/app:v3');
    assert.equal(formatReference(withDigest(nameOnly(tagged), parseDigest(DIGEST))), `localhost:5000/team/app@${DIGEST}`);
    assert.throws(() => withTag(ref, 'no good'), /invalid tag format/);
    assert.equal(familiarName(parseReference('user/app:1')), 'user/app');
  });
});
