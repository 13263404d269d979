import type { Bus, BusSubscription } from '../bus/index.js';

/** What one node reports about itself for /stats. */
export interface NodeStats {
  server_id: string;
  uptime_secs: number;
  rss_bytes: number;
  smpp_clients: Array<{ username: string; ip_address: string; last_seen: string }>;
  mm4_clients: Array<Record<string, unknown>>;
  /** Message counters since the node started, by name then label (e.g. ingress.web). */
  messages: Record<string, Record<string, number>>;
}

/** Each room that has sessions or counters contributes to its node's stats through one of these. */
type StatsPart = Partial<Pick<NodeStats, 'smpp_clients' | 'mm4_clients' | 'messages'>>;
export type NodeStatsSource = () => StatsPart | Promise<StatsPart>;

export interface ClusterStatsOptions {
  nodeId: string;
  subject: string;
  /** How long /stats waits for the other nodes. */
  gatherTimeoutMs?: number;
}

/** Long enough for a loaded node's event loop, short enough for an admin's curl. */
export const DEFAULT_GATHER_TIMEOUT_MS = 500;

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * /stats across the cluster: every node answers stats.collect with its own figures, and the
 * node asked gathers all answers (scatter-gather on the bus) into gomsggw's /stats shape,
 * plus a `nodes` list.
 */
export class ClusterStats {
  #subscription?: BusSubscription;
  readonly #sources: NodeStatsSource[] = [];
  readonly #startedAt = Date.now();

  constructor(
    private readonly options: ClusterStatsOptions,
    private readonly deps: { bus: Bus },
  ) {}

  addSource(source: NodeStatsSource): void {
    this.#sources.push(source);
  }

  async start(): Promise<void> {
    this.#subscription = await this.deps.bus.subscribe(this.options.subject, async () => enc.encode(JSON.stringify(await this.local())));
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  async local(): Promise<NodeStats> {
    const stats: NodeStats = {
      server_id: this.options.nodeId,
      uptime_secs: Math.round((Date.now() - this.#startedAt) / 1000),
      rss_bytes: process.memoryUsage.rss(),
      smpp_clients: [],
      mm4_clients: [],
      messages: {},
    };
    for (const source of this.#sources) {
      const part = await source();
      stats.smpp_clients.push(...(part.smpp_clients ?? []));
      stats.mm4_clients.push(...(part.mm4_clients ?? []));
      Object.assign(stats.messages, part.messages);
    }
    return stats;
  }

  async collect(): Promise<Record<string, unknown>> {
    const answers = await this.deps.bus.gather(this.options.subject, enc.encode('{}'), {
      timeoutMs: this.options.gatherTimeoutMs ?? DEFAULT_GATHER_TIMEOUT_MS,
    });
    const nodes = answers.map((a) => JSON.parse(dec.decode(a)) as NodeStats);
    if (!nodes.some((n) => n.server_id === this.options.nodeId)) nodes.push(await this.local());
    nodes.sort((a, b) => a.server_id.localeCompare(b.server_id));
    const smpp = nodes.flatMap((n) => n.smpp_clients);
    // MM4 rows carry their node, as SMPP binds do, so a peer's sessions can be found per node.
    const mm4 = nodes.flatMap((n) => n.mm4_clients.map((row): Record<string, unknown> => ({ ...row, server_id: n.server_id })));
    return {
      smpp_connected_clients: new Set(smpp.map((s) => s.username)).size,
      smpp_clients: smpp,
      // Upstream's figure: open SMTP sessions, not clients (one row per client and node).
      mm4_connected_clients: mm4.reduce((sum, row) => sum + (Number(row.active_sessions) || 0), 0),
      mm4_clients: mm4,
      messages: sumCounters(nodes.map((n) => n.messages ?? {})),
      nodes: nodes.map(({ smpp_clients: _s, mm4_clients: _m, ...node }) => node),
    };
  }
}

/** Adds up per-node counters into cluster totals. */
function sumCounters(all: Array<Record<string, Record<string, number>>>): Record<string, Record<string, number>> {
  const total: Record<string, Record<string, number>> = {};
  for (const counters of all) {
    for (const [name, byLabel] of Object.entries(counters)) {
      const into = (total[name] ??= {});
      for (const [label, value] of Object.entries(byLabel)) into[label] = (into[label] ?? 0) + value;
    }
  }
  return total;
}
