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
  const pairs = (process.env.BENCH_GATEWAY_ENV ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => kv.split('='));
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

/** Every process now: its parent, kernel name, command line and CPU seconds. */
function processTable(): Map<number, { ppid: number; comm: string; cmdline: string; cpuSeconds: number }> {
  const table = new Map<number, { ppid: number; comm: string; cmdline: string; cpuSeconds: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      table.set(Number(entry), { ppid, cmdline, ...parseStat(stat) });
    } catch {
      continue; // gone meanwhile
    }
  }
  return table;
}

/**
 * CPU seconds each service has used so far, all of its processes (PostgreSQL's backends and
 * writers) summed: where the rest of the machine's CPU goes. Only this bench's own services count
 * (its children, and the PostgreSQL listening on `pgPort`, which pg_ctl detaches), so tests
 * running meanwhile on the machine do not.
 */
export function serviceCpuSeconds(pgPort?: number): Record<(typeof SERVICES)[number], number> {
  const table = processTable();
  const roots = new Set([process.pid]);
  for (const [pid, p] of table) if (pgPort && p.comm === 'postgres' && p.cmdline.includes(`-p ${pgPort} `)) roots.add(pid);
  const ours = (pid: number): boolean => {
    for (let at = pid, hops = 0; at > 1 && hops < 16; at = table.get(at)?.ppid ?? 0, hops++) if (roots.has(at)) return true;
    return false;
  };
  const out = { 'nats-server': 0, 'redis-server': 0, postgres: 0 };
  for (const [pid, p] of table) {
    const name = SERVICES.find((s) => p.comm.startsWith(s));
    if (name && ours(pid)) out[name] += p.cpuSeconds;
  }
  return out;
}

/** This process's own CPU seconds (the bench's load generator and fake carrier). */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Seconds from `since` until the carrier has `count` messages. */
export async function waitDelivered(
  fake: { sentCount: number },
  count: number,
  timeoutMs: number,
  since = performance.now(),
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (fake.sentCount < count) {
    if (Date.now() > deadline) throw new Error(`only ${fake.sentCount}/${count} delivered in time`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return (performance.now() - since) / 1000;
}
