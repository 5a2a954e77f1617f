import { EngineError } from '../errors/engine-error.js';
import type { RequestContext } from './context.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

/**
 * A route's handler. It answers through the context (json, noContent,
 * stream, hijack) or returns a value, which is sent as JSON with 200. When
 * it settles without having answered, the reply is 200 with an empty body,
 * as dockerd's is when a handler writes nothing. A stream or hijacked
 * connection is closed when the handler settles: await the end of streaming.
 */
export type Handler = (ctx: RequestContext) => unknown;

export interface RouteOptions {
  /**
   * The route may take over its connection (attach, exec start) even when
   * the client sends no `Upgrade: tcp`: the request is then read as far as
   * its head only, and the bytes after it belong to the handler.
   */
  hijack?: boolean;
}

export interface Route {
  readonly method: HttpMethod;
  readonly pattern: string;
  readonly handler: Handler;
  readonly hijack: boolean;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

/**
 * Routes by method and path pattern, in the order they were added (the
 * first match wins, as in dockerd's router). A pattern's segments are
 * literals, `:name` (one segment) or `:name*` (one or more segments, for
 * image and plugin names, which hold slashes: `/images/:name*` then `/json`).
 * Parameters are percent-decoded. Paths reach the router without the
 * `/v1.NN` prefix; a HEAD is not served by a GET route (dockerd's are not).
 */
export class Router {
  private readonly table: CompiledRoute[] = [];

  get(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.add('GET', pattern, handler, options);
  }
  head(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.add('HEAD', pattern, handler, options);
  }
  post(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.add('POST', pattern, handler, options);
  }
  put(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.add('PUT', pattern, handler, options);
  }
  delete(pattern: string, handler: Handler, options?: RouteOptions): this {
    return this.add('DELETE', pattern, handler, options);
  }

  add(method: HttpMethod, pattern: string, handler: Handler, options: RouteOptions = {}): this {
    if (this.table.some((r) => r.method === method && r.pattern === pattern)) {
      throw new Error(`route ${method} ${pattern} is registered twice`);
    }
    const { regex, names } = compile(pattern);
    this.table.push({ method, pattern, handler, hijack: options.hijack === true, regex, names });
    return this;
  }

  /** The route for a method and a path (raw: still percent-encoded, no query). */
  match(method: string, path: string): RouteMatch | undefined {
    for (const r of this.table) {
      if (r.method !== method) continue;
      const m = r.regex.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      r.names.forEach((name, i) => {
        params[name] = decodeParam(name, m[i + 1]!);
      });
      return { route: r, params };
    }
    return undefined;
  }

  /** Every route, in matching order. */
  routes(): Route[] {
    return this.table.map(({ method, pattern, handler, hijack }) => ({ method, pattern, handler, hijack }));
  }
}

function compile(pattern: string): { regex: RegExp; names: string[] } {
  if (!pattern.startsWith('/')) throw new Error(`route pattern ${JSON.stringify(pattern)} must start with "/"`);
  const names: string[] = [];
  const parts = pattern
    .slice(1)
    .split('/')
    .map((seg) => {
      const m = /^:([A-Za-z_][A-Za-z0-9_]*)(\*?)$/.exec(seg);
      if (!m) {
        if (seg.includes(':')) throw new Error(`route pattern ${JSON.stringify(pattern)}: bad parameter segment ${JSON.stringify(seg)}`);
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      if (names.includes(m[1]!)) throw new Error(`route pattern ${JSON.stringify(pattern)} names ${m[1]} twice`);
      names.push(m[1]!);
      return m[2] ? '(.+)' : '([^/]+)';
    });
  return { regex: new RegExp(`^/${parts.join('/')}$`), names };
}

function decodeParam(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new EngineError('InvalidArgument', 'BAD_PATH_PARAMETER', `invalid ${name} in the request path: ${JSON.stringify(raw)} is not valid percent-encoding`);
  }
}
