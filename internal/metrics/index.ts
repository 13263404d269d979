/**
 * The metrics room: one prom-client Registry per node (no default global registry, so several
 * nodes can live in one test process). Metric names carry the `msggw_` prefix and units.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly configChanges: Counter<'kind' | 'source'>;
  /** Text exposition for /metrics. */
  render(): Promise<string>;
  readonly contentType: string;
}

export interface MetricsOptions {
  serverId: string;
  /** Node.js process metrics (event loop lag, heap, GC). Off in tests that build many nodes. */
  defaultMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ server_id: options.serverId });
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'msggw_http_requests_total', help: 'HTTP requests answered, by route and status',
      labelNames: ['method', 'route', 'status'], registers,
    }),
    httpDuration: new Histogram({
      name: 'msggw_http_request_duration_seconds', help: 'HTTP request handling time',
      labelNames: ['method', 'route'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    configChanges: new Counter({
      name: 'msggw_config_changes_total', help: 'Configuration changes applied to this node\'s directory',
      labelNames: ['kind', 'source'], registers,
    }),
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

export { MetricsServer } from './server.js';
export type { MetricsServerOptions } from './server.js';
