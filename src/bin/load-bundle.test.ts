import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

/**
 * bin/load-bundle.js on a bundle of its own: a package with bin/ (the
 * loader) and dist/x.cjs, run in a fresh node each time, as a launcher runs it.
 */

const LOADER = resolve(import.meta.dirname, '..', '..', 'bin', 'load-bundle.js');
const root = mkdtempSync(join(tmpdir(), 'berth-load-bundle-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
function pkg(source: string): { dir: string; bundle: string; cache: string; run: (env?: NodeJS.ProcessEnv) => { status: number | null; stdout: string; stderr: string } } {
  const dir = join(root, `p${n++}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  mkdirSync(join(dir, 'dist'));
  copyFileSync(LOADER, join(dir, 'bin', 'load-bundle.js'));
  writeFileSync(join(dir, 'bin', 'package.json'), '{ "type": "commonjs" }\n');
  const bundle = join(dir, 'dist', 'x.cjs');
  writeFileSync(bundle, source);
  const launcher = join(dir, 'bin', 'x');
  writeFileSync(launcher, "require('./load-bundle.js')('x');\n");
  return {
    dir,
    bundle,
    cache: `${bundle}.cache`,
    run(env = {}) {
      const r = spawnSync(process.execPath, [launcher, 'arg'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
  };
}

// what a CommonJS bundle sees of its module
const PROBE = `"use strict";
const fs = require("node:fs");
fs.appendFileSync(__dirname + "/runs", "1");
console.log(JSON.stringify({ file: __filename, dir: __dirname, self: this === module.exports, exportsOk: exports === module.exports, arg: process.argv[2], v: "A" }));
`;

describe('load-bundle', () => {
  it('runs the bundle as require() would, and leaves a code cache when it exits', () => {
    const p = pkg(PROBE);
    const r = p.run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { file: p.bundle, dir: join(p.dir, 'dist'), self: true, exportsOk: true, arg: 'arg', v: 'A' });
    assert.match(readFileSync(p.cache).toString('latin1', 0, 40), /^berth code cache: v\d+/);
  });

  it('uses the cache it finds (and leaves it as it is)', () => {
    const p = pkg(PROBE);
    p.run();
    const before = statSync(p.cache);
    const r = p.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).v, 'A');
    const now = statSync(p.cache);
    assert.equal(now.ino, before.ino, 'not written again');
    assert.equal(readFileSync(join(p.dir, 'dist', 'runs'), 'utf8'), '11', 'the bundle ran once per process');
  });

  it('never runs a stale cache: a rebuilt bundle of the same length compiles afresh', () => {
    const p = pkg(PROBE);
    p.run();
    const before = statSync(p.cache).ino;
    writeFileSync(p.bundle, PROBE.replace('v: "A"', 'v: "B"'));
    const r = p.run();
    assert.equal(JSON.parse(r.stdout).v, 'B');
    assert.notEqual(statSync(p.cache).ino, before, 'a fresh cache replaced it');
    assert.equal(JSON.parse(p.run().stdout).v, 'B');
  });

  it('shrugs off a cache V8 refuses, and one it cannot read or write', () => {
    const p = pkg(PROBE);
    p.run();
    const cache = readFileSync(p.cache);
    const header = cache.subarray(0, cache.indexOf(0x0a) + 1);
    writeFileSync(p.cache, Buffer.concat([header, Buffer.alloc(cache.length - header.length, 0x5a)]));
    let r = p.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).v, 'A');
    assert.ok(readFileSync(p.cache).subarray(header.length).some((b) => b !== 0x5a), 'replaced by a good one');

    rmSync(p.cache);
    mkdirSync(p.cache); // neither readable nor replaceable
    r = p.run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).v, 'A');
  });

  it('keeps the bundle’s line numbers in stack traces, and its errors its own', () => {
    const p = pkg('"use strict";\nconst x = 1;\nfunction boom() { throw new Error("boom " + x); }\nboom();\n');
    for (const env of [{}, { NODE_OPTIONS: '--enable-source-maps' }]) {
      for (let i = 0; i < 2; i++) {
        const r = p.run(env);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /Error: boom 1/);
        assert.ok(r.stderr.includes(`${p.bundle}:3:`), r.stderr);
      }
    }
  });
});
