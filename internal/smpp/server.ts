/**
 * The SMPP server of a node: listeners (plain, optionally TLS), the sessions they accept, binds
 * checked by BindAuthenticator against the directory and the cluster-wide bind slots, submit_sm
 * and query_sm handed to their handlers, and the LocalBinds the deliver_sm egress reads.
 *
 * stop() is the lame-duck drain of design.md: stop accepting, refuse new binds, unbind every
 * session (in-hand submit_sm are answered and deliver_sm in flight finish within the grace
 * period), close what is left, free the bind slots.
 */
import { randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ListenAddress } from '../config/index.js';
import { FailureDelay, type LoginLimiter } from '../lockout/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import { ConnectionLimiter, trustedProxies, type ConnectionRefusal } from '../peer/index.js';
import type { ClientDetails, RecordRepo } from '../store/index.js';
import { BindAuthenticator, type BindClients, type BindSlots } from './bind-auth.js';
import { SmppStatus } from './command-status.js';
import { SmppListener } from './listener.js';
import type { Pdu } from './pdu.js';
import type { BindMode, Reassembler } from './ports.js';
import { QueryHandler, type QueryAnswer } from './query.js';
import { LocalBindList } from './local-binds.js';
import { SmppSession, type BindAnswer, type SessionHandler } from './session.js';
import { SubmitHandler, type Ingress } from './submit.js';
import { SubmitThrottle } from './throttle.js';

/** How long stop() lets sessions finish their work and answer our unbind. */
export const DEFAULT_DRAIN_MS = 10_000;
/** A connection must bind within this long (Jasmin's sessionInitTimerSecs). */
export const DEFAULT_BIND_TIMEOUT_MS = 30_000;
/** submit_sm handled at once per session before we stop reading it; far above any ESME's window. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000;
/** Session timers (bind timeout, inactivity, enquire_link) are checked this often. */
const TICK_MS = 1_000;
/** After the unbinds, how long closing connections may take to flush their last PDUs. */
const CLOSE_WAIT_MS = 2_000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export interface SmppServerOptions {
  nodeId: string;
  listen: ListenAddress;
  tls?: { listen: ListenAddress; cert: string | Buffer; key: string | Buffer };
  proxyProtocol: boolean;
  /** TRUSTED_PROXIES: the peers whose PROXY header is believed (every other is closed). */
  trustedProxies: readonly string[];
  windowSize: number;
  timeoutMs: number;
  enquireLinkIntervalMs: number;
  inactivityTimeoutMs: number;
  /** How long after its arrival a refused bind is answered (LOGIN_FAILURE_DELAY_MS). */
  loginFailureDelayMs: number;
  drainMs?: number;
  /** A connection that has not bound within this long is closed, whether or not its bind is in hand. */
  bindTimeoutMs?: number;
  maxInFlight?: number;
  /** SMPP_MAX_CONNECTIONS: open connections on the node, plain and TLS together (0 or unset = no limit). */
  maxConnections?: number;
  /** SMPP_MAX_CONNECTIONS_PER_IP: open connections from one client IP (0 or unset = no limit). */
  maxConnectionsPerIp?: number;
}

/** The directory reads the server needs. */
export interface SmppDirectory extends BindClients {
  client(id: number): ClientDetails | undefined;
}

export interface SmppServerDeps {
  directory: SmppDirectory;
  ingress: Ingress;
  reassembler: Reassembler;
  records: Pick<RecordRepo, 'byMessageId'>;
  /** The cluster's bind registry (internal/cluster), started and stopped by its owner. */
  binds: BindSlots;
  /** The node's failed-login limiter, shared with the REST logins (internal/lockout). */
  logins: LoginLimiter;
  metrics: Metrics;
  logger: Logger;
  newId?: () => string;
}

/** One bind as /stats lists it (gomsggw's smpp_clients fields, plus where and how). */
export interface SmppBindStats {
  username: string;
  ip_address: string;
  last_seen: string;
  server_id: string;
  bind_mode: BindMode;
  session_id: string;
}

export class SmppServer {
  readonly sessions: LocalBindList<SmppSession>;
  readonly #connections = new Set<SmppSession>();
  readonly #listeners: SmppListener[] = [];
  readonly #binds: BindAuthenticator;
  readonly #submits: SubmitHandler;
  readonly #queries: QueryHandler;
  readonly #throttle = new SubmitThrottle();
  readonly #handler: SessionHandler;
  #counter = 0;
  #timer?: NodeJS.Timeout;
  #draining = false;
  #stopping?: Promise<void>;

  constructor(
    private readonly options: SmppServerOptions,
    private readonly deps: SmppServerDeps,
  ) {
    const logger = deps.logger;
    this.sessions = new LocalBindList((err) => logger.error({ err }, 'SMPP session book listener failed'));
    this.#binds = new BindAuthenticator({
      clients: deps.directory,
      slots: deps.binds,
      logins: deps.logins,
      failureDelay: new FailureDelay(options.loginFailureDelayMs),
    });
    this.#submits = new SubmitHandler(
      { nodeId: options.nodeId },
      {
        client: (id) => deps.directory.client(id),
        ingress: deps.ingress,
        reassembler: deps.reassembler,
        throttle: this.#throttle,
        newId: deps.newId ?? randomUUID,
        logger: deps.logger,
      },
    );
    this.#queries = new QueryHandler(deps.records);
    this.#handler = this.#sessionHandler();
  }

  async start(): Promise<void> {
    const { options, deps } = this;
    const listenerDeps = {
      onConnection: (stream: Duplex, ip: string) => this.#connect(stream, ip),
      limiter: new ConnectionLimiter({
        maxConnections: options.maxConnections ?? 0,
        maxPerIp: options.maxConnectionsPerIp ?? 0,
      }),
      onRefused: (reason: ConnectionRefusal) => deps.metrics.connectionsRefused.inc({ door: 'smpp', reason }),
      logger: deps.logger,
    };
    const common = { proxyProtocol: options.proxyProtocol, trustedProxies: trustedProxies(options.trustedProxies) };
    this.#listeners.push(new SmppListener({ ...common, listen: options.listen, name: 'smpp' }, listenerDeps));
    if (options.tls) {
      this.#listeners.push(
        new SmppListener(
          { ...common, listen: options.tls.listen, name: 'smpps', tls: { cert: options.tls.cert, key: options.tls.key } },
          listenerDeps,
        ),
      );
    }
    for (const listener of this.#listeners) await listener.start();
    this.#timer = setInterval(() => this.#tick(), TICK_MS);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#drain();
    return this.#stopping;
  }

  /** Plain listener address (port 0 resolves to the real port). */
  address(): { host: string; port: number } {
    return this.#listeners[0].address();
  }

  /** TLS listener address, when there is one. */
  tlsAddress(): { host: string; port: number } | undefined {
    return this.#listeners[1]?.address();
  }

  /** This node's binds for /stats. */
  stats(): SmppBindStats[] {
    return this.sessions.all().map((s) => ({
      username: s.systemId,
      ip_address: s.remoteIp,
      last_seen: new Date(s.lastReceivedAt).toISOString(),
      server_id: this.options.nodeId,
      bind_mode: s.mode,
      session_id: s.id,
    }));
  }

  #connect(stream: Duplex, remoteIp: string): void {
    const { options, deps } = this;
    if (this.#draining) {
      stream.destroy();
      return;
    }
    const session = new SmppSession(
      {
        id: `${options.nodeId}-${++this.#counter}`,
        windowSize: options.windowSize,
        timeoutMs: options.timeoutMs,
        enquireLinkIntervalMs: options.enquireLinkIntervalMs,
        inactivityTimeoutMs: options.inactivityTimeoutMs,
        bindTimeoutMs: options.bindTimeoutMs ?? DEFAULT_BIND_TIMEOUT_MS,
        maxInFlight: options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
      },
      { socket: stream, remoteIp, handler: this.#handler, metrics: deps.metrics, logger: deps.logger },
    );
    this.#connections.add(session);
  }

  #sessionHandler(): SessionHandler {
    const { logger, metrics } = this.deps;
    return {
      bind: (session, request) => this.#bind(session, request),
      bound: (session) => {
        this.sessions.add(session);
        metrics.smppBinds.inc({ mode: session.mode });
        logger.info(
          { event: LogEvent.AuthSuccess, session: session.id, systemId: session.systemId, mode: session.mode, ip: session.remoteIp },
          'SMPP bound',
        );
      },
      unbound: (session) => {
        this.sessions.remove(session);
        metrics.smppBinds.dec({ mode: session.mode });
        logger.info({ event: LogEvent.SessionRemoved, session: session.id, systemId: session.systemId }, 'SMPP unbound');
      },
      submit: (session, pdu) => this.#submit(session, pdu),
      query: (session, pdu): Promise<QueryAnswer> => this.#queries.query(session.clientId, pdu),
      closed: (session) => this.#connections.delete(session),
    };
  }

  async #bind(session: SmppSession, request: { systemId: string; password: string; mode: BindMode }): Promise<BindAnswer> {
    if (this.#draining) return { status: SmppStatus.RBINDFAIL };
    const verdict = await this.#binds.authenticate({ ...request, remoteIp: session.remoteIp, sessionId: session.id });
    if (!verdict.ok) {
      this.deps.logger.info(
        { event: verdict.event, session: session.id, systemId: request.systemId, ip: session.remoteIp, reason: verdict.reason },
        'SMPP bind refused',
      );
      return { status: verdict.status };
    }
    return { status: SmppStatus.ROK, clientId: verdict.client.id, release: () => verdict.slot.release() };
  }

  async #submit(session: SmppSession, pdu: Pdu): Promise<string> {
    const started = performance.now();
    const id = await this.#submits.submit({ clientId: session.clientId, remoteIp: session.remoteIp }, pdu);
    this.deps.logger.debug({ event: LogEvent.InboundSubmitSM, session: session.id, systemId: session.systemId, id }, 'submit_sm stored');
    this.deps.metrics.ingress.inc({ protocol: 'smpp' });
    this.deps.metrics.ingressLatency.observe({ protocol: 'smpp' }, (performance.now() - started) / 1000);
    return id;
  }

  #tick(): void {
    const now = Date.now();
    for (const session of this.#connections) session.tick(now);
    this.#throttle.prune();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    const errors: unknown[] = [];
    const step = async (work: () => Promise<unknown>) => {
      try {
        await work();
      } catch (err) {
        errors.push(err);
      }
    };
    await step(() => Promise.all(this.#listeners.map((l) => l.stop())));
    const grace = this.options.drainMs ?? DEFAULT_DRAIN_MS;
    await step(() => Promise.all([...this.#connections].map((s) => s.unbind(grace, 'server shutting down'))));
    // Let the last answers flush; whatever has not closed by then is cut (a deliver_sm cut
    // here is retried by the egress elsewhere).
    await step(async () => {
      const all = [...this.#connections];
      await Promise.race([Promise.all(all.map((s) => s.done)), delay(CLOSE_WAIT_MS)]);
      for (const s of all) s.close('server stopped');
    });
    clearInterval(this.#timer);
    if (errors.length > 0) throw new AggregateError(errors, 'SMPP server stopped with errors');
  }
}
