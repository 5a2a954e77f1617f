#!/usr/bin/env node
// Bundles each entry point into one CommonJS file in dist/: a single file
// loads faster than a module graph, and the runtime's start-up time is
// what `berth-runtime run` costs on top of the C part. Then runs each
// launcher once, which leaves the bundle's V8 code cache beside it
// (bin/load-bundle.js).
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

// The Node modules that berth and berth-runtime load only when a command
// uses them: loading child_process, http, net and the rest took ~6 ms of
// every start, `berth --version` included. berthd uses them all anyway.
const LAZY = ['child_process', 'crypto', 'fs/promises', 'http', 'module', 'net', 'os', 'readline/promises', 'stream', 'stream/promises', 'timers/promises', 'zlib'];
const entries = [
  { name: 'berth-runtime', lazy: true, warm: ['--help'] },
  { name: 'berth', lazy: true, warm: ['--help'] },
  { name: 'berthd', lazy: false, warm: ['--help'] },
];

process.chdir(fileURLToPath(new URL('..', import.meta.url)));
mkdirSync('dist', { recursive: true });
await Promise.all(
  entries.map(async ({ name, lazy }) => {
    const { outputFiles } = await build({
      entryPoints: [`src/bin/${name}.ts`],
      outfile: `dist/${name}.cjs`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      write: false,
      logLevel: 'warning',
      logOverride: { 'empty-import-meta': 'silent' },
    });
    for (const file of outputFiles) {
      let text = file.text;
      if (file.path.endsWith('.cjs')) {
        if (lazy) text = lazyRequires(text);
        // esbuild escapes what it can, but not inside regular expressions
        const wide = beyondLatin1(text);
        if (wide) console.warn(`build: dist/${name}.cjs has ${JSON.stringify(wide)} (beyond Latin-1): V8 keeps the whole source as UTF-16, twice its size; escape it (\\u${wide.charCodeAt(0).toString(16).padStart(4, '0')})`);
      }
      // in place, so that a berth started meanwhile reads either build, whole
      const tmp = `${file.path}.${process.pid}.tmp`;
      writeFileSync(tmp, text);
      renameSync(tmp, file.path);
    }
  }),
);

// The code caches: each launcher writes its bundle's when it exits (and
// finds none that fits), with the functions it compiled on the way.
for (const { name, warm } of entries) {
  rmSync(`dist/${name}.cjs.cache`, { force: true });
  const r = spawnSync(`bin/${name}`, warm, { stdio: 'ignore', timeout: 30_000 });
  if (r.error || r.status !== 0) console.warn(`build: no code cache for dist/${name}.cjs (bin/${name} ${warm.join(' ')}: ${r.error?.message ?? `exit ${r.status}`}); it is made on first use`);
}

/**
 * `require("node:child_process")` and the like become `__lazyr(…)`, a stand-in
 * that requires the module when one of its properties is first read. esbuild
 * turns named imports into reads of properties at each use
 * (`(0, import_node_child_process.spawn)(…)`), so a module is loaded when it
 * is used; a class that extends one of its classes loads it at start, as before.
 * `__lazyr` has as many letters as `require`, which keeps the source map right.
 */
function lazyRequires(text) {
  if (text.includes('__lazyr')) throw new Error('build: __lazyr is already used in the bundle');
  const out = text.replace(/\brequire\("node:([a-z_/]+)"\)/g, (call, id) => (LAZY.includes(id) ? `__lazyr("node:${id}")` : call));
  const lazyr =
    'function __lazyr(id){let m;const load=()=>m??=require(id);return new Proxy({},{get:(_,k)=>load()[k],has:(_,k)=>k in load(),' +
    'ownKeys:()=>Reflect.ownKeys(load()),getOwnPropertyDescriptor:(_,k)=>{const d=Reflect.getOwnPropertyDescriptor(load(),k);if(d)d.configurable=!0;return d},' +
    'set:(_,k,v)=>Reflect.set(load(),k,v),getPrototypeOf:()=>Reflect.getPrototypeOf(load())})}\n';
  // a function declaration, hoisted: at the end, before the source map's comment, so no line moves
  const at = out.lastIndexOf('//# sourceMappingURL=');
  if (at < 0) throw new Error('build: no source map comment in the bundle');
  return out.slice(0, at) + lazyr + out.slice(at);
}

/** The first character of a text that Latin-1 cannot hold. */
function beyondLatin1(text) {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0xff) return text[i];
  return undefined;
}
