import { closeSync, constants, openSync, readSync } from 'node:fs';
import { EngineError } from '../../errors/engine-error.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from './tar-header.js';

/**
 * Serialises entries into a tar stream. Content is read from the file named
 * by `source`, synchronously in chunks of up to CHUNK bytes (one read each;
 * the consumer's back-pressure paces the generator). Regular files that
 * share an inode become, after the first, hardlink entries to the first
 * one's name: hardlinks inside a layer survive the round trip.
 */

export interface TarItem {
  header: TarHeader;
  /** Where a regular file's content is read from. */
  source?: string;
  /** "dev:ino" of a regular file with more than one link, to find its other names. */
  inode?: string;
}

const CHUNK = 1 << 20;

function* fileContent(path: string, size: number, name: string): Generator<Buffer> {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    for (let left = size; left > 0; ) {
      const buf = Buffer.allocUnsafe(Math.min(left, CHUNK));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) {
        throw new EngineError('Conflict', 'LAYER_FILE_CHANGED', `read ${JSON.stringify(name)}: it shrank while being archived (${size - left} of ${size} bytes)`, {
          hint: 'stop or pause the container before committing it',
        });
      }
      left -= n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** The archive's bytes: each entry's header (and content), then the end-of-archive marker. */
export function* writeTar(items: Iterable<TarItem>): Generator<Buffer> {
  const firstName = new Map<string, string>();
  for (const item of items) {
    let h = item.header;
    if (h.type === 'file' && item.inode !== undefined) {
      const first = firstName.get(item.inode);
      if (first === undefined) firstName.set(item.inode, h.name);
      else h = { ...h, type: 'hardlink', linkname: first, size: 0 };
    }
    yield encodeHeader(h);
    if (h.type === 'file' && h.size > 0) {
      if (item.source === undefined) throw new Error(`tar item ${h.name} has a size but no source`);
      yield* fileContent(item.source, h.size, h.name);
      yield padding(h.size);
    }
  }
  yield END_OF_ARCHIVE;
}
