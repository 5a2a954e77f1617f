import { EngineError } from '../../errors/engine-error.js';

/**
 * Tar headers, both ways: the 512-byte ustar block (and its GNU and v7
 * variants on reading) and PAX extended records. Written here rather than
 * taken from tar-stream because layers carry file capabilities as PAX
 * `SCHILY.xattr.security.capability` records whose values are raw bytes,
 * and tar-stream reads and writes PAX values as UTF-8 text, which mangles
 * them; and because the writer must be deterministic to the byte (equal
 * trees give equal layer digests). Pure functions: no streams, no disk.
 */

export const BLOCK = 512;

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo';

/** One archive entry's metadata, after PAX records and GNU long names are merged in. */
export interface TarHeader {
  name: string;
  type: TarType;
  /** Permission bits with setuid, setgid and sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Bytes of content: regular files only; 0 for every other type. */
  size: number;
  /** Seconds since the epoch (whole: layers keep no sub-second times, as Docker's do not). */
  mtime: number;
  /** A symlink's target, or the archive name a hardlink points to. */
  linkname: string;
  devmajor: number;
  devminor: number;
  /** Extended attributes from SCHILY.xattr.* records, values as raw bytes. */
  xattrs: Map<string, Buffer>;
}

/** A header block as it stands, before PAX or GNU long-name records apply. */
export interface RawHeader {
  typeflag: string;
  name: string;
  linkname: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  devmajor: number;
  devminor: number;
}

export function corrupt(offset: number, why: string): EngineError {
  return new EngineError('InvalidArgument', 'TAR_CORRUPT', `corrupt tar archive at byte ${offset}: ${why}`, {
    hint: 'the archive is damaged, truncated, or not a tar file',
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes up to the first NUL, as UTF-8 (names in layers are UTF-8; other encodings are refused, not guessed). */
export function decodeName(bytes: Buffer, offset: number, what: string): string {
  const end = bytes.indexOf(0);
  try {
    return utf8.decode(end < 0 ? bytes : bytes.subarray(0, end));
  } catch {
    throw new EngineError('NotImplemented', 'TAR_NAME_ENCODING', `tar archive at byte ${offset}: ${what} is not valid UTF-8`, {
      hint: 'names in layer archives must be UTF-8',
    });
  }
}

/** A numeric field: octal ASCII (space/NUL padded) or GNU base-256 (high bit set). */
function numeric(field: Buffer, offset: number, what: string, signed = false): number {
  if (field.length > 0 && (field[0]! & 0x80) !== 0) {
    const negative = (field[0]! & 0x40) !== 0;
    if (negative && !signed) throw corrupt(offset, `negative ${what}`);
    const inv = negative ? 0xff : 0;
    let value = 0;
    for (let i = 0; i < field.length; i++) {
      let byte = field[i]! ^ inv;
      if (i === 0) byte &= 0x7f;
      value = value * 256 + byte;
      if (value > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `${what} is too large`);
    }
    return negative ? -(value + 1) : value;
  }
  const text = field.toString('latin1').replace(/^[ \0]+|[ \0]+$/g, '');
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw corrupt(offset, `${what} is not a number (${JSON.stringify(text)})`);
  const value = parseInt(text, 8);
  if (value > Number.MAX_SAFE_INTEGER) throw corrupt(offset, `${what} is too large`);
  return value;
}

/**
 * Decodes a header block at the given archive offset; null for an
 * all-zero block (the end-of-archive marker). The checksum is checked as
 * both unsigned and signed sums, since old writers used either.
 */
export function decodeHeader(block: Buffer, offset: number): RawHeader | null {
  if (block.length !== BLOCK) throw corrupt(offset, 'short header block');
  let unsigned = 0;
  let signed = 0;
  let zero = true;
  for (let i = 0; i < BLOCK; i++) {
    const b = i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (block[i] !== 0) zero = false;
    unsigned += b;
    signed += b >= 0x80 ? b - 0x100 : b;
  }
  if (zero) return null;
  const stored = numeric(block.subarray(148, 156), offset, 'header checksum');
  if (stored !== unsigned && stored !== signed) throw corrupt(offset, `header checksum mismatch (stored ${stored}, computed ${unsigned})`);

  const magic = block.toString('latin1', 257, 265);
  let name = decodeName(block.subarray(0, 100), offset, 'the name');
  // ustar (POSIX) splits long names in a prefix field; GNU uses those bytes for other things
  if (magic.startsWith('ustar\0') && block[345] !== 0) {
    name = `${decodeName(block.subarray(345, 500), offset, 'the name prefix')}/${name}`;
  }
  let typeflag = String.fromCharCode(block[156]!);
  if (typeflag === '\0') typeflag = '0';
  return {
    typeflag,
    name,
    linkname: decodeName(block.subarray(157, 257), offset, 'the link name'),
    mode: numeric(block.subarray(100, 108), offset, 'mode'),
    uid: numeric(block.subarray(108, 116), offset, 'uid'),
    gid: numeric(block.subarray(116, 124), offset, 'gid'),
    size: numeric(block.subarray(124, 136), offset, 'size'),
    mtime: numeric(block.subarray(136, 148), offset, 'mtime', true),
    devmajor: numeric(block.subarray(329, 337), offset, 'device major'),
    devminor: numeric(block.subarray(337, 345), offset, 'device minor'),
  };
}

/** PAX records ("<len> <key>=<value>\n"), values kept as bytes. */
export function decodePax(data: Buffer, offset: number): Map<string, Buffer> {
  const records = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const digits = space < 0 ? '' : data.toString('latin1', pos, space);
    if (!/^[1-9][0-9]{0,8}$/.test(digits)) throw corrupt(offset, 'malformed PAX record length');
    const len = Number(digits);
    const end = pos + len;
    if (end > data.length || end <= space + 1 || data[end - 1] !== 0x0a) throw corrupt(offset, 'malformed PAX record');
    const eq = data.indexOf(0x3d, space + 1);
    if (eq < 0 || eq >= end - 1 || eq === space + 1) throw corrupt(offset, 'PAX record without a key');
    const key = decodeName(data.subarray(space + 1, eq), offset, 'a PAX key');
    records.set(key, Buffer.from(data.subarray(eq + 1, end - 1)));
    pos = end;
  }
  return records;
}

// ---- writing ----

const MAX_OCTAL = (digits: number): number => 8 ** digits - 1;
/** Only ASCII without NUL fits a ustar field as written. */
function ascii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0 || c > 0x7f) return false;
  }
  return true;
}

function writeOctal(block: Buffer, at: number, len: number, value: number): void {
  block.write(value.toString(8).padStart(len - 1, '0'), at, len - 1, 'latin1');
  block[at + len - 1] = 0;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

/** name/prefix for a ustar header, or undefined when the name needs a PAX path record. */
function splitUstarName(name: string): [string, string] | undefined {
  if (!ascii(name)) return undefined;
  if (name.length <= 100) return ['', name];
  for (let i = name.indexOf('/'); i >= 0 && i <= 155; i = name.indexOf('/', i + 1)) {
    const rest = name.slice(i + 1);
    if (rest.length > 0 && rest.length <= 100) return [name.slice(0, i), rest];
  }
  return undefined;
}

const TYPEFLAG: Record<TarType, string> = { file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6' };

function ustarBlock(h: { name: string; prefix: string; typeflag: string; mode: number; uid: number; gid: number; size: number; mtime: number; linkname: string; devmajor: number; devminor: number }): Buffer {
  const block = Buffer.alloc(BLOCK);
  block.write(h.name, 0, 100, 'utf8');
  writeOctal(block, 100, 8, h.mode);
  writeOctal(block, 108, 8, h.uid);
  writeOctal(block, 116, 8, h.gid);
  writeOctal(block, 124, 12, h.size);
  writeOctal(block, 136, 12, h.mtime);
  block.write(h.typeflag, 156, 1, 'latin1');
  block.write(h.linkname, 157, 100, 'utf8');
  block.write('ustar\x0000', 257, 8, 'latin1');
  // uname and gname stay empty: owners are numeric, and names would make equal trees differ by host
  writeOctal(block, 329, 8, h.devmajor);
  writeOctal(block, 337, 8, h.devminor);
  block.write(h.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(sum.toString(8).padStart(6, '0'), 148, 6, 'latin1');
  block[154] = 0;
  block[155] = 0x20;
  return block;
}

/** Zero bytes that pad `size` bytes of content to a whole block. */
export function padding(size: number): Buffer {
  const rest = size % BLOCK;
  return rest === 0 ? Buffer.alloc(0) : Buffer.alloc(BLOCK - rest);
}

/** Two zero blocks: the end of an archive. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/**
 * The header block(s) of an entry, deterministic to the byte: a ustar
 * header, preceded by a PAX extended header when a value does not fit
 * ustar (a long or non-ASCII name or link, large ids, sizes or times) or
 * the entry has xattrs. PAX records are sorted by key; uname and gname
 * are empty; times are whole seconds.
 */
export function encodeHeader(h: TarHeader): Buffer {
  const name = h.type === 'dir' && !h.name.endsWith('/') ? `${h.name}/` : h.name;
  const size = h.type === 'file' ? h.size : 0;
  const pax = new Map<string, Buffer>();
  const split = splitUstarName(name);
  if (!split) pax.set('path', Buffer.from(name));
  const linkFits = ascii(h.linkname) && h.linkname.length <= 100;
  if (!linkFits) pax.set('linkpath', Buffer.from(h.linkname));
  const fits = (key: string, value: number, digits: number): number => {
    if (value >= 0 && value <= MAX_OCTAL(digits)) return value;
    pax.set(key, Buffer.from(String(value)));
    return 0;
  };
  const uid = fits('uid', h.uid, 7);
  const gid = fits('gid', h.gid, 7);
  const sizeField = fits('size', size, 11);
  const mtime = fits('mtime', h.mtime, 11);
  for (const [key, value] of h.xattrs) pax.set(`SCHILY.xattr.${key}`, value);

  const main = ustarBlock({
    name: split ? split[1] : [...name].map((c) => (ascii(c) ? c : '_')).join('').slice(-100),
    prefix: split ? split[0] : '',
    typeflag: TYPEFLAG[h.type],
    mode: h.mode & 0o7777,
    uid,
    gid,
    size: sizeField,
    mtime,
    linkname: linkFits ? h.linkname : '',
    devmajor: h.type === 'char' || h.type === 'block' ? h.devmajor : 0,
    devminor: h.type === 'char' || h.type === 'block' ? h.devminor : 0,
  });
  if (pax.size === 0) return main;
  const keys = [...pax.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const records = Buffer.concat(keys.map((k) => paxRecord(k, pax.get(k)!)));
  const paxHeader = ustarBlock({ name: 'PaxHeader', prefix: '', typeflag: 'x', mode: 0o644, uid: 0, gid: 0, size: records.length, mtime: 0, linkname: '', devmajor: 0, devminor: 0 });
  return Buffer.concat([paxHeader, records, padding(records.length), main]);
}
