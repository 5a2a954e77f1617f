import { EngineError } from '../../errors/engine-error.js';
import { readFileInRoot } from './in-root.js';

/**
 * `docker run -u` → the container process's uid, gid and supplementary
 * groups, read from the container's own /etc/passwd and /etc/group as
 * dockerd does (runc's libcontainer/user GetExecUser, then moby's getUser):
 *
 * - "" (the image's default) is uid 0; "name" or "uid"; "name:group",
 *   "uid:gid" and mixes. A number is always an id, never a name.
 * - A numeric id with no entry is fine (gid 0 for a uid without one); an
 *   unknown name is an error.
 * - Without an explicit group, the supplementary groups are those that list
 *   the user's name as a member; with one, there are none.
 * - additionalGids: the primary gid first, then those groups, then
 *   --group-add (names or numbers), as dockerd 20.10 writes them.
 */

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  /** the passwd entry's home directory, if the user has one */
  home?: string;
}

const MAX_ID = 2 ** 31 - 1;

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** Go's strconv.Atoi: optional sign and decimal digits only. */
function atoi(text: string): number | undefined {
  return /^[+-]?\d+$/.test(text) ? Number(text) : undefined;
}

/** A number field as libcontainer reads it: what does not parse is 0. */
const field = (text: string | undefined): number => atoi(text ?? '') ?? 0;

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split(':');
    out.push({ name: f[0] ?? '', uid: field(f[2]), gid: field(f[3]), home: f[5] ?? '' });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const f = line.split(':');
    out.push({ name: f[0] ?? '', gid: field(f[2]), members: f[3] ? f[3].split(',') : [] });
  }
  return out;
}

function rangeError(): EngineError {
  return new EngineError('InvalidArgument', 'USER_ID_RANGE', `uids and gids must be in range 0-${MAX_ID}`);
}

/**
 * The same resolution from the two files' text (undefined: the file does
 * not exist). Pure, for tests and for callers that read the files themselves.
 */
export function resolveUserFrom(passwd: string | undefined, group: string | undefined, userSpec: string, groupAdd: readonly string[] = []): ResolvedUser {
  const [userArg = '', groupArg = ''] = userSpec.split(':');
  const uidArg = atoi(userArg);
  const gidArg = atoi(groupArg);
  const users = passwd === undefined ? [] : parsePasswd(passwd);
  const match = users.find((u) => (userArg === '' ? u.uid === 0 : uidArg !== undefined ? u.uid === uidArg : u.name === userArg));

  let uid = 0;
  let gid = 0;
  let home: string | undefined;
  if (match) {
    ({ uid, gid, home } = match);
  } else if (userArg !== '') {
    if (uidArg === undefined) {
      throw new EngineError('InvalidArgument', 'NO_SUCH_USER', `unable to find user ${userArg}: no matching entries in passwd file`, {
        hint: "the user must exist in the image's /etc/passwd, or be given as a number",
      });
    }
    if (uidArg < 0 || uidArg > MAX_ID) throw rangeError();
    uid = uidArg;
  }

  let sgids: number[] = [];
  if (groupArg !== '' || match) {
    const groups = group === undefined ? [] : parseGroup(group);
    if (groupArg !== '') {
      const g = groups.find((e) => (gidArg !== undefined ? e.gid === gidArg : e.name === groupArg));
      if (g) {
        gid = g.gid;
      } else {
        if (gidArg === undefined) {
          throw new EngineError('InvalidArgument', 'NO_SUCH_GROUP', `unable to find group ${groupArg}: no matching entries in group file`, {
            hint: "the group must exist in the image's /etc/group, or be given as a number",
          });
        }
        if (gidArg < 0 || gidArg > MAX_ID) throw rangeError();
        gid = gidArg;
      }
    } else if (match) {
      sgids = groups.filter((g) => g.members.includes(match.name)).map((g) => g.gid);
    }
  }

  const out: ResolvedUser = { uid, gid, additionalGids: [gid, ...sgids, ...additionalGroups(group, groupAdd)] };
  if (home !== undefined) out.home = home;
  return out;
}

/** --group-add: each name or number once, in the order given. */
function additionalGroups(group: string | undefined, wanted: readonly string[]): number[] {
  if (wanted.length === 0) return [];
  const groups = group === undefined ? [] : parseGroup(group);
  const seen = new Set<number>();
  for (const ag of wanted) {
    const g = groups.find((e) => (e.name === ag || String(e.gid) === ag) && !seen.has(e.gid));
    if (g) {
      seen.add(g.gid);
      continue;
    }
    const n = atoi(ag);
    if (n === undefined) {
      throw new EngineError('InvalidArgument', 'NO_SUCH_GROUP', `Unable to find group ${ag}: no matching entries in group file`, {
        hint: "--group-add takes a group of the image's /etc/group, or a number",
      });
    }
    if (n < 0 || n > MAX_ID) throw rangeError();
    seen.add(n);
  }
  return [...seen];
}

/**
 * Resolves `userSpec` (Config.User) and `groupAdd` (HostConfig.GroupAdd)
 * against <rootfs>/etc/passwd and <rootfs>/etc/group, read without
 * following any symlink out of the root.
 */
export function resolveUser(rootfs: string, userSpec: string | undefined, groupAdd?: readonly string[] | null): ResolvedUser {
  return resolveUserFrom(readFileInRoot(rootfs, '/etc/passwd'), readFileInRoot(rootfs, '/etc/group'), userSpec ?? '', groupAdd ?? []);
}
