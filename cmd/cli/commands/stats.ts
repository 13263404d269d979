/**
 * `msggw stats`: the cluster at a glance, as Kannel's status page shows a bearerbox: each node's
 * uptime, memory, binds and message counters, the SMPP binds and MM4 peers with their node, and
 * with --interval the message rates between two samples.
 */
import { Command } from 'commander';
import type { AdminApi, Json } from '../api.js';
import { ApiError, UsageError } from '../errors.js';
import { formatDuration, formatMiB, renderTable } from '../output.js';
import { sessionOf } from '../session.js';

type Counters = Record<string, Record<string, number>>;

interface NodeRow {
  server_id: string;
  uptime_secs: number;
  rss_bytes: number;
  messages?: Counters;
}

export interface StatsSample {
  at: number;
  stats: Json;
  /** /health of the node asked: whether it takes traffic. */
  health: string;
}

/** Per-second change of every counter between two samples; a counter that went down (a restart) counts from 0. */
export function counterRates(before: Counters, after: Counters, seconds: number): Counters {
  const rates: Counters = {};
  for (const [name, byLabel] of Object.entries(after)) {
    for (const [label, value] of Object.entries(byLabel)) {
      const previous = before[name]?.[label] ?? 0;
      const delta = value >= previous ? value - previous : value;
      (rates[name] ??= {})[label] = Math.round((delta / seconds) * 100) / 100;
    }
  }
  return rates;
}

const sum = (byLabel: Record<string, number> | undefined) => Object.values(byLabel ?? {}).reduce((a, b) => a + b, 0);
/** Egress labels are `protocol:result`, result ok, retry or failed (msggw_messages_egress_total). */
const sumResult = (byLabel: Record<string, number> | undefined, result: string) =>
  Object.entries(byLabel ?? {})
    .filter(([label]) => label.endsWith(`:${result}`))
    .reduce((a, [, v]) => a + v, 0);

const nodesOf = (stats: Json) => (stats.nodes as NodeRow[] | undefined) ?? [];

/** One row per node: what it holds and what passed through it (and how fast, given rates). */
function nodeRows(stats: Json, rates?: Record<string, Counters>): Json[] {
  const smpp = (stats.smpp_clients as Json[] | undefined) ?? [];
  const mm4 = (stats.mm4_clients as Json[] | undefined) ?? [];
  return nodesOf(stats).map((node) => {
    const m = node.messages ?? {};
    const r = rates?.[node.server_id];
    return {
      node: node.server_id,
      uptime: formatDuration(node.uptime_secs),
      rss: formatMiB(node.rss_bytes),
      smpp_binds: smpp.filter((b) => b.server_id === node.server_id).length,
      mm4_sessions: mm4.filter((p) => p.server_id === node.server_id).reduce((a, p) => a + (Number(p.active_sessions) || 0), 0),
      received: sum(m.ingress),
      sent: sumResult(m.egress, 'ok'),
      failed: sumResult(m.egress, 'failed'),
      ...(r ? { 'received/s': sum(r.ingress).toFixed(1), 'sent/s': sumResult(r.egress, 'ok').toFixed(1) } : {}),
    };
  });
}

function counterRows(counters: Counters, rates?: Counters): Json[] {
  return Object.entries(counters).flatMap(([name, byLabel]) =>
    Object.entries(byLabel).map(([label, total]) => ({
      counter: name,
      label,
      total,
      ...(rates ? { per_sec: rates[name]?.[label] ?? 0 } : {}),
    })),
  );
}

/** The human view: nodes, binds, peers, counters. */
export function renderStats(sample: StatsSample, rates?: { cluster: Counters; nodes: Record<string, Counters> }): string {
  const { stats } = sample;
  const nodes = nodeRows(stats, rates?.nodes);
  const nodeColumns = nodes.length > 0 ? Object.keys(nodes[0]) : ['node'];
  const smpp = (stats.smpp_clients as Json[] | undefined) ?? [];
  return (
    `Node asked: ${sample.health}; ${String(stats.smpp_connected_clients)} SMPP clients bound, ` +
    `${String(stats.mm4_connected_clients)} MM4 sessions open\n` +
    `Nodes:\n${renderTable(nodes, nodeColumns, '(no node answered)')}` +
    `SMPP binds:\n${renderTable(
      smpp,
      [
        { key: 'username', header: 'client' },
        { key: 'ip_address', header: 'ip' },
        { key: 'bind_mode', header: 'mode' },
        { key: 'server_id', header: 'node' },
        'last_seen',
      ],
      '(none)',
    )}` +
    `MM4 peers:\n${renderTable(
      (stats.mm4_clients as Json[] | undefined) ?? [],
      [
        { key: 'username', header: 'clients' },
        'active_sessions',
        { key: 'server_id', header: 'node' },
        'first_connect_at',
        'last_activity_at',
      ],
      '(none)',
    )}` +
    `Messages since each node started (cluster):\n${renderTable(
      counterRows((stats.messages ?? {}) as Counters, rates?.cluster),
      rates ? ['counter', 'label', 'total', 'per_sec'] : ['counter', 'label', 'total'],
      '(none yet)',
    )}`
  );
}

async function healthOf(api: AdminApi): Promise<string> {
  try {
    await api.get('/health');
    return 'healthy';
  } catch (err) {
    if (err instanceof ApiError) return `unhealthy (${err.message})`;
    throw err;
  }
}

export async function sampleStats(api: AdminApi): Promise<StatsSample> {
  const [stats, health] = await Promise.all([api.get<Json>('/stats'), healthOf(api)]);
  return { at: Date.now(), stats, health };
}

/** Rates of the cluster's and each node's counters between two samples. */
export function ratesBetween(a: StatsSample, b: StatsSample): { cluster: Counters; nodes: Record<string, Counters> } {
  const seconds = Math.max(0.001, (b.at - a.at) / 1000);
  const before = new Map(nodesOf(a.stats).map((n) => [n.server_id, n.messages ?? {}]));
  return {
    cluster: counterRates((a.stats.messages ?? {}) as Counters, (b.stats.messages ?? {}) as Counters, seconds),
    nodes: Object.fromEntries(
      nodesOf(b.stats).map((n) => [n.server_id, counterRates(before.get(n.server_id) ?? {}, n.messages ?? {}, seconds)]),
    ),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface StatsOptions {
  interval?: string;
  watch?: boolean;
}

export function statsCommand(): Command {
  return new Command('stats')
    .alias('status')
    .description("the cluster: every node's uptime, memory, SMPP binds, MM4 peers and message counters")
    .option('-i, --interval <secs>', 'sample twice this far apart and show messages per second')
    .option('-w, --watch', 'refresh every --interval seconds (default 5) until interrupted')
    .action(async (opts: StatsOptions, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const seconds = Number(opts.interval ?? (opts.watch ? 5 : 0));
      if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError('--interval must be a number of seconds');
      let previous = await sampleStats(api);
      if (seconds === 0) {
        out.result(previous.stats, () => renderStats(previous));
        return;
      }
      for (;;) {
        await sleep(seconds * 1000);
        const current = await sampleStats(api);
        const rates = ratesBetween(previous, current);
        if (opts.watch && !out.json && process.stdout.isTTY) process.stdout.write('\x1b[2J\x1b[H');
        out.result({ ...current.stats, rates: { interval_secs: seconds, ...rates } }, () => renderStats(current, rates));
        if (!opts.watch) return;
        previous = current;
      }
    });
}
