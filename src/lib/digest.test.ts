import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isEngineError } from '../errors/engine-error.js';
import { DigestingStream, digestFromHex, hexOf, isDigest, parseDigest, sha256Of, sha256OfStream, shortId } from './digest.js';

const EMPTY = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('parseDigest', () => {
  it('accepts sha256 with 64 lower-case hex digits', () => {
    assert.equal(parseDigest(ABC), ABC);
    assert.ok(isDigest(ABC));
  });
  it('says what is wrong', () => {
    const cases: [string, RegExp][] = [
      ['', /not of the form algorithm:hex/],
      ['ba7816bf', /not of the form algorithm:hex/],
      ['sha512:' + 'a'.repeat(128), /unsupported digest algorithm "sha512"/],
      ['sha256:abc', /64 hex digits, this one has 3/],
      ['sha256:' + 'A'.repeat(64), /lower-case/],
      ['sha256:' + 'a'.repeat(65), /this one has 65/],
    ];
    for (const [text, why] of cases) {
      assert.throws(() => parseDigest(text), (err: unknown) => {
        assert.ok(isEngineError(err, 'INVALID_DIGEST'), String(err));
        assert.equal(err.kind, 'InvalidArgument');
        assert.match(err.message, why);
        assert.ok(err.message.startsWith(`invalid digest ${JSON.stringify(text)}: `), err.message);
        return true;
      });
      assert.equal(isDigest(text), false);
    }
  });
  it('names the field it was asked about', () => {
    assert.throws(() => parseDigest('x', 'config digest'), /^EngineError: invalid config digest "x"/);
  });
});

describe('digest helpers', () => {
  it('hashes bytes and strings (known vectors)', () => {
    assert.equal(sha256Of(Buffer.alloc(0)), EMPTY);
    assert.equal(sha256Of('abc'), ABC);
    assert.equal(sha256Of(Buffer.from('abc')), ABC);
  });
  it('converts between hex, digest and short id', () => {
    const d = parseDigest(ABC);
    assert.equal(hexOf(d), ABC.slice(7));
    assert.equal(digestFromHex(hexOf(d)), d);
    assert.equal(shortId(d), 'ba7816bf8f01');
    assert.equal(shortId(hexOf(d)), 'ba7816bf8f01');
    assert.throws(() => digestFromHex('xyz'), /invalid digest/);
  });
  it('hashes a stream and counts its bytes', async () => {
    const chunks = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')];
    assert.deepEqual(await sha256OfStream(Readable.from(chunks)), { digest: ABC, size: 3 });
    assert.deepEqual(await sha256OfStream(Readable.from([])), { digest: EMPTY, size: 0 });
  });
  it('passes data through unchanged while hashing', async () => {
    const hasher = new DigestingStream();
    const seen: Buffer[] = [];
    await pipeline(Readable.from([Buffer.from('ab'), Buffer.from('c')]), hasher, async (src: AsyncIterable<Buffer>) => {
      for await (const c of src) seen.push(c);
    });
    assert.equal(Buffer.concat(seen).toString(), 'abc');
    assert.equal(hasher.digest(), ABC);
    assert.equal(hasher.bytes, 3);
  });
  it('fails as soon as a stream exceeds its limit', async () => {
    const big = Readable.from([Buffer.alloc(10), Buffer.alloc(10)]);
    await assert.rejects(sha256OfLimited(big, 15), (err: unknown) => isEngineError(err, 'SIZE_MISMATCH'));
  });
});

async function sha256OfLimited(stream: Readable, limit: number): Promise<void> {
  await pipeline(stream, new DigestingStream(limit), async (src: AsyncIterable<Buffer>) => {
    for await (const c of src) void c;
  });
}
