import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root: the nearest directory up whose package.json is berth's. */
function packageRoot(): string {
  // __dirname exists in the CommonJS bundle (dist/), import.meta.url in the sources (tests)
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'berth') return dir;
    } catch {
      // no package.json here, or not ours (bin/ has one of its own)
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('berth-runtime cannot find its package root (package.json named "berth")');
    dir = up;
  }
}

/** A binary built from native/ by node-gyp; BERTH_NATIVE_DIR overrides where. */
export function nativeBinary(name: string): string {
  const dir = process.env['BERTH_NATIVE_DIR'] ?? join(packageRoot(), 'build', 'Release');
  return join(dir, name);
}
