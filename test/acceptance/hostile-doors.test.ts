/**
 * The entry points against peers that never authenticate, on a gateway process behind a PROXY
 * protocol balancer (TRUSTED_PROXIES = 127.0.0.5; the tests connect from that loopback address
 * and name client IPs in the header, or from 127.0.0.1 as a peer that reaches the port directly):
 *
 * - PROXY headers from an untrusted peer are closed on SMPP and MM4; a trusted one's named IP is used.
 * - An SMPP connection that never binds is closed after SMPP_BIND_TIMEOUT_SECS.
 * - Connection floods past the SMPP, MM4 and web caps are refused while a legitimate client is served.
 * - 100,000 random PDUs from peers that never bind leave /metrics and the heap bounded.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bindBody, CMD, encodePdu, floodUnbound, RESPONSE, submitSmBody } from '../support/pdu-fuzz.js';
import { freePort } from '../support/process.js';
import { API_KEY, bare, SmppGateway, until } from '../support/smpp-gateway.js';
import { basicAuth } from '../support/test-node.js';

const TRUSTED = '127.0.0.5';
const LEGIT_IP = '198.51.100.10';
const LEGIT2_IP = '198.51.100.11';
const LEGIT_NUMBER = '+15550004444';
const FLOOD_PDUS = 100_000;
const caps = { smpp: 40, smppPerIp: 8, mm4: 10, mm4PerIp: 4, webPerIp: 20 };

/** A connection from `from`, with a PROXY v1 header naming `clientIp` written first (unless null). */
async function proxied(port: number, clientIp: string | null, from = TRUSTED): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  if (clientIp) socket.write(`PROXY TCP4 ${clientIp} 127.0.0.1 40000 ${port}\r\n`);
  return socket;
}

/** An ESME on a raw socket: whole PDUs read back in order. */
class Esme {
  private buf: Buffer = Buffer.alloc(0);
  private wake?: () => void;
  readonly closed: Promise<'closed'>;
  private seq = 0;

  constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve('closed')));
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  static async open(port: number, clientIp: string | null, from = TRUSTED): Promise<Esme> {
    return new Esme(await proxied(port, clientIp, from));
  }

  /** The next PDU with this command id, or 'closed' if the server closes first. */
  async next(commandId: number): Promise<Buffer | 'closed'> {
    for (;;) {
      while (this.buf.length >= 16 && this.buf.length >= this.buf.readUInt32BE(0)) {
        const pdu = this.buf.subarray(0, this.buf.readUInt32BE(0));
        this.buf = this.buf.subarray(pdu.length);
        if (pdu.readUInt32BE(4) === commandId) return pdu;
      }
      if (this.socket.destroyed) return 'closed';
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** bind_transceiver: its command_status, or 'closed' when the server closed the connection unanswered. */
  async bind(systemId: string, password: string): Promise<number | 'closed'> {
    this.socket.write(encodePdu(CMD.bind_transceiver, bindBody({ systemId, password }), ++this.seq));
    const resp = await this.next((CMD.bind_transceiver | RESPONSE) >>> 0);
    return resp === 'closed' ? resp : resp.readUInt32BE(8);
  }

  async submit(text: string): Promise<number | 'closed'> {
    this.socket.write(
      encodePdu(
        CMD.submit_sm,
        submitSmBody({
          sourceAddr: bare(LEGIT_NUMBER),
          sourceAddrTon: 1,
          sourceAddrNpi: 1,
          destinationAddr: '15559990001',
          shortMessage: Buffer.from(text, 'latin1'),
        }),
        ++this.seq,
      ),
    );
    const resp = await this.next((CMD.submit_sm | RESPONSE) >>> 0);
    return resp === 'closed' ? resp : resp.readUInt32BE(8);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** First SMTP reply line, or 'closed'. */
function greeting(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\r\n')) resolve(text.split('\r\n')[0]!);
    });
    socket.once('close', () => resolve(text ? text.split('\r\n')[0]! : 'closed'));
  });
}

/** One keep-alive GET /ready from `from`: 'served' when answered, 'closed' when cut without an answer. */
function webGet(port: number, from: string, open: Socket[]): Promise<'served' | 'closed'> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    open.push(socket);
    socket.on('error', () => resolve('closed'));
    socket.once('data', () => resolve('served'));
    socket.once('close', () => resolve('closed'));
    socket.write('GET /ready HTTP/1.1\r\nHost: gw\r\n\r\n');
  });
}

function sampleSum(text: string, name: string, match: (labels: string) => boolean = () => true): number {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    if (match(m[1]!)) sum += Number(m[2]);
  }
  return sum;
}

describe('hostile peers at the entry points of a gateway process', () => {
  let gw: SmppGateway;
  let mm4Port: number;
  let webPort: number;
  const held: Socket[] = [];

  // /metrics on the web port answers the admin only.
  const metrics = async () => (await fetch(`${gw.base}/metrics`, { headers: { authorization: basicAuth('admin', API_KEY) } })).text();
  const refused = async (door: string, reason: string) =>
    sampleSum(await metrics(), 'msggw_connections_refused_total', (l) => l.includes(`door="${door}"`) && l.includes(`reason="${reason}"`));
  /** A legitimate client binds and submits; the carrier receives the text. */
  const legitSends = async (text: string) => {
    const esme = await Esme.open(gw.smppPort, LEGIT_IP);
    try {
      expect(await esme.bind('legit', 'legitpw')).toBe(0);
      expect(await esme.submit(text)).toBe(0);
    } finally {
      esme.destroy();
    }
    await gw.carrierText(text, 30_000);
  };

  beforeAll(async () => {
    mm4Port = await freePort();
    gw = await SmppGateway.start({
      process: true,
      env: {
        MM4_LISTEN: `127.0.0.1:${mm4Port}`,
        HAPROXY_PROXY_PROTOCOL: 'true',
        TRUSTED_PROXIES: TRUSTED,
        SMPP_BIND_TIMEOUT_SECS: '3',
        SMPP_MAX_CONNECTIONS: String(caps.smpp),
        SMPP_MAX_CONNECTIONS_PER_IP: String(caps.smppPerIp),
        MM4_MAX_CONNECTIONS: String(caps.mm4),
        MM4_MAX_CONNECTIONS_PER_IP: String(caps.mm4PerIp),
        WEB_MAX_CONNECTIONS_PER_IP: String(caps.webPerIp),
      },
    });
    webPort = Number(new URL(gw.base).port);
    await gw.addCarrier();
    await gw.legacyClient('legit', 'legitpw', [LEGIT_NUMBER], {}, LEGIT_IP);
    await gw.legacyClient('legit2', 'legit2pw', [], {}, LEGIT2_IP);
    // Binds from the flood's addresses, as many as it likes: the connection caps are what stop it.
    await gw.legacyClient('holder', 'holderpw', [], {}, '203.0.113.0/24');
  }, 120_000);

  afterEach(async () => {
    for (const socket of held.splice(0)) socket.destroy();
    await until(
      async () => {
        const stats = (await gw.api('GET', '/stats')).body as { smpp_clients?: unknown[]; mm4_clients?: unknown[] };
        return (stats.smpp_clients ?? []).length === 0 && (stats.mm4_clients ?? []).length === 0;
      },
      10_000,
      'the entry points to let go of the closed connections',
    );
  });

  afterAll(async () => {
    await gw?.stop();
  }, 60_000);

  it('closes PROXY headers from a peer not in TRUSTED_PROXIES, and uses the IP a trusted one names', async () => {
    const direct = await Esme.open(gw.smppPort, LEGIT_IP, '127.0.0.1');
    expect(await direct.bind('legit', 'legitpw')).toBe('closed');
    const mm4Direct = await proxied(mm4Port, LEGIT_IP, '127.0.0.1');
    expect(await greeting(mm4Direct)).toBe('closed');
    expect(await refused('smpp', 'proxy_untrusted')).toBe(1);
    expect(await refused('mm4', 'proxy_untrusted')).toBe(1);

    const trusted = await Esme.open(gw.smppPort, LEGIT_IP);
    held.push(trusted.socket);
    expect(await trusted.bind('legit', 'legitpw')).toBe(0);
    expect((await gw.binds('legit')).map((b) => (b as unknown as { ip_address: string }).ip_address)).toEqual([LEGIT_IP]);
    const mm4Trusted = await proxied(mm4Port, LEGIT_IP);
    held.push(mm4Trusted);
    expect(await greeting(mm4Trusted)).toMatch(/^220 /);
  });

  it('closes an SMPP connection that has not bound within SMPP_BIND_TIMEOUT_SECS', async () => {
    const idle = await Esme.open(gw.smppPort, '203.0.113.99');
    held.push(idle.socket);
    idle.socket.write(encodePdu(CMD.enquire_link, Buffer.alloc(0), 1));
    expect(await idle.next((CMD.enquire_link | RESPONSE) >>> 0)).not.toBe('closed');
    const outcome = await Promise.race([idle.closed, new Promise((resolve) => setTimeout(() => resolve('still open'), 15_000))]);
    expect(outcome).toBe('closed');
  }, 20_000);

  it('refuses SMPP connections past the per-IP and node-wide caps and keeps serving a legitimate client', async () => {
    const holders: Esme[] = [];
    const hold = async (ip: string) => {
      const esme = await Esme.open(gw.smppPort, ip);
      held.push(esme.socket);
      const status = await esme.bind('holder', 'holderpw');
      if (status === 0) holders.push(esme);
      return status;
    };
    for (let i = 0; i < caps.smppPerIp; i++) expect(await hold('203.0.113.50')).toBe(0);
    expect(await hold('203.0.113.50')).toBe('closed');
    await legitSends('served past the per-IP cap');
    let last: number | 'closed' = 0;
    for (let i = 0; last === 0 && i <= caps.smpp; i++) last = await hold(`203.0.113.${60 + i}`);
    expect(last).toBe('closed');
    expect(holders.length).toBe(caps.smpp);
    expect(await refused('smpp', 'max_per_ip')).toBe(1);
    expect(await refused('smpp', 'max_connections')).toBe(1);
    for (const esme of holders.splice(0, 5)) esme.destroy();
    await until(
      async () => {
        const probe = await Esme.open(gw.smppPort, LEGIT_IP);
        const status = await probe.bind('legit', 'legitpw');
        probe.destroy();
        return status === 0;
      },
      10_000,
      'a free SMPP slot once holders left',
    );
    await legitSends('served once the flood left');
  }, 60_000);

  it('answers MM4 connections past the per-IP and node-wide caps with 421 and keeps serving the others', async () => {
    const open = async (clientIp: string | null) => {
      const socket = await proxied(mm4Port, clientIp);
      held.push(socket);
      return socket;
    };
    for (let i = 0; i < caps.mm4PerIp; i++) expect(await greeting(await open(LEGIT_IP))).toMatch(/^220 /);
    expect(await greeting(await open(LEGIT_IP))).toMatch(/^421 /);
    expect(await greeting(await open(LEGIT2_IP))).toMatch(/^220 /);
    // Silent connections (no PROXY header yet) hold node-wide slots until their header times out.
    for (let i = caps.mm4PerIp + 1; i < caps.mm4; i++) await open(null);
    expect(await greeting(await open(LEGIT2_IP))).toMatch(/^421 /);
    for (const socket of held.splice(0)) socket.destroy();
    await until(async () => /^220 /.test(await greeting(await open(LEGIT2_IP))), 10_000, 'an MM4 slot once the flood left');
  }, 30_000);

  it('cuts web connections past the per-IP cap, exempts the trusted proxy, and keeps serving other clients', async () => {
    const flood = await Promise.all(Array.from({ length: caps.webPerIp }, () => webGet(webPort, '127.0.0.2', held)));
    expect(flood.every((r) => r === 'served')).toBe(true);
    expect(await webGet(webPort, '127.0.0.2', held)).toBe('closed');
    expect((await fetch(`${gw.base}/ready`)).status).toBe(200);
    const proxy = await Promise.all(Array.from({ length: caps.webPerIp + 5 }, () => webGet(webPort, TRUSTED, held)));
    expect(proxy.every((r) => r === 'served')).toBe(true);
    expect(await refused('web', 'max_per_ip')).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it(`keeps /metrics and the heap bounded after ${FLOOD_PDUS.toLocaleString('en')} random PDUs from peers that never bind`, async () => {
    await legitSends('before the unbound flood');
    const before = await metrics();
    const inBefore = sampleSum(before, 'msggw_smpp_pdus_total', (l) => l.includes('direction="in"'));
    const result = await floodUnbound({
      // Each connection names its own client IP, as many peers behind the balancer would.
      open: (i) => proxied(gw.smppPort, `203.0.${113 + (i >> 8)}.${i & 0xff}`),
      count: FLOOD_PDUS,
      seed: 20261206,
      connections: 4,
      // Lying command_status values are what grew the label set: plenty of them.
      weights: { bad_status: 30 },
    });
    const after = await metrics();
    const read = sampleSum(after, 'msggw_smpp_pdus_total', (l) => l.includes('direction="in"')) - inBefore;
    const answered =
      sampleSum(after, 'msggw_smpp_pdus_total', (l) => l.includes('direction="out"')) -
      sampleSum(before, 'msggw_smpp_pdus_total', (l) => l.includes('direction="out"'));
    const heap = (text: string) => sampleSum(text, 'nodejs_heap_size_used_bytes');
    process.stdout.write(
      `[hostile-doors] ${JSON.stringify({
        ...result,
        read,
        answered,
        metricsBytes: [before.length, after.length],
        heapMb: [heap(before), heap(after)].map((b) => Math.round(b / 1e6)),
      })}\n`,
    );

    expect(gw.alive(), `the gateway process died:\n${gw.child?.output().slice(-4000)}`).toBe(true);
    expect(result.written).toBe(FLOOD_PDUS);
    // The node read (nearly) all of them and answered: the flood reached the sessions.
    expect(read).toBeGreaterThan(FLOOD_PDUS * 0.9);
    expect(answered).toBeGreaterThan(FLOOD_PDUS * 0.5);
    expect(after.length - before.length).toBeLessThan(16 * 1024);
    expect(heap(after) - heap(before)).toBeLessThan(64 * 1024 * 1024);
    expect(after).not.toMatch(/status="0x/);
    await legitSends('after the unbound flood');
  }, 120_000);
});
