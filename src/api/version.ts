import { EngineError } from '../errors/engine-error.js';

/**
 * The Engine API versions berthd serves. 1.47 is dockerd 27's; the
 * minimum, 1.24, is every dockerd's since 25. A client newer than the
 * maximum (docker 28 speaks 1.50) negotiates down to it through /_ping's
 * Api-Version header; an older one (docker 20.10 speaks 1.41) keeps its own
 * version, which handlers receive to shape their answers as that version did.
 */
export const API_VERSION = '1.47';
export const MIN_API_VERSION = '1.24';

/**
 * Compares dotted versions number by number, a missing number counting as
 * 0 ("1.4" < "1.40", "1.41" == "1.41.0"), as dockerd does. Negative when a < b.
 */
export function compareApiVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.parseInt(pa[i] ?? '0', 10) || 0;
    const y = Number.parseInt(pb[i] ?? '0', 10) || 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const versionAtLeast = (version: string, min: string): boolean => compareApiVersions(version, min) >= 0;
export const versionBelow = (version: string, than: string): boolean => compareApiVersions(version, than) < 0;

/** The "/v1.41" that may start a request path, as dockerd's router matches it (`/v{version:[0-9.]+}`). */
const PREFIX = /^\/v([0-9.]+)(?=\/|$)/;

/** Splits "/v1.41/containers/json" into the version and the path under it. */
export function splitVersionPrefix(path: string): { version: string | undefined; path: string } {
  const m = PREFIX.exec(path);
  if (!m) return { version: undefined, path };
  return { version: m[1]!, path: path.slice(m[0].length) || '/' };
}

export interface ApiVersionRange {
  max: string;
  min: string;
}

/** The version a request is served at, or dockerd's error for one outside the range. */
export function checkRequestedVersion(requested: string | undefined, range: ApiVersionRange): string {
  const version = requested ?? range.max;
  if (versionBelow(version, range.min)) {
    throw new EngineError(
      'InvalidArgument',
      'API_VERSION_TOO_OLD',
      `client version ${version} is too old. Minimum supported API version is ${range.min}, please upgrade your client to a newer version`,
    );
  }
  if (compareApiVersions(version, range.max) > 0) {
    throw new EngineError('InvalidArgument', 'API_VERSION_TOO_NEW', `client version ${version} is too new. Maximum supported API version is ${range.max}`);
  }
  return version;
}
