import { spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { DetachKeyScanner } from '../../lib/detach-keys.js';
import { demultiplex } from '../../lib/stdcopy.js';

export interface SessionIo {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
}

/**
 * A hijacked attach or exec connection wired to the terminal, as docker's
 * CLI does it: the container's output to stdout/stderr (demultiplexed
 * unless it has a TTY), our stdin to it when asked (the terminal in raw
 * mode for a TTY), and our end of stdin as a half-close. Resolves when the
 * daemon ends the stream (the process has ended or was detached), or when
 * the detach keys are typed into a TTY session (then `detached`: the
 * process goes on; docker's CLI watches for them too, before the daemon).
 */
export async function runSession(socket: Socket, io: SessionIo, opts: { tty: boolean; stdin: boolean; detachKeys?: Buffer; onResize?: (rows: number, cols: number) => void }): Promise<{ detached: boolean }> {
  const raw = opts.tty && opts.stdin && io.stdin.isTTY === true && typeof io.stdin.setRawMode === 'function';
  if (raw) {
    io.stdin.setRawMode!(true);
    // libuv's raw mode keeps output processing (\n → \r\n), and the container's terminal already did it
    spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  }
  const resize = (): void => {
    if (opts.onResize && io.stdout.rows && io.stdout.columns) opts.onResize(io.stdout.rows, io.stdout.columns);
  };
  if (opts.tty) {
    resize();
    process.on('SIGWINCH', resize);
  }
  const scanner = opts.tty && opts.detachKeys ? new DetachKeyScanner(opts.detachKeys) : undefined;
  const feed = (chunk: Buffer): void => {
    const pass = scanner ? scanner.feed(chunk) : chunk;
    if (pass.length) socket.write(pass);
    if (scanner?.detached) socket.destroy();
  };
  const endInput = (): void => void socket.end();
  if (opts.stdin) {
    io.stdin.on('data', feed);
    io.stdin.once('end', endInput);
    io.stdin.resume();
  }
  try {
    if (opts.tty) {
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => io.stdout.write(chunk));
        socket.on('close', () => resolve());
        socket.on('error', () => resolve());
      });
    } else {
      // a half-closed socket still gives its data: read it as a stream until the daemon ends
      await demultiplex(socketChunks(socket), { stdout: io.stdout, stderr: io.stderr }).catch(() => undefined);
    }
  } finally {
    if (opts.stdin) {
      io.stdin.off('data', feed);
      io.stdin.off('end', endInput);
      io.stdin.pause();
    }
    if (opts.tty) process.off('SIGWINCH', resize);
    if (raw) io.stdin.setRawMode!(false);
  }
  return { detached: scanner?.detached === true };
}

/** The socket's data as an async iterable that ends at its close, without destroying it when stdin ends first. */
async function* socketChunks(socket: Socket): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let done = false;
  let wake: (() => void) | undefined;
  socket.on('data', (c: Buffer) => {
    queue.push(c);
    wake?.();
  });
  const finish = (): void => {
    done = true;
    wake?.();
  };
  socket.on('close', finish);
  socket.on('error', finish);
  for (;;) {
    if (queue.length) {
      yield queue.shift()!;
      continue;
    }
    if (done) return;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
}
