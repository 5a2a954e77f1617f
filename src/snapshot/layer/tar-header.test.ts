import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../errors/engine-error.js';
import { BLOCK, decodeHeader, decodePax, encodeHeader, type TarHeader } from './tar-header.js';

const base: TarHeader = { name: 'etc/passwd', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 12, mtime: 1_700_000_000, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map() };
const isCorrupt = (why: RegExp) => (err: unknown) => err instanceof EngineError && err.code === 'TAR_CORRUPT' && why.test(err.message);

/** Splits an encoded header into its PAX records (if any) and the decoded main header. */
function decodeAll(buf: Buffer): { pax: Map<string, Buffer> | undefined; main: NonNullable<ReturnType<typeof decodeHeader>> } {
  const first = decodeHeader(buf.subarray(0, BLOCK), 0)!;
  if (first.typeflag !== 'x') return { pax: undefined, main: first };
  const records = decodePax(buf.subarray(BLOCK, BLOCK + first.size), BLOCK);
  const mainAt = BLOCK + Math.ceil(first.size / BLOCK) * BLOCK;
  assert.equal(buf.length, mainAt + BLOCK);
  return { pax: records, main: decodeHeader(buf.subarray(mainAt), mainAt)! };
}

describe('tar headers', () => {
  it('writes a plain ustar header when everything fits', () => {
    const buf = encodeHeader(base);
    assert.equal(buf.length, BLOCK);
    assert.equal(buf.toString('latin1', 257, 265), 'ustar\x0000');
    assert.deepEqual(decodeHeader(buf, 0), { typeflag: '0', name: 'etc/passwd', linkname: '', mode: 0o644, uid: 0, gid: 0, size: 12, mtime: 1_700_000_000, devmajor: 0, devminor: 0 });
  });

  it('is deterministic and keeps setuid, sticky and device numbers', () => {
    const dev: TarHeader = { ...base, name: 'dev/sda', type: 'block', mode: 0o4660, size: 99, devmajor: 8, devminor: 1 };
    assert.deepEqual(encodeHeader(dev), encodeHeader({ ...dev, xattrs: new Map() }));
    const { main } = decodeAll(encodeHeader(dev));
    assert.equal(main.typeflag, '4');
    assert.equal(main.mode, 0o4660);
    assert.equal(main.size, 0, 'only regular files have a size');
    assert.deepEqual([main.devmajor, main.devminor], [8, 1]);
    assert.equal(decodeAll(encodeHeader({ ...base, type: 'dir', name: 'tmp', mode: 0o1777 })).main.name, 'tmp/');
  });

  it('splits long ASCII names into ustar prefix and name', () => {
    const name = `${'a'.repeat(120)}/${'b'.repeat(90)}`;
    const buf = encodeHeader({ ...base, name });
    assert.equal(buf.length, BLOCK, 'no PAX header needed');
    assert.equal(decodeHeader(buf, 0)!.name, name);
  });

  it('moves what ustar cannot hold into PAX records, sorted, binary values intact', () => {
    const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0xff, 0x00, 0xc3]);
    const h: TarHeader = { ...base, name: `dir/ünï/${'c'.repeat(300)}`, uid: 5_000_000, size: 9e10, linkname: '', xattrs: new Map([['user.z', Buffer.from('z')], ['security.capability', cap]]) };
    const { pax, main } = decodeAll(encodeHeader(h));
    assert.deepEqual([...pax!.keys()], ['SCHILY.xattr.security.capability', 'SCHILY.xattr.user.z', 'path', 'size', 'uid']);
    assert.deepEqual(pax!.get('SCHILY.xattr.security.capability'), cap);
    assert.equal(pax!.get('path')!.toString(), h.name);
    assert.equal(pax!.get('size')!.toString(), '90000000000');
    assert.equal(pax!.get('uid')!.toString(), '5000000');
    assert.equal(main.uid, 0);
  });

  it('reads GNU base-256 numbers and refuses negative sizes', () => {
    const buf = encodeHeader(base);
    // size 2^40 in base-256
    buf.fill(0, 124, 136);
    buf[124] = 0x80;
    buf.writeUIntBE(2 ** 40, 130, 6);
    fixChecksum(buf);
    assert.equal(decodeHeader(buf, 0)!.size, 2 ** 40);
    buf[124] = 0xff;
    fixChecksum(buf);
    assert.throws(() => decodeHeader(buf, 0), isCorrupt(/negative size/));
  });

  it('refuses a bad checksum, a non-numeric field, a too-large number', () => {
    const buf = encodeHeader(base);
    buf[0] = buf[0]! ^ 1;
    assert.throws(() => decodeHeader(buf, 1024), isCorrupt(/at byte 1024: header checksum mismatch/));
    const bad = encodeHeader(base);
    bad.write('00009x7', 108, 'latin1');
    fixChecksum(bad);
    assert.throws(() => decodeHeader(bad, 0), isCorrupt(/uid is not a number/));
    const huge = encodeHeader(base);
    huge.fill(0, 124, 136);
    huge[124] = 0x80;
    huge.fill(0xff, 125, 136);
    fixChecksum(huge);
    assert.throws(() => decodeHeader(huge, 0), isCorrupt(/size is too large/));
  });

  it('treats an all-zero block as the end marker', () => {
    assert.equal(decodeHeader(Buffer.alloc(BLOCK), 0), null);
  });

  it('refuses malformed PAX records', () => {
    assert.deepEqual(decodePax(Buffer.from('11 path=ab\n'), 0).get('path'), Buffer.from('ab'));
    for (const bad of ['11 path=ab', '99 path=ab\n', 'x path=a\n', '6 =ab\n', '8 pathab\n', '0 \n']) {
      assert.throws(() => decodePax(Buffer.from(bad), 0), isCorrupt(/PAX/), bad);
    }
  });

  it('refuses names that are not UTF-8', () => {
    const buf = encodeHeader(base);
    buf[0] = 0xff;
    fixChecksum(buf);
    assert.throws(() => decodeHeader(buf, 0), (err: unknown) => err instanceof EngineError && err.code === 'TAR_NAME_ENCODING');
  });
});

function fixChecksum(buf: Buffer): void {
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += buf[i]!;
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
}
