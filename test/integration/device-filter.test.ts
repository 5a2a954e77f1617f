/**
 * The cgroup v2 device filter on the real kernel: programs compiled by
 * src/cgroups/v2/device-filter.ts, loaded and attached by the addon to a
 * running container's v2 cgroup, seen from inside the container. On this
 * hybrid host the container's v1 devices cgroup allows everything (its
 * config has no device rules), so the filter alone decides; the kernel asks
 * the filter first and refuses with EPERM.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { hostLayout } from '../../src/cgroups/layout.js';
import { CgroupManager, type CgroupRecord } from '../../src/cgroups/manager.js';
import { deviceFilterProgram } from '../../src/cgroups/v2/device-filter.js';
import { withDefaultDeviceRules } from '../../src/runtime/config/default-device-rules.js';
import type { DeviceRule } from '../../src/spec/oci-resources.js';
import { addon } from '../../src/sys/addon.js';
import { BERTH_ROOT, cleanup, makeBundle, runtime, RUNTIME_BIN, type Bundle } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';

const UNIFIED = '/sys/fs/cgroup/unified';
const skip = missing('root', 'busybox') || (!existsSync(join(UNIFIED, 'cgroup.procs')) && `needs a cgroup v2 tree at ${UNIFIED}`);

const deny = (type: 'a' | 'c' | 'b', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ allow: false, type, ...(major === undefined ? {} : { major }), ...(minor === undefined ? {} : { minor }), access });
const allow = (type: 'a' | 'c' | 'b', major?: number, minor?: number, access = 'rwm'): DeviceRule => ({ ...deny(type, major, minor, access), allow: true });

function detached(): Bundle {
  const b = makeBundle(['sleep', '1000']);
  const r = runtime(['run', '-d', '--bundle', b.dir, b.id]);
  assert.equal(r.status, 0, r.stderr);
  return b;
}

/** Runs a shell line in the container (with extra flags such as --cap); its stdout, trimmed. */
function inside(b: Bundle, script: string, flags: string[] = []): string {
  const r = runtime(['exec', ...flags, b.id, 'sh', '-c', script]);
  assert.equal(r.status, 0, `${script}: ${r.stderr}`);
  return r.stdout.trim();
}

/** "name: ok" or "name: <the error busybox printed>", for each access tried. */
const probe = (name: string, cmd: string): string => `if ${cmd} 2>/tmp/err; then echo "${name}: ok"; else echo "${name}: $(cat /tmp/err)"; fi`;

describe('cgroup v2 device filter (eBPF)', { skip }, () => {
  it('refuses a device the rules deny, allows the rest, and takes an update', () => {
    const b = detached();
    try {
      const dir = join(UNIFIED, 'berth', b.id);
      assert.ok(existsSync(dir), `no v2 cgroup at ${dir}`);
      const native = addon();
      assert.deepEqual(native.attachedDeviceFilters(dir), []);
      const check = probe('zero read', 'head -c1 /dev/zero >/dev/null') + '; ' + probe('zero write', 'echo x >/dev/zero') + '; ' + probe('null', 'echo x >/dev/null && cat /dev/null');

      // /dev/zero may be written but not read; /dev/null is fine
      native.attachDeviceFilter(dir, deviceFilterProgram([deny('a'), allow('c', undefined, undefined, 'm'), allow('c', 1, 3), allow('c', 1, 5, 'w')]));
      const first = native.attachedDeviceFilters(dir);
      assert.equal(first.length, 1);
      assert.deepEqual(inside(b, check).split('\n'), ['zero read: head: /dev/zero: Operation not permitted', 'zero write: ok', 'null: ok']);

      // an update replaces the filter: one program attached, the new one
      native.attachDeviceFilter(dir, deviceFilterProgram([deny('a'), allow('c', 1, 3), allow('c', 1, 5)]));
      const second = native.attachedDeviceFilters(dir);
      assert.equal(second.length, 1);
      assert.notDeepEqual(second, first);
      assert.deepEqual(inside(b, check).split('\n'), ['zero read: ok', 'zero write: ok', 'null: ok']);
    } finally {
      cleanup(b);
    }
    // the program went with the cgroup
  });

  it("applies docker's rules through the manager's v2 path: nodes may be made, only the allowed ones opened", () => {
    const b = detached();
    try {
      // the manager as `update` loads it, but with the v1 devices hierarchy
      // left out of the layout: the v2 filter then takes the device rules
      const record = JSON.parse(readFileSync(join(BERTH_ROOT, b.id, 'state.json'), 'utf8')) as { cgroup: CgroupRecord };
      const layout = hostLayout();
      const v2Only = { ...layout, v1: layout.v1.filter((h) => !h.subsystems.includes('devices')) };
      const docker = [deny('a'), allow('c', 1, 5), allow('c', 1, 3), allow('c', 1, 9), allow('c', 1, 8), allow('c', 5, 0), allow('c', 5, 1), deny('c', 10, 229)];
      CgroupManager.load(v2Only, record.cgroup).apply(withDefaultDeviceRules({ devices: docker }), { update: true });
      assert.equal(addon().attachedDeviceFilters(join(UNIFIED, 'berth', b.id)).length, 1);
      const script = [
        probe('null', 'echo x >/dev/null'),
        probe('zero', 'head -c1 /dev/zero >/dev/null'),
        probe('full', 'head -c1 /dev/full >/dev/null'), // runc's always-allowed, not in docker's list
        probe('mknod fuse', 'mknod /tmp/fuse c 10 229'),
        probe('open fuse', 'cat /tmp/fuse'),
        probe('mknod block', 'mknod /tmp/sda b 8 0'),
        probe('read block', 'head -c1 /tmp/sda'),
        probe('mknod tty1', 'mknod /tmp/tty1 c 4 1'),
        probe('open tty1', 'cat /tmp/tty1'),
      ].join('; ');
      assert.deepEqual(inside(b, script, ['--cap', 'CAP_MKNOD']).split('\n'), [
        'null: ok',
        'zero: ok',
        'full: ok',
        'mknod fuse: ok',
        'open fuse: cat: can\'t open \'/tmp/fuse\': Operation not permitted',
        'mknod block: ok',
        'read block: head: /tmp/sda: Operation not permitted',
        'mknod tty1: ok',
        'open tty1: cat: can\'t open \'/tmp/tty1\': Operation not permitted',
      ]);
    } finally {
      cleanup(b);
    }
  });

  it('is what berth-runtime uses where the v1 devices controller is absent: create, exec, update', { skip: !existsSync('/sys/fs/cgroup/devices/cgroup.procs') && 'needs the v1 devices hierarchy to hide' }, () => {
    // A host without the v1 devices controller, made by unmounting it in a
    // private mount namespace: the runtime's layout (from mountinfo) then has
    // no devices hierarchy, and the bundled berth-runtime loads the addon.
    const docker = [deny('a'), allow('c', 1, 5), allow('c', 1, 3), allow('c', 1, 9), allow('c', 1, 8), allow('c', 5, 0), allow('c', 5, 1), deny('c', 10, 229)];
    const b = makeBundle(['sleep', '1000'], (c) => (c['linux'].resources = { devices: docker }));
    try {
      const resources = join(b.dir, 'update.json');
      writeFileSync(resources, JSON.stringify({ devices: [allow('b', 7, 0, 'r')] }));
      const rt = `${RUNTIME_BIN} --root ${BERTH_ROOT}`;
      const check = [probe('null', 'echo x >/dev/null'), probe('loop', 'head -c1 /tmp/loop0')].join('; ');
      const script = [
        'set -e',
        'umount /sys/fs/cgroup/devices',
        // the container keeps run's stdio: none of it may be our pipes
        `${rt} run -d --bundle ${b.dir} ${b.id} </dev/null >/dev/null 2>${b.dir}/run.err || { cat ${b.dir}/run.err >&2; exit 1; }`,
        `${rt} exec --cap CAP_MKNOD ${b.id} mknod /tmp/loop0 b 7 0`,
        `${rt} exec ${b.id} sh -c '${check}'`,
        `${rt} update -r ${resources} ${b.id}`,
        `${rt} exec ${b.id} sh -c '${check}'`,
      ].join('\n');
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.stdout.trim().split('\n'), [
        'null: ok',
        'loop: head: /tmp/loop0: Operation not permitted',
        'null: ok', // the always-allowed devices stay after an update
        'loop: ok',
      ]);
      assert.equal(addon().attachedDeviceFilters(join(UNIFIED, 'berth', b.id)).length, 1, 'the update replaced the filter');
      // no v1 devices cgroup of berth's: the filter alone decided
      const pid = JSON.parse(runtime(['state', b.id]).stdout).pid as number;
      assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), /^\d+:devices:\/$/m);
    } finally {
      cleanup(b);
    }
  });
});
