#!/usr/bin/env node
// Generates src/sys/native-protocol.generated.ts from native/include/protocol.h,
// the single source of the launch-plan numbers. `--check` exits 1 if the file
// on disk differs (run by the unit tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const header = readFileSync(`${root}native/include/protocol.h`, 'utf8');
const target = `${root}src/sys/native-protocol.generated.ts`;

const groups = new Map();
for (const m of header.matchAll(/^#define BERTH_([A-Z]+)_([A-Z0-9_]+)\s+(0x[0-9a-fA-F]+|\d+)\b/gm)) {
  const [, group, name, value] = m;
  if (!groups.has(group)) groups.set(group, []);
  groups.get(group).push([name, value]);
}
const title = (g) => g[0] + g.slice(1).toLowerCase();
let out = '// Generated from native/include/protocol.h by scripts/gen-protocol.mjs. Do not edit.\n';
for (const [group, entries] of groups) {
  out += `\nexport const ${title(group)} = {\n`;
  for (const [name, value] of entries) out += `  ${name}: ${value},\n`;
  out += '} as const;\n';
}
if (process.argv.includes('--check')) {
  let current = '';
  try { current = readFileSync(target, 'utf8'); } catch { /* missing counts as different */ }
  if (current !== out) {
    console.error(`${target} is out of date with protocol.h: run npm run gen:protocol`);
    process.exit(1);
  }
} else {
  writeFileSync(target, out);
}
