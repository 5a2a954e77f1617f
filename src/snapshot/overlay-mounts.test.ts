import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactOverlayData, MOUNT_DATA_MAX, planMount } from '../sys/mounts.js';
import { activeMounts, formatLower, isShortId, MAX_DEPTH, newShortId, parseLower, viewMounts } from './overlay-mounts.js';

const root = '/var/lib/berth/overlay2';
const id = 'f'.repeat(64);
const A = 'AAAAAAAAAAAAAAAAAAAAAAAAAA';
const B = 'BBBBBBBBBBBBBBBBBBBBBBBBBB';

describe('overlay2 mounts (no root)', () => {
  it('mounts an active snapshot as an overlay of its lower links, nearest first, with redirect_dir, metacopy and index off', () => {
    assert.deepEqual(activeMounts(root, id, [A, B]), [
      {
        type: 'overlay',
        source: 'overlay',
        options: [`lowerdir=${root}/l/${A}:${root}/l/${B}`, `upperdir=${root}/${id}/diff`, `workdir=${root}/${id}/work`, 'index=off', 'redirect_dir=off', 'metacopy=off'],
      },
    ]);
  });

  it('bind-mounts an active snapshot without a parent, read-write', () => {
    assert.deepEqual(activeMounts(root, id, []), [{ type: 'bind', source: `${root}/${id}/diff`, options: ['bind', 'rw'] }]);
  });

  it('shows a view of one layer as a read-only bind mount, of several as a read-only overlay without upper', () => {
    assert.deepEqual(viewMounts(root, id, [A]), [{ type: 'bind', source: `${root}/${id}/diff`, options: ['bind', 'ro'] }]);
    const [overlay] = viewMounts(root, id, [A, B]);
    assert.deepEqual(overlay, { type: 'overlay', source: 'overlay', options: [`lowerdir=${root}/l/${A}:${root}/l/${B}`, 'index=off', 'redirect_dir=off', 'metacopy=off', 'ro'] });
    assert.ok(!overlay!.options.some((o) => o.startsWith('upperdir=')));
  });

  it('fits MAX_DEPTH layers into mount(2)\'s page once the paths are relative to the root', () => {
    const lowers = Array.from({ length: MAX_DEPTH - 1 }, () => newShortId());
    const call = planMount(activeMounts(root, id, lowers)[0]!);
    assert.ok(call.data.length > MOUNT_DATA_MAX, 'absolute paths would not fit');
    const compact = compactOverlayData(call.data)!;
    assert.equal(compact.cwd, root);
    assert.ok(compact.data.length <= MOUNT_DATA_MAX, `${compact.data.length} bytes`);
  });

  it('draws short ids of 26 base32 characters and reads and writes lower files as Docker does', () => {
    const s = newShortId();
    assert.ok(isShortId(s), s);
    assert.notEqual(newShortId(), s);
    assert.equal(formatLower([A, B]), `l/${A}:l/${B}`);
    assert.deepEqual(parseLower(`l/${A}:l/${B}\n`, 'lower'), [A, B]);
    assert.deepEqual(parseLower('', 'lower'), []);
    assert.throws(() => parseLower(`l/${A}:../escape`, '/x/lower'), /read "\/x\/lower": not a list of l\/<short id> links/);
    assert.throws(() => parseLower(A, '/x/lower'), /not a list/);
  });
});
