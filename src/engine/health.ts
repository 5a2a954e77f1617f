import { FrameDecoder } from '../lib/stdcopy.js';
import type { HealthConfig } from '../spec/oci-image.js';
import type { Container } from './container.js';
import { connectSocket } from './monitor.js';

/** inspect's State.Health, as dockerd keeps it. */
export interface Health {
  Status: 'starting' | 'healthy' | 'unhealthy';
  FailingStreak: number;
  Log: HealthLogEntry[];
}

export interface HealthLogEntry {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** What one probe gave: its exit code (-1: it ran past its timeout or could not run) and output. */
export interface ProbeResult {
  exitCode: number;
  output: string;
}

/** Runs a probe command in the container; resolves when it ends or its time is up (then it is killed). */
export type Probe = (c: Container, cmd: string[], timeoutNs: number) => Promise<ProbeResult>;

/** dockerd's defaults (nanoseconds), and what it keeps of the results. */
const SECOND_NS = 1e9;
const DEFAULT_INTERVAL_NS = 30 * SECOND_NS;
const DEFAULT_TIMEOUT_NS = 30 * SECOND_NS;
const DEFAULT_RETRIES = 3;
const MAX_LOG_ENTRIES = 5;
const MAX_OUTPUT = 4096;

/** The command a healthcheck runs, or undefined when it has none (no Test, or NONE). */
export function probeCommand(c: Container): string[] | undefined {
  const h: HealthConfig | null | undefined = c.Config.Healthcheck;
  const test = h?.Test ?? [];
  if (test[0] === 'CMD' && test.length > 1) return test.slice(1);
  if (test[0] === 'CMD-SHELL' && test.length > 1) return [...(c.Config.Shell?.length ? c.Config.Shell : ['/bin/sh', '-c']), test.slice(1).join(' ')];
  return undefined;
}

/**
 * Docker's health checks: while a container with a healthcheck runs, its
 * probe runs every interval (the first one interval after the start), in
 * the container as an exec. Status starts as "starting"; a success makes
 * it "healthy"; `retries` failures in a row make it "unhealthy", except
 * that failures within the start period do not count while no probe has
 * succeeded yet. The last five results are kept, each output cut to 4096
 * bytes. A container that stops is "unhealthy" until it starts again.
 */
export class HealthMonitors {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly probe: Probe,
    /** the status changed (dockerd's "health_status: <status>" event) */
    private readonly onStatus: (c: Container, status: Health['Status']) => void,
    /** a result was recorded (the container's record is saved) */
    private readonly onResult: (c: Container) => void,
  ) {}

  /**
   * Starts probing a container that has just started (`fresh`: its status
   * starts over) or that a restarted daemon found running (it keeps its own).
   */
  watch(c: Container, fresh: boolean): void {
    this.stop(c.ID);
    if (!probeCommand(c)) return;
    if (fresh || !c.State.Health) c.State = { ...c.State, Health: { Status: 'starting', FailingStreak: 0, Log: c.State.Health?.Log ?? [] } };
    this.schedule(c);
  }

  /** Stops probing (the container has stopped): unhealthy, as dockerd says of a stopped one. */
  stopped(c: Container): void {
    this.stop(c.ID);
    if (c.State.Health) c.State = { ...c.State, Health: { ...c.State.Health, Status: 'unhealthy', FailingStreak: 0 } };
  }

  /** Stops probing without a change (the daemon shuts down, the container is removed). */
  stop(id: string): void {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  stopAll(): void {
    for (const id of [...this.timers.keys()]) this.stop(id);
  }

  private schedule(c: Container): void {
    const h = c.Config.Healthcheck ?? {};
    const timer = setTimeout(() => void this.run(c, timer), (h.Interval || DEFAULT_INTERVAL_NS) / 1e6);
    timer.unref();
    this.timers.set(c.ID, timer);
  }

  private async run(c: Container, timer: NodeJS.Timeout): Promise<void> {
    const cmd = probeCommand(c);
    if (!cmd || !c.State.Running) return;
    const h = c.Config.Healthcheck ?? {};
    const start = new Date();
    let result: ProbeResult;
    try {
      result = await this.probe(c, cmd, h.Timeout || DEFAULT_TIMEOUT_NS);
    } catch (err) {
      result = { exitCode: -1, output: (err as Error).message };
    }
    // stopped (or watched anew) meanwhile: this result is not the current run's
    if (this.timers.get(c.ID) !== timer) return;
    this.record(c, start, result);
    this.schedule(c);
  }

  private record(c: Container, start: Date, result: ProbeResult): void {
    const h = c.Config.Healthcheck ?? {};
    const health: Health = { ...(c.State.Health ?? { Status: 'starting', FailingStreak: 0, Log: [] }) };
    const before = health.Status;
    const output = Buffer.from(result.output);
    const entry: HealthLogEntry = { Start: start.toISOString(), End: new Date().toISOString(), ExitCode: result.exitCode, Output: output.length > MAX_OUTPUT ? output.subarray(0, MAX_OUTPUT).toString() : result.output };
    health.Log = [...health.Log, entry].slice(-MAX_LOG_ENTRIES);
    if (result.exitCode === 0) {
      health.FailingStreak = 0;
      health.Status = 'healthy';
    } else {
      const sinceStart = start.getTime() - Date.parse(c.State.StartedAt);
      const inStartPeriod = health.Status === 'starting' && sinceStart * 1e6 < (h.StartPeriod ?? 0);
      if (!inStartPeriod) {
        health.FailingStreak++;
        if (health.FailingStreak >= (h.Retries || DEFAULT_RETRIES)) health.Status = 'unhealthy';
      }
    }
    c.State = { ...c.State, Health: health };
    this.onResult(c);
    if (health.Status !== before) this.onStatus(c, health.Status);
  }
}

/** A probe's output (stdout and stderr as they came, the first 4096 bytes kept), from its exec's attach socket until it closes. */
export async function probeOutput(attachSocket: string): Promise<string> {
  const socket = await connectSocket(attachSocket);
  const decoder = new FrameDecoder();
  const kept: Buffer[] = [];
  let size = 0;
  return new Promise((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of decoder.push(chunk)) {
          if (size < MAX_OUTPUT) kept.push(f.payload);
          size += f.payload.length;
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(kept).subarray(0, MAX_OUTPUT).toString()));
  });
}

/** Go's time.Duration text for whole nanoseconds ("30s", "1m30s", "500ms"), as dockerd words a probe's timeout. */
export function goDuration(ns: number): string {
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = trim((ns % 60e9) / 1e9);
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}

const trim = (v: number): string => String(Number(v.toFixed(9)));
