import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backingFilesystem, parseOsRelease, systemCpuNanos } from './system-facts.js';

describe('system facts', () => {
  it('os-release: quoted and bare values, escapes, comments', () => {
    const f = parseOsRelease('# c\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_ID=12\nNAME=\'A \\"b\\"\'\nbad line\n');
    assert.deepEqual(f, { PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', VERSION_ID: '12', NAME: 'A "b"' });
  });

  it("/proc/stat: user through softirq of the cpu line, in nanoseconds", () => {
    const stat = 'cpu  100 2 30 4000 5 6 7 8 0 0\ncpu0 50 1 15 2000 2 3 3 4 0 0\n';
    assert.equal(systemCpuNanos(stat), (100 + 2 + 30 + 4000 + 5 + 6 + 7) * 10_000_000);
    assert.equal(systemCpuNanos(''), 0);
  });

  it('a path that does not exist has an unknown filesystem', () => {
    assert.equal(backingFilesystem('/nonexistent/bth-path'), '<unknown>');
  });
});
