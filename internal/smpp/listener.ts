/**
 * One SMPP listening socket: plain TCP or SMPP over TLS, with or without a PROXY protocol
 * header in front (the header comes before the TLS handshake, as HAProxy sends it). Hands each
 * accepted connection, with the client's IP, to `onConnection`; a connection that fails before
 * that (bad PROXY header, TLS handshake error) is closed without troubling anyone else.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext, type SecureContext } from 'node:tls';
import type { ListenAddress } from '../config/index.js';
import type { Logger } from '../log/index.js';
import { normalizeIp, parseProxyHeader } from '../peer/index.js';

/** A PROXY header arrives with the connection; a balancer never takes seconds to send it. */
const PROXY_HEADER_TIMEOUT_MS = 5_000;
/** v2 headers with TLVs stay far below this; anything longer is not a PROXY header. */
const PROXY_HEADER_MAX_BYTES = 4_096;
/** A TLS handshake that has not finished by then is abandoned. */
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

export interface ListenerOptions {
  listen: ListenAddress;
  proxyProtocol: boolean;
  /** PEM certificate chain and key: the listener speaks SMPP over TLS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** For logs: 'smpp' or 'smpps'. */
  name: string;
}

export type ConnectionHandler = (stream: Duplex, remoteIp: string) => void;

export class SmppListener {
  readonly #server: Server;
  readonly #secureContext?: SecureContext;
  readonly #pending = new Set<Socket>();

  constructor(
    private readonly options: ListenerOptions,
    private readonly deps: { onConnection: ConnectionHandler; logger: Logger },
  ) {
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
    const peerIp = normalizeIp(socket.remoteAddress ?? '');
    if (!this.options.proxyProtocol) return this.#handOn(socket, peerIp, Buffer.alloc(0));
    this.#pending.add(socket);
    readProxyHeader(socket).then(
      ({ ip, rest }) => {
        this.#pending.delete(socket);
        this.#handOn(socket, ip ?? peerIp, rest);
      },
      (err: Error) => {
        this.#pending.delete(socket);
        this.deps.logger.info({ peer: peerIp, reason: err.message }, 'SMPP connection without a valid PROXY header refused');
        socket.destroy();
      },
    );
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

/** Reads the PROXY header off `socket`; resolves with the client IP (if named) and any bytes after it. */
function readProxyHeader(socket: Socket): Promise<{ ip?: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const finish = (err?: Error, value?: { ip?: string; rest: Buffer }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const parsed = parseProxyHeader(data);
      if (parsed.state === 'invalid') return finish(new Error(parsed.reason));
      if (parsed.state === 'done') {
        return finish(undefined, { ip: parsed.source && normalizeIp(parsed.source.ip), rest: data.subarray(parsed.consumed) });
      }
      if (data.length > PROXY_HEADER_MAX_BYTES) finish(new Error('PROXY header too long'));
    };
    const onClose = () => finish(new Error('closed before the PROXY header'));
    const timer = setTimeout(() => finish(new Error('no PROXY header in time')), PROXY_HEADER_TIMEOUT_MS);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
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
