import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * HOME for a process whose env has none, as runc and docker set it: the
 * user's home in the container's /etc/passwd, else "/". The file is opened
 * without following symlinks, so an image cannot point it at a host file.
 */
export function homeFor(rootfs: string, uid: number): string {
  let text: string;
  try {
    const dirFd = openSync(join(rootfs, 'etc'), constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
    closeSync(dirFd);
    const fd = openSync(join(rootfs, 'etc', 'passwd'), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      if (!fstatSync(fd).isFile()) return '/';
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return '/';
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && Number(f[2]) === uid && f[2] !== '') return f[5] || '/';
  }
  return '/';
}

/** env with HOME added when it lacks one. */
export function withHome(env: string[] | undefined, rootfs: string, uid: number): string[] {
  const list = env ?? [];
  return list.some((e) => e.startsWith('HOME=')) ? list : [...list, `HOME=${homeFor(rootfs, uid)}`];
}
