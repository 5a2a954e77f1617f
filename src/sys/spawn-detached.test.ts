import assert from 'node:assert/strict';
import { closeSync, existsSync, writeSync } from 'node:fs';
import { addon } from './addon.js';
import { describe, it } from 'node:test';
import { nativeBinary } from './native-paths.js';
import { spawnDetached } from './spawn-detached.js';

const built = existsSync(nativeBinary('berth_addon.node')) || 'needs the native build (npm run build)';

const readAll = (s: NodeJS.ReadableStream): Promise<string> =>
  new Promise((resolve, reject) => {
    let out = '';
    s.on('data', (d: Buffer) => (out += d.toString()));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });

describe('spawnDetached (posix_spawn through the addon)', { skip: built === true ? false : built }, () => {
  it('gives the child the socket pair as its last fd and reports its wait status', async () => {
    const child = spawnDetached('/bin/sh', ['-c', 'printf "hello $#" >&3; read line <&3; printf "got $line" >&3; exit 7'], ['ignore', 'ignore', 'ignore'], 0);
    child.sync.write('there\n');
    const [out, status] = await Promise.all([readAll(child.sync), child.exit]);
    assert.equal(out, 'hello 0got there');
    assert.equal(status >> 8, 7);
  });

  it('resets signal dispositions: SIGPIPE, which Node ignores, kills the child again', async () => {
    const child = spawnDetached('/bin/sh', ['-c', 'kill -PIPE $$; exit 0'], ['ignore', 'ignore', 'ignore'], 0);
    child.sync.destroy();
    const status = await child.exit;
    assert.equal(status & 0x7f, 13);
  });

  it('passes fds 0-2 as asked: /dev/null for ignore', async () => {
    const child = spawnDetached('/bin/sh', ['-c', 'a=$(readlink /proc/$$/fd/0); b=$(readlink /proc/$$/fd/1); echo "$a $b" >&3'], ['ignore', 'ignore', 'inherit'], 0);
    const [out] = await Promise.all([readAll(child.sync), child.exit]);
    assert.equal(out, '/dev/null /dev/null\n');
  });

  it('runs a program from a sealed copy passed after the socket, and the copy cannot be written', async () => {
    const exe = addon().sealedCopy('/bin/sh');
    try {
      assert.throws(() => writeSync(exe, 'x', 0), (err: unknown) => (err as { code?: string }).code === 'EPERM');
      const child = spawnDetached('/proc/self/fd/4', ['-c', 'echo "from a memfd" >&3'], ['ignore', 'ignore', 'ignore'], 0, [exe]);
      const [out, status] = await Promise.all([readAll(child.sync), child.exit]);
      assert.equal(out, 'from a memfd\n');
      assert.equal(status, 0);
    } finally {
      closeSync(exe);
    }
  });

  it('says which program could not be started', () => {
    assert.throws(() => spawnDetached('/nonexistent/berth-prog', [], ['ignore', 'ignore', 'ignore'], 0), (err: unknown) => (err as { code?: string }).code === 'ENOENT' && /spawn \/nonexistent\/berth-prog/.test((err as Error).message));
  });
});
