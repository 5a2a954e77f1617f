import { EngineError } from '../errors/engine-error.js';
import { digestFromHex, isDigest, type Digest } from '../lib/digest.js';

/**
 * Image references as Docker reads them (docker/distribution's reference
 * package, the version Docker 20.10 vendors):
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain "/"] path-component ["/" path-component]*
 *   domain           := domain-component ["." domain-component]* [":" port-number]
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" /[0-9a-fA-F]{32,}/
 *
 * and normalized the way the docker CLI and daemon do: a first component
 * is a registry only if it has a "." or a ":" or is "localhost"; otherwise
 * the registry is docker.io, where a one-component path gets "library/".
 * So `busybox` is docker.io/library/busybox, `user/app` docker.io/user/app.
 * The error messages are Docker's own, word for word: scripts match them.
 */
export interface Reference {
  /** registry host[:port], e.g. "docker.io", "localhost:5000" */
  readonly domain: string;
  /** repository path, e.g. "library/busybox" */
  readonly path: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export const DEFAULT_DOMAIN = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?`;
// distribution once wrote the separator [-]*, which allows an empty one; [-]+ matches the same
// names without making the regexp backtrack exponentially on a long wrong input
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const PATH = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE_RE = new RegExp(`^((?:${DOMAIN}/)?${PATH})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
const NAME_RE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH})$`);
const TAG_RE = new RegExp(`^${TAG}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
/** Longer than any valid reference (255 + tag + digest); refused before any regexp runs. */
const MAX_INPUT = 1024;

function invalid(message: string, text: string): EngineError {
  return new EngineError('InvalidArgument', 'INVALID_REFERENCE', message, {
    hint: `in ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)}: a reference is [registry/]repository[:tag][@digest], repository in lower case`,
  });
}

/**
 * Parses a reference a user typed and normalizes it (Docker's
 * ParseNormalizedNamed). No tag is added: see withDefaultTag.
 */
export function parseReference(text: string): Reference {
  if (IDENTIFIER_RE.test(text)) {
    throw invalid(`invalid repository name (${text}), cannot specify 64-byte hexadecimal strings`, text);
  }
  const { domain, remainder } = splitDockerDomain(text);
  const tagSep = remainder.indexOf(':');
  const remoteName = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remoteName.toLowerCase() !== remoteName) throw invalid('invalid reference format: repository name must be lowercase', text);
  return parseFull(`${domain}/${remainder}`, text);
}

/** Where the registry ends: Docker's splitDockerDomain. */
function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  const first = name.slice(0, i);
  if (i === -1 || (!/[.:]/.test(first) && first !== 'localhost')) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/** A complete reference "domain/path[:tag][@digest]" (distribution's Parse). */
function parseFull(s: string, text: string): Reference {
  const m = s.length <= MAX_INPUT ? REFERENCE_RE.exec(s) : null;
  if (!m) {
    if (s === '') throw invalid('repository name must have at least one component', text);
    if (s.length <= MAX_INPUT && REFERENCE_RE.test(s.toLowerCase())) throw invalid('repository name must be lowercase', text);
    throw invalid('invalid reference format', text);
  }
  const name = m[1]!;
  if (name.length > NAME_TOTAL_LENGTH_MAX) throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`, text);
  const n = NAME_RE.exec(name)!;
  const ref: { domain: string; path: string; tag?: string; digest?: Digest } = { domain: n[1] ?? '', path: n[2]! };
  if (m[2] !== undefined) ref.tag = m[2];
  if (m[3] !== undefined) ref.digest = checkDigest(m[3], text);
  return ref;
}

/**
 * go-digest's checks, with its messages. Docker also takes sha384 and
 * sha512 digests; berth addresses content by sha256 only (all Docker
 * writes), so it refuses them as an unsupported algorithm.
 */
function checkDigest(d: string, text: string): Digest {
  const [algorithm, hex] = d.split(':') as [string, string];
  if (algorithm !== 'sha256') throw invalid('unsupported digest algorithm', text);
  if (hex.length !== 64) throw invalid('invalid checksum digest length', text);
  if (!/^[a-f0-9]+$/.test(hex)) throw invalid('invalid checksum digest format', text);
  return d as Digest;
}

/** Docker's TagNameOnly: a bare name gets ":latest"; a tag or a digest is left as it is. */
export function withDefaultTag(ref: Reference): Reference {
  return ref.tag === undefined && ref.digest === undefined ? { ...ref, tag: DEFAULT_TAG } : ref;
}

/**
 * What a pull or a lookup means by a reference (Docker's ParseDockerRef):
 * normalized, ":latest" when nothing is given, and the digest alone when
 * both a tag and a digest are (the digest decides; the tag is decoration).
 */
export function parseDockerRef(text: string): Reference {
  const ref = parseReference(text);
  if (ref.digest !== undefined) return { domain: ref.domain, path: ref.path, digest: ref.digest };
  return withDefaultTag(ref);
}

/**
 * An image id or a reference, as `docker inspect`, `rmi` and `run` take
 * them (Docker's ParseAnyReference): 64 hex digits or "sha256:<hex>" are an
 * id; anything else must be a reference. Id prefixes are left to the image
 * store, which knows the ids.
 */
export function parseAnyReference(text: string): { id: Digest } | { ref: Reference } {
  if (IDENTIFIER_RE.test(text)) return { id: digestFromHex(text) };
  if (isDigest(text)) return { id: text };
  return { ref: parseReference(text) };
}

/** Checks a tag by itself (`docker tag`'s target tag, a pull's --tag). */
export function parseTag(tag: string): string {
  if (!TAG_RE.test(tag)) throw invalid('invalid tag format', tag);
  return tag;
}

export function withTag(ref: Reference, tag: string): Reference {
  return { ...ref, tag: parseTag(tag) };
}

export function withDigest(ref: Reference, digest: Digest): Reference {
  return { ...ref, digest };
}

/** The repository alone, without tag or digest (Docker's TrimNamed). */
export function nameOnly(ref: Reference): Reference {
  return { domain: ref.domain, path: ref.path };
}

/** "docker.io/library/busybox" */
export function repositoryName(ref: Reference): string {
  return ref.domain ? `${ref.domain}/${ref.path}` : ref.path;
}

/** The full form, as stored: "docker.io/library/busybox:latest", "localhost:5000/x@sha256:…". */
export function formatReference(ref: Reference): string {
  return repositoryName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The name as docker prints it: docker.io and "library/" dropped ("busybox", "user/app", "localhost:5000/x"). */
export function familiarName(ref: Reference): string {
  if (ref.domain !== DEFAULT_DOMAIN) return repositoryName(ref);
  return ref.path.startsWith(OFFICIAL_REPO_PREFIX) ? ref.path.slice(OFFICIAL_REPO_PREFIX.length) : ref.path;
}

/** The reference as docker prints it: "busybox:latest", "user/app@sha256:…". */
export function familiarString(ref: Reference): string {
  return familiarName(ref) + (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}
