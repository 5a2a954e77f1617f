import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CgroupRecord } from '../cgroups/manager.js';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { OCI_VERSION, type Spec, type State, type Status } from '../spec/oci-runtime.js';
import { isAlive } from '../sys/proc.js';

/** What berth-runtime keeps about a container in <root>/<id>/state.json. */
export interface ContainerRecord {
  id: string;
  pid: number;
  /** /proc/<pid>/stat start time, so a reused pid is never mistaken for the container. */
  startTime: number;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations: Record<string, string>;
  /** The spec the container was created from: hooks, namespaces, process defaults. */
  spec: Spec;
  /** Its cgroups, when the host has any. */
  cgroup?: CgroupRecord;
}

const ID_PATTERN = /^[\w+.-]+$/;

export function checkContainerId(id: string): void {
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new EngineError('InvalidArgument', 'INVALID_ID', `invalid container id ${JSON.stringify(id)}`, {
      hint: 'use letters, digits, and _ + - . only',
    });
  }
}

/** The directory of container states (runc's --root). Only this class touches it. */
export class StateStore {
  constructor(readonly root: string) {}

  dir(id: string): string {
    return join(this.root, id);
  }

  fifoPath(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Claims an id: the directory's creation is the lock against a second create. */
  reserve(id: string): void {
    checkContainerId(id);
    // an unprivileged user's states are its own only (runc: 0700)
    const mode = (process.geteuid?.() ?? 0) === 0 ? 0o711 : 0o700;
    mkdirSync(this.root, { recursive: true, mode });
    try {
      mkdirSync(this.dir(id), { mode });
    } catch (err) {
      if (errnoOf(err) === 'EEXIST') throw new EngineError('Conflict', 'ID_IN_USE', `container with id exists: ${id}`, { hint: 'pick another id, or delete the old container first' });
      throw err;
    }
  }

  save(record: ContainerRecord): void {
    // runtime state dies with the processes it describes: nothing to keep across a power cut
    writeFileAtomic(join(this.dir(record.id), 'state.json'), JSON.stringify(record), { mode: 0o600, durable: false });
  }

  load(id: string): ContainerRecord {
    checkContainerId(id);
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'state.json'), 'utf8')) as ContainerRecord;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') throw new EngineError('NotFound', 'NO_SUCH_CONTAINER', `container does not exist: ${id}`);
      throw err;
    }
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), 'state.json'));
  }

  /** Claimed, whether or not its create got as far as a state (a create cut short leaves only the claim). */
  claimed(id: string): boolean {
    return existsSync(this.dir(id));
  }

  /**
   * The cgroups a create made, kept until its state is saved: a create cut
   * short (its runtime killed) leaves them to delete, which finds them here.
   */
  savePendingCgroups(id: string, record: CgroupRecord): void {
    writeFileAtomic(join(this.dir(id), 'cgroups.json'), JSON.stringify(record), { mode: 0o600, durable: false });
  }

  pendingCgroups(id: string): CgroupRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir(id), 'cgroups.json'), 'utf8')) as CgroupRecord;
    } catch {
      return undefined;
    }
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((id) => this.exists(id));
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return [];
      throw err;
    }
  }

  /** created while the app waits for start (its fifo exists), running after, stopped once gone. */
  status(record: ContainerRecord): Status {
    if (!isAlive(record.pid, record.startTime)) return 'stopped';
    return existsSync(this.fifoPath(record.id)) ? 'created' : 'running';
  }

  state(record: ContainerRecord): State {
    const status = this.status(record);
    const state: State = { ociVersion: OCI_VERSION, id: record.id, status, bundle: record.bundle };
    if (status !== 'stopped') state.pid = record.pid;
    if (Object.keys(record.annotations).length) state.annotations = record.annotations;
    return state;
  }

  /** The ownership of the state dir, as `list` shows it. */
  ownerOf(id: string): number {
    return statSync(this.dir(id)).uid;
  }
}
