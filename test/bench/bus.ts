/**
 * Bus benchmark: durable publish with a window of PubAcks in flight, then consume + ack, over a
 * real nats-server (and the in-process bus for comparison).
 *
 *   node --import tsx test/bench/bus.ts                  # starts a private nats-server
 *   NATS_URL=nats://127.0.0.1:4222 node --import tsx test/bench/bus.ts
 *
 * Knobs: BENCH_MESSAGES (default 100000), BENCH_WINDOW (publishes in flight, 1000),
 * BENCH_CONCURRENCY (handlers per consumer, 256), BENCH_PAYLOAD_BYTES (200).
 * On 2 shared cores expect ±30 % between runs (client and server compete for the cores).
 */
import { randomBytes } from 'node:crypto';
import { ack, createBus, MemoryBusHub, type Bus } from '../../internal/bus/index.js';
import { startNats, type RunningNats } from '../support/services.js';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 100_000);
const WINDOW = Number(process.env.BENCH_WINDOW ?? 1_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 256);
const PAYLOAD_BYTES = Number(process.env.BENCH_PAYLOAD_BYTES ?? 200);

const logger = {
  info: () => undefined,
  warn: (o: object, m?: string) => console.error('warn', m, o),
  error: (o: object, m?: string) => console.error('error', m, o),
};

interface Result {
  publishPerSec: number;
  consumePerSec: number;
}

/** Publishes MESSAGES with at most WINDOW PubAcks outstanding (a counter, not an array of promises). */
async function publishAll(bus: Bus, subject: string, payload: Uint8Array, idPrefix: string): Promise<number> {
  let inFlight = 0;
  let failed: unknown;
  let wake: (() => void) | undefined;
  const started = performance.now();
  for (let i = 0; i < MESSAGES && !failed; i++) {
    while (inFlight >= WINDOW) await new Promise<void>((r) => (wake = r));
    inFlight++;
    bus.publishDurable(subject, payload, { msgId: `${idPrefix}-${i}` }).then(
      () => {
        inFlight--;
        wake?.();
      },
      (err: unknown) => {
        failed ??= err;
        inFlight--;
        wake?.();
      },
    );
  }
  while (inFlight > 0) await new Promise<void>((r) => (wake = r));
  if (failed) throw failed;
  return performance.now() - started;
}

async function consumeAll(bus: Bus, stream: string, filterSubject: string): Promise<number> {
  let handled = 0;
  let done!: () => void;
  const all = new Promise<void>((r) => (done = r));
  const started = performance.now();
  const consumer = await bus.consume(
    { stream, durable: 'bench', filterSubject, maxAckPending: CONCURRENCY * 4 },
    async () => {
      if (++handled === MESSAGES) done();
      return ack;
    },
    { concurrency: CONCURRENCY },
  );
  await all;
  const elapsed = performance.now() - started;
  await consumer.stop();
  const left = await bus.pending(stream);
  if (left !== 0) console.error(`  warning: ${left} message(s) still in the stream after consuming`);
  return elapsed;
}

async function run(label: string, bus: Bus): Promise<Result> {
  const tag = `bench${randomBytes(4).toString('hex')}`;
  const stream = `${tag.toUpperCase()}_S`;
  await bus.start();
  try {
    await bus.ensureStream({ name: stream, subjects: [`${tag}.>`], retention: 'workqueue' });
    const payload = randomBytes(PAYLOAD_BYTES);
    const pubMs = await publishAll(bus, `${tag}.job`, payload, tag);
    const conMs = await consumeAll(bus, stream, `${tag}.>`);
    const result = { publishPerSec: (MESSAGES / pubMs) * 1000, consumePerSec: (MESSAGES / conMs) * 1000 };
    console.log(
      `${label.padEnd(10)} publishDurable (window ${WINDOW}, msgId): ${fmt(result.publishPerSec)} msg/s` +
        `   consume+ack (concurrency ${CONCURRENCY}): ${fmt(result.consumePerSec)} msg/s`,
    );
    return result;
  } finally {
    await bus.stop();
  }
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(8);

async function main(): Promise<void> {
  let own: RunningNats | undefined;
  const url = process.env.NATS_URL ?? (own = await startNats()).url;
  console.log(`bus benchmark: ${MESSAGES} messages of ${PAYLOAD_BYTES} B, nats ${url}${own ? ' (private server)' : ''}`);
  try {
    await run('nats', createBus({ kind: 'nats', servers: [url] }, { nodeId: 'bench', logger }));
    await run('memory', createBus({ kind: 'memory', hub: new MemoryBusHub() }, { nodeId: 'bench', logger }));
  } finally {
    await own?.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
