import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { daemonEndpoint, UdpSegmentEmitter } from '#adapters/xray/udp-segments';

const ROOT = '1-6745a1b2-0123456789abcdef01234567';

describe('the X-Ray daemon address', () => {
  it.each([
    ['169.254.79.129:2000', { host: '169.254.79.129', port: 2000 }],
    ['udp:127.0.0.1:2001 tcp:127.0.0.1:2000', { host: '127.0.0.1', port: 2001 }],
    ['tcp:127.0.0.1:2000 udp:127.0.0.1:2002', { host: '127.0.0.1', port: 2002 }],
    [undefined, undefined],
    ['', undefined],
    ['no-port', undefined],
  ])('%j is %j', (address, endpoint) => {
    expect(daemonEndpoint(address)).toEqual(endpoint);
  });
});

describe('a segment sent to the X-Ray daemon', () => {
  let daemon: Socket;
  let port: number;

  beforeEach(async () => {
    daemon = createSocket('udp4');
    daemon.bind(0, '127.0.0.1');
    await once(daemon, 'listening');
    port = daemon.address().port;
  });

  afterEach(() => {
    daemon.close();
  });

  it('joins the sampled trace under its parent, with its times, annotations and fault, as the daemon reads it', async () => {
    // Prepare
    const emitter = new UdpSegmentEmitter('idrl-worker: process upload', { host: '127.0.0.1', port });
    const received = once(daemon, 'message') as Promise<[Buffer]>;

    // Act: an unsampled trace first (nothing may be sent for it), then a sampled one
    await emitter.record({
      traceHeader: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=0`,
      startedAt: new Date(0),
      endedAt: new Date(0),
      annotations: { taskId: 0 },
      fault: false,
    });
    await emitter.record({
      traceHeader: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
      startedAt: new Date('2026-12-07T17:00:00.000Z'),
      endedAt: new Date('2026-12-07T17:00:04.250Z'),
      annotations: { taskId: 7, outcome: 'redelivered', receiveCount: 2 },
      fault: true,
    });

    // Assess
    const [datagram] = await received;
    const [header, body] = datagram.toString('utf8').split('\n');
    expect(JSON.parse(header ?? '')).toEqual({ format: 'json', version: 1 });
    expect(JSON.parse(body ?? '')).toEqual({
      name: 'idrl-worker: process upload',
      id: expect.stringMatching(/^[0-9a-f]{16}$/) as string,
      trace_id: ROOT,
      parent_id: '53995c3f42cd8ad8',
      start_time: 1796662800,
      end_time: 1796662804.25,
      origin: 'AWS::Lambda::Function',
      annotations: { taskId: 7, outcome: 'redelivered', receiveCount: 2 },
      fault: true,
    });
  });

  it('sends nothing, and fails nothing, without a daemon or without a parent to join', async () => {
    // Prepare
    const received = once(daemon, 'message') as Promise<[Buffer]>;
    const segment = {
      traceHeader: `Root=${ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
      startedAt: new Date(),
      endedAt: new Date(),
      annotations: {},
      fault: false,
    };
    const toDaemon = (name: string) => new UdpSegmentEmitter(name, { host: '127.0.0.1', port });

    // Act: no daemon, then no parent; then a segment that is sent, to show what arrives first
    await expect(new UdpSegmentEmitter('no daemon', undefined).record(segment)).resolves.toBeUndefined();
    await expect(
      toDaemon('no parent').record({ ...segment, traceHeader: `Root=${ROOT};Sampled=1` }),
    ).resolves.toBeUndefined();
    await toDaemon('sent').record(segment);

    // Assess
    const [datagram] = await received;
    expect((JSON.parse(datagram.toString('utf8').split('\n')[1] ?? '') as { name: string }).name).toBe(
      'sent',
    );
  });
});
