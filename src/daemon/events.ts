import type { EventEmitter } from 'node:events';
import type { EngineEvent } from '../engine/engine.js';

/**
 * `docker events`: the engine's events as Docker's events.Message — the
 * old fields (status, id, from) filled for containers and images as
 * dockerd fills them — kept in a bounded ring for `since`, and handed to
 * every listener as they happen.
 */

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

/** dockerd keeps the last 256 events for `since`. */
export const EVENTS_KEPT = 256;

/** Docker's message for an engine event: attributes in key order, as Go's maps marshal. */
export function toMessage(e: EngineEvent | Omit<EventMessage, 'scope'>): EventMessage {
  const attributes = Object.fromEntries(Object.entries(e.Actor.Attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const old: Partial<EventMessage> = {};
  if (e.Type === 'container' || e.Type === 'image') {
    old.status = e.Action;
    old.id = e.Actor.ID;
    if (e.Type === 'container' && attributes['image'] !== undefined) old.from = attributes['image'];
  }
  return { ...old, Type: e.Type, Action: e.Action, Actor: { ID: e.Actor.ID, Attributes: attributes }, scope: 'local', time: e.time, timeNano: e.timeNano };
}

export interface Subscription {
  /** Kept events in the window, oldest first (none when neither since nor until was given). */
  past: EventMessage[];
  /** Called with each new event that passes the filters. */
  onEvent(listener: (m: EventMessage) => void): void;
  close(): void;
}

export interface SubscribeOptions {
  /** epoch nanoseconds, as bigint: a double cannot hold them exactly */
  since?: bigint;
  until?: bigint;
  filters?: Record<string, string[]>;
}

export class EventLog {
  private readonly ring: EventMessage[] = [];
  private readonly listeners = new Set<(m: EventMessage) => void>();

  constructor(
    source: EventEmitter,
    private readonly limit = EVENTS_KEPT,
  ) {
    source.on('event', (e: EngineEvent) => this.publish(toMessage(e)));
  }

  /** Clients streaming events now (docker info's NEventsListener). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  publish(m: EventMessage): void {
    this.ring.push(m);
    if (this.ring.length > this.limit) this.ring.splice(0, this.ring.length - this.limit);
    for (const l of this.listeners) l(m);
  }

  subscribe(opts: SubscribeOptions = {}): Subscription {
    const filters = opts.filters ?? {};
    const past: EventMessage[] = [];
    if (opts.since !== undefined || opts.until !== undefined) {
      for (const m of this.ring) {
        const t = nanosOf(m);
        if (opts.since !== undefined && t < opts.since) continue;
        if (opts.until !== undefined && t > opts.until) continue;
        if (eventMatches(m, filters)) past.push(m);
      }
    }
    let listener: ((m: EventMessage) => void) | undefined;
    return {
      past,
      onEvent: (fn) => {
        if (listener) this.listeners.delete(listener);
        listener = (m) => {
          if (eventMatches(m, filters)) fn(m);
        };
        this.listeners.add(listener);
      },
      close: () => {
        if (listener) this.listeners.delete(listener);
        listener = undefined;
      },
    };
  }
}

function nanosOf(m: EventMessage): bigint {
  return Number.isSafeInteger(m.timeNano) ? BigInt(m.timeNano) : BigInt(Math.round(m.timeNano / 1000)) * 1000n;
}

/** Exact when no values were given for the key, or one of them is the value. */
const exact = (values: string[] | undefined, v: string): boolean => !values?.length || values.includes(v);
/** As exact, or a value that begins with one of them (an ID prefix). */
const fuzzy = (values: string[] | undefined, v: string): boolean => !values?.length || values.some((f) => v === f || v.startsWith(f));
/** An image name without its tag ("busybox:1" → "busybox"; a registry port is no tag). */
const stripTag = (name: string): string => {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
};

/** The names a kind of object goes by in the filters, and the event types that are that kind. */
const NAMED_TYPES = ['container', 'volume', 'network', 'daemon', 'plugin', 'node', 'service', 'secret', 'config'] as const;

/**
 * dockerd's event filters: type, event (health_status, exec_create and
 * exec_start match as prefixes), container/volume/network/… by ID prefix or
 * name, image by ID or name with or without tag, label (every one given,
 * k or k=v), scope. A filter for one kind of object drops events of the
 * others (they do not go by its names). Keys it does not know are ignored, as dockerd ignores them.
 */
export function eventMatches(m: EventMessage, filters: Record<string, string[]>): boolean {
  const event = filters['event'];
  const prefixEvents = event?.some((e) => ['health_status', 'exec_create', 'exec_start'].includes(e));
  if (!(prefixEvents ? fuzzy(event, m.Action) : exact(event, m.Action))) return false;
  if (!exact(filters['type'], m.Type)) return false;
  if (!exact(filters['scope'], m.scope)) return false;
  const attrs = m.Actor.Attributes;
  for (const kind of NAMED_TYPES) {
    const values = filters[kind];
    if (!values?.length) continue;
    // as dockerd: by ID or name, whatever the event's type (a container filter drops image events by their names)
    if (!(fuzzy(values, m.Actor.ID) || fuzzy(values, attrs['name'] ?? ''))) return false;
  }
  const images = filters['image'];
  if (images?.length) {
    const name = attrs[m.Type === 'image' ? 'name' : 'image'] ?? '';
    const id = m.Actor.ID;
    if (![id, name, stripTag(id), stripTag(name)].some((v) => images.includes(v))) return false;
  }
  const labels = filters['label'];
  if (labels?.length) {
    const ok = labels.every((l) => {
      const eq = l.indexOf('=');
      return eq < 0 ? Object.hasOwn(attrs, l) : Object.hasOwn(attrs, l.slice(0, eq)) && attrs[l.slice(0, eq)] === l.slice(eq + 1);
    });
    if (!ok) return false;
  }
  return true;
}

const logs = new WeakMap<EventEmitter, EventLog>();

/**
 * The engine's event log, one per engine: made at the first ask (berthd's
 * route registration, as it starts) and shared from then on (GET /events,
 * /info's listener count).
 */
export function eventLogOf(engine: EventEmitter): EventLog {
  let log = logs.get(engine);
  if (!log) {
    log = new EventLog(engine);
    logs.set(engine, log);
  }
  return log;
}
