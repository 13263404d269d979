/**
 * One SMPP listening socket: plain TCP or SMPP over TLS, with or without a PROXY protocol
 * header in front (the header comes before the TLS handshake, as HAProxy sends it, and only a
 * TRUSTED_PROXIES peer may send it). Hands each accepted connection, with the client's IP, to
 * `onConnection`; a connection refused before that (over a connection cap, a PROXY header from
 * an untrusted peer or a bad one, a TLS handshake error) is closed without troubling anyone else.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import type { ListenAddress } from '../config/index.js';
import type { Logger } from '../log/index.js';
import {
  ProxyRefusal,
  normalizeIp,
  perIpExempt,
  readProxyHeader,
  refusalLog,
  type ConnectionLimiter,
  type ConnectionRefusal,
  type ConnectionSlot,
  type RefusalLog,
  type TrustedProxies,
} from '../peer/index.js';

/** A TLS handshake that has not finished by then is abandoned. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ListenerOptions {
  listen: ListenAddress;
  proxyProtocol: boolean;
  /** Who may send a PROXY header (TRUSTED_PROXIES). */
  trustedProxies: TrustedProxies;
  /** PEM certificate chain and key: the listener speaks SMPP over TLS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** For logs: 'smpp' or 'smpps'. */
  name: string;
}

export type ConnectionHandler = (stream: Duplex, remoteIp: string) => void;

export interface ListenerDeps {
  onConnection: ConnectionHandler;
  /** The node's SMPP connection caps, shared by its plain and TLS listeners. */
  limiter: ConnectionLimiter;
  /** A connection refused before SMPP started (for the metric). */
  onRefused: (reason: ConnectionRefusal) => void;
  logger: Logger;
}

export class SmppListener {
  readonly #server: Server;
  readonly #secureContext?: SecureContext;
  readonly #pending = new Set<Socket>();
  readonly #logRefusal: RefusalLog;

  constructor(
    private readonly options: ListenerOptions,
    private readonly deps: ListenerDeps,
  ) {
    this.#logRefusal = refusalLog(deps.logger, options.name);
    this.#secureContext = options.tls ? createSecureContext({ cert: options.tls.cert, key: options.tls.key }) : undefined;
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
    this.#server.on('error', (err) => deps.logger.error({ err, listener: options.name }, 'SMPP listener error'));
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.options.listen.port, this.options.listen.host, () => {
        this.#server.off('error', reject);
        this.deps.logger.info({ listener: this.options.name, address: this.address() }, 'SMPP listening');
        resolve();
      });
    });
  }

  /**
   * Stops accepting at once. Connections already handed on are the server's to close (net's
   * close callback would wait for them, so it is not awaited).
   */
  async stop(): Promise<void> {
    for (const socket of this.#pending) socket.destroy();
    if (this.#server.listening) this.#server.close();
  }

  address(): { host: string; port: number } {
    const info = this.#server.address() as AddressInfo | null;
    if (!info) throw new Error('SmppListener.address() called before start()');
    return { host: info.address, port: info.port };
  }

  #accept(socket: Socket): void {
    socket.on('error', () => socket.destroy());
    const slot = this.deps.limiter.admit(socket);
    if (!slot) return this.#refuse(socket, 'max_connections');
    const peerIp = normalizeIp(socket.remoteAddress ?? '');
    if (!this.options.proxyProtocol) return this.#admitted(socket, slot, peerIp, Buffer.alloc(0));
    this.#pending.add(socket);
    readProxyHeader(socket, { trusted: this.options.trustedProxies }).then(
      ({ ip, rest }) => {
        this.#pending.delete(socket);
        this.#admitted(socket, slot, ip, rest);
      },
      (err: Error) => {
        this.#pending.delete(socket);
        this.#refuse(socket, err instanceof ProxyRefusal ? err.reason : 'proxy_header', err.message);
      },
    );
  }

  #admitted(socket: Socket, slot: ConnectionSlot, ip: string, rest: Buffer): void {
    if (!perIpExempt(socket, ip, this.options.trustedProxies) && !slot.claimIp(ip)) {
      return this.#refuse(socket, 'max_per_ip', `${ip} is at its connection cap`);
    }
    this.#handOn(socket, ip, rest);
  }

  /** Closes a connection SMPP never started on. */
  #refuse(socket: Socket, reason: ConnectionRefusal, detail?: string): void {
    this.deps.onRefused(reason);
    this.#logRefusal(reason, { peer: socket.remoteAddress, detail });
    socket.destroy();
  }

  #handOn(socket: Socket, ip: string, rest: Buffer): void {
    if (!this.#secureContext) {
      if (rest.length > 0) socket.unshift(rest);
      return this.deps.onConnection(socket, ip);
    }
    // Bytes already read past the PROXY header belong to the handshake: a JS stream that
    // replays them first (a TLSSocket over a native socket would read past them).
    const transport = rest.length > 0 ? replaying(socket, rest) : socket;
    const tls = new TLSSocket(transport, { isServer: true, secureContext: this.#secureContext });
    const timer = setTimeout(() => tls.destroy(), TLS_HANDSHAKE_TIMEOUT_MS);
    tls.once('secure', () => {
      clearTimeout(timer);
      this.deps.onConnection(tls, ip);
    });
    tls.on('error', (err) => {
      clearTimeout(timer);
      this.deps.logger.debug({ err, peer: ip }, 'SMPP TLS connection failed');
      tls.destroy();
      socket.destroy();
    });
  }
}

/** A duplex over `socket` that first yields `prefix`. */
function replaying(socket: Socket, prefix: Buffer): Duplex {
  const duplex = new Duplex({
    read: () => void socket.resume(),
    write: (chunk: Buffer, _encoding, callback) => void socket.write(chunk, callback),
    final: (callback) => void socket.end(callback),
    destroy: (err, callback) => {
      socket.destroy();
      callback(err);
    },
  });
  duplex.push(prefix);
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) socket.pause();
  });
  socket.on('end', () => duplex.push(null));
  socket.on('close', () => duplex.destroy());
  return duplex;
}
