import { lstatSync, type Stats } from 'node:fs';
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
