import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EngineError } from '../errors/engine-error.js';
import { addon, attachDeviceFilter } from './addon.js';
import { nativeBinary } from './native-paths.js';

/** One instruction: r0 = 1 (ALU|K|MOV), then exit: a program that allows everything. */
const ALLOW_ALL = Buffer.from([0xb4, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0]);

describe('native addon loader', () => {
  // first, while nothing is loaded yet: a missing build says how to make it
  it('says how to build the addon when it is missing', () => {
    const empty = mkdtempSync(join(tmpdir(), 'berth-noaddon-'));
    const saved = process.env['BERTH_NATIVE_DIR'];
    process.env['BERTH_NATIVE_DIR'] = empty;
    try {
      assert.throws(addon, (err: unknown) => err instanceof EngineError && err.code === 'NO_ADDON' && err.message.includes(join(empty, 'berth_addon.node')) && err.hint === 'build the native part with: npm ci');
    } finally {
      if (saved === undefined) delete process.env['BERTH_NATIVE_DIR'];
      else process.env['BERTH_NATIVE_DIR'] = saved;
      rmSync(empty, { recursive: true, force: true });
    }
  });

  const built = existsSync(nativeBinary('berth_addon.node')) || 'needs the native build (npm run build)';
  it('checks its arguments and names the operation and directory when one fails (no root needed)', { skip: built === true ? false : built }, () => {
    const native = addon();
    assert.throws(() => native.attachDeviceFilter('/x', Buffer.alloc(12)), /program must be 1 to 1000000 instructions of 8 bytes/);
    assert.throws(() => native.attachDeviceFilter('/x', 'insns' as unknown as Buffer), TypeError);
    assert.throws(() => native.attachDeviceFilter('/x\0y', ALLOW_ALL), /cgroupDir must be a string without NUL/);
    assert.throws(
      () => attachDeviceFilter('/nonexistent/berth-cgroup', ALLOW_ALL),
      (err: unknown) => err instanceof EngineError && err.code === 'DEVICE_FILTER' && err.kind === 'NotFound' && err.message === 'attach device filter to "/nonexistent/berth-cgroup": open: No such file or directory [ENOENT]',
    );
    assert.throws(() => native.attachedDeviceFilters('/nonexistent/berth-cgroup'), (err: unknown) => (err as { code?: string }).code === 'ENOENT' && /^query device filters of "\/nonexistent\/berth-cgroup": open/.test((err as Error).message));
  });
});
