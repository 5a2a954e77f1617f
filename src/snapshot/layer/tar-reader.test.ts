import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EngineError } from '../../errors/engine-error.js';
import { BLOCK, encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar-header.js';
import { readTar } from './tar-reader.js';
import { buildTar, listTar } from './testing.js';

const h = (over: Partial<TarHeader>): TarHeader => ({ name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 0, linkname: '', devmajor: 0, devminor: 0, xattrs: new Map(), ...over });

/** A header block with another typeflag (GNU L/K, PAX x/g, …) and `body` as its content. */
function special(typeflag: string, body: Buffer, name = '././@LongLink'): Buffer {
  const block = encodeHeader(h({ name, size: body.length }));
  block.write(typeflag, 156, 'latin1');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat([block, body, padding(body.length)]);
}

const paxBody = (records: Record<string, string>): Buffer =>
  Buffer.concat(Object.entries(records).map(([k, v]) => {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (String(len).length + Buffer.byteLength(rest) !== len) len = String(len).length + Buffer.byteLength(rest);
    return Buffer.from(`${len}${rest}`);
  }));

const isCorrupt = (why: RegExp) => (err: unknown) => err instanceof EngineError && err.code === 'TAR_CORRUPT' && why.test(err.message);

describe('tar reader', () => {
  it('reads entries with their content, in chunks of any size', async () => {
    const tar = buildTar([
      { name: 'd', type: 'dir', mode: 0o1777 },
      { name: 'd/f', content: 'x'.repeat(1000), mode: 0o4755, uid: 1000, gid: 1000 },
      { name: 'd/l', type: 'symlink', linkname: '../f' },
      { name: 'd/h', type: 'hardlink', linkname: 'd/f' },
      { name: 'null', type: 'char', devmajor: 1, devminor: 3 },
      { name: 'p', type: 'fifo' },
    ]);
    for (const size of [1, 511, 512, 513, 100000]) {
      const chunks = async function* () {
        for (let i = 0; i < tar.length; i += size) yield tar.subarray(i, i + size);
      };
      const entries = await listTar(chunks());
      assert.deepEqual(entries.map((e) => [e.name, e.type, e.mode.toString(8), e.size, e.linkname, e.content.length]), [
        ['d', 'dir', '1777', 0, '', 0],
        ['d/f', 'file', '4755', 1000, '', 1000],
        ['d/l', 'symlink', '644', 0, '../f', 0],
        ['d/h', 'hardlink', '644', 0, 'd/f', 0],
        ['null', 'char', '644', 0, '', 0],
        ['p', 'fifo', '644', 0, '', 0],
      ]);
      assert.equal(entries[1]!.uid, 1000);
      assert.deepEqual([entries[4]!.devmajor, entries[4]!.devminor], [1, 3]);
    }
  });

  it('skips a body the consumer did not read, or read only in part', async () => {
    const tar = buildTar([{ name: 'a', content: 'A'.repeat(3000) }, { name: 'b', content: 'B' }]);
    const names: string[] = [];
    let i = 0;
    for await (const { header, body } of readTar((async function* () { yield tar; })())) {
      names.push(header.name);
      if (i++ === 0) for await (const part of body) { assert.ok(part.length > 0); break; }
    }
    assert.deepEqual(names, ['a', 'b']);
  });

  it('merges PAX records, global ones, and GNU long names', async () => {
    const tar = Buffer.concat([
      special('g', paxBody({ uid: '77', 'SCHILY.xattr.user.g': 'global' }), 'pax_global_header'),
      special('x', paxBody({ path: 'from/pax', mtime: '1700000000.75', 'SCHILY.xattr.security.capability': '\x01\x00' })),
      encodeHeader(h({ name: 'short', size: 0 })),
      special('L', Buffer.from('gnu/' + 'n'.repeat(200) + '\0')),
      special('K', Buffer.from('target/' + 't'.repeat(200) + '\0')),
      encodeHeader(h({ name: 'x', type: 'symlink', linkname: 'y' })),
      encodeHeader(h({ name: 'v7dir/', type: 'file' })),
      END_OF_ARCHIVE,
    ]);
    const [a, b, c] = await listTar(tar);
    assert.equal(a!.name, 'from/pax');
    assert.equal(a!.mtime, 1700000000);
    assert.equal(a!.uid, 77);
    assert.deepEqual([...a!.xattrs], [['user.g', Buffer.from('global')], ['security.capability', Buffer.from([1, 0])]]);
    assert.equal(b!.name, 'gnu/' + 'n'.repeat(200));
    assert.equal(b!.linkname, 'target/' + 't'.repeat(200));
    assert.equal(b!.uid, 77, 'global records apply to every later entry');
    assert.deepEqual([c!.name, c!.type], ['v7dir', 'dir']);
  });

  it('accepts an empty input and a lone end block; refuses an archive without its end marker', async () => {
    assert.deepEqual(await listTar(Buffer.alloc(0)), []);
    assert.deepEqual(await listTar(Buffer.alloc(BLOCK)), []);
    const tar = buildTar([{ name: 'a', content: 'x' }]);
    assert.deepEqual((await listTar(Buffer.concat([tar, Buffer.alloc(10240)]))).length, 1, 'record padding after the end is fine');
    await assert.rejects(listTar(tar.subarray(0, 2 * BLOCK)), isCorrupt(/at byte 1024: the archive ends without its end-of-archive marker/));
  });

  it('refuses truncation inside a header, a body, or padding', async () => {
    const tar = buildTar([{ name: 'a', content: 'x'.repeat(700) }]);
    await assert.rejects(listTar(tar.subarray(0, 100)), isCorrupt(/the archive ends inside a header/));
    await assert.rejects(listTar(tar.subarray(0, 600)), isCorrupt(/the archive ends inside the content of "a"/));
    await assert.rejects(listTar(tar.subarray(0, 1300)), isCorrupt(/the archive ends inside the padding of "a"/));
  });

  it('refuses unknown types, sparse files, and oversized extended headers', async () => {
    await assert.rejects(listTar(Buffer.concat([special('Z', Buffer.alloc(0), 'odd'), END_OF_ARCHIVE])), isCorrupt(/unknown entry type "Z"/));
    await assert.rejects(listTar(Buffer.concat([special('S', Buffer.alloc(0), 'sparse'), END_OF_ARCHIVE])), (err: unknown) => err instanceof EngineError && err.code === 'TAR_UNSUPPORTED');
    await assert.rejects(
      listTar(Buffer.concat([special('x', paxBody({ 'GNU.sparse.major': '1' })), encodeHeader(h({})), END_OF_ARCHIVE])),
      (err: unknown) => err instanceof EngineError && err.code === 'TAR_UNSUPPORTED' && /GNU\.sparse\.major/.test(err.message),
    );
    const big = encodeHeader(h({ name: 'pax', size: 2 << 20 }));
    big.write('x', 156, 'latin1');
    big.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of big) sum += b;
    big.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    await assert.rejects(listTar(Buffer.concat([big, Buffer.alloc(BLOCK)])), isCorrupt(/PAX record of 2097152 bytes/));
    await assert.rejects(listTar(Buffer.concat([special('x', paxBody({ size: '-1' })), encodeHeader(h({})), END_OF_ARCHIVE])), isCorrupt(/PAX size is not a valid number/));
  });

  it('closes its source when the consumer stops early', async () => {
    let closed = false;
    const source = (async function* () {
      try {
        yield buildTar([{ name: 'a' }, { name: 'b' }]);
      } finally {
        closed = true;
      }
    })();
    for await (const entry of readTar(source)) {
      void entry;
      break;
    }
    assert.ok(closed);
  });
});
