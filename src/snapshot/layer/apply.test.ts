import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { EngineError } from '../../errors/engine-error.js';
import { applyLayer } from './apply.js';
import { buildTar, describeTree, sha256, type FixtureEntry } from './testing.js';

/**
 * applyLayer without root: entries owned by the test's own user, no device
 * nodes (test/integration/layers.test.ts covers those, owners and
 * capabilities as root). Escape attempts fail before anything privileged.
 */
const me = { uid: process.getuid!(), gid: process.getgid!() };
let sandbox = '';
before(() => {
  sandbox = mkdtempSync(join(tmpdir(), 'berth-test-apply-'));
});
after(() => rmSync(sandbox, { recursive: true, force: true }));

let n = 0;
/** A fresh target inside the sandbox, with a sentinel file beside it. */
function target(): { dir: string; outside: string } {
  const box = join(sandbox, String(n++));
  mkdirSync(join(box, 'target'), { recursive: true });
  writeFileSync(join(box, 'sentinel'), 'untouched');
  return { dir: join(box, 'target'), outside: box };
}
const from = (data: Buffer) => (async function* () { yield data; })();
const apply = (dir: string, entries: FixtureEntry[], mode: 'overlay' | 'plain' = 'overlay') => applyLayer(dir, from(buildTar(entries, me)), { mode });

/** Nothing but the target and the untouched sentinel beside it. */
function assertNothingOutside(outside: string): void {
  assert.deepEqual(readdirSync(outside).sort(), ['sentinel', 'target']);
  assert.equal(readFileSync(join(outside, 'sentinel'), 'utf8'), 'untouched');
}

const unsafe = (why: RegExp) => (err: unknown) => err instanceof EngineError && err.code === 'LAYER_UNSAFE_PATH' && err.kind === 'InvalidArgument' && why.test(err.message);

describe('applyLayer: restoring files (no root)', () => {
  it('unpacks files, directories, symlinks and hardlinks with modes and mtimes, and reports size and DiffID', async () => {
    const { dir } = target();
    const entries: FixtureEntry[] = [
      { name: 'bin', type: 'dir', mode: 0o755, mtime: 1000 },
      { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755, mtime: 2000 },
      { name: 'bin/same', type: 'hardlink', linkname: 'bin/tool' },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', mtime: 3000 },
      { name: 'tmp/', type: 'dir', mode: 0o1777, mtime: 4000 },
      { name: 'deep/er/file', content: 'implicit parents', mode: 0o600 },
    ];
    const archive = buildTar(entries, me);
    const result = await applyLayer(dir, from(gzipSync(archive)), { mode: 'overlay' });
    assert.deepEqual(result, { size: 26, diffId: `sha256:${sha256(archive)}`, compression: 'gzip' });
    const tree = describeTree(dir);
    const owner = `${me.uid}:${me.gid}`;
    assert.deepEqual(tree['bin'], { type: 'dir', mode: '755', owner, mtime: 1000 });
    assert.deepEqual({ ...tree['bin/tool'], content: undefined }, { type: 'file', mode: '4755', owner, mtime: 2000, content: undefined, links: 'bin/same,bin/tool' });
    assert.equal(tree['bin/sh']!.link, '/bin/busybox');
    assert.equal(tree['bin/sh']!.mtime, 3000);
    assert.deepEqual(tree['tmp'], { type: 'dir', mode: '1777', owner, mtime: 4000 });
    assert.equal(tree['deep']!.mode, '755', 'missing parents are made 0755');
    assert.equal(readFileSync(join(dir, 'deep/er/file'), 'utf8'), 'implicit parents');
  });

  it('replaces an earlier entry of the same name; merges a directory into a directory', async () => {
    const { dir } = target();
    await apply(dir, [
      { name: 'a', content: 'first' },
      { name: 'a', content: 'second' },
      { name: 'd', type: 'dir', mode: 0o700 },
      { name: 'd/keep', content: 'k' },
      { name: 'd', type: 'dir', mode: 0o750 },
      { name: 's', type: 'dir' },
      { name: 's/x', content: 'x' },
      { name: 's', type: 'symlink', linkname: 'elsewhere' },
    ]);
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'second');
    assert.deepEqual(readdirSync(join(dir, 'd')), ['keep']);
    assert.equal(lstatSync(join(dir, 'd')).mode & 0o777, 0o750);
    assert.equal(readlinkSync(join(dir, 's')), 'elsewhere');
  });

  it('plain mode: whiteouts delete, an opaque marker empties what lower layers had, lower symlinked parents become directories', async () => {
    const { dir } = target();
    // the parent's tree, as the copy driver leaves it
    mkdirSync(join(dir, 'etc/old'), { recursive: true });
    writeFileSync(join(dir, 'etc/old/x'), 'x');
    writeFileSync(join(dir, 'etc/gone'), 'g');
    mkdirSync(join(dir, 'opq/sub'), { recursive: true });
    writeFileSync(join(dir, 'opq/lower'), 'l');
    writeFileSync(join(dir, 'opq/sub/lower'), 'l');
    mkdirSync(join(dir, 'usr/lib'), { recursive: true });
    writeFileSync(join(dir, 'usr/lib/libc'), 'c');
    symlinkSync('usr/lib', join(dir, 'lib'));
    await apply(dir, [
      { name: 'etc/.wh.gone' },
      { name: 'etc/.wh.old' },
      { name: 'etc/.wh.never-was' },
      { name: 'missing/.wh.x' },
      { name: 'opq', type: 'dir' },
      { name: 'opq/sub/new', content: 'n' },
      { name: 'opq/.wh..wh..opq' },
      { name: 'opq/after', content: 'a' },
      { name: 'lib/newlib', content: 'n' },
      { name: '.wh..wh.plnk/123', content: 'aufs metadata' },
    ], 'plain');
    assert.deepEqual(readdirSync(join(dir, 'etc')), []);
    assert.ok(!existsSync(join(dir, 'missing')), 'a whiteout makes no directories in plain mode');
    assert.deepEqual(readdirSync(join(dir, 'opq')).sort(), ['after', 'sub']);
    assert.deepEqual(readdirSync(join(dir, 'opq/sub')), ['new']);
    assert.ok(lstatSync(join(dir, 'lib')).isDirectory(), 'as overlayfs shows it: the layer\'s directory hides the lower symlink');
    assert.deepEqual(readdirSync(join(dir, 'lib')), ['newlib']);
    assert.equal(readFileSync(join(dir, 'usr/lib/libc'), 'utf8'), 'c', 'the symlink\'s target is untouched');
    assert.ok(!existsSync(join(dir, '.wh..wh.plnk')));
  });
});

describe('applyLayer: never writes outside its target (no root)', () => {
  it('refuses ".." names', async () => {
    const { dir, outside } = target();
    await assert.rejects(apply(dir, [{ name: '../sentinel', content: 'pwned' }]), unsafe(/^apply layer to ".*target": unsafe name "\.\.\/sentinel" in the archive: it has a "\.\." component$/));
    await assert.rejects(apply(dir, [{ name: 'a/../../sentinel', content: 'pwned' }]), unsafe(/\.\./));
    assertNothingOutside(outside);
  });

  it('refuses absolute names', async () => {
    const { dir, outside } = target();
    await assert.rejects(apply(dir, [{ name: `${outside}/sentinel`, content: 'pwned' }]), unsafe(/it is absolute/));
    assertNothingOutside(outside);
  });

  it('refuses writing through a symlink the archive made', async () => {
    for (const mode of ['overlay', 'plain'] as const) {
      const { dir, outside } = target();
      await assert.rejects(
        apply(dir, [{ name: 'escape', type: 'symlink', linkname: outside }, { name: 'escape/sentinel', content: 'pwned' }], mode),
        unsafe(/unsafe entry "escape\/sentinel" in the archive: its parent "escape" is a symlink in this layer/),
      );
      await assert.rejects(apply(dir, [{ name: 'rel', type: 'symlink', linkname: '../..' }, { name: 'rel/x', type: 'dir' }], mode), unsafe(/its parent "rel" is a symlink/));
      await assert.rejects(apply(dir, [{ name: 'e2', type: 'symlink', linkname: outside }, { name: 'e2/.wh..wh..opq' }], mode), unsafe(/symlink/));
      assertNothingOutside(outside);
    }
  });

  it('refuses hardlinks to anything but a file of this layer', async () => {
    const { dir, outside } = target();
    writeFileSync(join(dir, 'lower'), 'from the parent');
    for (const linkname of ['../sentinel', `${outside}/sentinel`, 'lower', 'nothing', 'esc/sentinel']) {
      await assert.rejects(
        apply(dir, [{ name: 'esc', type: 'symlink', linkname: outside }, { name: 'h', type: 'hardlink', linkname }], 'plain'),
        unsafe(/unsafe|not a file of this layer/),
        linkname,
      );
    }
    await assert.rejects(apply(dir, [{ name: 'd', type: 'dir' }, { name: 'h', type: 'hardlink', linkname: 'd' }]), unsafe(/not a file of this layer/));
    assertNothingOutside(outside);
  });

  it('replaces a symlink by a directory instead of following it', async () => {
    const { dir, outside } = target();
    await apply(dir, [
      { name: 'x', type: 'symlink', linkname: outside },
      { name: 'x', type: 'dir' },
      { name: 'x/sentinel', content: 'inside' },
    ]);
    assert.ok(lstatSync(join(dir, 'x')).isDirectory());
    assert.equal(readFileSync(join(dir, 'x/sentinel'), 'utf8'), 'inside');
    assertNothingOutside(outside);
  });

  it('does not follow a symlink at the name of a new file', async () => {
    const { dir, outside } = target();
    await apply(dir, [{ name: 'f', type: 'symlink', linkname: join(outside, 'sentinel') }, { name: 'f', content: 'replaced', mode: 0o600 }]);
    assert.equal(readFileSync(join(dir, 'f'), 'utf8'), 'replaced');
    assert.ok(lstatSync(join(dir, 'f')).isFile());
    assertNothingOutside(outside);
  });

  it('refuses a target that is not a directory; names the target and the failing byte', async () => {
    const { dir } = target();
    await assert.rejects(applyLayer(join(dir, 'none'), from(buildTar([])), { mode: 'plain' }), (err: unknown) => err instanceof EngineError && err.code === 'LAYER_TARGET');
    const truncated = buildTar([{ name: 'a', content: 'x'.repeat(2000) }], me).subarray(0, 1024);
    await assert.rejects(applyLayer(dir, from(truncated), { mode: 'plain' }), (err: unknown) => err instanceof EngineError && err.code === 'TAR_CORRUPT' && /^apply layer to ".*": corrupt tar archive at byte 1024: the archive ends inside the content of "a"$/.test(err.message));
  });
});
