import { createHash } from 'node:crypto';
import type { Digest } from '../../lib/digest.js';
import { decompress } from '../../snapshot/layer/compression.js';
import { checkDockerRepositories, checkLegacyV1Image, DOCKER_SAVE_REPOSITORIES_FILE, type Platform } from '../../spec/oci-image.js';
import { imageId } from '../config.js';
import type { ImageContext } from '../context.js';
import { configFromV1, historyFromV1, type LegacyHistory } from './legacy-config.js';
import { archiveError, type ArchiveMembers } from './members.js';
import { checkConfig, loadTag, parseDocument, type PlannedImage } from './plan.js';

/**
 * The format of `docker save` before 1.10: no manifest.json, no image
 * config — a directory per layer (`<id>/json`, `<id>/layer.tar`,
 * `<id>/VERSION`), each v1 image naming its parent's directory, and
 * `repositories` mapping name → tag → directory. Each layer becomes an
 * image of its own, parent before child, as dockerd's legacy loader makes
 * them: its config from its v1 json (legacy-config.ts), its layers those
 * of the chain down to the root, its diff ID computed from its tar.
 */

const MAX_CHAIN = 1000;

/** The diff ID of a layer member: its digest when uncompressed, else the digest of what it decompresses to. */
async function diffIdOf(ctx: ImageContext, members: ArchiveMembers, path: string): Promise<Digest> {
  if ((await members.compression(path, 'layer')) === 'none') return members.digest(path, 'layer');
  const blob = await members.blob(path, 'layer');
  const raw = await ctx.content.openRead(blob.digest);
  try {
    const { stream } = await decompress(raw);
    const hash = createHash('sha256');
    for await (const chunk of stream) hash.update(chunk);
    return `sha256:${hash.digest('hex')}` as Digest;
  } finally {
    raw.destroy();
  }
}

export async function planLegacyArchive(ctx: ImageContext, members: ArchiveMembers, platform: Platform): Promise<PlannedImage[]> {
  const dirs = members.topDirectories().filter((d) => members.has(`${d}/json`));
  if (dirs.length === 0) throw archiveError('ARCHIVE_INVALID', 'the archive has no manifest.json, no index.json and no legacy layer directories');
  const v1 = new Map<string, { text: string; json: Record<string, unknown>; parent: string | undefined }>();
  for (const d of dirs) {
    const bytes = await members.document(`${d}/json`, 'the file');
    const checked = parseDocument(bytes, `${d}/json`, checkLegacyV1Image);
    v1.set(d, { text: bytes.toString('utf8'), json: checked as unknown as Record<string, unknown>, parent: checked.parent || undefined });
  }

  const loaded = new Map<string, { image: PlannedImage; history: LegacyHistory[] }>();
  const order: PlannedImage[] = [];
  const load = async (dir: string, seen: string[]): Promise<{ image: PlannedImage; history: LegacyHistory[] }> => {
    const done = loaded.get(dir);
    if (done) return done;
    if (seen.includes(dir)) throw archiveError('ARCHIVE_INVALID', `layer ${dir} is its own ancestor`);
    if (seen.length >= MAX_CHAIN) throw archiveError('ARCHIVE_INVALID', `more than ${MAX_CHAIN} layers in one chain`);
    const me = v1.get(dir);
    if (!me) throw archiveError('ARCHIVE_MISSING_MEMBER', `layer ${seen.at(-1)} names parent ${dir}, which is not in the archive`);
    const below = me.parent === undefined ? undefined : await load(me.parent, [...seen, dir]);
    const layerPath = `${dir}/layer.tar`;
    const diffIds = [...(below?.image.layers.map((l) => l.diffId) ?? []), await diffIdOf(ctx, members, layerPath)];
    const history = [...(below?.history ?? []), historyFromV1(me.json)];
    const config = configFromV1(me.text, diffIds, history, { architecture: platform.architecture, os: platform.os });
    checkConfig(config, `the image made of ${dir}/json`);
    const image: PlannedImage = {
      config,
      id: imageId(config),
      layers: [...(below?.image.layers ?? []), { path: layerPath, diffId: diffIds.at(-1)! }],
      tags: [],
    };
    if (below) image.parent = below.image.id;
    const result = { image, history };
    loaded.set(dir, result);
    order.push(image);
    return result;
  };
  for (const d of dirs) await load(d, []);

  if (members.has(DOCKER_SAVE_REPOSITORIES_FILE)) {
    const repos = parseDocument(await members.document(DOCKER_SAVE_REPOSITORIES_FILE, 'the file'), DOCKER_SAVE_REPOSITORIES_FILE, checkDockerRepositories);
    for (const [name, tags] of Object.entries(repos)) {
      for (const [tag, dir] of Object.entries(tags)) {
        const target = loaded.get(dir);
        if (!target) throw archiveError('ARCHIVE_INVALID', `${DOCKER_SAVE_REPOSITORIES_FILE}: ${name}:${tag} names layer ${JSON.stringify(dir)}, which is not in the archive`);
        target.image.tags.push(loadTag(`${name}:${tag}`, DOCKER_SAVE_REPOSITORIES_FILE));
      }
    }
  }
  return order;
}
