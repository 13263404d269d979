/**
 * The MM4 listener (MM4_LISTEN): smtp-server behind a net.Server the room owns, so a PROXY v1 or
 * v2 header (HAPROXY_PROXY_PROTOCOL, believed only from TRUSTED_PROXIES) is read before SMTP
 * starts and the peer is known by the client's IP, not the balancer's. Connections over the
 * node's or one IP's cap get `421` and are closed. A peer whose IP no legacy client's address
 * allows gets `550 Access denied` (gomsggw's reply) and is disconnected; a mail is answered only
 * once Mm4Inbound has stored it.
 */
import { createHash } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { ListenAddress } from '../config/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import {
  ConnectionLimiter,
  ProxyRefusal,
  normalizeIp,
  perIpExempt,
  readProxyHeader,
  refusalLog,
  trustedProxies,
  type ConnectionRefusal,
  type ConnectionSlot,
  type RefusalLog,
  type TrustedProxies,
} from '../peer/index.js';
import type { ClientDetails } from '../store/index.js';
import type { InboundPeer } from './inbound.js';
import type { PeerDirectory } from './peers.js';
import { readLimited } from './read-limited.js';
import { INTERNAL_REPLY, SMTP_TOO_LARGE, smtpError, toSmtpReply } from './smtp-reply.js';

export interface Mm4ServerOptions {
  listen: ListenAddress;
  proxyProtocol: boolean;
  /** TRUSTED_PROXIES: the only peers whose PROXY header is believed; any other is closed. */
  trustedProxies: readonly string[];
  /** Open connections on the node (0 or unset = no limit). */
  maxConnections?: number;
  /** Open connections from one client IP (0 or unset = no limit). */
  maxConnectionsPerIp?: number;
  /** A silent peer is disconnected after this long (default: smtp-server's 60 s). */
  socketTimeoutMs?: number;
  /** Largest DATA accepted (MM4_MAX_MESSAGE_BYTES), advertised as SIZE and counted while read. */
  maxMessageBytes: number;
  /** Name in the 220 greeting. */
  name: string;
  /** How long stop() lets open sessions finish. Default DEFAULT_MM4_DRAIN_MS. */
  drainMs?: number;
}

export interface Mm4ServerDeps {
  peers: Pick<PeerDirectory, 'clientsFor'>;
  inbound: { receive(raw: Buffer, peer: InboundPeer): Promise<string> };
  logger: Logger;
  /** For msggw_connections_refused_total, msggw_mm4_sessions and msggw_mm4_peers_refused_total. */
  metrics?: Pick<Metrics, 'connectionsRefused' | 'mm4Sessions' | 'mm4PeersRefused'>;
}

/** One MM4 stats row (upstream /stats `mm4_clients`, §5.1). */
export interface Mm4ClientStats {
  /** SHA-256 hex of the peer IP (upstream's quirk, kept). */
  client_id: string;
  username: string;
  active_sessions: number;
  first_connect_at: string;
  last_activity_at: string;
}

/** Long enough for a DATA phase of a few MB on a slow link to finish. */
export const DEFAULT_MM4_DRAIN_MS = 10_000;

/** A refused peer gets this long to read its 421 before the socket is destroyed. */
const REFUSE_FLUSH_MS = 1_000;

/** The parts of smtp-server (3.21) the listener reaches past its types. */
interface SmtpServerInternals {
  connect(socket: Socket, options: object): void;
  connections: Set<SmtpConnectionInternals>;
}

interface SmtpConnectionInternals {
  _socket: Socket;
  _parseAddressCommand(name: string, command: Buffer | string): unknown;
}

/** RCPT TO commands one mail transaction takes; RFC 5321 asks for at least 100. */
export const MAX_ENVELOPE_RECIPIENTS = 1_000;

/** Stands in for the domain a bare envelope address lacks; never used for routing. */
const BARE_ADDRESS_DOMAIN = 'mm4.invalid';

/**
 * gomsggw took any MAIL FROM / RCPT TO (upstream §9.1: routing reads the From/To headers), and
 * legacy peers may send bare numbers (`<+15551234567/TYPE=PLMN>`), which smtp-server refuses as
 * addresses without a domain. On this connection such an address is read with a placeholder
 * domain instead.
 */
function acceptBareAddresses(connection: SmtpConnectionInternals): void {
  const parse = connection._parseAddressCommand.bind(connection);
  connection._parseAddressCommand = (name, command) =>
    parse(name, command.toString().replace(/<([^<>@\s]+)>/, `<$1@${BARE_ADDRESS_DOMAIN}>`));
}

interface Session {
  ip: string;
  clients: ClientDetails[];
  connectedAt: number;
  lastActivityAt: number;
}

export class Mm4Server {
  readonly #sessions = new Map<string, Session>();
  readonly #sockets = new Set<Socket>();
  readonly #limiter: ConnectionLimiter;
  readonly #trusted: TrustedProxies;
  readonly #logRefusal: RefusalLog;
  #net?: Server;
  #smtp?: SMTPServer;
  #stopping?: Promise<void>;

  constructor(
    private readonly options: Mm4ServerOptions,
    private readonly deps: Mm4ServerDeps,
  ) {
    this.#limiter = new ConnectionLimiter({ maxConnections: options.maxConnections ?? 0, maxPerIp: options.maxConnectionsPerIp ?? 0 });
    this.#trusted = trustedProxies(options.trustedProxies);
    this.#logRefusal = refusalLog(deps.logger, 'mm4');
  }

  async start(): Promise<void> {
    const smtp = this.smtpServer();
    this.#smtp = smtp;
    const server = createServer((socket) => this.accept(socket));
    this.#net = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.deps.logger.error({ err }, 'mm4 listener error'));
    this.deps.metrics?.mm4Sessions.readFrom(() => this.sessionCounts());
  }

  /** The bound address (port 0 in tests resolves to the real port). */
  address(): { host: string; port: number } | undefined {
    const a = this.#net?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : undefined;
  }

  /** Stops accepting, lets open sessions finish within the drain time, then closes the rest. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.drain();
    return this.#stopping;
  }

  /** /stats `mm4_clients` rows: one per peer IP (and the clients it speaks for) with open sessions. */
  stats(): Mm4ClientStats[] {
    const rows = new Map<string, Mm4ClientStats>();
    for (const s of this.#sessions.values()) {
      const id = createHash('sha256').update(s.ip).digest('hex');
      const username = s.clients.map((c) => c.username).join(',');
      const key = `${id}/${username}`;
      const row = rows.get(key);
      if (row) {
        row.active_sessions++;
        if (s.connectedAt < Date.parse(row.first_connect_at)) row.first_connect_at = new Date(s.connectedAt).toISOString();
        if (s.lastActivityAt > Date.parse(row.last_activity_at)) row.last_activity_at = new Date(s.lastActivityAt).toISOString();
      } else {
        rows.set(key, {
          client_id: id,
          username,
          active_sessions: 1,
          first_connect_at: new Date(s.connectedAt).toISOString(),
          last_activity_at: new Date(s.lastActivityAt).toISOString(),
        });
      }
    }
    return [...rows.values()];
  }

  /**
   * Open sessions by the client usernames the peer's address speaks for: only identified peers
   * have a session, so the labels are configured clients, never a stranger's input.
   */
  sessionCounts(): Array<{ client: string; sessions: number }> {
    const counts = new Map<string, number>();
    for (const s of this.#sessions.values()) {
      const client = s.clients.map((c) => c.username).join(',');
      counts.set(client, (counts.get(client) ?? 0) + 1);
    }
    return [...counts].map(([client, sessions]) => ({ client, sessions }));
  }

  private smtpServer(): SMTPServer {
    return new SMTPServer({
      name: this.options.name,
      banner: 'SMTP server ready',
      size: this.options.maxMessageBytes,
      authOptional: true,
      // MM4 peers are known by IP (upstream §9.1); there is no login to offer or protect.
      disabledCommands: ['AUTH', 'STARTTLS'],
      disableReverseLookup: true,
      // The listener's own cap (accept) keeps below this; smtp-server's is the backstop.
      maxClients: this.options.maxConnections || undefined,
      socketTimeout: this.options.socketTimeoutMs,
      // RCPT TO past this is answered 452 (as Postfix's default limit): a peer cannot grow a
      // session's envelope without bound. Routing reads the To/Cc headers, not the envelope.
      maxRecipients: MAX_ENVELOPE_RECIPIENTS,
      logger: false,
      onConnect: (session, callback) => {
        this.identify(session).then(
          () => callback(),
          (err: Error) => callback(err),
        );
      },
      onData: (stream, session, callback) => {
        this.data(stream, session).then(
          (text) => callback(null, text),
          (err: Error) => callback(err),
        );
      },
      onClose: (session) => {
        this.#sessions.delete(session.id);
      },
    });
  }

  private accept(socket: Socket): void {
    if (this.#stopping) {
      socket.destroy();
      return;
    }
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
    socket.on('error', () => undefined);
    const slot = this.#limiter.admit(socket);
    if (!slot) return this.refuse(socket, 'max_connections');
    const peerIp = normalizeIp(socket.remoteAddress ?? '');
    if (!this.options.proxyProtocol) return this.admitted(socket, slot, peerIp, {});
    readProxyHeader(socket, { trusted: this.#trusted }).then(
      ({ ip, rest }) => {
        if (rest.length > 0) socket.unshift(rest);
        this.admitted(socket, slot, ip, { remoteAddress: ip });
      },
      (err: Error) => this.refuse(socket, err instanceof ProxyRefusal ? err.reason : 'proxy_header', err.message),
    );
  }

  private admitted(socket: Socket, slot: ConnectionSlot, ip: string, opts: { remoteAddress?: string }): void {
    if (!perIpExempt(socket, ip, this.#trusted) && !slot.claimIp(ip)) {
      // Its node-wide slot frees now, not when the peer has read the 421 and gone.
      slot.release();
      return this.refuse(socket, 'max_per_ip', `${ip} is at its connection cap`);
    }
    this.connect(socket, opts);
  }

  /** A cap answers 421 (RFC 5321 §4.2.3: try again later); a PROXY refusal closes without a word. */
  private refuse(socket: Socket, reason: ConnectionRefusal, detail?: string): void {
    this.deps.metrics?.connectionsRefused.inc({ door: 'mm4', reason });
    this.#logRefusal(reason, { peer: socket.remoteAddress, detail });
    if (reason === 'max_connections' || reason === 'max_per_ip') {
      socket.end(`421 ${this.options.name} Too many connections, try again later\r\n`);
      setTimeout(() => socket.destroy(), REFUSE_FLUSH_MS).unref();
    } else socket.destroy();
  }

  private connect(socket: Socket, opts: { remoteAddress?: string; remotePort?: number }): void {
    const smtp = this.#smtp as unknown as SmtpServerInternals;
    // smtp-server's connect() is how its own listener hands over sockets; it is not in the types.
    smtp.connect(socket, opts);
    for (const connection of smtp.connections) {
      if (connection._socket === socket) acceptBareAddresses(connection);
    }
  }

  private async identify(session: SMTPServerSession): Promise<void> {
    const ip = normalizeIp(session.remoteAddress);
    const clients = await this.deps.peers.clientsFor(ip);
    if (clients.length === 0) {
      this.deps.metrics?.mm4PeersRefused.inc();
      this.deps.logger.info({ event: LogEvent.AuthFailed, ip }, 'mm4: connection from an unknown address refused');
      throw smtpError({ code: 550, message: 'Access denied' });
    }
    this.deps.logger.info({ event: LogEvent.AuthSuccess, ip, clients: clients.map((c) => c.username) }, 'mm4: peer connected');
    const now = Date.now();
    this.#sessions.set(session.id, { ip, clients, connectedAt: now, lastActivityAt: now });
  }

  private async data(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const state = this.#sessions.get(session.id);
    const read = await readLimited(stream, this.options.maxMessageBytes);
    if (!state) throw smtpError(INTERNAL_REPLY);
    state.lastActivityAt = Date.now();
    if (!read.ok || stream.sizeExceeded) {
      throw smtpError({ code: SMTP_TOO_LARGE, message: `Message exceeds the maximum size of ${this.options.maxMessageBytes} bytes` });
    }
    try {
      return await this.deps.inbound.receive(read.bytes, { ip: state.ip, clients: state.clients });
    } catch (err) {
      const reply = toSmtpReply(err);
      const log = reply === INTERNAL_REPLY ? this.deps.logger.error.bind(this.deps.logger) : this.deps.logger.info.bind(this.deps.logger);
      log({ err, ip: state.ip, code: reply.code }, 'mm4: message refused');
      throw smtpError(reply);
    }
  }

  private async drain(): Promise<void> {
    const net = this.#net;
    if (!net) return;
    const closed = new Promise<void>((resolve) => net.close(() => resolve()));
    const deadline = Date.now() + (this.options.drainMs ?? DEFAULT_MM4_DRAIN_MS);
    while (this.#sockets.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const socket of this.#sockets) socket.destroy();
    this.#smtp?.close();
    this.deps.metrics?.mm4Sessions.readFrom();
    await closed;
  }
}
