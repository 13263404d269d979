/**
 * HTTP load for benchmarks: keep-alive connections, a closed loop (N in flight) for throughput
 * and an open loop (a fixed rate) for latency, with per-request latencies kept for percentiles.
 */
import { Pool } from 'undici';

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  seconds: number;
  latenciesMs: number[];
}

export interface Target {
  /** One URL, or several (a VIP in front of several nodes): request i goes to url[i mod n]. */
  url: string | readonly string[];
  headers: Record<string, string>;
  /** Body of request i (a POST of JSON). */
  body?(i: number): string;
  /** Query string of request i, instead of a body: a GET (Kannel's sendsms). */
  query?(i: number): string;
  /** Status that counts as success. */
  okStatus: number;
}

/**
 * Keep-alive connections to every URL of a target. undici rather than node:http, so the load
 * generator, which shares the machine's two cores with the gateway, costs as little as it can.
 */
class Connections {
  readonly #pools: Array<{ pool: Pool; path: string }>;

  constructor(target: Target, connections: number) {
    const urls = typeof target.url === 'string' ? [target.url] : target.url;
    this.#pools = urls.map((u) => {
      const url = new URL(u);
      return { pool: new Pool(url.origin, { connections: Math.ceil(connections / urls.length) }), path: `${url.pathname}${url.search}` };
    });
  }

  async once(target: Target, i: number): Promise<{ ok: boolean; ms: number }> {
    const started = performance.now();
    const { pool, path } = this.#pools[i % this.#pools.length]!;
    try {
      const res = target.query
        ? await pool.request({ path: `${path}?${target.query(i)}`, method: 'GET', headers: target.headers })
        : await pool.request({
            path,
            method: 'POST',
            body: target.body!(i),
            headers: { ...target.headers, 'content-type': 'application/json' },
          });
      await res.body.dump();
      return { ok: res.statusCode === target.okStatus, ms: performance.now() - started };
    } catch {
      return { ok: false, ms: performance.now() - started };
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map(({ pool }) => pool.destroy()));
  }
}

/** `total` requests with `concurrency` in flight. */
export async function closedLoop(target: Target, total: number, concurrency: number, offset = 0): Promise<LoadResult> {
  const connections = new Connections(target, concurrency);
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, seconds: 0, latenciesMs: [] };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const r = await connections.once(target, offset + next++);
        result.sent += 1;
        if (r.ok) result.ok += 1;
        else result.failed += 1;
        result.latenciesMs.push(r.ms);
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  await connections.close();
  return result;
}

/** `ratePerSec` requests a second for `seconds`, whatever the answers take (no coordinated omission). */
export async function openLoop(target: Target, ratePerSec: number, seconds: number, offset = 0): Promise<LoadResult> {
  const connections = new Connections(target, 256);
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, seconds, latenciesMs: [] };
  const total = Math.round(ratePerSec * seconds);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(
      connections.once(target, offset + i).then((r) => {
        result.sent += 1;
        if (r.ok) result.ok += 1;
        else result.failed += 1;
        result.latenciesMs.push(r.ms);
      }),
    );
  }
  await Promise.all(inFlight);
  await connections.close();
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
