import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root: the bundle lives in dist/, the sources in src/sys/. */
function packageRoot(): string {
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || existsSync(join(dir, 'package.json')) && dir.endsWith('/bin')) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}

/** A binary built from native/ by node-gyp; BERTH_NATIVE_DIR overrides where. */
export function nativeBinary(name: string): string {
  const dir = process.env['BERTH_NATIVE_DIR'] ?? join(packageRoot(), 'build', 'Release');
  return join(dir, name);
}
