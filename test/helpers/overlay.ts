import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeOverlay } from '../../src/snapshot/create.js';
import { missing } from './requirements.js';

/**
 * For `{ skip: missingOverlay() }`: false, or why overlayfs cannot be used
 * here — no root, or a test mount with its upper layer in the temp
 * directory fails (no overlayfs in the kernel, a temp directory on
 * overlayfs). Under CI, which must provide both, a missing one throws, as
 * missing() does.
 */
export function missingOverlay(): string | false {
  const root = missing('root');
  if (root) return root;
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-probe-'));
  try {
    const probe = probeOverlay(dir);
    if (probe.ok) return false;
    if (process.env['CI']) throw new Error(`needs overlayfs, which CI must provide: ${probe.why}`);
    return `needs overlayfs: ${probe.why}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
