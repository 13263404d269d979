/**
 * The SMPP server in a real gateway node, driven by the npm `smpp` client as the ESME:
 * on the embedded default (PGlite, memory bus, memory reassembly) with TLS, and on real
 * PostgreSQL + nats-server + Redis with two nodes (parts of one long message submitted to
 * different nodes, max_binds across nodes, PROXY protocol on node B, and node B losing NATS).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayNode } from '../../cmd/gateway/node.js';
import { loadConfig } from '../../internal/config/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { captureLogger } from '../support/log-capture.js';
import { encodePdu } from '../../internal/smpp/pdu.js';
import { call, smppLib, type EsmeSession, type LibPdu } from '../support/smpp-server-harness.js';
import { encodeGsm7Packed, encodeGsm7Unpacked, encodeUcs2 } from '../../internal/text/index.js';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { freePort } from '../support/process.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

/** This file's waits are longer than waitFor's default. */
const until = (check: () => boolean | Promise<boolean>) => waitFor(check, 15_000);

const API_KEY = 'smpp-admin-key';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const svc = requireServices(['nats', 'postgres', 'redis']);
const PBX_NUMBER = '+15550001000';
const FAR = '+15559990001';

interface Mode {
  name: string;
  cluster: boolean;
  skip: boolean;
}

const modes: Mode[] = [
  { name: 'embedded (PGlite, memory bus)', cluster: false, skip: false },
  { name: 'cluster (PostgreSQL, nats-server, Redis, two nodes)', cluster: true, skip: svc.skip },
];

describe.each(modes)('SMPP server, $name', (mode) => {
  let fake: FakeCarrier;
  let dataDir: string;
  let base: string;
  let nodeA: GatewayNode;
  /** Node A's log, info and up (gomsggw's event names are asserted on it). */
  const logA = captureLogger('info');
  let nodeB: GatewayNode | undefined;
  let natsProxy: TcpProxy | undefined;
  const ports: Record<string, number> = {};
  const esmes: EsmeSession[] = [];
  let tls: { cert: string; key: string } | undefined;

  async function api(method: string, path: string, body?: unknown) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: basic('admin', API_KEY), 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  async function legacy(username: string, settings: object, numbers: string[], address = '127.0.0.1') {
    const c = await api('POST', '/clients', { username, password: `${username}-pw`, type: 'legacy', address });
    expect(c.status).toBe(201);
    expect((await api('PUT', `/clients/${c.body.id}/settings`, settings)).status).toBe(200);
    for (const number of numbers)
      expect((await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' })).status).toBe(201);
  }

  async function node(id: string, extra: Record<string, string>, bus: { publishTimeoutMs?: number } = {}): Promise<GatewayNode> {
    const config = await loadConfig(
      {
        WEB_LISTEN: `127.0.0.1:${ports[`web${id}`]}`,
        SMPP_LISTEN: `127.0.0.1:${ports[`smpp${id}`]}`,
        MM4_LISTEN: '127.0.0.1:0',
        DATA_DIR: join(dataDir, id),
        SERVER_ADDRESS: base,
        SERVER_ID: `smpp${id}`,
        ENCRYPTION_KEY: 'smpp-encryption-key-0123456789',
        API_KEY,
        CARRIER_RETRY_DELAY_SECS: '0',
        LOG_LEVEL: 'silent',
        SMPP_REASSEMBLY_TTL_SECS: '2',
        ...extra,
      },
      { cwd: dataDir },
    );
    Object.assign(config.bus, bus);
    const n = new GatewayNode(config, id === 'A' ? logA.logger : silentLogger());
    await n.start();
    return n;
  }

  beforeAll(async () => {
    if (mode.skip) return;
    fake = await FakeCarrier.start();
    dataDir = await mkdtemp(join(tmpdir(), 'msggw-smpp-'));
    for (const key of ['webA', 'smppA', 'webB', 'smppB', 'tlsA']) ports[key] = await freePort();
    base = `http://127.0.0.1:${ports.webA}`;
    if (mode.cluster) {
      const shared = {
        DATABASE_URL: await createTestDatabase('smpp'),
        REDIS_URL: svc.urls.redis,
        BUS_SUBJECT_PREFIX: uniquePrefix('smpp'),
      };
      natsProxy = await startTcpProxy(svc.urls.nats);
      nodeA = await node('A', { ...shared, NATS_URL: svc.urls.nats });
      // The tests play the balancer: PROXY headers are believed only from TRUSTED_PROXIES. Node B
      // loses NATS in the last test: a submit then waits out the PubAck wait (5 s in production:
      // 2 s here), and B's stop runs into the shutdown deadline (a short one).
      nodeB = await node(
        'B',
        { ...shared, NATS_URL: natsProxy.url, HAPROXY_PROXY_PROTOCOL: 'true', TRUSTED_PROXIES: '127.0.0.1', SHUTDOWN_TIMEOUT_SECS: '5' },
        { publishTimeoutMs: 2_000 },
      );
    } else {
      tls = await selfSigned(dataDir);
      nodeA = await node('A', { SMPP_TLS_LISTEN: `127.0.0.1:${ports.tlsA}`, SMPP_TLS_CERT: tls.cert, SMPP_TLS_KEY: tls.key });
    }
    await registerFakeCarriers(api, fake, ['telnyx']);
    await legacy('pbx', { max_binds: 0 }, [PBX_NUMBER]);
    await legacy('single', { max_binds: 1 }, []);
    await legacy('slow', { max_tps: 2 }, ['+15550002000']);
    await legacy('faraway', {}, [], '192.0.2.1');
    await legacy('proxied', {}, ['+15550003000'], '203.0.113.7,198.51.100.9');
    await legacy('capped', { sms_daily_limit: 2 }, ['+15550004000']);
  }, 180_000);

  // Node B lost NATS in the last test: its stop gives up at its (short) shutdown deadline.
  afterAll(async () => {
    for (const e of esmes) e.destroy();
    await Promise.all([nodeB?.stop().catch(() => undefined), nodeA?.stop()]);
    await natsProxy?.cut();
    await fake?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 150_000);

  async function esme(port = ports.smppA): Promise<EsmeSession> {
    const s = await new Promise<EsmeSession>((resolve, reject) => {
      const session = smppLib.connect({ url: `smpp://127.0.0.1:${port}` }, () => resolve(session));
      session.on('error', reject);
    });
    s.on('error', () => undefined);
    s.on('enquire_link', (pdu: LibPdu) => s.send(pdu.response()));
    esmes.push(s);
    return s;
  }

  async function bind(username: string, port = ports.smppA, command = 'bind_transceiver'): Promise<[EsmeSession, LibPdu]> {
    const s = await esme(port);
    return [s, await call(s, command, { system_id: username, password: `${username}-pw`, interface_version: 0x34 })];
  }

  const submit = (s: EsmeSession, fields: object) =>
    call(s, 'submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: PBX_NUMBER.slice(1),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: FAR.slice(1),
      data_coding: 0,
      ...fields,
    });
  const carrierTexts = () => fake.sent('telnyx').map((r) => (r.body as { text: string }).text);

  it.skipIf(mode.skip)('binds a legacy client and refuses a bad password, a foreign IP and binds beyond max_binds', async () => {
    expect((await bind('pbx'))[1]).toMatchObject({ command_status: 0, system_id: 'pbx' });
    const bad = await esme();
    expect((await call(bad, 'bind_transceiver', { system_id: 'pbx', password: 'wrong' })).command_status).toBe(0x0e);
    // The right password from an address not on the allow-list answers as a wrong one.
    expect((await bind('faraway'))[1].command_status).toBe(0x0e);
    const [first, ok] = await bind('single');
    expect(ok.command_status).toBe(0);
    // With two nodes the second bind goes to the other node: the limit is cluster-wide.
    const again = nodeB ? await proxiedEsme(ports.smppB, proxyV1('127.0.0.1')) : await esme();
    expect((await call(again, 'bind_transceiver', { system_id: 'single', password: 'single-pw' })).command_status).toBe(0x0d);
    expect((await call(first, 'unbind')).command_status).toBe(0);
    const stats = await api('GET', '/stats');
    expect(stats.body.smpp_clients.some((c: { username: string }) => c.username === 'pbx')).toBe(true);
  });

  it.skipIf(mode.skip)('takes GSM-7 packed and unpacked, UCS-2 with emoji and Latin-1 through to the carrier', async () => {
    const [s] = await bind('pbx');
    const texts = ['packed @£$ {€}', 'unpacked hello_world [x]', 'emoji 😀 привет', 'Latin-1 café ñ'];
    const answers = [
      await submit(s, { short_message: encodeGsm7Packed(texts[0]) }),
      await submit(s, { short_message: encodeGsm7Unpacked(texts[1]) }),
      await submit(s, { data_coding: 8, short_message: encodeUcs2(texts[2]) }),
      await submit(s, { data_coding: 3, short_message: Buffer.from(texts[3], 'latin1') }),
    ];
    expect(answers.map((a) => a.command_status)).toEqual([0, 0, 0, 0]);
    expect(new Set(answers.map((a) => a.message_id)).size).toBe(4);
    await until(() => texts.every((t) => carrierTexts().includes(t)));
  });

  it.skipIf(mode.skip)('reassembles a long message whose parts arrive on different nodes, out of order', async () => {
    const [a] = await bind('pbx');
    const b = nodeB ? await proxiedEsme(ports.smppB, proxyV1('127.0.0.1')) : a;
    if (nodeB) expect((await call(b, 'bind_transceiver', { system_id: 'pbx', password: 'pbx-pw' })).command_status).toBe(0);
    const chunks = ['A'.repeat(153), 'B'.repeat(153), 'the end'];
    const part = (seq: number) => ({
      esm_class: 0x40,
      short_message: Buffer.concat([Buffer.from([5, 0, 3, 0x77, 3, seq]), Buffer.from(chunks[seq - 1])]),
    });
    const answers = [await submit(a, part(3)), await submit(b, part(1)), await submit(a, part(2))];
    expect(answers.map((x) => x.command_status)).toEqual([0, 0, 0]);
    await until(() => carrierTexts().includes(chunks.join('')));
  });

  it.skipIf(mode.skip)('answers ESME_RINVSRCADR for a number the client does not own', async () => {
    const [s] = await bind('pbx');
    expect((await submit(s, { source_addr: '15550002000', short_message: Buffer.from('not mine') })).command_status).toBe(0x0a);
  });

  it.skipIf(mode.skip)('answers ESME_RTHROTTLED beyond max_tps', async () => {
    const [s] = await bind('slow');
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => submit(s, { source_addr: '15550002000', short_message: Buffer.from(`burst ${i}`) })),
    );
    const statuses = answers.map((a) => a.command_status);
    expect(statuses.filter((x) => x === 0x58).length).toBeGreaterThanOrEqual(3);
    expect(statuses.filter((x) => x === 0).length).toBeGreaterThanOrEqual(1);
  });

  it.skipIf(mode.skip)('answers ESME_RTHROTTLED over the daily quota and stores nothing for it', async () => {
    const [s] = await bind('capped');
    const texts = ['quota one', 'quota two', 'quota three'];
    const statuses: number[] = [];
    for (const text of texts) {
      statuses.push((await submit(s, { source_addr: '15550004000', short_message: Buffer.from(text) })).command_status);
    }
    expect(statuses).toEqual([0, 0, 0x58]);
    const metrics = await (await fetch(`${base}/metrics`, { headers: { authorization: basic('admin', API_KEY) } })).text();
    expect(logA.event('Message limit exceeded')).toMatchObject({ level: 30, client: 'capped', limitType: 'daily_sms_client', limit: 2 });
    expect(metrics).toMatch(/^msggw_quota_rejections_total\{[^}]*type="sms"[^}]*period="daily"[^}]*client="capped"[^}]*\} 1$/m);
    // The bus's queues, read on scrape from the embedded bus or JetStream alike.
    expect(metrics).toMatch(/^msggw_queue_stats_up\{[^}]*\} 1$/m);
    expect(metrics).toMatch(/^msggw_stream_messages\{stream="carrier"[^}]*\} \d+$/m);
    expect(metrics).toMatch(/^msggw_consumer_ack_floor\{stream="in",consumer="router"[^}]*\} \d+$/m);
    await until(() => carrierTexts().includes('quota two'));
    await new Promise((r) => setTimeout(r, 300));
    expect(carrierTexts()).not.toContain('quota three');
  });

  it.skipIf(mode.skip)('answers generic_nack to garbage and enquire_link, query_sm and unbind properly', async () => {
    const [s] = await bind('pbx');
    expect((await call(s, 'enquire_link')).command_status).toBe(0);
    const nack = new Promise<LibPdu>((resolve) => s.once('generic_nack', resolve));
    const unknown = encodePdu('enquire_link', 4242);
    unknown.writeUInt32BE(0x000000aa, 4);
    s.socket.write(unknown);
    expect(await nack).toMatchObject({ command_status: 0x03, sequence_number: 4242 });
    const { message_id } = await submit(s, { short_message: Buffer.from('query me') });
    await until(() => carrierTexts().includes('query me'));
    await until(async () => {
      const q = await call(s, 'query_sm', { message_id, source_addr: PBX_NUMBER.slice(1) });
      return q.command_status === 0 && [1, 2, 6].includes(q.message_state);
    });
    expect((await call(s, 'query_sm', { message_id: 'nope', source_addr: PBX_NUMBER.slice(1) })).command_status).toBe(0x0c);
    expect((await call(s, 'unbind')).command_status).toBe(0);
    await new Promise((resolve) => (s.socket.destroyed ? resolve(undefined) : s.on('close', resolve)));
  });

  it.skipIf(mode.skip)(
    'reports parts of a message that never completes as expired, with a receipt',
    async () => {
      // The receipt goes to any of the client's receiving binds: leave only this one.
      for (const e of esmes.splice(0)) e.destroy();
      await until(async () => !(await api('GET', '/stats')).body.smpp_clients.some((c: { username: string }) => c.username === 'pbx'));
      const [s] = await bind('pbx');
      const receipt = new Promise<LibPdu>((resolve) =>
        s.on('deliver_sm', (pdu: LibPdu) => {
          s.send(pdu.response());
          if (pdu.esm_class & 0x04) resolve(pdu);
        }),
      );
      const { message_id } = await submit(s, {
        esm_class: 0x40,
        registered_delivery: 1,
        short_message: Buffer.concat([Buffer.from([5, 0, 3, 0x99, 2, 1]), Buffer.from('half a message')]),
      });
      const dlr = await receipt;
      expect(dlr.receipted_message_id).toBe(message_id);
      expect(dlr.short_message.message).toContain('stat:EXPIRED');
    },
    30_000,
  );

  it.skipIf(mode.skip || mode.cluster)('speaks SMPP over TLS', async () => {
    const socket = await new Promise<Socket>((resolve) => {
      const raw = tcpConnect(ports.tlsA, '127.0.0.1', () => resolve(raw));
    });
    const { connect } = await import('node:tls');
    const secure = connect({ socket, rejectUnauthorized: false });
    await new Promise((resolve) => secure.once('secureConnect', resolve));
    const s = new smppLib.Session({ socket: secure });
    s.on('error', () => undefined);
    esmes.push(s);
    expect((await call(s, 'bind_transceiver', { system_id: 'pbx', password: 'pbx-pw' })).command_status).toBe(0);
    expect((await submit(s, { short_message: Buffer.from('sent over tls') })).command_status).toBe(0);
    await until(() => carrierTexts().includes('sent over tls'));
  });

  it.skipIf(mode.skip || !mode.cluster)('takes the client IP from PROXY v1 and v2 headers for the allow-list', async () => {
    for (const header of [proxyV1('203.0.113.7'), proxyV2([198, 51, 100, 9])]) {
      const s = await proxiedEsme(ports.smppB, header);
      expect((await call(s, 'bind_transceiver', { system_id: 'proxied', password: 'proxied-pw' })).command_status).toBe(0);
    }
    const wrong = await proxiedEsme(ports.smppB, proxyV1('192.0.2.55'));
    expect((await call(wrong, 'bind_transceiver', { system_id: 'proxied', password: 'proxied-pw' })).command_status).toBe(0x0e);
    const stats = await api('GET', '/stats');
    const ips = stats.body.smpp_clients
      .filter((c: { username: string }) => c.username === 'proxied')
      .map((c: { ip_address: string }) => c.ip_address);
    expect(ips.sort()).toEqual(['198.51.100.9', '203.0.113.7']);
  });

  it.skipIf(mode.skip || !mode.cluster)(
    'answers ESME_RSYSERR, never OK, when the bus is down',
    async () => {
      const s = await proxiedEsme(ports.smppB, proxyV1('127.0.0.1'));
      expect((await call(s, 'bind_transceiver', { system_id: 'pbx', password: 'pbx-pw' })).command_status).toBe(0);
      await natsProxy!.cut();
      const resp = await submit(s, { short_message: Buffer.from('nobody stores me') });
      expect(resp.command_status).toBe(0x08);
    },
    30_000,
  );

  /** An ESME whose connection starts with a PROXY header (as HAProxy's would). */
  async function proxiedEsme(port: number, header: Buffer): Promise<EsmeSession> {
    const socket = await new Promise<Socket>((resolve) => {
      const raw = tcpConnect(port, '127.0.0.1', () => resolve(raw));
    });
    socket.write(header);
    const s = new smppLib.Session({ socket });
    s.on('error', () => undefined);
    s.on('enquire_link', (pdu: LibPdu) => s.send(pdu.response()));
    esmes.push(s);
    return s;
  }
});

function proxyV1(ip: string): Buffer {
  return Buffer.from(`PROXY TCP4 ${ip} 127.0.0.1 40000 2775\r\n`);
}

function proxyV2(ip: number[]): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(ip).copy(body, 0);
  Buffer.from([127, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(40000, 8);
  body.writeUInt16BE(2775, 10);
  return Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a2111000c', 'hex'), body]);
}

async function selfSigned(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  await readFile(cert);
  return { cert, key };
}
