import { attachDeviceFilter } from '../../sys/addon.js';
import type { Controller } from '../controller.js';
import { deviceFilterProgram } from './device-filter.js';

/** Loads a device program and attaches it to a cgroup v2 directory in place of the one there. */
export type AttachDeviceFilter = (cgroupDir: string, program: Buffer) => void;

/**
 * cgroup v2 devices: no control files, but an eBPF program attached to the
 * cgroup (device-filter.ts compiles the rules; the addon loads and attaches
 * it). It is not a controller the kernel lists in cgroup.controllers, so
 * nothing is enabled in the parents: any v2 cgroup takes one, which is how a
 * hybrid host's v2 tree could filter devices too (there the manager uses
 * the v1 devices controller, as runc does).
 *
 * The program replaces the whole filter, unlike v1 rules, which add to what
 * devices.list holds: an `update` with devices gives the container exactly
 * the rules it carries (which is why runtime/ appends the always-allowed
 * devices on update as on create).
 *
 * `attach` is the seam to the host: the addon by default (loaded on first
 * use, so a container without device rules never loads it); tests hand in
 * a recorder.
 */
export function devicesV2With(attach: AttachDeviceFilter): Controller {
  return {
    name: 'devices',
    implicitV2: true,

    needed(r) {
      return (r.devices ?? []).length > 0;
    },

    apply(dir, r) {
      // compiled first: a wrong rule is refused before anything reaches the kernel
      const program = deviceFilterProgram(r.devices ?? []);
      attach(dir.path, program);
    },

    stats() {
      // nothing counted
    },
  };
}

export const devicesV2: Controller = devicesV2With(attachDeviceFilter);
