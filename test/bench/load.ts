/**
 * HTTP load for benchmarks: keep-alive connections, a closed loop (N in flight) for throughput
 * and an open loop (a fixed rate) for latency, with per-request latencies kept for percentiles.
 */
import { Agent, request } from 'node:http';

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
  /** Body of request i. */
  body(i: number): string;
  /** Status that counts as success. */
  okStatus: number;
}

function once(agent: Agent, target: Target, i: number): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  const body = target.body(i);
  return new Promise((resolve) => {
    const url = typeof target.url === 'string' ? target.url : target.url[i % target.url.length]!;
    const req = request(url, {
      method: 'POST', agent,
      headers: { ...target.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      res.resume();
      res.on('end', () => resolve({ ok: res.statusCode === target.okStatus, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
    req.end(body);
  });
}

/** `total` requests with `concurrency` in flight. */
export async function closedLoop(target: Target, total: number, concurrency: number, offset = 0): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, seconds: 0, latenciesMs: [] };
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      const r = await once(agent, target, offset + next++);
      result.sent += 1;
      if (r.ok) result.ok += 1;
      else result.failed += 1;
      result.latenciesMs.push(r.ms);
    }
  }));
  result.seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return result;
}

/** `ratePerSec` requests a second for `seconds`, whatever the answers take (no coordinated omission). */
export async function openLoop(target: Target, ratePerSec: number, seconds: number, offset = 0): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, seconds, latenciesMs: [] };
  const total = Math.round(ratePerSec * seconds);
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(once(agent, target, offset + i).then((r) => {
      result.sent += 1;
      if (r.ok) result.ok += 1;
      else result.failed += 1;
      result.latenciesMs.push(r.ms);
    }));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
