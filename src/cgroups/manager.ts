import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import type { LinuxResources } from '../spec/oci-resources.js';
import { CgroupDir, makeCgroupDirs, removeCgroupDir, removeCgroupDirs } from '../sys/cgroupfs.js';
import { signalProcess } from '../sys/proc.js';
import type { ApplyOptions, Controller } from './controller.js';
import { dirIn, UNIFIED_KEY, v1HierarchyOf, type CgroupLayout } from './layout.js';
import { cgroupPathFor } from './paths.js';
import { emptyStats, type CgroupStats } from './stats.js';
import { initCpusetParents } from './v1/cpuset.js';
import { V1_CONTROLLERS } from './v1/index.js';
import { devicesV2With, type AttachDeviceFilter } from './v2/devices.js';
import { applyUnified } from './v2/unified.js';
import { V2_CONTROLLERS } from './v2/index.js';

/** What a container's state keeps of its cgroups, so that any later command can manage them. */
export interface CgroupRecord {
  /** Hierarchy key (v1 subsystems such as "memory", "name=systemd"; "unified" for v2) → directory. */
  dirs: Record<string, string>;
  /** The directories create made, parents first: delete removes these. */
  created: string[];
  /** berth's own shared parents (/berth in each hierarchy): removed by whichever container leaves them empty. */
  shared?: string[];
}

export interface CgroupManagerOptions {
  /**
   * Where cgroup v2 device filters go: the addon by default. Tests hand in
   * a recorder; with a layout that leaves out the v1 devices hierarchy they
   * get the v2 filter on a hybrid host too.
   */
  attachDeviceFilter?: AttachDeviceFilter;
}

interface Placement {
  controller: Controller;
  dir: CgroupDir;
  /** v2 controllers must be enabled in every ancestor's cgroup.subtree_control. */
  v2: boolean;
}

/**
 * A container's cgroups across every hierarchy of the host (cgroupfs driver).
 * Each controller is used where the host has it: in its v1 hierarchy, else in
 * the v2 tree; on a hybrid host both at once.
 */
export class CgroupManager {
  private readonly v2Controllers: Controller[];

  private constructor(
    private readonly layout: CgroupLayout,
    readonly record: CgroupRecord,
    options: CgroupManagerOptions,
  ) {
    const attach = options.attachDeviceFilter;
    this.v2Controllers = attach ? V2_CONTROLLERS.map((c) => (c.name === 'devices' ? devicesV2With(attach) : c)) : V2_CONTROLLERS;
  }

  /**
   * Makes the container's cgroup in every hierarchy. `own` is the runtime's
   * own cgroup per hierarchy key, for relative cgroupsPath values. Every
   * hierarchy's directories are made at once on the thread pool: a dozen
   * mkdirs, each taking the kernel's cgroup_mutex, stay off the event loop.
   */
  static create(layout: CgroupLayout, id: string, cgroupsPath: string | undefined, own: Map<string, string>, options: CgroupManagerOptions = {}): Promise<CgroupManager> {
    return CgroupManager.createPlanned(layout, CgroupManager.plan(layout, id, cgroupsPath, own), options);
  }

  /**
   * The record of a container's cgroups before they are made: each
   * hierarchy's directory, and as `created` those leaves, which is what
   * delete must remove if the create is cut short before it records more.
   */
  static plan(layout: CgroupLayout, id: string, cgroupsPath: string | undefined, own: Map<string, string>): CgroupRecord {
    const dirs = CgroupManager.dirsFor(layout, id, cgroupsPath, own);
    return { dirs, created: Object.values(dirs), shared: cgroupsPath ? [] : Object.values(dirs).map((d) => dirname(d)) };
  }

  /** create() from a plan. */
  static async createPlanned(layout: CgroupLayout, planned: CgroupRecord, options: CgroupManagerOptions = {}): Promise<CgroupManager> {
    const { dirs, shared } = planned;
    const manager = new CgroupManager(layout, { dirs, created: [], ...(shared ? { shared } : {}) }, options);
    try {
      await mkdirParents(Object.values(dirs), manager.record.created);
      for (const [key, dir] of Object.entries(dirs)) {
        const h = layout.v1.find((x) => x.key === key);
        if (h && h.subsystems.includes('cpuset')) initCpusetParents(pathBelow(h.mountPoint, dir).map((d) => new CgroupDir(d)));
      }
    } catch (err) {
      for (const d of [...manager.record.created].reverse()) removeCgroupDir(d);
      throw err;
    }
    return manager;
  }

  /** Where a container's cgroup goes in each hierarchy (key → directory), before it is made. */
  static dirsFor(layout: CgroupLayout, id: string, cgroupsPath: string | undefined, own: Map<string, string>): Record<string, string> {
    const dirs: Record<string, string> = {};
    for (const h of layout.v1) dirs[h.key] = dirIn(h.mountPoint, cgroupPathFor(cgroupsPath, id, own.get(h.key) ?? '/'));
    if (layout.unified) dirs[UNIFIED_KEY] = dirIn(layout.unified.mountPoint, cgroupPathFor(cgroupsPath, id, own.get('') ?? '/'));
    return dirs;
  }

  static load(layout: CgroupLayout, record: CgroupRecord, options: CgroupManagerOptions = {}): CgroupManager {
    return new CgroupManager(layout, record, options);
  }

  private dir(key: string): CgroupDir | undefined {
    const path = this.record.dirs[key];
    return path === undefined ? undefined : new CgroupDir(path);
  }

  /**
   * Every controller with the directory it works in on this host. Devices:
   * the v1 controller where it is mounted (a hybrid host, as runc does),
   * else the eBPF filter on the v2 cgroup.
   */
  private placements(): Placement[] {
    const out: Placement[] = [];
    const placed = new Set<string>();
    for (const c of V1_CONTROLLERS) {
      const h = this.layout.v1.find((x) => x.subsystems.includes(c.name));
      if (!h) continue;
      out.push({ controller: c, dir: this.dir(h.key)!, v2: false });
      placed.add(c.name === 'blkio' ? 'io' : c.name);
    }
    const unified = this.dir(UNIFIED_KEY);
    for (const c of this.v2Controllers) {
      if (!unified || placed.has(c.name) || !(c.implicitV2 || this.layout.unified?.controllers.includes(c.name))) continue;
      out.push({ controller: c, dir: unified, v2: true });
    }
    return out;
  }

  /** Puts a process in the container's cgroup in every hierarchy. */
  join(pid: number): void {
    for (const path of Object.values(this.record.dirs)) new CgroupDir(path).write('cgroup.procs', pid);
  }

  /** join(), with the writes to every hierarchy in flight at once (their kernel waits overlap), off the event loop. */
  async joinAsync(pid: number): Promise<void> {
    const writes = Object.values(this.record.dirs).map((path) => new CgroupDir(path).writeAsync('cgroup.procs', pid));
    const results = await Promise.allSettled(writes);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Applies linux.resources; a setting no controller here can honour is refused, never dropped. */
  apply(r: LinuxResources | undefined, opts: ApplyOptions): void {
    if (!r) return;
    const placements = this.placements();
    for (const c of [...V1_CONTROLLERS, ...this.v2Controllers]) {
      if (!c.needed(r) || placements.some((p) => p.controller.name === c.name || (c.name === 'io' && p.controller.name === 'blkio') || (c.name === 'blkio' && p.controller.name === 'io'))) continue;
      throw new EngineError('NotImplemented', 'NO_CGROUP_CONTROLLER', `linux.resources: the ${c.name} controller is not available on this host (not mounted as cgroup v1, not offered by the cgroup v2 tree)`, {
        hint: 'drop the setting, or enable the controller on the host',
      });
    }
    for (const p of placements) {
      if (!p.controller.needed(r)) continue;
      if (p.v2 && !p.controller.implicitV2) this.enableV2(p.controller.name);
      p.controller.apply(p.dir, r, opts);
    }
    if (r.unified && Object.keys(r.unified).length) {
      const unified = this.dir(UNIFIED_KEY);
      if (!unified || !this.layout.unified) throw new EngineError('NotImplemented', 'NO_CGROUP_V2', 'linux.resources.unified: this host has no cgroup v2 tree');
      for (const key of Object.keys(r.unified)) {
        const controller = key.split('.')[0]!;
        if (controller !== 'cgroup' && this.layout.unified.controllers.includes(controller)) this.enableV2(controller);
      }
      applyUnified(unified, r.unified, this.layout.unified.controllers);
    }
  }

  /** Enables a v2 controller from the tree's root down to the container's parent. */
  private enableV2(controller: string): void {
    const root = this.layout.unified!.mountPoint;
    const leaf = this.record.dirs[UNIFIED_KEY]!;
    const chain: string[] = [];
    for (let d = dirname(leaf); d.length >= root.length; d = dirname(d)) {
      chain.unshift(d);
      if (d === root) break;
    }
    for (const d of chain) {
      const dir = new CgroupDir(d);
      if (!dir.read('cgroup.subtree_control').split(/\s+/).includes(controller)) dir.write('cgroup.subtree_control', `+${controller}`);
    }
  }

  stats(): CgroupStats {
    const s = emptyStats();
    for (const p of this.placements()) p.controller.stats(p.dir, s);
    return s;
  }

  /** The container's processes, from the v2 tree when it is there (it holds them all), else v1. */
  pids(): number[] {
    const dir = this.dir(UNIFIED_KEY) ?? this.dir(this.layout.v1.find((h) => h.subsystems.includes('pids'))?.key ?? '') ?? this.dir(this.layout.v1[0]?.key ?? '');
    return dir?.procs() ?? [];
  }

  /** How many times the OOM killer killed in the container. */
  oomKills(): number {
    const memory = memoryCgroup(this.layout, this.record.dirs);
    return memory ? new CgroupDir(memory.dir).readKeyValues(memory.counters)['oom_kill'] ?? 0 : 0;
  }

  private freezerV1(): CgroupDir | undefined {
    const h = this.layout.v1.find((x) => x.subsystems.includes('freezer'));
    return h ? this.dir(h.key) : undefined;
  }

  isFrozen(): boolean {
    const v1 = this.freezerV1();
    if (v1) return v1.read('freezer.state') === 'FROZEN';
    return this.dir(UNIFIED_KEY)?.readKeyValues('cgroup.events')['frozen'] === 1;
  }

  /** Freezes every process and waits until the kernel says they are. */
  async freeze(): Promise<void> {
    await this.setFrozen(true);
  }

  async thaw(): Promise<void> {
    await this.setFrozen(false);
  }

  private async setFrozen(frozen: boolean): Promise<void> {
    const v1 = this.freezerV1();
    const unified = this.dir(UNIFIED_KEY);
    if (v1) v1.write('freezer.state', frozen ? 'FROZEN' : 'THAWED');
    else if (unified?.has('cgroup.freeze')) unified.write('cgroup.freeze', frozen ? 1 : 0);
    else throw new EngineError('NotImplemented', 'NO_FREEZER', 'this host has neither the v1 freezer controller nor cgroup v2 freezing: a container cannot be paused');
    for (let i = 0; i < 500; i++) {
      if (this.isFrozen() === frozen) return;
      await sleep(10);
    }
    throw new EngineError('Internal', 'FREEZE_TIMEOUT', `the container's processes did not ${frozen ? 'freeze' : 'thaw'} within 5 s`);
  }

  /**
   * Signals every process. SIGKILL goes through cgroup.kill where the kernel
   * has it; otherwise the cgroup is frozen first, so that nothing forks
   * between the listing and the signals.
   */
  async signalAll(signal: NodeJS.Signals | number): Promise<void> {
    const unified = this.dir(UNIFIED_KEY);
    if ((signal === 'SIGKILL' || signal === 9) && unified?.has('cgroup.kill')) {
      unified.write('cgroup.kill', 1);
      return;
    }
    const canFreeze = Boolean(this.freezerV1() ?? unified?.has('cgroup.freeze'));
    const wasFrozen = canFreeze && this.isFrozen();
    if (canFreeze && !wasFrozen) await this.freeze();
    try {
      for (const pid of this.pids()) signalProcess(pid, signal);
    } finally {
      if (canFreeze && !wasFrozen) await this.thaw();
    }
  }

  /** Kills what is left inside, then removes every directory create made. */
  async destroy(): Promise<void> {
    if (this.pids().length) await this.signalAll('SIGKILL');
    for (let i = 0; i < 500 && this.pids().length; i++) await sleep(10);
    // Children first. The container's own cgroup is busy for a moment while
    // its last process exits; a parent such as /berth that another container
    // still uses stays (the last container out removes it). Each round is one
    // task on the thread pool, every hierarchy's chain in it.
    const leaves = new Set(Object.values(this.record.dirs));
    const chains = new Map<string, string[]>();
    for (const path of [...this.record.created].reverse()) {
      const leaf = [...leaves].find((l) => l === path || l.startsWith(`${path}/`)) ?? path;
      chains.set(leaf, [...(chains.get(leaf) ?? []), path]);
    }
    let pending = [...chains.values()];
    const left: string[] = [];
    for (let round = 0; pending.length; round++) {
      const gone = await removeCgroupDirs(pending.flat());
      let at = 0;
      const next: string[][] = [];
      for (const chain of pending) {
        const results = gone.slice(at, (at += chain.length));
        const busy = results.indexOf(false);
        // a busy leaf is tried again (with its parents); a busy parent is another container's
        if (busy >= 0 && leaves.has(chain[busy]!)) {
          if (round < 50) next.push(chain.slice(busy));
          else left.push(chain[busy]!);
        }
      }
      pending = next;
      if (pending.length) await sleep(10);
    }
    await removeCgroupDirs(this.record.shared ?? []).catch(() => []); // still in use: left to the last one out
    if (left.length) throw new EngineError('Internal', 'CGROUP_BUSY', `cgroups still in use, not removed: ${left.join(', ')}`, { hint: 'a process outlived the container; kill it and delete again' });
  }
}

/**
 * Of a container's cgroup directories (by hierarchy key), the one whose
 * counters file (v1's memory.oom_control, v2's memory.events) counts its
 * OOM kills.
 */
export function memoryCgroup(layout: CgroupLayout, dirs: Record<string, string>): { dir: string; counters: string } | undefined {
  const v1 = v1HierarchyOf(layout, 'memory');
  const dir = v1 ? dirs[v1.key] : dirs[UNIFIED_KEY];
  return dir === undefined ? undefined : { dir, counters: v1 ? 'memory.oom_control' : 'memory.events' };
}

/** The directories from just below root down to leaf, top first. */
function pathBelow(root: string, leaf: string): string[] {
  const out: string[] = [];
  for (let d = leaf; d.length > root.length && d.startsWith(root); d = dirname(d)) out.unshift(d);
  return out;
}

/**
 * mkdir -p of each hierarchy's directory, all in one task on the thread
 * pool, recording each directory it made in `created`, parents first. A
 * parent removed meanwhile by another container's delete (it was empty
 * then) is made again.
 */
async function mkdirParents(paths: string[], created: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const missing: string[] = [];
    for (const path of paths) {
      const chain: string[] = [];
      for (let d = path; !created.includes(d) && !new CgroupDir(d).exists(); d = dirname(d)) chain.unshift(d);
      missing.push(...chain);
    }
    try {
      await makeCgroupDirs(missing, created);
      return;
    } catch (err) {
      if (attempt >= 5 || !(err instanceof EngineError && errnoOf(err.cause) === 'ENOENT')) throw err;
    }
  }
}

/**
 * Removes a cgroup path's parent (berth's shared /berth) in every
 * hierarchy where it is left empty. For containers whose cgroups another
 * runtime made and removed (runc deletes its own leaf, never the parent);
 * one that a container still uses stays.
 */
export function removeEmptyParents(layout: CgroupLayout, cgroupPath: string): void {
  const parent = dirname(cgroupPath);
  if (parent === '/' || parent === '.') return;
  const roots = [...layout.v1.map((h) => h.mountPoint), ...(layout.unified ? [layout.unified.mountPoint] : [])];
  for (const root of roots) removeCgroupDir(dirIn(root, parent));
}
