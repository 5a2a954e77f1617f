import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MS } from './addon.js';
import { compactOverlayData, MOUNT_DATA_MAX, planMount } from './mounts.js';

describe('planMount (no root)', () => {
  it('turns an overlay spec into its type and data', () => {
    assert.deepEqual(planMount({ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b', 'upperdir=/u', 'workdir=/w', 'index=off'] }), {
      source: 'overlay',
      fstype: 'overlay',
      flags: 0,
      data: 'lowerdir=/a:/b,upperdir=/u,workdir=/w,index=off',
    });
  });

  it('takes flag options out of the data (ro, nosuid, nodev, noexec), a later one overriding an earlier one', () => {
    const call = planMount({ type: 'overlay', source: 'overlay', options: ['lowerdir=/a:/b', 'ro', 'nosuid', 'nodev', 'noexec', 'rw'] });
    assert.equal(call.flags, MS.NOSUID | MS.NODEV | MS.NOEXEC);
    assert.equal(call.data, 'lowerdir=/a:/b');
    assert.equal(call.remountFlags, undefined);
  });

  it('makes a bind mount of type bind, recursive with rbind; read-only needs a remount', () => {
    assert.deepEqual(planMount({ type: 'bind', source: '/src', options: ['bind', 'rw'] }), { source: '/src', fstype: '', flags: MS.BIND, data: '' });
    assert.deepEqual(planMount({ type: 'bind', source: '/src', options: ['rbind', 'ro'] }), {
      source: '/src',
      fstype: '',
      flags: MS.BIND | MS.REC | MS.RDONLY,
      data: '',
      remountFlags: MS.REMOUNT | MS.BIND | MS.RDONLY,
    });
  });
});

describe('compactOverlayData (no root)', () => {
  const root = '/var/lib/berth/overlay2';
  const short = (i: number): string => `L${String(i).padStart(25, 'A')}`;
  const data = (layers: number): string =>
    [
      `lowerdir=${Array.from({ length: layers }, (_, i) => `${root}/l/${short(i)}`).join(':')}`,
      `upperdir=${root}/${'a'.repeat(64)}/diff`,
      `workdir=${root}/${'a'.repeat(64)}/work`,
      'index=off',
      'redirect_dir=off',
      'metacopy=off',
    ].join(',');

  it('rewrites the paths relative to their deepest common directory', () => {
    assert.deepEqual(compactOverlayData(data(2)), {
      cwd: root,
      data: `lowerdir=l/${short(0)}:l/${short(1)},upperdir=${'a'.repeat(64)}/diff,workdir=${'a'.repeat(64)}/work,index=off,redirect_dir=off,metacopy=off`,
    });
  });

  it('fits 128 layers of Docker\'s layout in a page, where absolute paths would not', () => {
    assert.ok(data(128).length > MOUNT_DATA_MAX);
    assert.ok(compactOverlayData(data(128))!.data.length <= MOUNT_DATA_MAX);
  });

  it('finds the common directory of unrelated paths, up to /', () => {
    assert.deepEqual(compactOverlayData('lowerdir=/x/a:/y/b'), { cwd: '/', data: 'lowerdir=x/a:y/b' });
    assert.deepEqual(compactOverlayData('lowerdir=/x/ab:/x/a'), { cwd: '/x', data: 'lowerdir=ab:a' });
  });

  it('leaves data without absolute paths alone', () => {
    assert.equal(compactOverlayData('lowerdir=a:b'), undefined);
    assert.equal(compactOverlayData('index=off'), undefined);
  });
});
