/**
 * berth's saved images read by the OCI tools from Debian: skopeo inspects
 * and copies the OCI layout inside a `berth save` archive (as an archive,
 * and unpacked as a directory), and umoci unpacks it into a bundle whose
 * rootfs is the tree berth imported.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBerthd, type TestDaemon } from '../helpers/berthd.js';
import { busyboxRootfs, TMP, uniqueId } from '../helpers/bundle.js';
import { missing } from '../helpers/requirements.js';
import { run, shown } from './harness.js';

describe('skopeo and umoci read what berth saves', { skip: missing('root', 'busybox', 'skopeo', 'umoci') }, () => {
  const dir = join(TMP, uniqueId('oci-tools'));
  let berthd: TestDaemon | undefined;
  const berth = (args: string[]) => berthd!.berth(args);
  const archive = join(dir, 'saved.tar');
  const layout = join(dir, 'layout');

  before(async () => {
    berthd = await startBerthd('oci-tools');
    mkdirSync(layout, { recursive: true });
    execFileSync('tar', ['-C', busyboxRootfs(), '-cf', join(dir, 'rootfs.tar'), '.']);
    const imported = berth(['import', '-c', 'CMD ["sh"]', '-c', 'ENV A=1', join(dir, 'rootfs.tar'), 'berth-test/oci:1']);
    assert.equal(imported.status, 0, shown(imported));
    const saved = berth(['save', '-o', archive, 'berth-test/oci:1']);
    assert.equal(saved.status, 0, shown(saved));
    execFileSync('tar', ['-C', layout, '-xf', archive]);
  });
  after(async () => {
    await berthd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('skopeo inspects the archive and the layout: the same manifest, the config berth made', () => {
    const id = berth(['inspect', '-f', '{{.Id}}', 'berth-test/oci:1']).stdout.trim();
    for (const ref of [`oci-archive:${archive}`, `oci:${layout}:1`]) {
      const r = run('skopeo', ['inspect', '--config', ref]);
      assert.equal(r.status, 0, shown(r));
      const config = JSON.parse(r.stdout) as { config: { Cmd: string[]; Env: string[] }; rootfs: { diff_ids: string[] } };
      assert.deepEqual(config.config.Cmd, ['sh']);
      assert.ok(config.config.Env.includes('A=1'));
      const raw = run('skopeo', ['inspect', '--raw', ref]);
      assert.equal(JSON.parse(raw.stdout).config.digest, id, 'the manifest names the image berth has');
    }
  });

  it('skopeo copies it to another layout, and umoci unpacks that into a bundle with the imported tree', () => {
    const copy = join(dir, 'copy');
    const c = run('skopeo', ['copy', `oci:${layout}:1`, `oci:${copy}:latest`]);
    assert.equal(c.status, 0, shown(c));
    const bundle = join(dir, 'bundle');
    const u = run('umoci', ['unpack', '--image', `${copy}:latest`, bundle]);
    assert.equal(u.status, 0, shown(u));
    assert.deepEqual(readFileSync(join(bundle, 'rootfs', 'bin', 'busybox')), readFileSync(join(busyboxRootfs(), 'bin', 'busybox')));
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as { process: { args: string[]; env: string[] } };
    assert.deepEqual(config.process.args, ['sh']);
    assert.ok(config.process.env.includes('A=1'));
  });
});
