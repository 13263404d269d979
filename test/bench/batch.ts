/**
 * `npm run bench:batch`: one batch of BENCH_BATCH_SIZE recipients (default 100,000) uploaded as
 * a streamed multipart CSV to a gateway node in cluster mode (real nats-server, redis-server,
 * PostgreSQL) and sent to a test carrier on loopback. Prints the upload time (until the 202),
 * the time until the job reports completed and until the carrier has every message, and the
 * node's peak RSS. BENCH_THROTTLE sets the batch's throttle_per_second (default: as fast as the
 * node goes).
 */
import { startNats, startPostgres, startRedis } from '../support/services.js';
import { startGatewayProcess } from '../support/gateway-process.js';
import { LeanCarrier } from './lean-carrier.js';
import { BENCH_ENTRY, benchGatewayEnv, benchNodeArgs, cpuSeconds, rssMb, waitDelivered } from './measure.js';

const SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 100_000);
const THROTTLE = Number(process.env.BENCH_THROTTLE ?? 1_000_000);
const API_KEY = 'bench-admin-key';
const admin = { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}`, 'content-type': 'application/json' };
const client = { authorization: `Basic ${Buffer.from('bench:bench-pass').toString('base64')}` };
const BOUNDARY = 'msggw-bench-boundary';

/** The multipart body, made as it is sent (the bench holds no whole CSV either). */
async function* multipart(size: number): AsyncGenerator<Buffer> {
  const field = (name: string, value: string) =>
    Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  yield field('from', '+15550001000');
  yield field('text_template', 'Hello {{name}}, your code is {{code}}');
  yield field('throttle_per_second', String(THROTTLE));
  yield Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="csv"; filename="batch.csv"\r\nContent-Type: text/csv\r\n\r\nto,name,code\n`,
  );
  const ROWS_PER_CHUNK = 1_000;
  for (let i = 0; i < size; i += ROWS_PER_CHUNK) {
    let rows = '';
    for (let j = i; j < Math.min(size, i + ROWS_PER_CHUNK); j++)
      rows += `+1555${String(2_000_000 + j).padStart(7, '0')},name${j},${j % 10_000}\n`;
    yield Buffer.from(rows);
  }
  yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
}

async function main(): Promise<void> {
  const [nats, redis, pg] = await Promise.all([startNats(), startRedis(), startPostgres()]);
  const carrier = await LeanCarrier.start();
  const env = {
    DATABASE_URL: await pg.createDatabase('bench_batch'),
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    ENCRYPTION_KEY: 'bench-encryption-key-0123456789abcdef',
    API_KEY,
    SERVER_ADDRESS: 'http://127.0.0.1:9',
    LOG_LEVEL: 'warn',
    BATCH_MAX_MESSAGES: String(Math.max(SIZE, 100_000)),
    ...benchGatewayEnv(),
  };
  const node = await startGatewayProcess('bench-batch', env, benchNodeArgs(), BENCH_ENTRY);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(node.pid).rss)), 250);
  try {
    const post = async (path: string, body: unknown) =>
      (await fetch(`${node.url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) })).json() as Promise<any>;
    await post('/carriers', {
      name: 'telnyx-bench',
      type: 'telnyx',
      username: 'x',
      password: carrier.carrierRow('telnyx').password,
      api_base_url: carrier.url,
      max_rps: 100_000,
    });
    const web = await post('/clients', { username: 'bench', password: 'bench-pass', type: 'web' });
    await post(`/clients/${web.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-bench' });
    const rssBefore = rssMb(node.pid).rss;
    const cpuBefore = cpuSeconds(node.pid);

    const started = performance.now();
    const res = await fetch(`${node.url}/messages/batch`, {
      method: 'POST',
      headers: { ...client, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: ReadableStream.from(multipart(SIZE)),
      duplex: 'half',
    } as RequestInit);
    const created = (await res.json()) as any;
    if (res.status !== 202) throw new Error(`batch refused: ${res.status} ${JSON.stringify(created)}`);
    const uploadSecs = (performance.now() - started) / 1000;

    let job: any;
    for (;;) {
      job = await (await fetch(`${node.url}/messages/batch/${created.id}`, { headers: client })).json();
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const completedSecs = (performance.now() - started) / 1000;
    const deliveredSecs = await waitDelivered(carrier, SIZE, 600_000, started);
    const { peak } = rssMb(node.pid);
    process.stdout.write(
      [
        `batch of ${SIZE.toLocaleString('en-US')} recipients (streamed CSV, throttle_per_second ${THROTTLE}), one node:`,
        `  upload accepted (202) after ${uploadSecs.toFixed(1)} s (${Math.round(SIZE / uploadSecs)} rows/s written)`,
        `  job ${job.status} after ${completedSecs.toFixed(1)} s: sent ${job.sent_count}, failed ${job.failed_count}`,
        `  carrier had all ${SIZE} after ${deliveredSecs.toFixed(1)} s (${Math.round(SIZE / deliveredSecs)} messages/s end to end)`,
        `  node RSS ${rssBefore.toFixed(0)} MB before, peak ${Math.max(peak, peakRss).toFixed(0)} MB (VmHWM ${peak.toFixed(0)} MB);` +
          ` node CPU ${(cpuSeconds(node.pid) - cpuBefore).toFixed(1)} s`,
        '',
      ].join('\n'),
    );
  } finally {
    clearInterval(sampler);
    await node.stop();
    await carrier.close();
    await Promise.all([nats.stop(), redis.stop(), pg.stop()]);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
