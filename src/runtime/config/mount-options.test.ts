import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeMountFlags, MOUNT_ATTR, MS, parseMountOptions } from './mount-options.js';

const fail = (p: string): never => {
  throw new Error(p);
};

describe('parseMountOptions', () => {
  it('turns flags on and off in order', () => {
    const o = parseMountOptions(['ro', 'nosuid', 'rw', 'nodev'], fail);
    assert.equal(o.flags, MS.NOSUID | MS.NODEV);
  });

  it('keeps propagation apart from the mount flags', () => {
    const o = parseMountOptions(['rbind', 'rprivate', 'shared'], fail);
    assert.equal(o.flags, MS.BIND | MS.REC);
    assert.deepEqual(o.propagation, [MS.PRIVATE | MS.REC, MS.SHARED]);
  });

  it('maps recursive options to mount_setattr attributes', () => {
    const o = parseMountOptions(['rbind', 'rro', 'rnosuid'], fail);
    assert.equal(o.attrSet, MOUNT_ATTR.RDONLY | MOUNT_ATTR.NOSUID);
  });

  it('passes filesystem options through as data', () => {
    const o = parseMountOptions(['nosuid', 'mode=755', 'size=65536k'], fail);
    assert.equal(o.data, 'mode=755,size=65536k');
  });

  it('refuses options it cannot honour rather than dropping them', () => {
    assert.throws(() => parseMountOptions(['idmap'], fail), /"idmap" is not supported/);
  });

  it('decodes flags for error messages', () => {
    assert.equal(describeMountFlags(MS.BIND | MS.REC), 'MS_BIND|MS_REC');
  });
});
