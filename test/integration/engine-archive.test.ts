/**
 * commit, diff, export and cp end to end: bin/berth against a private
 * berthd (root), with a busybox image imported from the host's static
 * busybox. cp's point is that a path inside a container is resolved inside
 * it: the containers here carry symlinks to /etc and to ../../../../, and
 * every copy through them must read or write the container's files, never
 * the host's — running (through its mount) and stopped (mounted for the
 * copy, unmounted after). Everything made here has a bth prefix and goes
 * at the end; no mount may stay behind.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readMountInfo } from '../../src/sys/mountinfo.js';
import { startBerthd, type Run, type TestDaemon } from '../helpers/berthd.js';
import { busyboxRootfs, REPO, uniqueId } from '../helpers/bundle.js';
import { runInPty } from '../helpers/pty.js';
import { missing } from '../helpers/requirements.js';

const skip = missing('root');

/** The files of a tar: name → type, mode, owner, size, link target and a hash of the content (no times). */
function listing(archive: Buffer, ignore: (name: string) => boolean = () => false): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'bth-arc-list-'));
  try {
    execFileSync('tar', ['-C', dir, '--numeric-owner', '-xpf', '-'], { input: archive, maxBuffer: 1 << 28 });
    return treeListing(dir, ignore);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A local tree as name → description (hardlinked files share an inode number among their group). */
function treeListing(root: string, ignore: (name: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  const inodes = new Map<number, string>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (ignore(r)) continue;
      const p = join(root, r);
      const st = lstatSync(p);
      let what = `${(st.mode & 0o170000).toString(8)} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) what += ` -> ${readlinkSync(p)}`;
      else if (st.isFile()) {
        what += ` ${st.size} ${createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 12)}`;
        if (st.nlink > 1) {
          if (!inodes.has(st.ino)) inodes.set(st.ino, r);
          what += ` link-group=${inodes.get(st.ino)}`;
        }
      }
      out.set(r, what);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

const tarFileContent = (archive: Buffer, name: string): string => execFileSync('tar', ['-xOf', '-', name], { input: archive }).toString();

describe('engine archive: commit, diff, export and cp against berthd', { skip }, () => {
  let d: TestDaemon;
  let work: string;
  const names: string[] = [];
  const images: string[] = [];
  const name = (): string => {
    const n = uniqueId('bth-arc');
    names.push(n);
    return n;
  };
  const berth = (args: string[], input?: string | Buffer): Run => d.berth(args, input === undefined ? {} : { input });
  const ok = (args: string[], input?: string | Buffer): string => {
    const r = berth(args, input);
    assert.equal(r.status, 0, `berth ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${d.log().slice(-2000)}`);
    return r.stdout;
  };
  const bytes = (args: string[]): Buffer => Buffer.from(ok(args), 'latin1');
  const fails = (args: string[], stderr: string | RegExp, input?: string | Buffer): void => {
    const r = berth(args, input);
    assert.equal(r.status, 1, `berth ${args.join(' ')} should fail: ${r.stdout}${r.stderr}`);
    if (typeof stderr === 'string') assert.equal(r.stderr, stderr);
    else assert.match(r.stderr, stderr);
  };
  /** A container with the escape symlinks, left running or stopped. */
  const trap = (running: boolean, extra: string[] = []): string => {
    const n = name();
    const setup = [
      'echo container-shadow > /etc/shadow',
      'mkdir -p /tmp/d/sub',
      'echo hi > /tmp/d/f',
      'ln -s /etc /tmp/hostetc',
      'ln -s ../../../../ /tmp/up',
      'ln -s /work /tmp/w',
      'echo v > /vol/inv',
      'touch /tmp/ready',
    ].join('; ');
    if (running) {
      ok(['run', '-d', '--name', n, '-v', `${n}-vol:/vol`, ...extra, 'bth-arc-bb', 'sh', '-c', `${setup}; exec sleep 1000`]);
      for (let i = 0; i < 100 && berth(['exec', n, 'test', '-e', '/tmp/ready']).status !== 0; i++) execFileSync('sleep', ['0.05']);
    } else {
      ok(['run', '--name', n, '-v', `${n}-vol:/vol`, ...extra, 'bth-arc-bb', 'sh', '-c', setup]);
    }
    return n;
  };
  const archiveMounts = (): string[] => readMountInfo('self').map((m) => m.mountPoint).filter((p) => p.startsWith(join(d.execRoot, 'archive')));

  before(async () => {
    d = await startBerthd('archive');
    work = mkdtempSync(join(tmpdir(), 'bth-arc-'));
    execFileSync('tar', ['-C', busyboxRootfs(), '-cf', join(work, 'busybox.tar'), '.']);
    ok(['import', '-c', 'CMD ["sh"]', join(work, 'busybox.tar'), 'bth-arc-bb']);
    images.push('bth-arc-bb');
  });

  after(async () => {
    for (const n of names) berth(['rm', '-f', '-v', n]);
    for (const n of names) berth(['volume', 'rm', '-f', `${n}-vol`]);
    for (const i of images.reverse()) berth(['rmi', '-f', i]);
    const left = d ? archiveMounts() : [];
    await d?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    assert.deepEqual(left, [], 'no archive mount stays behind');
  });

  for (const running of [true, false]) {
    const state = running ? 'running' : 'stopped';

    it(`cp out of a ${state} container reads the container's files through its symlinks, never the host's`, () => {
      const c = trap(running);
      assert.equal(tarFileContent(bytes(['cp', `${c}:/tmp/hostetc/shadow`, '-']), 'shadow'), 'container-shadow\n');
      assert.equal(tarFileContent(bytes(['cp', `${c}:/tmp/up/etc/shadow`, '-']), 'shadow'), 'container-shadow\n');
      assert.equal(tarFileContent(bytes(['cp', `${c}:/tmp/up/../../etc/shadow`, '-']), 'shadow'), 'container-shadow\n');
      // the host has /work and /etc/ssh; the container has neither
      fails(['cp', `${c}:/tmp/w/package.json`, '-'], `Error: No such container:path: ${c}:/tmp/w/package.json\n`);
      fails(['cp', `${c}:/tmp/hostetc/ssh`, '-'], `Error: No such container:path: ${c}:/tmp/hostetc/ssh\n`);
      // the symlink itself, and followed with -L: the container's /etc
      const out = join(work, `${c}-out`);
      mkdirSync(out);
      ok(['cp', `${c}:/tmp/hostetc`, join(out, 'link')]);
      assert.equal(readlinkSync(join(out, 'link')), '/etc');
      ok(['cp', '-L', `${c}:/tmp/hostetc`, join(out, 'followed')]);
      assert.equal(readFileSync(join(out, 'followed', 'shadow'), 'utf8'), 'container-shadow\n');
      ok(['cp', `${c}:/tmp/up/etc/`, join(out, 'etc')]);
      assert.equal(readFileSync(join(out, 'etc', 'shadow'), 'utf8'), 'container-shadow\n');
      // the whole root: docker's client refuses the relative link that climbs out of it, as berth does
      fails(['cp', `${c}:/tmp/up/`, join(out, 'root')], `invalid symlink "${join(out, 'root', 'tmp', 'up')}" -> "../../../../"\n`);
      assert.equal(existsSync(join(out, 'root', 'work')), false);
      // the stat a client gets: the link target resolved inside the container
      const head = execFileSync('curl', ['-sfI', '--unix-socket', d.socketPath, `http://berth/containers/${c}/archive?path=/tmp/up`]).toString();
      const stat = JSON.parse(Buffer.from(/X-Docker-Container-Path-Stat: (\S+)/i.exec(head)![1]!, 'base64').toString());
      assert.deepEqual([stat.name, stat.linkTarget, stat.mode], ['up', '/', 2 ** 27 + 0o777]);
    });

    it(`cp into a ${state} container lands inside it, whatever its symlinks or the archive's say`, () => {
      const c = trap(running);
      const file = join(work, `${c}-file`);
      writeFileSync(file, 'planted\n');
      const planted = `bth-planted-${c}`;
      ok(['cp', file, `${c}:/tmp/up/${planted}`]);
      ok(['cp', file, `${c}:/tmp/hostetc/${planted}`]);
      // an archive that plants a symlink to "/" and writes through it, or climbs
      const tree = join(work, `${c}-tar`);
      mkdirSync(tree);
      symlinkSync('/', join(tree, 'lnk'));
      writeFileSync(join(tree, 'payload'), 'through\n');
      const crafted = execFileSync('tar', ['-C', tree, '-cf', '-', 'lnk', '--transform', `s,^payload$,lnk/${planted}-through,`, 'payload']);
      ok(['cp', '-', `${c}:/tmp/d`], crafted);
      const climbing = execFileSync('tar', ['-C', tree, '-cf', '-', '-P', '--transform', `s,^payload$,../../../../${planted}-up,`, 'payload']);
      fails(['cp', '-', `${c}:/tmp/d`], /^Error response from daemon: Error processing tar file: ".*-up" is outside of "\/tmp\/d"\n$/, climbing);
      for (const p of [`/${planted}`, `/etc/${planted}`, `/${planted}-through`, `/${planted}-up`]) assert.equal(existsSync(p), false, `${p} on the host`);
      const inside = tarFileContent(bytes(['cp', `${c}:/${planted}`, '-']), planted) + tarFileContent(bytes(['cp', `${c}:/etc/${planted}`, '-']), planted) + tarFileContent(bytes(['cp', `${c}:/${planted}-through`, '-']), `${planted}-through`);
      assert.equal(inside, 'planted\nplanted\nthrough\n');
    });

    it(`cp reaches the volumes of a ${state} container`, () => {
      const c = trap(running);
      assert.equal(tarFileContent(bytes(['cp', `${c}:/vol/inv`, '-']), 'inv'), 'v\n');
      const file = join(work, `${c}-v`);
      writeFileSync(file, 'into the volume\n');
      ok(['cp', file, `${c}:/vol/added`]);
      const mountpoint = ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', `${c}-vol`]).trim();
      assert.equal(readFileSync(join(mountpoint, 'added'), 'utf8'), 'into the volume\n');
      // the hosts file over the init layer's placeholder
      assert.match(tarFileContent(bytes(['cp', `${c}:/etc/hosts`, '-']), 'hosts'), /localhost/);
    });
  }

  it('cp stays inside a running container that swaps a directory for a host-pointing symlink meanwhile', () => {
    // a berthd resolving by path string would follow /tmp/sw -> <repo> on the host between its check and its open
    const c = name();
    const loop = `mkdir -p /tmp/sw.d; echo container > /tmp/sw.d/package.json; while :; do ln -sfn ${REPO} /tmp/sw; rm -f /tmp/sw; cp -a /tmp/sw.d /tmp/sw; rm -rf /tmp/sw; done`;
    ok(['run', '-d', '--name', c, 'bth-arc-bb', 'sh', '-c', loop]);
    const file = join(work, 'race-file');
    writeFileSync(file, 'race\n');
    const planted = `bth-race-${c}`;
    for (let i = 0; i < 40; i++) {
      const r = d.berth(['cp', `${c}:/tmp/sw/package.json`, '-']);
      if (r.status === 0) {
        // the container's own file, maybe caught between its cp's create and write: never the host's
        assert.match(tarFileContent(Buffer.from(r.stdout, 'latin1'), 'package.json'), /^(container\n)?$/);
      } else {
        assert.match(r.stderr, /No such container:path|Error response from daemon|did not arrive whole/);
      }
      d.berth(['cp', file, `${c}:/tmp/sw/${planted}`]);
      assert.equal(existsSync(join(REPO, planted)), false, 'nothing written into the host directory');
    }
    ok(['rm', '-f', c]); // its busy loop would slow the tests after it
  });

  it('the docker CLIs copy, diff, commit and export against berthd', { skip: missing('docker') }, () => {
    const c = trap(true);
    const env = { ...process.env, DOCKER_HOST: d.host };
    for (const docker of ['/usr/bin/docker', 'docker']) {
      const tag = docker.startsWith('/') ? 'old' : 'new';
      const out = join(work, `docker-${tag}`);
      execFileSync(docker, ['cp', `${c}:/tmp/hostetc/shadow`, out], { env });
      assert.equal(readFileSync(out, 'utf8'), 'container-shadow\n');
      execFileSync(docker, ['cp', out, `${c}:/tmp/up/from-docker-${tag}`], { env });
      assert.equal(tarFileContent(bytes(['cp', `${c}:/from-docker-${tag}`, '-']), `from-docker-${tag}`), 'container-shadow\n');
      assert.match(execFileSync(docker, ['diff', c], { env }).toString(), new RegExp(`^A /from-docker-${tag}$`, 'm'));
      const id = execFileSync(docker, ['commit', c, `bth-arc-docker-${tag}`], { env }).toString().trim();
      images.push(`bth-arc-docker-${tag}`);
      assert.match(id, /^sha256:/);
      assert.ok(execFileSync(docker, ['export', c], { env, maxBuffer: 1 << 28 }).length > 1 << 20);
      const missingPath = spawnSync(docker, ['cp', `${c}:/nonexistent`, out], { env });
      assert.equal(missingPath.status, 1);
    }
  });

  it('cp round trip: names, modes, contents, symlinks and hardlinks come back as they went', () => {
    const c = trap(true);
    const src = join(work, 'rt-src');
    mkdirSync(join(src, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(src, 'empty'));
    writeFileSync(join(src, 'plain'), 'plain\n');
    writeFileSync(join(src, 'with space'), 'space\n');
    writeFileSync(join(src, 'sub', 'secret'), 'secret\n');
    chmodSync(join(src, 'sub', 'secret'), 0o600);
    writeFileSync(join(src, 'sub', 'deeper', 'tool'), '#!/bin/sh\n');
    chmodSync(join(src, 'sub', 'deeper', 'tool'), 0o755);
    chmodSync(join(src, 'empty'), 0o700);
    symlinkSync('sub/secret', join(src, 'rel-link'));
    symlinkSync('/etc/passwd', join(src, 'abs-link'));
    linkSync(join(src, 'plain'), join(src, 'hard'));
    ok(['cp', src, `${c}:/tmp/rt`]);
    const back = join(work, 'rt-back');
    ok(['cp', `${c}:/tmp/rt`, back]);
    assert.deepEqual(treeListing(back), treeListing(src));
    // the contents of a directory into an existing one, and a file onto an existing file
    const into = join(work, 'rt-into');
    mkdirSync(into);
    ok(['cp', `${c}:/tmp/rt/.`, into]);
    assert.deepEqual(treeListing(into), treeListing(src));
    ok(['cp', join(src, 'sub', 'secret'), `${c}:/tmp/rt/plain`]);
    assert.equal(tarFileContent(bytes(['cp', `${c}:/tmp/rt/plain`, '-']), 'plain'), 'secret\n');
  });

  it('cp refuses as docker does, with its messages', () => {
    const c = trap(true);
    const ro = name();
    ok(['run', '-d', '--name', ro, '--read-only', '-v', `${ro}-vol:/ro:ro`, 'bth-arc-bb', 'sleep', '1000']);
    const dir = join(work, 'errs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), 'f');
    fails(['cp', `${c}:/nonexistent`, dir], `Error: No such container:path: ${c}:/nonexistent\n`);
    fails(['cp', 'bth-arc-nosuch:/x', dir], 'Error: No such container:path: bth-arc-nosuch:/x\n');
    fails(['cp', join(dir, 'f'), `${c}:/nonexistent/x`], `Error: No such container:path: ${c}:/nonexistent\n`);
    fails(['cp', dir, `${c}:/tmp/d/f`], 'cannot copy directory\n');
    fails(['cp', join(dir, 'f'), `${c}:/tmp/new/`], 'no such directory\n');
    fails(['cp', '-', `${c}:/tmp/d/f`], `destination "${c}:/tmp/d/f" must be a directory\n`, '');
    fails(['cp', `${c}:/tmp/d/f`, join(dir, 'nodir', 'x')], `invalid output path: directory "${join(dir, 'nodir')}" does not exist\n`);
    fails(['cp', `${c}:/tmp/d`, join(dir, 'f')], 'cannot copy directory\n');
    fails(['cp', join(dir, 'f'), join(dir, 'g')], 'must specify at least one container source\n');
    fails(['cp', `${c}:/a`, `${c}:/b`], 'copying between containers is not supported\n');
    fails(['cp', join(dir, 'absent'), `${c}:/tmp`], `lstat ${join(dir, 'absent')}: no such file or directory\n`);
    fails(['cp', join(dir, 'f'), `${ro}:/tmp/`], 'Error response from daemon: container rootfs is marked read-only\n');
    fails(['cp', join(dir, 'f'), `${ro}:/ro/`], 'Error response from daemon: mounted volume is marked read-only\n');
    fails(['cp', join(dir, 'f')], /^"berth cp" requires exactly 2 arguments\.\n/);
  });

  it('diff lists what a container changed, as docker prints it', () => {
    const c = name();
    ok(['run', '--name', c, '-v', `${c}-vol:/vol`, 'bth-arc-bb', 'sh', '-c', 'echo x > /vol/in-volume; rm /etc/group; echo y > /tmp/new; echo z >> /etc/passwd; mkdir /made']);
    assert.equal(ok(['diff', c]), 'C /etc\nD /etc/group\nC /etc/passwd\nA /made\nC /tmp\nA /tmp/new\n');
    assert.equal(ok(['container', 'diff', c]), ok(['diff', c]));
    const untouched = name();
    ok(['create', '--name', untouched, 'bth-arc-bb', 'true']);
    assert.equal(ok(['diff', untouched]), '');
    fails(['diff', 'bth-arc-nosuch'], 'Error response from daemon: No such container: bth-arc-nosuch\n');
  });

  it('commit makes an image of the read-write layer alone: no /etc files of the init layer, no volume contents', () => {
    const c = name();
    ok(['run', '--name', c, '-v', `${c}-vol:/vol`, 'bth-arc-bb', 'sh', '-c', 'echo new > /added; rm /bin/vi; echo data > /vol/x; echo z >> /etc/hosts']);
    const id = ok(['commit', '-c', 'ENV BTH_COMMITTED=1', '-m', 'the message', '-a', 'bth author', c, 'bth-arc-commit:one']).trim();
    images.push('bth-arc-commit:one');
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    const [img] = JSON.parse(ok(['image', 'inspect', 'bth-arc-commit:one']));
    assert.equal(img.Id, id);
    assert.equal(img.Author, 'bth author');
    assert.ok(img.Config.Env.includes('BTH_COMMITTED=1'), JSON.stringify(img.Config.Env));
    assert.match(ok(['history', '--no-trunc', '--format', '{{.Comment}}', 'bth-arc-commit:one']).split('\n')[0]!, /^the message$/);
    // the layer itself
    const saved = join(work, 'commit-save');
    mkdirSync(saved);
    execFileSync('tar', ['-C', saved, '-xf', '-'], { input: bytes(['save', 'bth-arc-commit:one']) });
    const manifest = JSON.parse(readFileSync(join(saved, 'manifest.json'), 'utf8'));
    const layer = execFileSync('tar', ['-tf', join(saved, manifest[0].Layers.at(-1))]).toString().split('\n').filter(Boolean);
    assert.deepEqual(layer.sort(), ['added', 'bin/', 'bin/.wh.vi'].sort());
    // a container of the new image sees the changes
    assert.equal(ok(['run', '--rm', 'bth-arc-commit:one', 'sh', '-c', 'cat /added; test -e /bin/vi || echo no-vi; echo $BTH_COMMITTED']), 'new\nno-vi\n1\n');
  });

  it('commit pauses a running container while it reads its layer, and leaves it running', () => {
    const c = name();
    ok(['run', '-d', '--name', c, 'bth-arc-bb', 'sh', '-c', 'echo r > /running; exec sleep 1000']);
    for (let i = 0; i < 100 && berth(['exec', c, 'test', '-e', '/running']).status !== 0; i++) execFileSync('sleep', ['0.05']);
    const id = ok(['commit', c]).trim();
    images.push(id);
    assert.equal(ok(['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', c]), 'running false\n');
    const unpaused = ok(['commit', '-p=false', c, 'bth-arc-commit:nopause']).trim();
    images.push('bth-arc-commit:nopause');
    assert.match(unpaused, /^sha256:/);
    assert.equal(ok(['run', '--rm', 'bth-arc-commit:nopause', 'cat', '/running']), 'r\n');
    fails(['commit', c, 'Bad:Ref'], 'invalid reference format: repository name must be lowercase\n');
    fails(['commit', 'bth-arc-nosuch'], 'Error response from daemon: No such container: bth-arc-nosuch\n');
    fails(['commit'], /^"berth commit" requires at least 1 and at most 2 arguments\./);
  });

  it('export gives the whole tree; importing it gives the same tree back', async () => {
    const c = trap(false);
    const file = join(work, 'export.tar');
    ok(['export', '-o', file, c]);
    assert.deepEqual(archiveMounts(), [], 'the stopped container is unmounted again');
    const first = readFileSync(file);
    const names1 = execFileSync('tar', ['-tf', file]).toString().split('\n');
    assert.ok(names1.includes('etc/shadow') && names1.includes('tmp/hostetc') && names1.includes('vol/'), 'the tree, its mount point');
    assert.ok(!names1.includes('vol/inv'), 'no volume contents');
    assert.ok(!names1.some((n) => n.startsWith('/') || n.startsWith('./')), 'names as docker writes them');
    assert.deepEqual(bytes(['export', c]), first, 'stdout gives the same bytes');
    const imported = ok(['import', file, 'bth-arc-exported']).trim();
    images.push('bth-arc-exported');
    assert.match(imported, /^sha256:/);
    const again = name();
    ok(['create', '--name', again, 'bth-arc-exported', 'true']);
    assert.deepEqual(listing(bytes(['export', again])), listing(first));
    fails(['export', '-o', join(work, 'nodir', 'x.tar'), c], `failed to export container: invalid output path: directory "${join(work, 'nodir')}" does not exist\n`);
    const tty = await runInPty([join(process.cwd(), 'bin', 'berth'), 'export', c], { env: d.env });
    assert.equal(tty.status, 1);
    assert.match(tty.stdout, /cowardly refusing to save to a terminal\. Use the -o flag or redirect/);
  });
});
