import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { EngineError } from '../errors/engine-error.js';

/**
 * A request taken off Node's HTTP parser right after its head: an `Upgrade`
 * request, or a POST to a route that may hijack. Node hands over the socket
 * and the bytes it had read past the head; those are the request's body
 * (Content-Length bytes, docker's exec start sends one) and then whatever
 * the client streams (stdin). The connection serves this one request.
 */
export class RawRequest {
  private pending: Buffer;

  constructor(
    readonly socket: Socket,
    head: Buffer,
    private readonly req: IncomingMessage,
  ) {
    this.pending = head;
  }

  /** The body declared by Content-Length, read from the buffered bytes and then the socket. */
  async readBody(): Promise<Buffer> {
    if (this.req.headers['transfer-encoding'] !== undefined) {
      throw new EngineError('InvalidArgument', 'CHUNKED_BODY_UNSUPPORTED', `a chunked request body is not supported on ${this.req.method} ${this.req.url}`, {
        hint: 'send the body with a Content-Length',
      });
    }
    const declared = this.req.headers['content-length'];
    const length = declared === undefined ? 0 : Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) throw new EngineError('InvalidArgument', 'BAD_CONTENT_LENGTH', `invalid Content-Length ${JSON.stringify(declared)}`);
    while (this.pending.length < length) {
      const more = await readMore(this.socket);
      if (more === null) throw new EngineError('InvalidArgument', 'TRUNCATED_BODY', `the request body ended after ${this.pending.length} of ${length} bytes`);
      this.pending = Buffer.concat([this.pending, more]);
    }
    const body = Buffer.from(this.pending.subarray(0, length));
    this.pending = this.pending.subarray(length);
    return body;
  }

  /** Writes the response head and gives the socket, its unread bytes put back in front. */
  takeOver(responseHead: string): Socket {
    this.socket.write(responseHead);
    if (this.pending.length > 0) this.socket.unshift(this.pending);
    this.pending = Buffer.alloc(0);
    return this.socket;
  }

  /** An HTTP response on the socket, for a handler that answers without hijacking; the connection closes after it. */
  response(req: IncomingMessage): ServerResponse {
    const res = new ServerResponse(req);
    res.assignSocket(this.socket);
    res.shouldKeepAlive = false;
    res.on('finish', () => {
      res.detachSocket(this.socket);
      this.close();
    });
    return res;
  }

  /** Ends our side once written, then drops the connection (the handler is done with it). */
  close(): void {
    if (this.socket.destroyed) return;
    if (this.socket.writableEnded) this.socket.destroy();
    else this.socket.end(() => this.socket.destroy());
  }
}

/** The next bytes from a socket in paused mode, or null at its end; leaves it paused. */
function readMore(socket: Socket): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const onReadable = (): void => {
      const chunk = socket.read() as Buffer | null;
      if (chunk !== null) finish(() => resolve(chunk));
    };
    const onEnd = (): void => finish(() => resolve(null));
    const onError = (err: Error): void => finish(() => reject(err));
    const finish = (then: () => void): void => {
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      then();
    };
    if (socket.destroyed) return resolve(null);
    socket.on('readable', onReadable);
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    socket.on('error', onError);
  });
}
