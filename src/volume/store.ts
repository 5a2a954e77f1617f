import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import { writeFileAtomic } from '../lib/atomic-write.js';

/** A volume as `docker volume inspect` shows it. */
export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Scope: 'local';
  Options: Record<string, string>;
  /** berth's own: made for one container without a name (removed with it by --rm and rm -v) */
  Anonymous?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/**
 * The local volume driver, on Docker's layout:
 *
 *   <root>/<name>/_data         the volume's files (what containers mount)
 *   <root>/<name>/volume.json   its record (berth's; Docker keeps a bolt db)
 *
 * Which containers use a volume is the engine's knowledge, passed in where
 * it matters (remove, prune).
 */
export class VolumeStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o701 });
  }

  private recordPath(name: string): string {
    return join(this.root, name, 'volume.json');
  }

  /** `docker volume create`: an existing volume of that name is returned as it is, as Docker does. */
  create(name: string | undefined, opts: { labels?: Record<string, string>; driver?: string; driverOpts?: Record<string, string>; anonymous?: boolean } = {}): Volume {
    if (opts.driver && opts.driver !== 'local') {
      throw new EngineError('NotFound', 'NO_SUCH_DRIVER', `error looking up volume plugin ${opts.driver}: plugin "${opts.driver}" not found`, { hint: 'berth has the local driver only' });
    }
    if (opts.driverOpts && Object.keys(opts.driverOpts).length > 0) {
      throw new EngineError('NotImplemented', 'VOLUME_OPTS', `volume options ${Object.keys(opts.driverOpts).join(', ')} are not supported`, { hint: 'the local driver makes plain directories; bind-mount a host path instead' });
    }
    const volName = name ?? randomBytes(32).toString('hex');
    if (!NAME.test(volName)) {
      throw new EngineError('InvalidArgument', 'INVALID_VOLUME_NAME', `create ${volName}: "${volName}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    }
    const existing = this.get(volName);
    if (existing) return existing;
    const dir = join(this.root, volName);
    mkdirSync(join(dir, '_data'), { recursive: true, mode: 0o755 });
    const v: Volume = {
      Name: volName,
      Driver: 'local',
      Mountpoint: join(dir, '_data'),
      CreatedAt: new Date().toISOString(),
      Labels: opts.labels ?? {},
      Scope: 'local',
      Options: {},
      ...(opts.anonymous ? { Anonymous: true } : {}),
    };
    writeFileAtomic(this.recordPath(volName), JSON.stringify(v));
    return v;
  }

  get(name: string): Volume | undefined {
    if (!NAME.test(name)) return undefined;
    try {
      return JSON.parse(readFileSync(this.recordPath(name), 'utf8')) as Volume;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return undefined;
      throw err;
    }
  }

  inspect(name: string): Volume {
    const v = this.get(name);
    if (!v) throw new EngineError('NotFound', 'NO_SUCH_VOLUME', `get ${name}: no such volume`);
    return v;
  }

  list(): Volume[] {
    return readdirSync(this.root)
      .map((n) => this.get(n))
      .filter((v): v is Volume => v !== undefined);
  }

  /** Removes a volume no container uses (`usedBy`: the IDs of those that do). */
  remove(name: string, usedBy: string[], force = false): void {
    const v = this.get(name);
    if (!v) {
      if (force) return;
      throw new EngineError('NotFound', 'NO_SUCH_VOLUME', `get ${name}: no such volume`);
    }
    if (usedBy.length > 0) {
      throw new EngineError('Conflict', 'VOLUME_IN_USE', `remove ${name}: volume is in use - [${usedBy.join(', ')}]`);
    }
    rmSync(join(this.root, name), { recursive: true, force: true });
  }

  /** Whether the volume's directory has nothing in it (a new volume is filled from the image only then). */
  isEmpty(name: string): boolean {
    try {
      return readdirSync(join(this.root, name, '_data')).length === 0;
    } catch {
      return true;
    }
  }

  /** Bytes used, for `system df` and `volume ls` sizes. */
  usage(name: string): number {
    let total = 0;
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) walk(p);
        else if (entry.isFile()) total += statSync(p).size;
      }
    };
    try {
      walk(join(this.root, name, '_data'));
    } catch {
      // removed meanwhile
    }
    return total;
  }
}
