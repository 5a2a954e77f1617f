import { posix } from 'node:path';

/**
 * Go's path rules (path/filepath on Linux) as `docker cp` applies them on
 * both sides of a copy. Node's posix helpers differ in small ways that
 * change results: Node keeps a trailing slash where Go's Clean drops it,
 * and Node's dirname("/a/") is "/" where Go's Dir gives "/a". Pure
 * functions, no file system.
 */

/** filepath.Clean: the shortest equivalent path; no trailing slash but for "/". */
export function goClean(path: string): string {
  if (path === '') return '.';
  const n = posix.normalize(path);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** filepath.Base: the last element, trailing slashes ignored; "." for "", "/" for slashes only. */
export function goBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** filepath.Dir: everything but the last element, cleaned. */
export function goDir(path: string): string {
  const i = path.lastIndexOf('/');
  return goClean(path.slice(0, i + 1));
}

/** filepath.Join: the elements joined and cleaned; empty ones ignored. */
export function goJoin(...parts: string[]): string {
  const kept = parts.filter((p) => p !== '');
  return kept.length === 0 ? '' : goClean(kept.join('/'));
}

/** The path names a directory's contents: its last element is ".". */
export function specifiesCurrentDir(path: string): boolean {
  return goBase(path) === '.';
}

export function hasTrailingSeparator(path: string): boolean {
  return path.length > 0 && path.endsWith('/');
}

/** docker's PreserveTrailingDotOrSeparator: a cleaned path keeps the "/." or "/" its original ended with. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(out) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += '/';
    out += '.';
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/** docker's SplitPathDirEntry: the parent and the entry, "/." kept as the entry ".". */
export function splitPathDirEntry(path: string): { dir: string; base: string } {
  let cleaned = goClean(path);
  if (specifiesCurrentDir(path)) cleaned += '/.';
  return { dir: goDir(cleaned), base: goBase(cleaned) };
}

/** Go's strings.Replace(s, old, new, 1). */
export function replaceFirst(s: string, old: string, replacement: string): string {
  if (old === '') return replacement + s;
  const i = s.indexOf(old);
  return i < 0 ? s : s.slice(0, i) + replacement + s.slice(i + old.length);
}
