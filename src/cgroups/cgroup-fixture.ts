import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EngineError } from '../errors/engine-error.js';
import { CgroupDir } from '../sys/cgroupfs.js';

/**
 * Test support for the controller files (imported by *.test.ts only): a
 * cgroup directory built in a temp dir with the control files the kernel
 * would have, that records every write and can refuse writes the way the
 * kernel does.
 */

/** Decides whether the "kernel" refuses a write: an errno name, or undefined to let it through. */
export type Refusal = (file: string, value: string, dir: FixtureDir) => string | undefined;

export class FixtureDir extends CgroupDir {
  /** [file, value] of every write that went through, in order. */
  readonly writes: [string, string][] = [];
  refuse: Refusal | undefined;

  override write(name: string, value: string | number, setting?: string): void {
    const text = String(value);
    // cgroupfs has no room for new files: writing one it lacks fails (EACCES
    // there), where a plain directory would quietly create it.
    const errno = this.has(name) ? this.refuse?.(name, text, this) : 'EACCES';
    if (errno) {
      const cause = Object.assign(new Error(`${errno}: write ${name}`), { code: errno });
      const from = setting ? ` (${setting})` : '';
      throw new EngineError('InvalidArgument', 'CGROUP_WRITE', `${name}: cannot set ${JSON.stringify(text)}${from} in ${this.path}: refused by the test kernel [${errno}]`, { cause });
    }
    super.write(name, value, setting);
    this.writes.push([name, text]);
  }

  /** As the kernel takes them: one value a write, in order (a plain file would keep only the last). */
  override writeAll(values: { name: string; value: string | number; setting?: string }[]): void {
    for (const { name, value, setting } of values) this.write(name, value, setting);
  }

  /** A control file's whole content. */
  content(name: string): string {
    return readFileSync(this.file(name), 'utf8');
  }

  /** The values written to one file, in order. */
  writesTo(name: string): string[] {
    return this.writes.filter(([f]) => f === name).map(([, v]) => v);
  }
}

const roots: string[] = [];

/**
 * A tree of control files under a fresh temp dir; keys are paths relative to
 * it ("cpuset.cpus", "a/b/cpuset.cpus"). Returns the root's path.
 */
export function fixtureTree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'berth-cgroup-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return root;
}

/** One cgroup directory holding these control files, less those in `omit` (what an older or differently built kernel lacks). */
export function cgroupFixture(files: Record<string, string>, omit: string[] = []): FixtureDir {
  const kept = Object.entries(files).filter(([f]) => !omit.includes(f));
  const root = fixtureTree(Object.fromEntries(kept.map(([f, c]) => [join('c', f), c])));
  mkdirSync(join(root, 'c'), { recursive: true });
  return new FixtureDir(join(root, 'c'));
}

/** Removes every fixture made so far: pass to node:test's after(). */
export function removeFixtures(): void {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
}

/** Runs fn and returns the EngineError it throws (failing the test when it throws none or something else). */
export function engineErrorOf(fn: () => void): EngineError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EngineError) return err;
    throw err;
  }
  throw new Error('expected an EngineError, got none');
}
