import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { removeInBackground, writeFileAtomicAsync } from '../sys/fs-tasks.js';
import type { Container } from './container.js';

const ID = /^[0-9a-f]{64}$/;
/** A removed container's directory, renamed out of sight while it is deleted. */
const TRASH = '.removing-';

export function noSuchContainer(ref: string): EngineError {
  return new EngineError('NotFound', 'NO_SUCH_CONTAINER', `No such container: ${ref}`);
}

/**
 * Containers on disk, one directory each:
 *
 *   <root>/<id>/config.v2.json   the record (written atomically)
 *              /hostname, hosts, resolv.conf, <id>-json.log
 *
 * The store also keeps them in memory, indexed by name: berthd is the only
 * writer. Resolving a reference follows Docker: full ID, then exact name,
 * then a unique ID prefix.
 */
export class ContainerStore {
  private readonly byId = new Map<string, Container>();
  private readonly byName = new Map<string, string>();
  /** names taken by creates in progress (their records are not saved yet) */
  private readonly reserved = new Map<string, string>();

  constructor(
    readonly root: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    for (const id of readdirSync(root)) {
      if (id.startsWith(TRASH)) rmSync(join(root, id), { recursive: true, force: true }); // a removal cut short
      if (!ID.test(id)) continue;
      try {
        const text = readFileSync(join(root, id, 'config.v2.json'), 'utf8');
        // a --rm container's record (written without fsync: see save) that a power cut emptied: it is gone
        if (text === '') {
          this.log(`container ${id.slice(0, 12)}: its record was lost (a power cut before it reached the disk); left out`);
          continue;
        }
        this.index(JSON.parse(text) as Container);
      } catch (err) {
        // a directory whose record was never written: a create that crashed
        if (errnoOf(err) === 'ENOENT') continue;
        throw new EngineError('Internal', 'CORRUPT_CONTAINER', `container ${id}: unreadable record: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  /** Reserves a directory for a new container (its name must be free: see claimName). */
  makeDir(id: string): string {
    const dir = this.dir(id);
    mkdirSync(dir, { mode: 0o710 });
    return dir;
  }

  /** each container's record writes, in the order made */
  private readonly writes = new Map<string, Promise<Error | undefined>>();

  /**
   * Registers a container's record at once (the first save registers it)
   * and writes it: atomically and durably, in order with its other saves,
   * off the event loop (an fsync there costs every other request its
   * duration). A `--rm` container's record skips the fsync, as its layer
   * does (its overlay is volatile): it does not outlive a power cut, and
   * each fsync made every other file operation wait on the journal. What
   * must be on disk before an answer awaits the result, which never
   * rejects: a failed write is logged, and the result is its error.
   */
  save(c: Container): Promise<Error | undefined> {
    this.index(c);
    const json = JSON.stringify(c);
    const path = join(this.dir(c.ID), 'config.v2.json');
    const write = (this.writes.get(c.ID) ?? Promise.resolve(undefined))
      .then(() => writeFileAtomicAsync(path, json, { mode: 0o600, durable: c.HostConfig.AutoRemove !== true }))
      .then(
        () => undefined,
        (err: unknown) => {
          this.log(`container ${c.ID.slice(0, 12)}: save its record: ${(err as Error).message}`);
          return err as Error;
        },
      );
    this.writes.set(c.ID, write);
    void write.then(() => {
      if (this.writes.get(c.ID) === write) this.writes.delete(c.ID);
    });
    return write;
  }

  /** Every record write begun so far is done (at shutdown). */
  async flush(): Promise<void> {
    while (this.writes.size) await Promise.all(this.writes.values());
  }

  private index(c: Container): void {
    const old = this.byId.get(c.ID);
    if (old && old.Name !== c.Name) this.byName.delete(old.Name);
    this.byId.set(c.ID, c);
    this.byName.set(c.Name, c.ID);
    this.reserved.delete(c.Name);
  }

  /**
   * Takes a name for a create in progress, at once (in the same tick as
   * the check, so two concurrent creates never both get it); release()
   * gives it back if the create fails, save() makes it the container's.
   */
  reserveName(name: string, id: string): void {
    this.checkNameFree(name);
    this.reserved.set(`/${name}`, id);
  }

  releaseName(name: string): void {
    this.reserved.delete(`/${name}`);
  }

  /** The name is free, or the error Docker gives when it is not. */
  checkNameFree(name: string): void {
    const holder = this.byName.get(`/${name}`) ?? this.reserved.get(`/${name}`);
    if (holder) {
      throw new EngineError('Conflict', 'NAME_IN_USE', `Conflict. The container name "/${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    }
  }

  nameInUse(name: string): boolean {
    return this.byName.has(`/${name}`) || this.reserved.has(`/${name}`);
  }

  async remove(id: string): Promise<void> {
    const c = this.byId.get(id);
    if (c) this.byName.delete(c.Name);
    this.byId.delete(id);
    await this.writes.get(id); // a record write still under way would find its directory gone
    removeInBackground(this.dir(id), join(this.root, `${TRASH}${id}`));
  }

  list(): Container[] {
    return [...this.byId.values()];
  }

  get(id: string): Container | undefined {
    return this.byId.get(id);
  }

  resolve(ref: string): Container {
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const named = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (named) return this.byId.get(named)!;
    if (/^[0-9a-f]+$/.test(ref)) {
      const matches = [...this.byId.keys()].filter((id) => id.startsWith(ref));
      if (matches.length === 1) return this.byId.get(matches[0]!)!;
      if (matches.length > 1) throw new EngineError('InvalidArgument', 'AMBIGUOUS_ID', `multiple IDs found with provided prefix: ${ref}`);
    }
    throw noSuchContainer(ref);
  }
}
