import type { Bus, BusSubscription } from '../bus/index.js';

/** What one node reports about itself for /stats. */
export interface NodeStats {
  server_id: string;
  uptime_secs: number;
  rss_bytes: number;
  smpp_clients: Array<{ username: string; ip_address: string; last_seen: string }>;
  mm4_clients: Array<Record<string, unknown>>;
}

/** Each room that has sessions contributes to its node's stats through one of these. */
export type NodeStatsSource = () => Partial<Pick<NodeStats, 'smpp_clients' | 'mm4_clients'>>;

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
    this.#subscription = await this.deps.bus.subscribe(this.options.subject, () =>
      enc.encode(JSON.stringify(this.local())));
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
  }

  local(): NodeStats {
    const stats: NodeStats = {
      server_id: this.options.nodeId,
      uptime_secs: Math.round((Date.now() - this.#startedAt) / 1000),
      rss_bytes: process.memoryUsage.rss(),
      smpp_clients: [],
      mm4_clients: [],
    };
    for (const source of this.#sources) {
      const part = source();
      stats.smpp_clients.push(...(part.smpp_clients ?? []));
      stats.mm4_clients.push(...(part.mm4_clients ?? []));
    }
    return stats;
  }

  async collect(): Promise<Record<string, unknown>> {
    const answers = await this.deps.bus.gather(this.options.subject, enc.encode('{}'), {
      timeoutMs: this.options.gatherTimeoutMs ?? DEFAULT_GATHER_TIMEOUT_MS,
    });
    const nodes = answers.map((a) => JSON.parse(dec.decode(a)) as NodeStats);
    if (!nodes.some((n) => n.server_id === this.options.nodeId)) nodes.push(this.local());
    nodes.sort((a, b) => a.server_id.localeCompare(b.server_id));
    const smpp = nodes.flatMap((n) => n.smpp_clients);
    const mm4 = nodes.flatMap((n) => n.mm4_clients);
    return {
      smpp_connected_clients: new Set(smpp.map((s) => s.username)).size,
      smpp_clients: smpp,
      mm4_connected_clients: mm4.length,
      mm4_clients: mm4,
      nodes: nodes.map(({ smpp_clients: _s, mm4_clients: _m, ...node }) => node),
    };
  }
}
