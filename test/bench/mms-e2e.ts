/**
 * MMS end to end (second half of `npm run bench:mms`): MM4_forward.REQ from a legacy
 * client over pooled nodemailer SMTP connections into one gateway node in cluster mode (real
 * nats-server, redis-server, PostgreSQL), out to a Telnyx test carrier on loopback with
 * /media/{token} URLs. Prints accepted/s (250 replies), delivered/s (carrier got the send with
 * its media URL), p50/p99 accept latency, node CPU ms per message, and fetches a sample of the
 * delivered media URLs. Two runs: a small JPEG (~50 KB, under the limit, so transcoding is light)
 * and a JPEG over Telnyx's 1 MB limit (sharp has to shrink every one).
 *
 *   npm run bench:mms                                   (after the transcode part)
 *   node --import tsx test/bench/mms-e2e.ts             (this part alone)
 *
 * Knobs: BENCH_MMS_E2E (messages in the small-image run, default 300; 0 skips this part),
 * BENCH_MMS_E2E_BIG (messages in the over-limit run, default 40; 0 skips it),
 * BENCH_MMS_CONNECTIONS (SMTP connections in the pool, default 4).
 */
import { createTransport } from 'nodemailer';
import sharp from 'sharp';
import { startNats, startPostgres, startRedis } from '../support/services.js';
import { FakeCarrier, type RecordedRequest } from '../support/fake-carrier.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { largeJpeg } from '../support/media-fixtures.js';
import { freePort } from '../support/process.js';
import { percentile } from './load.js';
import { BENCH_ENTRY, benchNodeArgs, cpuSeconds } from './measure.js';

const SMALL = Number(process.env.BENCH_MMS_E2E ?? 300);
const BIG = Number(process.env.BENCH_MMS_E2E_BIG ?? 40);
const CONNECTIONS = Number(process.env.BENCH_MMS_CONNECTIONS ?? 4);
const SAMPLE = 20;
const TELNYX_LIMIT = 1024 * 1024;
const API_KEY = 'bench-admin-key';
const FROM = '+15550001000';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };

/** A photo-like JPEG of about `targetKb` (grain keeps it from compressing to nothing). */
async function jpegAbout(targetKb: number): Promise<Buffer> {
  for (const [w, h] of [
    [320, 240],
    [400, 300],
    [480, 360],
    [560, 420],
    [640, 480],
  ] as const) {
    const grain = await sharp({
      create: { width: w, height: h, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } },
    })
      .jpeg({ quality: 80 })
      .toBuffer();
    if (grain.length >= targetKb * 1024 * 0.8) return grain;
  }
  return sharp({
    create: { width: 640, height: 480, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 30 } },
  })
    .jpeg({ quality: 90 })
    .toBuffer();
}

const plmn = (number: string) => ({ name: '', address: `${number}/TYPE=PLMN` });

interface RunResult {
  messages: number;
  image_kb: number;
  smtp_connections: number;
  accepted: number;
  refused: number;
  accepted_per_sec: number;
  delivered_per_sec: number;
  accept_p50_ms: number;
  accept_p99_ms: number;
  node_cpu_ms_per_msg: number;
  carrier_duplicates: number;
  media_sample_ok: string;
  media_sample_max_kb: number;
}

async function main(): Promise<void> {
  if (SMALL <= 0 && BIG <= 0) return;
  const [nats, redis, pg] = await Promise.all([startNats(), startRedis(), startPostgres()]);
  const fake = await FakeCarrier.start();
  const mm4Port = await freePort();
  const node = await startGatewayProcess(
    'mmsbench',
    {
      DATABASE_URL: await pg.createDatabase('mmsbench'),
      NATS_URL: nats.url,
      REDIS_URL: redis.url,
      ENCRYPTION_KEY: 'bench-encryption-key-0123456789abcdef',
      API_KEY,
      LOG_LEVEL: 'warn',
      // SERVER_ADDRESS is left to derive from the web port (http://localhost:PORT): the helper
      // picks that port itself. Media URLs are fetched with localhost → 127.0.0.1.
      MM4_LISTEN: `127.0.0.1:${mm4Port}`,
      MM4_MSG_ID_HOST: 'gw.bench',
      MM4_ORIGINATOR_SYSTEM: 'system@gw.bench',
    },
    benchNodeArgs(),
    BENCH_ENTRY,
  );
  const transport = createTransport({
    host: '127.0.0.1',
    port: mm4Port,
    secure: false,
    ignoreTLS: true,
    pool: true,
    maxConnections: CONNECTIONS,
    maxMessages: Infinity,
  });
  const base = node.url;
  try {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
      const json = (await res.json()) as any;
      if (res.status >= 300) throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const row = fake.carrierRow('telnyx');
    await post('/carriers', {
      name: 'telnyx-bench',
      type: 'telnyx',
      username: 'x',
      password: row.password,
      api_base_url: fake.url,
      public_key: row.publicKey,
      max_rps: 100_000,
    });
    const client = await post('/clients', { username: 'pbx', password: 'pbx-pass', type: 'legacy', address: '127.0.0.1' });
    await post(`/clients/${client.id}/numbers`, { number: FROM, carrier: 'telnyx-bench' });
    await new Promise((r) => setTimeout(r, 2_000)); // carrier lease taken

    const small = await jpegAbout(50);
    const big = await largeJpeg(2400, 1600);
    let seq = 0;
    const run = async (count: number, image: Buffer): Promise<RunResult> => {
      const first = seq;
      seq += count;
      const to = (i: number) => `+1555${3_000_000 + first + i}`;
      fake.reset();
      const cpuBefore = cpuSeconds(node.pid);
      const latencies: number[] = [];
      let accepted = 0;
      let refused = 0;
      let next = 0;
      const started = performance.now();
      const worker = async () => {
        while (next < count) {
          const i = next++;
          const t0 = performance.now();
          try {
            const info = await transport.sendMail({
              envelope: { from: `${FROM}/TYPE=PLMN@pbx.bench`, to: [`${to(i)}/TYPE=PLMN@gw.bench`] },
              from: plmn(FROM),
              to: plmn(to(i)),
              headers: {
                'X-Mms-3GPP-MMS-Version': '6.10.0',
                'X-Mms-Message-Type': 'MM4_forward.REQ',
                'X-Mms-Message-ID': `<b${first + i}@pbx.bench>`,
                'X-Mms-Transaction-ID': `b${first + i}`,
              },
              text: `bench mms ${first + i}`,
              attachments: [{ filename: 'photo.jpg', content: image, contentType: 'image/jpeg' }],
            });
            if (/^250\b/.test(info.response)) accepted++;
            else refused++;
          } catch (err) {
            refused++;
            if (refused <= 3) process.stderr.write(`refused: ${(err as Error).message}\n`);
          }
          latencies.push(performance.now() - t0);
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, worker));
      const acceptSecs = (performance.now() - started) / 1000;
      const withMedia = () => fake.sent('telnyx').filter((r) => ((r.body as { media_urls?: string[] }).media_urls ?? []).length > 0);
      const deadline = Date.now() + 300_000;
      while (withMedia().length < accepted) {
        if (Date.now() > deadline)
          throw new Error(`only ${withMedia().length}/${accepted} delivered in time\n${node.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      const deliveredSecs = (performance.now() - started) / 1000;
      const cpu = cpuSeconds(node.pid) - cpuBefore;
      const delivered = withMedia();
      const sample = await checkMedia(delivered.slice(0, SAMPLE));
      return {
        messages: count,
        image_kb: Math.round(image.length / 1024),
        smtp_connections: CONNECTIONS,
        accepted,
        refused,
        accepted_per_sec: +(accepted / acceptSecs).toFixed(1),
        delivered_per_sec: +(accepted / deliveredSecs).toFixed(1),
        accept_p50_ms: +percentile(latencies, 50).toFixed(1),
        accept_p99_ms: +percentile(latencies, 99).toFixed(1),
        node_cpu_ms_per_msg: +((cpu * 1000) / Math.max(1, accepted)).toFixed(1),
        carrier_duplicates: delivered.length - new Set(delivered.map((r) => (r.body as { to: string }).to)).size,
        media_sample_ok: `${sample.ok}/${sample.total}`,
        media_sample_max_kb: Math.round(sample.maxBytes / 1024),
      };
    };

    await run(20, small); // warm-up (JIT, pools, first sharp load)
    const report: Record<string, RunResult> = {};
    if (SMALL > 0) report.small_jpeg = await run(SMALL, small);
    if (BIG > 0) report.over_limit_jpeg = await run(BIG, big);
    process.stdout.write(`\nMM4-in to carrier-out (1 node, cluster mode):\n${JSON.stringify(report, null, 2)}\n`);
  } finally {
    transport.close();
    await node.stop();
    await fake.close();
    await Promise.all([nats.stop(), redis.stop(), pg.stop()]);
  }
}

/** Fetches every media URL of `sends`: 200, an image type, a body under the Telnyx limit. */
async function checkMedia(sends: RecordedRequest[]): Promise<{ ok: number; total: number; maxBytes: number }> {
  let ok = 0;
  let total = 0;
  let maxBytes = 0;
  for (const s of sends) {
    for (const url of (s.body as { media_urls: string[] }).media_urls) {
      total++;
      const res = await fetch(url.replace('//localhost:', '//127.0.0.1:'));
      const bytes = (await res.arrayBuffer()).byteLength;
      maxBytes = Math.max(maxBytes, bytes);
      if (res.status === 200 && /^image\//.test(res.headers.get('content-type') ?? '') && bytes > 0 && bytes <= TELNYX_LIMIT) ok++;
    }
  }
  return { ok, total, maxBytes };
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
