import { lstatSync, renameSync, type Stats } from 'node:fs';
import { rm } from 'node:fs/promises';
import { errnoOf } from '../errors/engine-error.js';

/** lstat, or undefined where nothing is (ENOENT); any other failure is thrown. */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Takes a directory out of sight at once (a rename to `trash`, on the same
 * filesystem) and deletes it in the background, off the event loop: a
 * removal's caller need not wait for a tree's unlinks. Returns the
 * deletion (it never rejects: a failure goes to onError), or undefined when
 * there was nothing at `path`. A deletion cut short by a crash leaves
 * `trash`, which the owner's start-up sweep removes.
 */
export function removeInBackground(path: string, trash: string, onError: (err: Error) => void = () => undefined): Promise<void> | undefined {
  try {
    renameSync(path, trash);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw err;
  }
  return rm(trash, { recursive: true, force: true }).catch(onError);
}
