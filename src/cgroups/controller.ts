import type { LinuxResources } from '../spec/oci-resources.js';
import type { CgroupDir } from '../sys/cgroupfs.js';
import type { CgroupStats } from './stats.js';

export interface ApplyOptions {
  /** `update` of a live container rather than `create`: memory.checkBeforeUpdate applies. */
  update: boolean;
}

/**
 * One cgroup controller in one version (v1/ or v2/, a file each). The manager
 * finds where the controller lives and hands it the container's directory
 * there; the controller knows the files.
 */
export interface Controller {
  /** The kernel's name: a v1 subsystem (memory, cpu, blkio…) or a v2 controller (memory, cpu, io…). */
  readonly name: string;
  /**
   * cgroup v2 only: works in any v2 cgroup without being listed in
   * cgroup.controllers or enabled in the parents' cgroup.subtree_control
   * (the eBPF device filter).
   */
  readonly implicitV2?: boolean;
  /** Whether these resources set anything of this controller (a missing controller is an error only then). */
  needed(r: LinuxResources): boolean;
  /**
   * Writes what r sets, each value through dir.write(file, value, 'linux.resources.<field>')
   * so that a refusal names file, value and field. Checks values first and
   * throws EngineError('InvalidArgument', 'BAD_RESOURCE', '<field>: <problem>') for what the kernel would misread.
   */
  apply(dir: CgroupDir, r: LinuxResources, opts: ApplyOptions): void;
  /** Adds what this controller counts (runc's stats shape); missing files leave zeros. */
  stats(dir: CgroupDir, s: CgroupStats): void;
}
