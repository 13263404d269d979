import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { CommandId, UNBOUND_MAX_PDU_LENGTH, encodePdu } from './pdu.js';
import { SmppSession, type BindAnswer, type SessionHandler } from './session.js';

const BIND_TIMEOUT_MS = 30_000;

/** A session on one end of a loopback connection; the test holds the other end as the ESME. */
class Pair {
  server?: Server;
  esme!: Socket;
  /** The session's own end of the connection. */
  socket!: Socket;
  session!: SmppSession;
  readonly metrics: Metrics = createMetrics({ serverId: 't', defaultMetrics: false });
  readonly received: Buffer[] = [];
  readonly closed: Promise<void>;
  #closed!: () => void;

  constructor(readonly bind: () => Promise<BindAnswer>) {
    this.closed = new Promise((resolve) => (this.#closed = resolve));
  }

  async open(): Promise<this> {
    const accepted = new Promise<Socket>((resolve) => {
      this.server = createServer(resolve);
      this.server.listen(0, '127.0.0.1');
    });
    await new Promise((resolve) => this.server!.once('listening', resolve));
    const { port } = this.server!.address() as { port: number };
    this.esme = connect(port, '127.0.0.1');
    this.esme.on('data', (chunk: Buffer) => this.received.push(chunk));
    this.esme.on('close', () => this.#closed());
    this.esme.on('error', () => undefined);
    const socket = await accepted;
    this.socket = socket;
    this.session = new SmppSession(
      {
        id: 's1',
        windowSize: 10,
        timeoutMs: 1_000,
        enquireLinkIntervalMs: 0,
        inactivityTimeoutMs: 0,
        bindTimeoutMs: BIND_TIMEOUT_MS,
        maxInFlight: 10,
      },
      { socket, remoteIp: '127.0.0.1', handler: this.handler(), metrics: this.metrics, logger: silentLogger() },
    );
    return this;
  }

  handler(): SessionHandler {
    const never = () => new Promise<never>(() => undefined);
    return {
      bind: () => this.bind(),
      bound: () => undefined,
      unbound: () => undefined,
      submit: never,
      query: never,
      closed: () => undefined,
    };
  }

  /** Resolves once `count` PDUs came back (whole ones, in order). */
  async pdus(count: number): Promise<Buffer[]> {
    for (;;) {
      const all = Buffer.concat(this.received);
      const out: Buffer[] = [];
      for (let at = 0; at + 16 <= all.length && at + all.readUInt32BE(at) <= all.length; at += all.readUInt32BE(at)) {
        out.push(all.subarray(at, at + all.readUInt32BE(at)));
      }
      if (out.length >= count) return out;
      await new Promise((resolve) => this.esme.once('data', resolve));
    }
  }

  async stop(): Promise<void> {
    this.esme?.destroy();
    this.session?.close('test over');
    await new Promise((resolve) => (this.server ? this.server.close(resolve) : resolve(undefined)));
  }
}

let pair: Pair | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

const bindPdu = (sequence: number) => encodePdu('bind_transceiver', sequence, { system_id: 'esme', password: 'pw' });

describe('SmppSession before a bind', () => {
  it('closes a session whose bind is still being checked when the bind timeout passes', async () => {
    pair = await new Pair(() => new Promise<never>(() => undefined)).open();
    pair.esme.write(bindPdu(1));
    while (pair.session.state !== 'binding') await new Promise((resolve) => setImmediate(resolve));
    pair.session.tick(pair.session.connectedAt + BIND_TIMEOUT_MS - 1);
    expect(pair.session.state).toBe('binding');
    pair.session.tick(pair.session.connectedAt + BIND_TIMEOUT_MS + 1);
    expect(pair.session.state).toBe('closed');
    await pair.closed;
  });

  it(`refuses a PDU longer than ${UNBOUND_MAX_PDU_LENGTH} octets at once (generic_nack, then close), before reading its body`, async () => {
    pair = await new Pair(async () => ({ status: 0, clientId: 1 })).open();
    const header = encodePdu('enquire_link', 7);
    header.writeUInt32BE(UNBOUND_MAX_PDU_LENGTH + 1, 0);
    pair.esme.write(header);
    const [nack] = await pair.pdus(1);
    expect([nack!.readUInt32BE(4), nack!.readUInt32BE(8), nack!.readUInt32BE(12)]).toEqual([CommandId.GENERIC_NACK, 0x02, 7]);
    await pair.closed;
  });

  it('reads PDUs up to the full length once bound', async () => {
    pair = await new Pair(async () => ({ status: 0, clientId: 1 })).open();
    pair.esme.write(bindPdu(1));
    await pair.pdus(1);
    const big = encodePdu('enquire_link', 2);
    pair.esme.write(
      Buffer.concat([
        (() => {
          const unknown = Buffer.concat([big, Buffer.alloc(2_000)]);
          unknown.writeUInt32BE(unknown.length, 0);
          unknown.writeUInt32BE(0x99, 4);
          return unknown;
        })(),
        encodePdu('enquire_link', 3),
      ]),
    );
    const [, nack, link] = await pair.pdus(3);
    expect([nack!.readUInt32BE(4), nack!.readUInt32BE(8)]).toEqual([CommandId.GENERIC_NACK, 0x03]);
    expect(link!.readUInt32BE(4)).toBe(0x80000015);
  });

  it('counts what an unbound peer sends by command only, never by its command_status', async () => {
    pair = await new Pair(async () => ({ status: 0, clientId: 1 })).open();
    const lies = Array.from({ length: 200 }, (_, i) => {
      const pdu = encodePdu('enquire_link', i + 1);
      pdu.writeUInt32BE(0x1000 + i * 7919, 8);
      return pdu;
    });
    pair.esme.write(Buffer.concat(lies));
    await pair.pdus(200);
    const series = (await pair.metrics.smppPdus.get()).values.filter((v) => v.labels.direction === 'in');
    expect(series).toEqual([
      expect.objectContaining({ value: 200, labels: expect.objectContaining({ command: 'enquire_link', status: 'unbound' }) }),
    ]);
  });
});

describe('SmppSession ending', () => {
  it('arms one close timer however many unbinds arrive in one write', async () => {
    pair = await new Pair(async () => ({ status: 0, clientId: 1 })).open();
    const before = pair.socket.listenerCount('close');
    pair.esme.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => encodePdu('unbind', i + 1))));
    await pair.pdus(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pair.socket.listenerCount('close')).toBeLessThanOrEqual(before + 1);
  });
});
