/**
 * `npm run bench:deliver` (issue 16, the measurement): messages to an SMPP client's bind through
 * one gateway node in cluster mode (real nats-server, redis-server, PostgreSQL). A legacy client
 * owns +15550009000; its ESME (the npm `smpp` client, answering every deliver_sm at once) is bound
 * as transceiver. Phase `rest`: a web client POSTs /messages/send to that number over keep-alive
 * HTTP (load.ts). Phase `webhook`: signed Telnyx message.received webhooks to the same number.
 * Prints per phase accepted/s, deliver_sm/s (first request sent to last deliver_sm received),
 * p50/p99 from the request leaving the bench to its deliver_sm reaching the ESME, node CPU ms per
 * message; and the node's peak RSS and the SMPP_WINDOW used (BENCH_WINDOW, else the default).
 */
import { readFileSync } from 'node:fs';
import { startNats, startPostgres, startRedis } from '../support/services.js';
import { FakeCarrier, signTelnyx, telnyxEvent } from '../support/fake-carrier.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { freePort } from '../support/process.js';
import { DEFAULT_SMPP_WINDOW } from '../../internal/config/defaults.js';
import { closedLoop, percentile, type LoadResult, type Target } from './load.js';
import { bindSessions, closeSessions } from './smpp-load.js';
import { BENCH_ENTRY, benchGatewayEnv, benchNodeArgs, cpuSeconds, machineCpuSeconds, rssMb } from './measure.js';

const TOTAL = Number(process.env.BENCH_TOTAL ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const WINDOW = process.env.BENCH_WINDOW ? Number(process.env.BENCH_WINDOW) : undefined;
const WARMUP = 500;
const WARMUP_OFFSET = 10_000_000; // warm-up texts are bench-* 10000000..
const API_KEY = 'bench-deliver-admin-key-0123456789ab';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };
const PBX_NUMBER = '+15550009000';
const WEB_NUMBER = '+15550001000';

/** What the ESME saw: when each bench text's deliver_sm arrived. */
class Deliveries {
  readonly sentAt = new Map<string, number>();
  readonly arrivedAt = new Map<string, number>();
  count = 0;
  last = 0;

  onDeliver(pdu: any): void {
    const text = pduText(pdu);
    const key = /bench-\w+ \d+/.exec(text)?.[0];
    if (!key || this.arrivedAt.has(key)) return;
    const now = performance.now();
    this.arrivedAt.set(key, now);
    this.count++;
    this.last = now;
  }

  async waitFor(count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.count < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.count}/${count} deliver_sm received in time`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Milliseconds from each measured text's request to its deliver_sm. */
  latencies(prefix: string): number[] {
    const out: number[] = [];
    for (const [key, sent] of this.sentAt) {
      const arrived = this.arrivedAt.get(key);
      if (key.startsWith(prefix) && arrived !== undefined) out.push(arrived - sent);
    }
    return out;
  }
}

function pduText(pdu: any): string {
  const part = (v: any): string => (v === undefined || v === null ? ''
    : typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : part(v.message));
  return part(pdu.short_message) || part(pdu.message_payload);
}

async function main(): Promise<void> {
  const [nats, redis, pg] = await Promise.all([startNats(), startRedis(), startPostgres()]);
  const fake = await FakeCarrier.start();
  const smppPort = await freePort();
  const node = await startGatewayProcess('benchdeliver', {
    DATABASE_URL: await pg.createDatabase('bench_deliver'), NATS_URL: nats.url, REDIS_URL: redis.url, SMPP_LISTEN: `127.0.0.1:${smppPort}`,
    ENCRYPTION_KEY: 'bench-encryption-key-0123456789abcdef', API_KEY, SERVER_ADDRESS: 'http://127.0.0.1:9', LOG_LEVEL: 'warn',
    ...(WINDOW ? { SMPP_WINDOW: String(WINDOW) } : {}),
    ...benchGatewayEnv(),
  }, benchNodeArgs(), BENCH_ENTRY);
  const deliveries = new Deliveries();
  try {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${node.url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const row = fake.carrierRow('telnyx');
    const carrier = await post('/carriers', { name: 'telnyx-bench', type: 'telnyx', username: 'x', password: row.password,
      api_base_url: fake.url, public_key: row.publicKey, max_rps: 100_000 });
    const pbx = await post('/clients', { username: 'pbx', password: 'pbxpw', type: 'legacy', address: '127.0.0.1' });
    await post(`/clients/${pbx.id}/numbers`, { number: PBX_NUMBER, carrier: 'telnyx-bench' });
    const web = await post('/clients', { username: 'bench', password: 'bench-pass', type: 'web' });
    await post(`/clients/${web.id}/numbers`, { number: WEB_NUMBER, carrier: 'telnyx-bench' });
    await new Promise((r) => setTimeout(r, 2_000)); // carrier lease taken

    const sessions = await bindSessions(smppPort, 1, 'pbx', 'pbxpw'); // its listener answers every deliver_sm at once
    sessions[0]!.on('deliver_sm', (pdu: unknown) => deliveries.onDeliver(pdu));

    const rest: Target = {
      url: `${node.url}/messages/send`, okStatus: 202,
      headers: { authorization: `Basic ${Buffer.from('bench:bench-pass').toString('base64')}` },
      body: (i) => {
        deliveries.sentAt.set(`bench-rest ${i}`, performance.now());
        return JSON.stringify({ from: WEB_NUMBER, to: PBX_NUMBER, text: `bench-rest ${i}` });
      },
    };
    // load.ts reads `headers` right after `body(i)` for each request (one synchronous object
    // literal), so the getter hands it the signature of the body just built.
    let signed: Record<string, string> = {};
    const webhook: Target = {
      url: `${node.url}/inbound/${carrier.uuid}`, okStatus: 200,
      get headers() { return signed; },
      body: (i) => {
        const body = JSON.stringify(telnyxEvent('message.received', {
          id: `tx-bench-${i}`, direction: 'inbound', text: `bench-hook ${i}`, from: { phone_number: '+15557770000' },
          to: [{ phone_number: PBX_NUMBER }], media: [],
        }));
        signed = signTelnyx(body, fake.telnyxKeys.privateKey).headers;
        deliveries.sentAt.set(`bench-hook ${i}`, performance.now());
        return body;
      },
    };

    const phase = async (name: string, target: Target) => {
      const warmFrom = deliveries.count;
      const warm = await closedLoop(target, WARMUP, 16, WARMUP_OFFSET); // JIT, pools, consumers
      await deliveries.waitFor(warmFrom + warm.ok, 60_000);
      deliveries.sentAt.clear(); // only the measured burst's texts count for latency
      const before = deliveries.count;
      const cpuBefore = cpuSeconds(node.pid);
      const machineBefore = machineCpuSeconds();
      const started = performance.now();
      const burst: LoadResult = await closedLoop(target, TOTAL, CONCURRENCY);
      await deliveries.waitFor(before + burst.ok, 300_000);
      const cpu = cpuSeconds(node.pid) - cpuBefore;
      const machineCpu = machineCpuSeconds() - machineBefore;
      const lat = deliveries.latencies(`${name} `);
      return {
        accepted: burst.ok, refused: burst.failed,
        accepted_per_sec: Math.round(burst.ok / burst.seconds),
        deliver_sm_per_sec: Math.round(burst.ok / ((deliveries.last - started) / 1000)),
        accept_p50_ms: +percentile(burst.latenciesMs, 50).toFixed(2),
        accept_p99_ms: +percentile(burst.latenciesMs, 99).toFixed(2),
        to_deliver_sm_p50_ms: +percentile(lat, 50).toFixed(2),
        to_deliver_sm_p99_ms: +percentile(lat, 99).toFixed(2),
        node_cpu_ms_per_msg: +((cpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
        machine_cpu_ms_per_msg: +((machineCpu * 1000) / Math.max(1, burst.ok)).toFixed(3),
      };
    };
    const restResult = await phase('bench-rest', rest);
    const hookResult = await phase('bench-hook', webhook);
    const rss = rssMb(node.pid);
    await closeSessions(sessions);

    const report = {
      messages_per_phase: TOTAL, concurrency: CONCURRENCY, smpp_window: WINDOW ?? DEFAULT_SMPP_WINDOW, binds: 1,
      rest: restResult, webhook: hookResult,
      node_rss_mb: Math.round(rss.rss), node_peak_rss_mb: Math.round(rss.peak),
      load_average_1m: +readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await node.stop();
    await fake.close();
    await Promise.all([nats.stop(), redis.stop(), pg.stop()]);
  }
}

main().then(() => process.exit(0), (err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
