import { createServer, type Server } from 'node:http';
import type { Metrics } from './types.js';

export interface MetricsServerOptions {
  listen: { host: string; port: number };
  /** PROMETHEUS_PATH. */
  path: string;
}

/**
 * The separate metrics listener used when PROMETHEUS_LISTEN is set; it serves only the
 * metrics path (no pprof-style extras, unlike upstream's default mux).
 */
export class MetricsServer {
  #server?: Server;
  #stopping?: Promise<void>;

  constructor(
    private readonly options: MetricsServerOptions,
    private readonly deps: { metrics: Metrics },
  ) {}

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' || path !== this.options.path) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      this.deps.metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': this.deps.metrics.contentType }).end(text),
        () => res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"metrics unavailable"}'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => resolve());
    });
    this.#server = server;
  }

  stop(): Promise<void> {
    this.#stopping ??= new Promise<void>((resolve) => {
      if (!this.#server) return resolve();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#stopping;
  }
}
