/**
 * berth's image commands as clients of a real berthd (root): each command's
 * output as the docker CLI prints it, errors in dockerd's words, and the
 * daemon berth starts by itself when none answers.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { BERTH, processesUnder, startBerthd, type Run, type TestDaemon } from '../helpers/berthd.js';
import { missing } from '../helpers/requirements.js';

const ok = (r: Run): string => {
  assert.equal(r.status, 0, `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
};
const ID = /^sha256:[0-9a-f]{64}$/;

describe('berth image commands against berthd', { skip: missing('root') }, () => {
  let d: TestDaemon;
  let work: string;
  let rootfs: string;
  let id = '';
  const berth = (...args: string[]): Run => d.berth(args);

  before(async () => {
    d = await startBerthd('images-cli');
    work = mkdtempSync(join(tmpdir(), 'bth-images-cli-'));
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    mkdirSync(join(tree, 'etc'));
    writeFileSync(join(tree, 'bin', 'tool'), '#!/bin/sh\necho tool\n');
    chmodSync(join(tree, 'bin', 'tool'), 0o755);
    writeFileSync(join(tree, 'etc', 'conf'), 'x=1\n');
    symlinkSync('tool', join(tree, 'bin', 'link'));
    rootfs = join(work, 'rootfs.tar');
    execFileSync('tar', ['-C', tree, '-cf', rootfs, '.']);
  });
  after(async () => {
    await d?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('import: a file and stdin, with --change and --message; prints the new ID', () => {
    id = ok(berth('import', '-c', 'CMD ["/bin/tool"]', '-c', 'ENV A=1', '-m', 'first', rootfs, 'bth/app:1')).trim();
    assert.match(id, ID);
    const fromStdin = d.berth(['import', '-', 'bth/stdin'], { input: readFileSync(rootfs) });
    assert.match(ok(fromStdin).trim(), ID);
    assert.equal(ok(berth('image', 'inspect', '-f', '{{.Comment}}', 'bth/stdin')), 'Imported from -\n');
    const bad = berth('import', '-c', 'FROM x', rootfs);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^Error response from daemon: /);
    const absent = berth('import', join(work, 'absent.tar'));
    assert.deepEqual([absent.status, absent.stderr], [1, `Error: open ${join(work, 'absent.tar')}: no such file or directory\n`]);
  });

  it('images / image ls: the table, -q, --no-trunc, --format, filters, a repository argument', () => {
    const table = ok(berth('images')).split('\n');
    assert.match(table[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.ok(table.some((l) => new RegExp(`^bth/app\\s+1\\s+${id.slice(7, 19)}\\s+.*ago\\s+\\d`).test(l)), table.join('\n'));
    assert.equal(ok(berth('image', 'ls', '-q', 'bth/app')), `${id.slice(7, 19)}\n`);
    assert.equal(ok(berth('images', '--no-trunc', '-q', '--filter', 'reference=bth/app:*')), `${id}\n`);
    assert.equal(ok(berth('images', '--format', '{{.Repository}}:{{.Tag}} {{.Containers}}', 'bth/app')), 'bth/app:1 N/A\n');
    assert.match(ok(berth('images', '--format', '{{.SharedSize}}', 'bth/app')), /^\d/);
    assert.equal(JSON.parse(ok(berth('images', '--format', 'json', 'bth/app')).trim()).ID, id.slice(7, 19));
    assert.match(ok(berth('images', '--digests', 'bth/app')).split('\n')[0]!, /^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID/);
    const bad = berth('images', '--filter', 'colour=red');
    assert.deepEqual([bad.status, bad.stderr], [1, "Error response from daemon: invalid filter 'colour'\n"]);
  });

  it('inspect / image inspect: JSON, --format, and a missing image in dockerd\'s words', () => {
    const [doc] = JSON.parse(ok(berth('image', 'inspect', 'bth/app:1')));
    assert.equal(doc.Id, id);
    assert.deepEqual(doc.RepoTags, ['bth/app:1']);
    assert.deepEqual(doc.Config.Cmd, ['/bin/tool']);
    assert.equal('VirtualSize' in doc, false, 'API 1.47 has no VirtualSize');
    assert.equal(ok(berth('inspect', '-f', '{{.Id}} {{.Comment}}', 'bth/app:1')), `${id} first\n`);
    const r = berth('image', 'inspect', 'nope', 'bth/app:1', '-f', '{{.Id}}');
    assert.deepEqual([r.status, r.stdout, r.stderr], [1, `${id}\n`, 'Error response from daemon: No such image: nope:latest\n']);
    const none = berth('image', 'inspect', 'nope');
    assert.deepEqual([none.status, none.stdout], [1, '[]\n']);
  });

  it('history: the table, -q, --no-trunc, -H=false', () => {
    const lines = ok(berth('history', 'bth/app:1')).split('\n');
    assert.match(lines[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.match(lines[1]!, new RegExp(`^${id.slice(7, 19)}\\s+.*ago\\s+\\S+\\s+first$`));
    assert.equal(ok(berth('image', 'history', '-q', '--no-trunc', 'bth/app:1')), `${id}\n`);
    assert.match(ok(berth('history', '-H=false', '--format', '{{.Size}}', 'bth/app:1')), /^\d+\n$/);
    const r = berth('history', 'nope:2');
    assert.deepEqual([r.status, r.stderr], [1, 'Error response from daemon: No such image: nope:2\n']);
  });

  it('tag: a new name for the image; what docker refuses before asking, and what the daemon refuses', () => {
    assert.equal(ok(berth('tag', 'bth/app:1', 'bth/app:2')), '');
    assert.equal(ok(berth('image', 'tag', id.slice(7, 19), 'localhost:5000/bth/app')), '');
    assert.deepEqual(JSON.parse(ok(berth('image', 'inspect', '-f', '{{json .RepoTags}}', id))).sort(), ['bth/app:1', 'bth/app:2', 'localhost:5000/bth/app:latest']);
    let r = berth('tag', 'bth/app:1', 'Bth/app');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^Error: Error parsing reference: "Bth\/app" is not a valid repository\/tag: invalid reference format: repository name must be lowercase/);
    r = berth('tag', 'nope', 'bth/x');
    assert.deepEqual([r.status, r.stderr], [1, 'Error response from daemon: No such image: nope:latest\n']);
  });

  it('save: to a file and to stdout; load: from a file, stdin, quiet or with progress', () => {
    const file = join(work, 'saved.tar');
    assert.equal(ok(berth('save', '-o', file, 'bth/app:1', 'bth/app:2')), '');
    const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
    assert.ok(members.includes('manifest.json') && members.includes('index.json'), members.join(' '));
    const piped = berth('image', 'save', 'bth/app:1');
    assert.equal(piped.status, 0, piped.stderr);
    assert.ok(piped.stdout.length > 1024);
    const missingOne = berth('save', '-o', join(work, 'nope.tar'), 'nope');
    assert.deepEqual([missingOne.status, missingOne.stderr], [1, 'Error response from daemon: No such image: nope:latest\n']);
    assert.equal(existsSync(join(work, 'nope.tar')), false, 'no file is left for a failed save');
    const noDir = berth('save', '-o', join(work, 'absent', 'x.tar'), 'bth/app:1');
    assert.deepEqual([noDir.status, noDir.stderr], [1, `Error: failed to save image: invalid output path: directory "${join(work, 'absent')}" does not exist\n`]);

    ok(berth('rmi', 'bth/app:1', 'bth/app:2', 'localhost:5000/bth/app'));
    const loaded = berth('load', '-i', file);
    assert.equal(ok(loaded), 'Loaded image: bth/app:1\nLoaded image: bth/app:2\n');
    assert.match(loaded.stderr, /^Loading layer 1\/1 [0-9a-f]{12}\n$/);
    const again = d.berth(['image', 'load', '-q'], { input: readFileSync(file) });
    assert.deepEqual([again.status, again.stdout, again.stderr], [0, 'Loaded image: bth/app:1\nLoaded image: bth/app:2\n', '']);
    assert.equal(ok(berth('inspect', '-f', '{{.Id}}', 'bth/app:2')), `${id}\n`);
    const garbage = d.berth(['load'], { input: 'not an archive' });
    assert.equal(garbage.status, 1);
    assert.match(garbage.stderr, /^load: /, 'a load error is printed as the daemon reported it');
  });

  it('rmi / image rm: untag, delete, and the conflicts dockerd reports', () => {
    ok(berth('tag', 'bth/app:1', 'bth/other:1'));
    let r = berth('rmi', id.slice(7, 19));
    assert.deepEqual([r.status, r.stderr], [1, `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`]);
    assert.equal(ok(berth('image', 'rm', 'bth/other:1')), 'Untagged: bth/other:1\n');
    r = berth('rmi', 'nope', 'bth/app:2');
    assert.deepEqual([r.status, r.stdout, r.stderr], [1, 'Untagged: bth/app:2\n', 'Error response from daemon: No such image: nope:latest\n']);
    const removed = ok(berth('rmi', 'bth/app:1')).split('\n');
    assert.deepEqual(removed.slice(0, 2), ['Untagged: bth/app:1', `Deleted: ${id}`]);
  });

  it('image prune: dangling ones, then with -a every unused one', () => {
    const dangling = ok(berth('import', rootfs)).trim();
    const out = ok(berth('image', 'prune', '-f'));
    assert.match(out, new RegExp(`^Deleted Images:\\ndeleted: ${dangling}\\n`));
    assert.match(out, /\nTotal reclaimed space: \d/);
    assert.equal(ok(berth('image', 'prune', '-f')), 'Total reclaimed space: 0B\n');
    const all = ok(berth('image', 'prune', '-af'));
    assert.match(all, /untagged: bth\/stdin:latest/);
    assert.equal(ok(berth('images', '-q')), '');
  });

  it('-H names the daemon as BERTH_HOST does', () => {
    const env = { ...d.env };
    delete env['BERTH_HOST'];
    const r = d.berth(['-H', d.host, 'images', '-q'], { env });
    assert.deepEqual([r.status, r.stderr], [0, '']);
  });
});

describe('berth starts berthd when none answers', { skip: missing('root') }, () => {
  it('as root: a detached berthd on the socket and data root given, logging to <exec-root>/berthd.log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-autostart-'));
    try {
      const socket = join(dir, 'run', 'berth.sock');
      const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOST: `unix://${socket}` };
      delete env['BERTH_DATA_ROOT'];
      delete env['BERTH_EXEC_ROOT'];
      const r = spawnSync(BERTH, ['--data-root', join(dir, 'data'), 'images', '-q'], { env, encoding: 'utf8', input: '', timeout: 30_000 });
      assert.deepEqual([r.status, r.stdout, r.stderr], [0, '', '']);
      assert.ok(existsSync(join(dir, 'data', 'content')), 'the data root given is the one berthd opened');
      assert.match(readFileSync(join(dir, 'run', 'berthd.log'), 'utf8'), /API listening on unix:\/\//);
      const daemons = processesUnder(dir);
      assert.equal(daemons.length, 1, 'one berthd, outliving the berth that started it');
      assert.match(readFileSync(`/proc/${daemons[0]}/cmdline`, 'utf8'), /berthd/);
      // the next command uses it
      const again = spawnSync(BERTH, ['images', '-q'], { env, encoding: 'utf8', input: '' });
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(processesUnder(dir), daemons);
    } finally {
      for (const pid of processesUnder(dir)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("as another user: docker's words for a daemon that is not there, and no daemon started", { skip: missing('root') || nobodyCannotRun() }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-autostart-'));
    try {
      chmodSync(dir, 0o755);
      const socket = join(dir, 'berth.sock');
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BERTH, '-H', `unix://${socket}`, 'images'], { encoding: 'utf8', input: '', timeout: 30_000 });
      assert.deepEqual([r.status, r.stdout, r.stderr], [1, '', `Cannot connect to the berth daemon at unix://${socket}. Is berthd running?\n`]);
      assert.deepEqual(processesUnder(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Whether nobody can run bin/berth here (the repository may sit where only root reads). */
function nobodyCannotRun(): string | false {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', BERTH, '--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'the user nobody cannot run bin/berth from this checkout';
  try {
    accessSync(BERTH, constants.X_OK);
  } catch {
    return 'bin/berth is not executable';
  }
  return false;
}
