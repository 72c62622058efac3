import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LoopbackSourceServer, parseRange } from '#adapters/ffmpeg/loopback-source';
import { SourceMissingError } from '#core/processing-errors';
import type { ByteRange, ServedSource } from '#core/ports';
import { fakeObjectBytes, InMemoryObjectStore } from '#test/unit/fakes/in-memory-object-store';

const KEY = 'uploads/1/nonce';
const SIZE = 100_000;
/** How fetch reports a body the server stopped sending: the socket closed, not any other failure. */
const CUT_SHORT = {
  name: 'TypeError',
  message: 'terminated',
  cause: { name: 'SocketError', message: 'other side closed' },
};

describe('parseRange', () => {
  it.each([
    ['no header', undefined, { kind: 'whole' }],
    ['bytes=0- (how ffmpeg opens a file)', 'bytes=0-', { kind: 'range', range: { start: 0, end: 99_999 } }],
    ['a closed range', 'bytes=10-19', { kind: 'range', range: { start: 10, end: 19 } }],
    ['an open range', 'bytes=99000-', { kind: 'range', range: { start: 99_000, end: 99_999 } }],
    [
      'an end past the object, clamped',
      'bytes=99990-200000',
      { kind: 'range', range: { start: 99_990, end: 99_999 } },
    ],
    ['a suffix range', 'bytes=-100', { kind: 'range', range: { start: 99_900, end: 99_999 } }],
    ['a suffix longer than the object', 'bytes=-200000', { kind: 'range', range: { start: 0, end: 99_999 } }],
    ['a start at the end', 'bytes=100000-', { kind: 'unsatisfiable' }],
    ['an empty suffix', 'bytes=-0', { kind: 'unsatisfiable' }],
    ['several ranges (ignored)', 'bytes=0-1,5-6', { kind: 'whole' }],
    ['another unit (ignored)', 'items=0-1', { kind: 'whole' }],
    ['an end before the start (ignored)', 'bytes=20-10', { kind: 'whole' }],
  ] as const)('reads %s', (_name, header, expected) => {
    expect(parseRange(header, SIZE)).toEqual(expected);
  });

  it('finds nothing satisfiable in an empty object', () => {
    expect([parseRange('bytes=0-', 0), parseRange('bytes=-5', 0), parseRange(undefined, 0)]).toEqual([
      { kind: 'unsatisfiable' },
      { kind: 'unsatisfiable' },
      { kind: 'whole' },
    ]);
  });
});

describe('LoopbackSourceServer', () => {
  let objects: InMemoryObjectStore;
  let reads: { range: ByteRange | undefined; body: Readable }[];
  let source: ServedSource;

  /** The headers a test asserts; Date, Connection and Keep-Alive are Node's. */
  function headersOf(response: Response): Record<string, string> {
    return Object.fromEntries(
      [...response.headers].filter(([name]) => !['date', 'connection', 'keep-alive'].includes(name)),
    );
  }

  beforeEach(async () => {
    objects = new InMemoryObjectStore();
    objects.objects.set(KEY, SIZE);
    reads = [];
    const readRange = objects.readRange.bind(objects);
    objects.readRange = async (key, range, options) => {
      const read = await readRange(key, range, options);
      reads.push({ range, body: read.body });
      return read;
    };
    source = await new LoopbackSourceServer(objects).serve(KEY);
  });

  afterEach(async () => {
    await source.close();
  });

  it('serves a range with 206 and the bytes the store holds there, counting them', async () => {
    // Act
    const response = await fetch(source.url, { headers: { Range: 'bytes=1000-1999' } });
    const body = Buffer.from(await response.arrayBuffer());

    // Assess
    expect({ status: response.status, headers: headersOf(response) }).toEqual({
      status: 206,
      headers: {
        'accept-ranges': 'bytes',
        'content-length': '1000',
        'content-range': 'bytes 1000-1999/100000',
        'content-type': 'application/octet-stream',
      },
    });
    expect(body.equals(fakeObjectBytes(1_000, 2_000))).toBe(true);
    expect(reads.map((read) => read.range)).toEqual([{ start: 1_000, end: 1_999 }]);
    expect({ sent: source.bytesSent(), failure: source.failure() }).toEqual({
      sent: 1_000,
      failure: undefined,
    });
    expect(source.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]{32}$/);
  });

  it('serves the whole object with 200 when no range is asked', async () => {
    // Act
    const response = await fetch(source.url);
    const body = Buffer.from(await response.arrayBuffer());

    // Assess
    expect({ status: response.status, headers: headersOf(response) }).toEqual({
      status: 200,
      headers: {
        'accept-ranges': 'bytes',
        'content-length': '100000',
        'content-type': 'application/octet-stream',
      },
    });
    expect(body.equals(fakeObjectBytes(0, SIZE))).toBe(true);
    expect(reads.map((read) => read.range)).toEqual([undefined]);
    expect(source.bytesSent()).toBe(SIZE);
  });

  it('answers HEAD from the size it learned when it started, without reading the object', async () => {
    // Act
    const whole = await fetch(source.url, { method: 'HEAD' });
    const ranged = await fetch(source.url, { method: 'HEAD', headers: { Range: 'bytes=99000-' } });

    // Assess
    expect([whole.status, headersOf(whole), ranged.status, headersOf(ranged)]).toEqual([
      200,
      { 'accept-ranges': 'bytes', 'content-length': '100000', 'content-type': 'application/octet-stream' },
      206,
      {
        'accept-ranges': 'bytes',
        'content-length': '1000',
        'content-range': 'bytes 99000-99999/100000',
        'content-type': 'application/octet-stream',
      },
    ]);
    expect(reads).toEqual([]);
  });

  it('answers 416 with the object size to a range past its end', async () => {
    // Act
    const response = await fetch(source.url, { headers: { Range: 'bytes=100000-' } });

    // Assess
    expect({ status: response.status, headers: headersOf(response), body: await response.text() }).toEqual({
      status: 416,
      headers: {
        'accept-ranges': 'bytes',
        'content-range': 'bytes */100000',
        'transfer-encoding': 'chunked',
      },
      body: '',
    });
    expect(reads).toEqual([]);
  });

  it('serves nothing under any other path and nothing but GET and HEAD', async () => {
    // Act
    const guessed = await fetch(new URL('/uploads/1/nonce', source.url));
    const posted = await fetch(source.url, { method: 'POST', body: 'x' });

    // Assess
    expect([guessed.status, posted.status, posted.headers.get('allow')]).toEqual([404, 405, 'GET, HEAD']);
    expect(reads).toEqual([]);
  });

  it('refuses to serve an object that is not in the store', async () => {
    await expect(new LoopbackSourceServer(objects).serve('uploads/9/gone')).rejects.toThrow(
      new SourceMissingError('uploads/9/gone'),
    );
  });

  it('stops reading the store when the reader hangs up, without counting it as a failure', async () => {
    // Prepare: far more than the socket buffers hold, so only backpressure keeps it unread.
    objects.objects.set(KEY, 64 * 1024 * 1024);
    const large = await new LoopbackSourceServer(objects).serve(KEY);
    const hangUp = new AbortController();
    const response = await fetch(large.url, { headers: { Range: 'bytes=0-' }, signal: hangUp.signal });
    const reader = response.body?.getReader();
    await reader?.read();

    // Act
    hangUp.abort();

    // Assess: the server notices the hang-up on its own time; a busy machine may take a while.
    await vi.waitFor(
      () => {
        expect(reads.at(-1)?.body.destroyed).toBe(true);
      },
      { timeout: 30_000, interval: 20 },
    );
    expect(large.bytesSent()).toBeGreaterThan(0);
    expect(large.bytesSent()).toBeLessThan(16 * 1024 * 1024);
    expect(large.failure()).toBeUndefined();
    await large.close();
  });

  it('records a store error and answers 502 when a read cannot start', async () => {
    // Prepare: the upload was deleted after the server started.
    objects.objects.delete(KEY);

    // Act
    const response = await fetch(source.url, { headers: { Range: 'bytes=0-' } });

    // Assess
    expect(response.status).toBe(502);
    expect(source.failure()).toEqual(new Error(`No object ${KEY}`));
    expect(source.bytesSent()).toBe(0);
  });

  it('records a store error in the middle of a read and cuts the response short', async () => {
    // Prepare: the store's stream breaks after its first chunk.
    const broken = new Error('read ECONNRESET');
    const readRange = objects.readRange.bind(objects);
    objects.readRange = async (key, range, options) => {
      const read = await readRange(key, range, options);
      read.body.once('data', () => read.body.destroy(broken));
      return read;
    };

    // Act
    const response = await fetch(source.url, { headers: { Range: 'bytes=0-' } });
    const body = response.arrayBuffer();

    // Assess
    expect(response.status).toBe(206);
    await expect(body).rejects.toMatchObject(CUT_SHORT);
    expect(source.failure()).toBe(broken);
  });

  it('closes its connections with it, reads in flight included', async () => {
    // Prepare: a read far from done when the edit ends (ffmpeg killed at the deadline).
    objects.objects.set(KEY, 64 * 1024 * 1024);
    const large = await new LoopbackSourceServer(objects).serve(KEY);
    const response = await fetch(large.url, { headers: { Range: 'bytes=0-' } });
    const body = response.arrayBuffer();

    // Act
    await large.close();

    // Assess
    await expect(body).rejects.toMatchObject(CUT_SHORT);
    await expect(fetch(large.url)).rejects.toThrow('fetch failed');
    expect(reads.at(-1)?.body.destroyed).toBe(true);
    expect(large.failure()).toBeUndefined();
  });
});
