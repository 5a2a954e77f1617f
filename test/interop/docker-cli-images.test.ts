/**
 * The real docker CLI as a client of berthd's image API (DOCKER_HOST at a
 * private berthd's socket): images, inspect, history, tag, rmi, import,
 * save, load and image prune work, with the output and the errors the
 * docker CLI shows against dockerd.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerthd, type Run, type TestDaemon } from '../helpers/berthd.js';
import { missing } from '../helpers/requirements.js';

const ok = (r: Run): string => {
  assert.equal(r.status, 0, `exit ${r.status}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  return r.stdout;
};

describe('the docker CLI against berthd: image commands', { skip: missing('root', 'docker') }, () => {
  let d: TestDaemon;
  let work: string;
  let rootfs: string;
  let id = '';
  let env: NodeJS.ProcessEnv;
  const docker = (args: string[], input: string | Buffer = ''): Run => {
    const r = spawnSync('docker', args, { env, input, encoding: 'latin1', timeout: 60_000, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
    if (r.error) throw new Error(`docker ${args.join(' ')}: ${r.error.message}`);
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  before(async () => {
    d = await startBerthd('docker-cli-images');
    work = mkdtempSync(join(tmpdir(), 'bth-docker-cli-images-'));
    // the CLI's own config (contexts, credentials) stays in the test's directory
    env = { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(work, 'docker-config') };
    delete env['DOCKER_CONTEXT'];
    const tree = join(work, 'tree');
    mkdirSync(join(tree, 'bin'), { recursive: true });
    writeFileSync(join(tree, 'bin', 'tool'), '#!/bin/sh\necho tool\n');
    chmodSync(join(tree, 'bin', 'tool'), 0o755);
    rootfs = join(work, 'rootfs.tar');
    execFileSync('tar', ['-C', tree, '-cf', rootfs, '.']);
  });
  after(async () => {
    await d?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('docker version negotiates down to berthd\'s API', () => {
    assert.equal(ok(docker(['version', '--format', '{{.Server.APIVersion}}'])), '1.47\n');
  });

  it('docker import: a file with --change and --message, and stdin', () => {
    id = ok(docker(['import', '-c', 'CMD ["/bin/tool"]', '-m', 'from docker', rootfs, 'bth/dk:1'])).trim();
    assert.match(id, /^sha256:[0-9a-f]{64}$/);
    assert.match(ok(docker(['import', '-', 'bth/dk-stdin:1'], readFileSync(rootfs))).trim(), /^sha256:[0-9a-f]{64}$/);
    const bad = docker(['import', '-c', 'FROM x', rootfs]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /^Error response from daemon: /);
  });

  it('docker images: the table, -q, --no-trunc, --format, filters', () => {
    const lines = ok(docker(['images'])).trim().split('\n');
    assert.match(lines[0]!, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/);
    assert.ok(lines.some((l) => new RegExp(`^bth/dk\\s+1\\s+${id.slice(7, 19)}\\s`).test(l)), lines.join('\n'));
    assert.equal(ok(docker(['images', '-q', 'bth/dk'])), `${id.slice(7, 19)}\n`);
    assert.equal(ok(docker(['image', 'ls', '--no-trunc', '-q', '--filter', 'reference=bth/dk:*'])), `${id}\n`);
    assert.equal(ok(docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=bth/*'])).split('\n').sort().join(' '), ' bth/dk-stdin:1 bth/dk:1');
    // berth's own CLI sees the same images
    assert.equal(ok(d.berth(['images', '-q', '--no-trunc', 'bth/dk'])), `${id}\n`);
    const bad = docker(['images', '--filter', 'colour=red']);
    assert.deepEqual([bad.status, bad.stderr], [1, "Error response from daemon: invalid filter 'colour'\n"]);
  });

  it('docker inspect and image inspect: the image, and a missing one', () => {
    const [doc] = JSON.parse(ok(docker(['image', 'inspect', 'bth/dk:1'])));
    assert.equal(doc.Id, id);
    assert.deepEqual(doc.RepoTags, ['bth/dk:1']);
    assert.deepEqual(doc.Config.Cmd, ['/bin/tool']);
    assert.equal(doc.Comment, 'from docker');
    assert.equal(ok(docker(['inspect', '--type', 'image', '-f', '{{.Id}}', 'bth/dk:1'])), `${id}\n`);
    assert.equal(ok(docker(['inspect', '-f', '{{.Id}}', 'bth/dk:1'])), `${id}\n`);
    const r = docker(['image', 'inspect', 'nope']);
    assert.deepEqual([r.status, r.stdout, r.stderr], [1, '[]\n', 'Error response from daemon: No such image: nope:latest\n']);
  });

  it('docker history', () => {
    const lines = ok(docker(['history', 'bth/dk:1'])).trim().split('\n');
    assert.match(lines[0]!, /^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$/);
    assert.match(lines[1]!, new RegExp(`^${id.slice(7, 19)}\\s.*from docker$`));
    assert.equal(ok(docker(['history', '-q', '--no-trunc', 'bth/dk:1'])), `${id}\n`);
    const r = docker(['history', 'nope']);
    assert.deepEqual([r.status, r.stderr], [1, 'Error response from daemon: No such image: nope:latest\n']);
  });

  it('docker tag', () => {
    assert.equal(ok(docker(['tag', 'bth/dk:1', 'bth/dk:2'])), '');
    assert.equal(ok(docker(['tag', id.slice(7, 19), 'localhost:5000/bth/dk'])), '');
    assert.deepEqual(JSON.parse(ok(docker(['image', 'inspect', '-f', '{{json .RepoTags}}', id]))).sort(), ['bth/dk:1', 'bth/dk:2', 'localhost:5000/bth/dk:latest']);
    const r = docker(['tag', 'nope', 'bth/x']);
    assert.deepEqual([r.status, r.stderr], [1, 'Error response from daemon: No such image: nope:latest\n']);
  });

  it('docker save, rmi and load: the images come back with the same ID and tags', () => {
    const file = join(work, 'saved.tar');
    assert.equal(ok(docker(['save', '-o', file, 'bth/dk:1', 'bth/dk:2'])), '');
    const members = execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).split('\n');
    assert.ok(members.includes('manifest.json') && members.includes('index.json'), members.join(' '));
    assert.ok(ok(docker(['image', 'save', 'bth/dk:1'])).length > 1024, 'to stdout when it is not a terminal');
    const missingOne = docker(['save', '-o', join(work, 'nope.tar'), 'nope']);
    assert.deepEqual([missingOne.status, missingOne.stderr], [1, 'Error response from daemon: No such image: nope:latest\n']);

    const conflict = docker(['rmi', id.slice(7, 19)]);
    assert.deepEqual([conflict.status, conflict.stderr], [1, `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories\n`]);
    const removed = ok(docker(['rmi', 'bth/dk:1', 'bth/dk:2', 'localhost:5000/bth/dk']));
    assert.match(removed, new RegExp(`^Untagged: bth/dk:1\\nUntagged: bth/dk:2\\nUntagged: localhost:5000/bth/dk:latest\\nDeleted: ${id}\\n`));

    assert.equal(ok(docker(['load', '-i', file])), 'Loaded image: bth/dk:1\nLoaded image: bth/dk:2\n');
    assert.equal(ok(docker(['image', 'load', '-q'], readFileSync(file))), 'Loaded image: bth/dk:1\nLoaded image: bth/dk:2\n');
    assert.equal(ok(docker(['inspect', '-f', '{{.Id}}', 'bth/dk:2'])), `${id}\n`);
    const garbage = docker(['load'], 'not an archive');
    assert.equal(garbage.status, 1);
    assert.match(garbage.stderr, /^load: /);
  });

  it('docker image prune: dangling images, then every unused one with -a', () => {
    const dangling = ok(docker(['import', rootfs])).trim();
    assert.match(ok(docker(['image', 'prune', '-f'])), new RegExp(`^Deleted Images:\\ndeleted: ${dangling}\\n`));
    assert.equal(ok(docker(['image', 'prune', '-f'])), 'Total reclaimed space: 0B\n');
    assert.match(ok(docker(['image', 'prune', '-a', '-f'])), /untagged: bth\/dk:1\n/);
    assert.equal(ok(docker(['images', '-q'])), '');
  });
});
