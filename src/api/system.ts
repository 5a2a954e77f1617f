import { arch as osArch, release } from 'node:os';
import { hostPlatform } from '../image/config.js';
import type { RequestContext } from './context.js';
import type { Router } from './router.js';
import { API_VERSION, MIN_API_VERSION } from './version.js';

/** What the daemon says about itself in /version, /_ping and every response's headers. */
export interface VersionInfo {
  /** berth's version, e.g. "0.1.0". */
  version: string;
  gitCommit?: string;
  /** RFC 3339, as dockerd reports it. */
  buildTime?: string;
  /** The highest API version served; API_VERSION unless told. */
  apiVersion?: string;
  /** The lowest; MIN_API_VERSION unless told. */
  minApiVersion?: string;
  /** Platform.Name of /version. */
  platformName?: string;
  experimental?: boolean;
  /**
   * /_ping's Builder-Version: "1" (the classic builder berth implements, the
   * default) or "2" (BuildKit), which makes docker's CLI choose how to build.
   */
  builderVersion?: string;
  /** Defaults to this machine's. */
  kernelVersion?: string;
  os?: string;
  arch?: string;
  /** Components besides the engine (a runtime, the shim), as dockerd lists containerd and runc. */
  components?: ComponentVersion[];
}

export interface ComponentVersion {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

/** GET /version's answer, in Docker's shape (types.Version). */
export interface SystemVersion {
  Platform: { Name: string };
  Components: ComponentVersion[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion: string;
  Experimental?: boolean;
  BuildTime: string;
}

export function systemVersion(info: VersionInfo): SystemVersion {
  const apiVersion = info.apiVersion ?? API_VERSION;
  const minApiVersion = info.minApiVersion ?? MIN_API_VERSION;
  const gitCommit = info.gitCommit ?? '';
  // the field is Go's; the runtime berthd is built on is Node's, which is what it should name
  const goVersion = `node ${process.version}`;
  const os = info.os ?? 'linux';
  const arch = info.arch ?? hostPlatform().architecture ?? osArch();
  const kernelVersion = info.kernelVersion ?? release();
  const buildTime = info.buildTime ?? '';
  const experimental = info.experimental ?? false;
  const engine: ComponentVersion = {
    Name: 'Engine',
    Version: info.version,
    Details: {
      ApiVersion: apiVersion,
      Arch: arch,
      BuildTime: buildTime,
      Experimental: String(experimental),
      GitCommit: gitCommit,
      GoVersion: goVersion,
      KernelVersion: kernelVersion,
      MinAPIVersion: minApiVersion,
      Os: os,
    },
  };
  const out: SystemVersion = {
    Platform: { Name: info.platformName ?? 'berth' },
    Components: [engine, ...(info.components ?? [])],
    Version: info.version,
    ApiVersion: apiVersion,
    MinAPIVersion: minApiVersion,
    GitCommit: gitCommit,
    GoVersion: goVersion,
    Os: os,
    Arch: arch,
    KernelVersion: kernelVersion,
    BuildTime: buildTime,
  };
  if (experimental) out.Experimental = true; // omitempty, as dockerd
  return out;
}

/** GET and HEAD /_ping, GET /version. */
export function registerSystemRoutes(router: Router, info: VersionInfo): void {
  const version = systemVersion(info);
  const ping = (ctx: RequestContext): void => {
    ctx.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.setHeader('Pragma', 'no-cache');
    ctx.setHeader('Builder-Version', info.builderVersion ?? '1');
    ctx.setHeader('Swarm', 'inactive');
    ctx.text(200, ctx.method === 'HEAD' ? '' : 'OK');
  };
  router.get('/_ping', ping);
  router.head('/_ping', ping);
  router.get('/version', () => version);
}
