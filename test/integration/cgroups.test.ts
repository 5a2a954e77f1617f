/**
 * Resource control on this machine's layout (hybrid: v1 controllers, and a
 * v2 tree that offers only hugetlb — its cgroup.procs, cgroup.freeze,
 * cgroup.kill and cgroup.events are what is tested there).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { missing } from '../helpers/requirements.js';
import { BERTH_ROOT, cleanup, makeBundle, runIn, runtime, RUNTIME_BIN, type Bundle, type Config } from '../helpers/bundle.js';

const skip = missing('root', 'busybox') || (!existsSync('/sys/fs/cgroup/memory/cgroup.procs') && 'needs the cgroup v1 memory controller (this suite is for the hybrid layout)');

const V1 = '/sys/fs/cgroup';
const UNIFIED = '/sys/fs/cgroup/unified';
const cgroupFile = (controller: string, id: string, file: string): string => join(V1, controller, 'berth', id, file);

function detached(args: string[], change: (c: Config) => void): Bundle {
  const b = makeBundle(args, change);
  const r = runtime(['run', '-d', '--bundle', b.dir, b.id]);
  assert.equal(r.status, 0, r.stderr);
  return b;
}

function stats(id: string): any {
  const r = runtime(['events', '--stats', id]);
  assert.equal(r.status, 0, r.stderr);
  const event = JSON.parse(r.stdout);
  assert.equal(event.type, 'stats');
  return event.data;
}

function state(id: string): any {
  return JSON.parse(runtime(['state', id]).stdout);
}

async function until(check: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
}

function berthCgroups(id: string): string[] {
  const dirs = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified'].map((c) => join(V1, c, 'berth', id));
  return dirs.filter((d) => existsSync(d));
}

describe('cgroups on the hybrid layout', { skip }, () => {
  it('makes the container\'s cgroup in every hierarchy, /berth/<id> by default, and deletes them all', () => {
    const b = detached(['sleep', '100'], () => undefined);
    try {
      const pid = state(b.id).pid as number;
      assert.deepEqual(berthCgroups(b.id).length, 10);
      assert.ok(readFileSync(cgroupFile('memory', b.id, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)));
      assert.ok(readFileSync(join(UNIFIED, 'berth', b.id, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), 'not in the v2 tree');
    } finally {
      cleanup(b);
    }
    assert.deepEqual(berthCgroups(b.id), []);
  });

  it('kills a memory hog at its limit and reports it as OOM-killed (state, events)', async () => {
    const b = detached(['sh', '-c', '(echo 1000 > /proc/self/oom_score_adj; head -c 300m /dev/zero | tail); sleep 1'], (c) => (c['linux'].resources = { memory: { limit: 32 * 1024 * 1024, swap: 32 * 1024 * 1024 } }));
    try {
      assert.equal(readFileSync(cgroupFile('memory', b.id, 'memory.limit_in_bytes'), 'utf8').trim(), String(32 * 1024 * 1024));
      const events = runtime(['events', '--interval', '200ms', b.id], { timeoutMs: 20_000 });
      assert.match(events.stdout, /\{"type":"oom","id":"[^"]+"\}/);
      assert.equal(state(b.id).status, 'stopped');
      assert.equal(state(b.id).oomKilled, true);
    } finally {
      cleanup(b);
    }
  });

  it('holds a CPU spinner to its quota: 20000/100000 is about a fifth of a core', async () => {
    const b = detached(['sh', '-c', 'while :; do :; done'], (c) => (c['linux'].resources = { cpu: { quota: 20000, period: 100000 } }));
    try {
      const before = stats(b.id).cpu.usage.total as number;
      const t0 = process.hrtime.bigint();
      await sleep(3000);
      const used = (stats(b.id).cpu.usage.total as number) - before;
      const share = used / Number(process.hrtime.bigint() - t0);
      assert.ok(share > 0.1 && share < 0.3, `used ${(share * 100).toFixed(1)}% of a core`);
      assert.equal(readFileSync(cgroupFile('cpu', b.id, 'cpu.cfs_quota_us'), 'utf8').trim(), '20000');
    } finally {
      cleanup(b);
    }
  });

  it('stops a fork bomb at the pids limit', async () => {
    // the bomb is an exec'd shell: a shell that cannot fork gives up, and as PID 1 it would end the container
    const b = detached(['sleep', '100'], (c) => (c['linux'].resources = { pids: { limit: 20 } }));
    try {
      runtime(['exec', '--detach', b.id, 'sh', '-c', 'for i in $(seq 1 100); do sleep 60 & done 2>/dev/null']);
      assert.ok(await until(() => stats(b.id).pids.current === 20), `pids: ${JSON.stringify(stats(b.id).pids)}`);
      await sleep(300);
      assert.equal(stats(b.id).pids.current, 20);
      assert.equal(stats(b.id).pids.limit, 20);
    } finally {
      cleanup(b);
    }
  });

  it('pins to one CPU with cpuset', () => {
    const b = makeBundle(['sh', '-c', 'grep Cpus_allowed_list /proc/self/status'], (c) => (c['linux'].resources = { cpu: { cpus: '1' } }));
    try {
      assert.equal(runIn(b).stdout.replace(/\s+/g, ' ').trim(), 'Cpus_allowed_list: 1');
    } finally {
      cleanup(b);
    }
  });

  it('pause freezes every process, resume thaws them', async () => {
    const b = detached(['sh', '-c', 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done'], () => undefined);
    const counter = join(b.dir, 'rootfs', 'tmp', 'count');
    const count = (): number => Number(readFileSync(counter, 'utf8') || 0);
    try {
      assert.ok(await until(() => existsSync(counter) && count() > 2));
      assert.equal(runtime(['pause', b.id]).status, 0);
      assert.equal(state(b.id).status, 'paused');
      assert.equal(readFileSync(cgroupFile('freezer', b.id, 'freezer.state'), 'utf8').trim(), 'FROZEN');
      const frozenAt = count();
      await sleep(400);
      assert.equal(count(), frozenAt, 'the counter moved while paused');
      assert.match(runtime(['exec', b.id, 'true']).stderr, /cannot exec in a paused container/);
      assert.equal(runtime(['pause', b.id]).status, 1, 'paused twice');
      assert.equal(runtime(['resume', b.id]).status, 0);
      assert.equal(state(b.id).status, 'running');
      assert.ok(await until(() => count() > frozenAt + 2), 'the counter did not move after resume');
      assert.match(runtime(['resume', b.id]).stderr, /container not paused/);
    } finally {
      cleanup(b);
    }
  });

  it('update changes a live limit, and stats match the cgroup files', () => {
    const b = detached(['sleep', '100'], (c) => (c['linux'].resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 50 } }));
    try {
      assert.equal(runtime(['update', '--memory', '48m', '--pids-limit', '30', b.id]).status, 0);
      assert.equal(readFileSync(cgroupFile('memory', b.id, 'memory.limit_in_bytes'), 'utf8').trim(), String(48 * 1024 * 1024));
      assert.equal(readFileSync(cgroupFile('pids', b.id, 'pids.max'), 'utf8').trim(), '30');
      const s = stats(b.id);
      assert.equal(s.memory.usage.limit, 48 * 1024 * 1024);
      assert.equal(s.memory.usage.usage, Number(readFileSync(cgroupFile('memory', b.id, 'memory.usage_in_bytes'), 'utf8')));
      assert.equal(s.pids.current, Number(readFileSync(cgroupFile('pids', b.id, 'pids.current'), 'utf8')));
      // docker update sends the resources as JSON on stdin: -r -
      writeFileSync(join(b.dir, 'update.json'), JSON.stringify({ memory: { limit: 40 * 1024 * 1024 } }));
      assert.equal(runtime(['update', '-r', join(b.dir, 'update.json'), b.id]).status, 0);
      assert.equal(readFileSync(cgroupFile('memory', b.id, 'memory.limit_in_bytes'), 'utf8').trim(), String(40 * 1024 * 1024));
    } finally {
      cleanup(b);
    }
  });

  it('a limit the kernel refuses names the file, the value and the setting, and leaves no cgroup', () => {
    const b = makeBundle(['true'], (c) => (c['linux'].resources = { cpu: { cpus: '63' } }));
    try {
      const r = runtime(['create', '--bundle', b.dir, b.id]);
      assert.equal(r.status, 1);
      assert.match(r.stderr, /cpuset\.cpus: cannot set "63" \(linux\.resources\.cpu\.cpus\)/);
      assert.deepEqual(berthCgroups(b.id), []);
      assert.equal(runtime(['state', b.id]).status, 1);
    } finally {
      cleanup(b);
    }
  });

  it('exec joins the container\'s cgroups; kill --all reaches every process', async () => {
    const b = detached(['sh', '-c', 'sleep 100 & sleep 100'], () => undefined);
    try {
      assert.match(runtime(['exec', b.id, 'cat', '/proc/self/cgroup']).stdout, new RegExp(`memory:/berth/${b.id}`));
      assert.equal((JSON.parse(runtime(['ps', '--format', 'json', b.id]).stdout) as number[]).length, 2);
      assert.equal(runtime(['kill', '--all', b.id, 'KILL']).status, 0);
      assert.ok(await until(() => state(b.id).status === 'stopped'));
    } finally {
      cleanup(b);
    }
  });

  it('the v2 tree freezes through cgroup.freeze and reports it in cgroup.events', async () => {
    const b = detached(['sleep', '100'], () => undefined);
    const dir = join(UNIFIED, 'berth', b.id);
    try {
      writeFileSync(join(dir, 'cgroup.freeze'), '1');
      assert.ok(await until(() => /^frozen 1$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'))));
      writeFileSync(join(dir, 'cgroup.freeze'), '0');
      assert.ok(await until(() => /^frozen 0$/m.test(readFileSync(join(dir, 'cgroup.events'), 'utf8'))));
      assert.match(readFileSync(join(dir, 'cgroup.events'), 'utf8'), /^populated 1$/m);
    } finally {
      cleanup(b); // delete --force kills through cgroup.kill where the kernel has it
    }
  });
});

describe('cgroups of containers side by side', { skip }, () => {
  it('containers created and deleted at once never take each other\'s /berth parent away', async () => {
    const bundles = Array.from({ length: 6 }, () => makeBundle(['true']));
    try {
      const runs = bundles.map(
        (b) =>
          new Promise<string>((resolve) => {
            const child = spawn(RUNTIME_BIN, ['--root', BERTH_ROOT, 'run', '--bundle', b.dir, b.id], { stdio: ['ignore', 'ignore', 'pipe'] });
            let stderr = '';
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            child.on('close', (code) => resolve(code === 0 ? 'ok' : `exit ${code}: ${stderr.trim()}`));
          }),
      );
      assert.deepEqual(await Promise.all(runs), bundles.map(() => 'ok'));
      for (const b of bundles) assert.deepEqual(berthCgroups(b.id), []);
    } finally {
      for (const b of bundles) cleanup(b);
    }
  });
});
