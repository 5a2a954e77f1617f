import { once } from 'node:events';
import { Writable } from 'node:stream';
import { EngineError } from '../errors/engine-error.js';

/**
 * Docker's "stdcopy" framing: how one byte stream carries a container's
 * stdout and stderr (logs, attach and exec of a container without a TTY).
 * Every frame is an 8-byte header — the stream id, three zero bytes, the
 * payload length as a big-endian uint32 — followed by the payload.
 *
 *   [stream 0|1|2|3] [0] [0] [0] [len b3] [len b2] [len b1] [len b0] payload…
 *
 * The daemon frames (frameWriter, encodeFrame), clients split (FrameDecoder,
 * demultiplex). A frame may arrive in any number of chunks and a chunk may
 * hold any number of frames.
 */
export const StdStream = { Stdin: 0, Stdout: 1, Stderr: 2, Systemerr: 3 } as const;
export type StdStreamId = (typeof StdStream)[keyof typeof StdStream];

export const FRAME_HEADER_SIZE = 8;
const MAX_PAYLOAD = 0xffff_ffff;

export interface StdFrame {
  stream: StdStreamId;
  payload: Buffer;
}

/** One frame: header and payload in a single buffer, so that one write keeps it whole. */
export function encodeFrame(stream: StdStreamId, payload: Uint8Array | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  if (data.length > MAX_PAYLOAD) throw new RangeError(`stdcopy frame payload of ${data.length} bytes exceeds ${MAX_PAYLOAD}`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_SIZE + data.length);
  frame.writeUInt32BE(0, 0);
  frame[0] = stream;
  frame.writeUInt32BE(data.length, 4);
  frame.set(data, FRAME_HEADER_SIZE);
  return frame;
}

/**
 * A Writable that frames every chunk written to it for one stream and writes
 * the frame to `dest`. Two of them (stdout, stderr) may share one destination:
 * each frame goes in one write, so frames never interleave. Ending it does not
 * end `dest`, which the other stream may still use. Empty writes send nothing,
 * as Docker's writer does (an empty frame means nothing to a reader).
 */
export function frameWriter(dest: Writable, stream: StdStreamId): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (chunk.length === 0) return callback();
      dest.write(encodeFrame(stream, chunk), (err) => callback(err ?? null));
    },
  });
}

/**
 * Splits a framed byte stream. push() returns the frames completed by a chunk
 * and keeps a partial one for the next; finish() says whether the stream
 * stopped inside a frame.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  push(chunk: Uint8Array): StdFrame[] {
    if (chunk.length > 0) {
      this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.pendingBytes += chunk.length;
    }
    const frames: StdFrame[] = [];
    if (this.pendingBytes < FRAME_HEADER_SIZE) return frames;
    let buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    while (buf.length - offset >= FRAME_HEADER_SIZE) {
      const stream = buf[offset]!;
      if (stream > StdStream.Systemerr) {
        throw new EngineError('Internal', 'STDCOPY_BAD_HEADER', `read multiplexed stream: unrecognized stream id ${stream} in a frame header`, {
          hint: 'the stream is not in Docker\'s stdcopy format: was the container started with a TTY?',
        });
      }
      const size = buf.readUInt32BE(offset + 4);
      if (buf.length - offset - FRAME_HEADER_SIZE < size) break;
      const start = offset + FRAME_HEADER_SIZE;
      // copy: the payload must not pin (or alias) the reassembly buffer
      frames.push({ stream: stream as StdStreamId, payload: Buffer.from(buf.subarray(start, start + size)) });
      offset = start + size;
    }
    buf = buf.subarray(offset);
    this.pending = buf.length > 0 ? [buf] : [];
    this.pendingBytes = buf.length;
    return frames;
  }

  /** Bytes held back as the start of an incomplete frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /** Throws if the stream ended inside a frame. */
  finish(): void {
    if (this.pendingBytes > 0) {
      throw new EngineError('Internal', 'STDCOPY_TRUNCATED', `read multiplexed stream: the stream ended inside a frame (${this.pendingBytes} bytes of it received)`);
    }
  }
}

export interface DemuxSinks {
  /** Receives stdout frames (and stdin frames, as Docker's StdCopy does). Dropped when absent. */
  stdout?: Writable | undefined;
  /** Receives stderr frames. Dropped when absent. */
  stderr?: Writable | undefined;
}

export interface DemuxResult {
  stdoutBytes: number;
  stderrBytes: number;
}

/**
 * Copies a framed stream into stdout and stderr, waiting for a slow sink to
 * drain. A systemerr frame is the daemon reporting a failure inside the
 * stream: it ends the copy with that error, worded as Docker's client words it.
 * The sinks are not ended.
 */
export async function demultiplex(source: AsyncIterable<Uint8Array>, sinks: DemuxSinks): Promise<DemuxResult> {
  const decoder = new FrameDecoder();
  const result: DemuxResult = { stdoutBytes: 0, stderrBytes: 0 };
  for await (const chunk of source) {
    for (const frame of decoder.push(chunk)) {
      let sink: Writable | undefined;
      switch (frame.stream) {
        case StdStream.Systemerr:
          throw new EngineError('Internal', 'DAEMON_STREAM_ERROR', `error from daemon in stream: ${frame.payload.toString()}`);
        case StdStream.Stderr:
          sink = sinks.stderr;
          result.stderrBytes += frame.payload.length;
          break;
        default:
          sink = sinks.stdout;
          result.stdoutBytes += frame.payload.length;
      }
      if (sink && !sink.write(frame.payload)) await once(sink, 'drain');
    }
  }
  decoder.finish();
  return result;
}
