import { EngineError } from '../../errors/engine-error.js';
import { encodeHeader, END_OF_ARCHIVE, padding, type TarHeader } from '../../snapshot/layer/tar-header.js';

/**
 * Writes an image archive (not a layer: layers are blobs inside it) as a
 * stream. Members are directories and regular files whose bytes come from
 * memory or from a stream of known length — a blob from the content store
 * — so a multi-gigabyte save needs memory for one chunk. A stream that
 * yields more or fewer bytes than announced fails the archive instead of
 * shifting every member after it.
 */

export interface OutMember {
  name: string;
  type: 'dir' | 'file';
  /** seconds since the epoch */
  mtime: number;
  /** the bytes, or their size and a function that opens them */
  data?: Buffer;
  size?: number;
  open?: () => Promise<AsyncIterable<Uint8Array>>;
}

function header(m: OutMember, size: number): TarHeader {
  return {
    name: m.name,
    type: m.type,
    mode: m.type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    size,
    mtime: m.mtime,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: new Map(),
  };
}

export async function* writeArchive(members: Iterable<OutMember>): AsyncGenerator<Buffer> {
  for (const m of members) {
    if (m.type === 'dir') {
      yield encodeHeader(header(m, 0));
      continue;
    }
    const size = m.data?.length ?? m.size ?? 0;
    yield encodeHeader(header(m, size));
    if (m.data) {
      yield m.data;
    } else if (m.open) {
      let seen = 0;
      for await (const chunk of await m.open()) {
        seen += chunk.length;
        if (seen > size) break;
        yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      }
      if (seen !== size) {
        throw new EngineError('Internal', 'BLOB_SIZE_CHANGED', `write archive member ${JSON.stringify(m.name)}: the blob has ${seen > size ? 'more' : 'fewer'} bytes than the ${size} it was stored with`, {
          hint: 'the content store was changed outside berth',
        });
      }
    }
    yield padding(size);
  }
  yield END_OF_ARCHIVE;
}
