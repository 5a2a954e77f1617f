import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EngineError } from '../../errors/engine-error.js';
import { compress, decompress, detectCompression } from './compression.js';
import { buildTar, collect, listTar, sha256 } from './testing.js';

/** buildTar([{ name: 'hello', content: 'hello zstd\n' }, { name: 'd', type: 'dir' }]) through `zstd -19` (Debian's zstd 1.5), with a frame checksum. */
const ZSTD_TAR = Buffer.from('KLUv/QRoFQMA0gQOEaBtDAD8hP1UNfajN1sFIDFkJihBi35j0L9QClSEM+jrSxFKPSg65LH+Zs3ZgtYyft09/+paWywOICA1t9j9rQCYylnGA2ibz4TjobIBBCAFBeAIoNIZOB2RHc5OvAh1iXey', 'base64');
const ZSTD_TAR_SHA = '1c7037625fad24e16439aab40465ccaf0d23fa212008a23370e029e479b8e0c5';

/** The bytes in chunks of n, as a stream delivers them. */
async function* chunks(data: Buffer, n = 7): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += n) yield data.subarray(i, i + n);
}

async function inflate(data: Buffer, n?: number): Promise<{ compression: string; bytes: Buffer }> {
  const { compression, stream } = await decompress(chunks(data, n));
  return { compression, bytes: await collect(stream) };
}

describe('layer compression', () => {
  const tar = buildTar([{ name: 'a', content: 'x'.repeat(5000) }]);

  it('recognises formats by their first bytes', () => {
    assert.equal(detectCompression(gzipSync(tar)), 'gzip');
    assert.equal(detectCompression(ZSTD_TAR), 'zstd');
    assert.equal(detectCompression(Buffer.from('BZh91AY')), 'bzip2');
    assert.equal(detectCompression(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])), 'xz');
    assert.equal(detectCompression(tar), 'none');
    assert.equal(detectCompression(Buffer.alloc(0)), 'none');
  });

  it('passes an uncompressed tar through, in tiny chunks too', async () => {
    assert.deepEqual(await inflate(tar, 1), { compression: 'none', bytes: tar });
    assert.deepEqual(await inflate(Buffer.alloc(0)), { compression: 'none', bytes: Buffer.alloc(0) });
  });

  it('gunzips, multi-member streams included', async () => {
    assert.deepEqual(await inflate(gzipSync(tar)), { compression: 'gzip', bytes: tar });
    const twice = Buffer.concat([gzipSync(tar.subarray(0, 100)), gzipSync(tar.subarray(100))]);
    assert.deepEqual((await inflate(twice)).bytes, tar);
  });

  it('decodes zstd', async () => {
    const { compression, bytes } = await inflate(ZSTD_TAR, 5);
    assert.equal(compression, 'zstd');
    assert.equal(sha256(bytes), ZSTD_TAR_SHA);
    assert.deepEqual((await listTar(bytes)).map((e) => [e.name, e.type, e.content.toString()]), [
      ['hello', 'file', 'hello zstd\n'],
      ['d', 'dir', ''],
    ]);
  });

  const corrupt = (err: unknown) => err instanceof EngineError && err.code === 'LAYER_CORRUPT' && err.kind === 'InvalidArgument';
  it('reports truncated or damaged gzip and zstd as corrupt layers', async () => {
    const gz = gzipSync(tar);
    await assert.rejects(inflate(gz.subarray(0, gz.length - 10)), (err: unknown) => corrupt(err) && /^corrupt gzip stream: /.test((err as Error).message));
    const flipped = Buffer.from(gz);
    flipped[20] = flipped[20]! ^ 0xff;
    await assert.rejects(inflate(flipped), corrupt);
    await assert.rejects(inflate(ZSTD_TAR.subarray(0, ZSTD_TAR.length - 20)), (err: unknown) => corrupt(err) && /^corrupt zstd stream: /.test((err as Error).message));
  });

  it('refuses bzip2 and xz by name', async () => {
    await assert.rejects(inflate(Buffer.from('BZh91AY&SY')), (err: unknown) => err instanceof EngineError && err.code === 'LAYER_COMPRESSION' && err.kind === 'NotImplemented' && err.message === 'bzip2-compressed layers are not supported');
  });

  it('gzips deterministically, and back', async () => {
    const a = await collect(compress(chunks(tar), 'gzip'));
    const b = await collect(compress(chunks(tar, 100), 'gzip'));
    assert.deepEqual(a, b);
    assert.deepEqual((await inflate(a)).bytes, tar);
    assert.deepEqual(await collect(compress(chunks(tar), 'none')), tar);
  });
});
