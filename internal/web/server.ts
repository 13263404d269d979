import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type Koa from 'koa';
import type { Metrics } from '../metrics/index.js';
import { ConnectionLimiter, normalizeIp, perIpExempt, trustedProxies, type TrustedProxies } from '../peer/index.js';
import type { Logger } from './types.js';

/** In-flight requests get this long to finish on stop() before their connections are cut. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000;
/** How often stop() closes keep-alive connections whose request has just finished. */
const IDLE_SWEEP_MS = 50;
/** A client must send its headers within this time (slowloris guard). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A whole request (headers and body) must arrive within this time. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this (Node's default, kept explicit: a pool reuses it within seconds). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Request line and headers together (Node's default): an API request needs a few hundred bytes. */
export const MAX_HEADER_BYTES = 16 * 1024;
/**
 * How often Node looks for requests past their headers or request timeout. Its default, 30 s,
 * would let a slow client hold a connection up to 40 s under a 10 s headers timeout.
 */
const TIMEOUT_CHECK_MS = 1_000;

export interface WebServerOptions {
  /** WEB_LISTEN; port 0 picks a free one (see address()). */
  listen: { host: string; port: number };
  shutdownGraceMs?: number;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** WEB_MAX_CONNECTIONS: open connections on the node (0 or unset = no limit). */
  maxConnections?: number;
  /** WEB_MAX_CONNECTIONS_PER_IP: open connections from one peer IP (0 or unset = no limit). */
  maxConnectionsPerIp?: number;
  /** TRUSTED_PROXIES: exempt from the per-IP cap (a reverse proxy carries every client's requests). */
  trustedProxies?: readonly string[];
}

export interface WebServerDeps {
  app: Koa;
  logger?: Logger;
  /** For msggw_connections_refused_total. */
  metrics?: Pick<Metrics, 'connectionsRefused'>;
}

/**
 * Owns the HTTP listener of a Koa app: start() listens, stop() stops accepting, lets in-flight
 * requests finish within the grace period, then closes what is left. Both are idempotent.
 */
export class WebServer {
  private readonly server: Server;
  private readonly limiter: ConnectionLimiter;
  private readonly trusted: TrustedProxies;
  private starting?: Promise<void>;
  private stopping?: Promise<void>;

  constructor(
    private readonly options: WebServerOptions,
    private readonly deps: WebServerDeps,
  ) {
    // Koa answers a request's errors itself (ctx.onerror), so the handler's promise never rejects.
    const handle = deps.app.callback();
    this.server = createServer(
      { maxHeaderSize: MAX_HEADER_BYTES, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
      (req, res) => void handle(req, res),
    );
    this.server.headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
    this.server.requestTimeout = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    // Node drops connections past maxConnections before any parsing; 'drop' tells us it did.
    if (options.maxConnections) this.server.maxConnections = options.maxConnections;
    this.server.on('drop', () => this.refused('max_connections'));
    this.limiter = new ConnectionLimiter({ maxConnections: 0, maxPerIp: options.maxConnectionsPerIp ?? 0 });
    this.trusted = trustedProxies(options.trustedProxies ?? []);
    if (options.maxConnectionsPerIp) this.server.on('connection', (socket: Socket) => this.capPerIp(socket));
  }

  /** Closes a connection from an IP already at its cap (a trusted proxy has none). */
  private capPerIp(socket: Socket): void {
    const ip = normalizeIp(socket.remoteAddress ?? '');
    if (perIpExempt(socket, ip, this.trusted)) return;
    if (this.limiter.admit(socket)?.claimIp(ip)) return;
    this.refused('max_per_ip');
    socket.destroy();
  }

  private refused(reason: 'max_connections' | 'max_per_ip'): void {
    this.deps.metrics?.connectionsRefused.inc({ door: 'web', reason });
  }

  /** Resolves once the port is bound; rejects if it cannot be (e.g. EADDRINUSE). */
  start(): Promise<void> {
    this.starting ??= new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(this.options.listen.port, this.options.listen.host, () => {
        this.server.off('error', onError);
        this.deps.logger?.info({ url: this.url() }, 'web server listening');
        resolve();
      });
    });
    return this.starting;
  }

  /** The bound address; valid after start(). */
  address(): { host: string; port: number } {
    const info = this.server.address() as AddressInfo | null;
    if (!info) throw new Error('WebServer.address() called before start()');
    return { host: info.address, port: info.port };
  }

  /** http://host:port of the listener (for tests and logs). */
  url(): string {
    const { host, port } = this.address();
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  stop(): Promise<void> {
    this.stopping ??= this.close();
    return this.stopping;
  }

  private async close(): Promise<void> {
    if (!this.server.listening) return;
    const grace = this.options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
    const closed = new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
    // Keep-alive connections turn idle as their last response ends: close them as they do.
    this.server.closeIdleConnections();
    const sweep = setInterval(() => this.server.closeIdleConnections(), IDLE_SWEEP_MS);
    const cut = setTimeout(() => this.server.closeAllConnections(), grace);
    try {
      await closed;
    } finally {
      clearInterval(sweep);
      clearTimeout(cut);
    }
  }
}
