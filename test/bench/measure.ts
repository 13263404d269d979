/**
 * What the benchmarks read about a gateway process (from /proc) and about the fake carrier.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { GATEWAY_NODE_FLAGS } from '../../cmd/gateway/launch.js';

/**
 * The gateway script benchmarks start: the compiled build, as production runs it (the bench:*
 * scripts build it first), unless BENCH_ENTRY names another (bin/msggw.js: the sources via tsx).
 */
export const BENCH_ENTRY = process.env.BENCH_ENTRY ?? 'dist/cmd/gateway/main.js';

/** Node's flags for the gateway under test: production's, then BENCH_NODE_ARGS (a later V8 flag wins). */
export function benchNodeArgs(): string[] {
  return [...GATEWAY_NODE_FLAGS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
}

/** Settings for the gateway under test from BENCH_GATEWAY_ENV ("INGRESS_FIRST_AT=0 KEY=value"). */
export function benchGatewayEnv(): Record<string, string> {
  const pairs = (process.env.BENCH_GATEWAY_ENV ?? '').split(/\s+/).filter(Boolean).map((kv) => kv.split('='));
  return Object.fromEntries(pairs.map(([k, ...v]) => [k!, v.join('=')]));
}

/** Resident and peak resident memory, in MB. */
export function rssMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(/(\d+) kB/.exec(status.split('\n').find((l) => l.startsWith(key)) ?? '')?.[1] ?? 0);
  return { rss: kb('VmRSS:') / 1024, peak: kb('VmHWM:') / 1024 };
}

/** A process's name and CPU seconds (user + system, every thread) from its /proc/<pid>/stat text. */
function parseStat(stat: string): { comm: string; cpuSeconds: number } {
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, // utime, stime in clock ticks (USER_HZ = 100)
  };
}

/** CPU seconds (user + system, every thread) the process has used: robust to other load on the machine. */
export function cpuSeconds(pid: number): number {
  return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuSeconds;
}

/** CPU seconds the whole machine has been busy (every core, every process), from /proc/stat. */
export function machineCpuSeconds(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100;
}

/** The services' processes, by the name the kernel gives them (/proc/<pid>/comm). */
const SERVICES = ['nats-server', 'redis-server', 'postgres'] as const;

/**
 * CPU seconds each service has used so far, all of its processes (PostgreSQL's backends and
 * writers) summed: where the rest of the machine's CPU goes.
 */
export function serviceCpuSeconds(): Record<(typeof SERVICES)[number], number> {
  const out = { 'nats-server': 0, 'redis-server': 0, postgres: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const { comm, cpuSeconds: seconds } = parseStat(stat);
    const name = SERVICES.find((s) => comm.startsWith(s));
    if (name) out[name] += seconds;
  }
  return out;
}

/** This process's own CPU seconds (the bench's load generator and fake carrier). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Seconds from `since` until the carrier has `count` messages. */
export async function waitDelivered(fake: { sentCount: number }, count: number, timeoutMs: number, since = performance.now()): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (fake.sentCount < count) {
    if (Date.now() > deadline) throw new Error(`only ${fake.sentCount}/${count} delivered in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - since) / 1000;
}
