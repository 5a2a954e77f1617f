import { readFileSync, realpathSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EngineError, errnoOf } from '../errors/engine-error.js';
import type { Spec } from '../spec/oci-runtime.js';
import { parseSpec } from './config/parse-spec.js';

export interface Bundle {
  dir: string;
  spec: Spec;
  /** root.path, absolute, symlinks resolved. */
  rootfs: string;
}

/** Reads and checks <bundle>/config.json and its root filesystem. */
export function loadBundle(dir: string): Bundle {
  const bundle = resolve(dir);
  try {
    if (!statSync(bundle).isDirectory()) throw new EngineError('InvalidArgument', 'BAD_BUNDLE', `bundle ${JSON.stringify(bundle)} is not a directory`);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw new EngineError('NotFound', 'NO_BUNDLE', `bundle ${JSON.stringify(bundle)} does not exist`, { hint: 'pass the bundle directory with --bundle' });
    throw err;
  }
  const configPath = join(bundle, 'config.json');
  let text: string;
  try {
    text = readFileSync(configPath, 'utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') throw new EngineError('NotFound', 'NO_CONFIG', `bundle ${JSON.stringify(bundle)} has no config.json`, { hint: 'write one with: berth-runtime spec' });
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new EngineError('InvalidArgument', 'INVALID_CONFIG', `${configPath}: not valid JSON: ${(err as Error).message}`);
  }
  const spec = parseSpec(json);
  const rootPath = resolve(bundle, spec.root!.path);
  let rootfs: string;
  try {
    rootfs = realpathSync(rootPath);
  } catch {
    throw new EngineError('NotFound', 'BAD_ROOTFS', `root.path: rootfs ${JSON.stringify(rootPath)} does not exist`, { hint: 'unpack a root filesystem there, or fix root.path in config.json' });
  }
  if (!statSync(rootfs).isDirectory()) throw new EngineError('InvalidArgument', 'BAD_ROOTFS', `root.path: rootfs ${JSON.stringify(rootPath)} is not a directory`);
  if (rootfs === '/') throw new EngineError('InvalidArgument', 'BAD_ROOTFS', 'root.path: the host\'s "/" cannot be a container\'s root filesystem');
  return { dir: bundle, spec, rootfs };
}
