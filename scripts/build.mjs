#!/usr/bin/env node
// Bundles each entry point into one CommonJS file in dist/: a single file
// loads faster than a module graph, and the runtime's start-up time is
// what `berth-runtime run` costs on top of the C part.
import { build } from 'esbuild';

const entries = ['berth-runtime', 'berth', 'berthd'];
await Promise.all(
  entries.map((name) =>
    build({
      entryPoints: [`src/bin/${name}.ts`],
      outfile: `dist/${name}.cjs`,
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      logLevel: 'warning',
      logOverride: { 'empty-import-meta': 'silent' },
    }),
  ),
);
