import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { goFileMode, readOnlyMounts, rfc3339Nano, treeMounts } from './archive.js';
import type { Container } from './container.js';

const stat = (mode: number, kind: 'dir' | 'link' | 'file' | 'char' | 'block' | 'fifo' | 'socket') => ({
  mode: BigInt(mode),
  isDirectory: () => kind === 'dir',
  isSymbolicLink: () => kind === 'link',
  isCharacterDevice: () => kind === 'char',
  isBlockDevice: () => kind === 'block',
  isFIFO: () => kind === 'fifo',
  isSocket: () => kind === 'socket',
});

describe('engine/archive: the pieces dockerd\'s answers are made of', () => {
  it('gives Go\'s os.FileMode bits, as the path stat header carries them', () => {
    assert.equal(goFileMode(stat(0o40755, 'dir')), 2147484141); // dockerd's value for a 0755 directory
    assert.equal(goFileMode(stat(0o120777, 'link')), 134218239);
    assert.equal(goFileMode(stat(0o100644, 'file')), 420);
    assert.equal(goFileMode(stat(0o104755, 'file')), 2 ** 23 + 0o755);
    assert.equal(goFileMode(stat(0o41777, 'dir')), 2 ** 31 + 2 ** 20 + 0o777);
    assert.equal(goFileMode(stat(0o20666, 'char')), 2 ** 26 + 2 ** 21 + 0o666);
  });

  it('writes times as Go marshals them: nanoseconds without trailing zeros, none when whole', () => {
    assert.equal(rfc3339Nano(1_795_000_000_562_319_581n), '2026-11-18T11:06:40.562319581Z');
    assert.equal(rfc3339Nano(1_795_000_000_500_000_000n), '2026-11-18T11:06:40.5Z');
    assert.equal(rfc3339Nano(1_795_000_000_000_000_000n), '2026-11-18T11:06:40Z');
  });

  it('makes a read-write layer read-only: its upper directory becomes the top lower one', () => {
    const overlay = readOnlyMounts([{ type: 'overlay', source: 'overlay', options: ['lowerdir=/l/A:/l/B', 'upperdir=/s/x/diff', 'workdir=/s/x/work', 'index=off'] }]);
    assert.deepEqual(overlay, [{ type: 'overlay', source: 'overlay', options: ['lowerdir=/s/x/diff:/l/A:/l/B', 'index=off', 'ro'] }]);
    assert.deepEqual(readOnlyMounts([{ type: 'bind', source: '/s/x', options: ['bind', 'rw'] }]), [{ type: 'bind', source: '/s/x', options: ['bind', 'ro'] }]);
  });

  it('sees volumes, binds and the /etc files where the container does; tmpfs not', () => {
    const c = {
      Mounts: [
        { Type: 'volume', Source: '/v/data/_data', Destination: '/data', RW: true },
        { Type: 'bind', Source: '/srv/hosts', Destination: '/etc/hosts', RW: false },
        { Type: 'tmpfs', Source: '', Destination: '/run', RW: true },
      ],
      HostnamePath: '/c/hostname',
      HostsPath: '/c/hosts',
      ResolvConfPath: '',
      HostConfig: { ReadonlyRootfs: true },
    } as unknown as Container;
    assert.deepEqual(treeMounts(c), [
      { destination: '/data', source: '/v/data/_data', writable: true },
      { destination: '/etc/hosts', source: '/srv/hosts', writable: false },
      { destination: '/etc/hostname', source: '/c/hostname', writable: false },
    ]);
  });
});
