import assert from 'node:assert/strict';
import { PassThrough, Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { test } from 'node:test';
import { isEngineError } from '../errors/engine-error.js';
import { demultiplex, encodeFrame, FrameDecoder, frameWriter, StdStream } from './stdcopy.js';

/** A slow sink; text() ends it and waits for every write. */
function collector(highWaterMark = 16 * 1024): { sink: Writable; text: () => Promise<string> } {
  const parts: Buffer[] = [];
  const sink = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, cb) {
      parts.push(chunk);
      setImmediate(cb); // slow enough to exercise drain
    },
  });
  const text = async (): Promise<string> => {
    sink.end();
    await finished(sink);
    return Buffer.concat(parts).toString();
  };
  return { sink, text };
}

test('encodeFrame writes the 8-byte header Docker reads', () => {
  const frame = encodeFrame(StdStream.Stderr, 'hi');
  assert.deepEqual([...frame], [2, 0, 0, 0, 0, 0, 0, 2, 0x68, 0x69]);
  const big = encodeFrame(StdStream.Stdout, Buffer.alloc(0x10203));
  assert.deepEqual([...big.subarray(0, 8)], [1, 0, 0, 0, 0, 1, 2, 3]);
});

test('FrameDecoder: frames split across chunks, several frames in one chunk, empty frames', () => {
  const stream = Buffer.concat([
    encodeFrame(StdStream.Stdout, 'hello '),
    encodeFrame(StdStream.Stderr, 'oops\n'),
    encodeFrame(StdStream.Stdout, ''),
    encodeFrame(StdStream.Stdout, 'world\n'),
  ]);
  // every split point, and one byte at a time
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder();
    const frames = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(frames.map((f) => [f.stream, f.payload.toString()]), [[1, 'hello '], [2, 'oops\n'], [1, ''], [1, 'world\n']]);
    d.finish();
  }
  const d = new FrameDecoder();
  const out: string[] = [];
  for (const byte of stream) for (const f of d.push(Buffer.from([byte]))) out.push(f.payload.toString());
  assert.equal(out.join(''), 'hello oops\nworld\n');
  assert.equal(d.buffered, 0);
});

test('FrameDecoder: a payload does not alias the bytes pushed later', () => {
  const d = new FrameDecoder();
  const chunk = encodeFrame(StdStream.Stdout, 'abc');
  const [frame] = d.push(chunk);
  chunk.fill(0);
  assert.equal(frame!.payload.toString(), 'abc');
});

test('FrameDecoder: a stream cut inside a frame, and a header with a bad stream id', () => {
  const d = new FrameDecoder();
  d.push(encodeFrame(StdStream.Stdout, 'abcdef').subarray(0, 10));
  assert.equal(d.buffered, 10);
  assert.throws(() => d.finish(), (e) => isEngineError(e, 'STDCOPY_TRUNCATED'));
  assert.throws(() => new FrameDecoder().push(Buffer.from('hello, raw tty output')), (e) => isEngineError(e, 'STDCOPY_BAD_HEADER'));
});

test('frameWriter → demultiplex round trip through a shared stream, with backpressure', async () => {
  const wire = new PassThrough();
  const out = frameWriter(wire, StdStream.Stdout);
  const err = frameWriter(wire, StdStream.Stderr);
  const stdout = collector(4);
  const stderr = collector(4);
  const done = demultiplex(wire, { stdout: stdout.sink, stderr: stderr.sink });
  let expectOut = '';
  let expectErr = '';
  for (let i = 0; i < 200; i++) {
    const line = `line ${i} ${'x'.repeat(i % 37)}\n`;
    if (i % 3 === 0) {
      err.write(line);
      expectErr += line;
    } else {
      out.write(line);
      expectOut += line;
    }
  }
  out.write(''); // nothing on the wire
  out.end();
  err.end();
  await Promise.all([finished(out), finished(err)]);
  wire.end();
  const result = await done;
  assert.equal(await stdout.text(), expectOut);
  assert.equal(await stderr.text(), expectErr);
  assert.deepEqual(result, { stdoutBytes: Buffer.byteLength(expectOut), stderrBytes: Buffer.byteLength(expectErr) });
});

test('demultiplex: stdin frames go to stdout, missing sinks drop their stream, systemerr ends the copy', async () => {
  const stdout = collector();
  await demultiplex(Readable.from([Buffer.concat([encodeFrame(StdStream.Stdin, 'in;'), encodeFrame(StdStream.Stderr, 'dropped'), encodeFrame(StdStream.Stdout, 'out')])]), { stdout: stdout.sink });
  assert.equal(await stdout.text(), 'in;out');

  const failing = Readable.from([Buffer.concat([encodeFrame(StdStream.Stdout, 'partial'), encodeFrame(StdStream.Systemerr, 'container exited unexpectedly')])]);
  await assert.rejects(demultiplex(failing, { stdout: collector().sink }), (e) => {
    assert.ok(isEngineError(e, 'DAEMON_STREAM_ERROR'));
    assert.equal(e.message, 'error from daemon in stream: container exited unexpectedly');
    return true;
  });

  await assert.rejects(demultiplex(Readable.from([encodeFrame(StdStream.Stdout, 'abc').subarray(0, 9)]), {}), (e) => isEngineError(e, 'STDCOPY_TRUNCATED'));
});
