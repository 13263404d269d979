/**
 * A lean HTTP/1.1 keep-alive client for one origin: the sockets under KeepAlivePool.
 *
 * Why not undici: at thousands of carrier sends a second, undici's per-call machinery (its
 * dispatcher chain, handler callbacks, header arrays, timers) cost more CPU than the call's own
 * work; carrier and webhook calls were the largest block of a loaded node (docs/decisions.md).
 * A carrier call is always the same shape: one request written whole (one write), one answer
 * read and parsed from the socket's chunks, the socket kept for the next call. That is all this
 * does; anything else (upgrades, pipelining, request streams, compression) it does not offer.
 *
 * Each connection carries one call at a time. A call's deadline and abort are its caller's
 * (KeepAlivePool); here `cancel` only takes it off its socket, which is then not reused.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type ConnectionOptions } from 'node:tls';

/** One call as the pool carries it: request bytes out, an answer (or an error) back. */
export interface Http1Call {
  /** The request, written as is: head and body (see formatRequest). */
  readonly request: string;
  done(err: Error | undefined, res?: Http1Answer): void;
}

export interface Http1Answer {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
}

export interface Http1PoolOptions {
  /** Sockets at most; calls beyond wait for one, first come first served. */
  connections: number;
  /** An idle socket is closed after this long (or the server's Keep-Alive timeout, if shorter). */
  idleMs?: number;
  /** Extra TLS options (tests pass a CA). */
  tls?: ConnectionOptions;
}

/** Thrown for an answer that is not HTTP/1.x as we read it. */
export class HttpProtocolError extends Error {
  override name = 'HttpProtocolError';
}

const DEFAULT_IDLE_MS = 4_000;
/** A server's Keep-Alive timeout hint is cut by this much, so we never reuse a socket it is closing. */
const IDLE_MARGIN_MS = 1_000;
const MAX_HEAD_BYTES = 64 * 1024;
/** Carriers and webhook receivers answer with a few hundred bytes; anything past this is refused. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const bodyTooLong = () => new HttpProtocolError(`answer body longer than ${MAX_BODY_BYTES} bytes`);
const CRLF2 = Buffer.from('\r\n\r\n');
/** `HTTP/1.x NNN reason`: the minor version and the status code. */
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;
const CRLF = Buffer.from('\r\n');
/**
 * Where every plain connection's reads land (net's `onread`): one buffer for the process, since
 * a read is parsed before the next one can happen and what is kept is copied out (#keep, #take).
 * That spares a Buffer and a stream 'data' event per read.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
type OnRead = { buffer: Buffer; callback: (bytes: number, buffer: Buffer) => boolean };
/** Header names and values may not carry CR, LF or NUL: they would split the request. */
const UNSAFE = /[\r\n\0]/;

/**
 * Formats a request's bytes: request line, Host, the caller's headers, Content-Length, body.
 * Throws for a header that would split the request (CR/LF in a name or value).
 */
export function formatRequest(method: string, host: string, path: string, headers: Record<string, string>, body?: string): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasHost = false;
  for (const name in headers) {
    const value = headers[name]!;
    if (UNSAFE.test(name) || UNSAFE.test(value)) throw new TypeError(`invalid HTTP header ${JSON.stringify(name)}`);
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    if (lower === 'host') hasHost = true;
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head += `host: ${host}\r\n`;
  if (body !== undefined || method === 'POST' || method === 'PUT' || method === 'PATCH') {
    head += `content-length: ${body === undefined ? 0 : Buffer.byteLength(body)}\r\n`;
  }
  return `${head}\r\n${body ?? ''}`;
}

/** Keep-alive sockets to one origin (scheme, host, port). */
export class Http1Pool {
  readonly #idle: Connection[] = [];
  readonly #busy = new Set<Connection>();
  readonly #waiting: Http1Call[] = [];
  #open = 0;
  #closed = false;
  readonly #sweeper: NodeJS.Timeout;

  constructor(
    private readonly origin: URL,
    private readonly options: Http1PoolOptions,
  ) {
    // Idle sockets are closed by one sweep, not a timer each (set and cleared per call).
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(1_000, options.idleMs ?? DEFAULT_IDLE_MS)).unref();
  }

  /** Sockets open now (idle or busy). */
  get size(): number {
    return this.#open;
  }

  /** Carries `call` on an idle socket, a new one, or the first that frees up. */
  send(call: Http1Call): void {
    if (this.#closed) return call.done(new Error('connection pool closed'));
    const now = performance.now();
    for (let conn = this.#idle.pop(); conn; conn = this.#idle.pop()) {
      if (conn.alive && conn.idleUntil > now) return this.#carry(conn, call);
      // Past its idle time the server may be closing it: a call written now could be lost to a reset.
      conn.destroy();
    }
    if (this.#open < this.options.connections) return this.#openFor(call);
    this.#waiting.push(call);
  }

  /** Takes `call` off the pool: out of the queue, or off its socket (which is then destroyed). */
  cancel(call: Http1Call): void {
    const at = this.#waiting.indexOf(call);
    if (at >= 0) {
      this.#waiting.splice(at, 1);
      return;
    }
    for (const conn of this.#busy) {
      if (conn.call === call) return conn.abandon();
    }
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const call of this.#waiting.splice(0)) call.done(new Error('connection pool closed'));
    for (const conn of [...this.#busy, ...this.#idle]) conn.destroy();
  }

  #carry(conn: Connection, call: Http1Call): void {
    this.#busy.add(conn);
    conn.carry(call);
  }

  #openFor(call: Http1Call): void {
    this.#open += 1;
    const conn = new Connection(
      (onread) => this.#connect(onread),
      {
        free: (c) => this.#free(c),
        gone: (c) => this.#gone(c),
      },
      this.options.idleMs ?? DEFAULT_IDLE_MS,
    );
    this.#carry(conn, call);
  }

  #connect(onread: OnRead): Socket {
    const host = this.origin.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.origin.port) || (this.origin.protocol === 'https:' ? 443 : 80);
    if (this.origin.protocol !== 'https:') return netConnect({ host, port, noDelay: true, keepAlive: true, onread });
    const socket = tlsConnect({ host, port, servername: isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], ...this.options.tls });
    return socket.setNoDelay(true).setKeepAlive(true);
  }

  /** A socket finished its call and may carry another. */
  #free(conn: Connection): void {
    this.#busy.delete(conn);
    const next = this.#waiting.shift();
    if (next) return this.#carry(conn, next);
    if (this.#closed) return conn.destroy();
    this.#idle.push(conn);
  }

  /** A socket closed (by either side, or an error): a waiting call gets a new one. */
  #gone(conn: Connection): void {
    this.#open -= 1;
    this.#busy.delete(conn);
    const at = this.#idle.indexOf(conn);
    if (at >= 0) this.#idle.splice(at, 1);
    const next = this.#waiting.shift();
    if (next && !this.#closed) this.#openFor(next);
  }

  #sweep(): void {
    const now = performance.now();
    // Every idle socket is looked at: a server's Keep-Alive hint can make a newer one due first.
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const conn = this.#idle[i]!;
      if (conn.idleUntil > now) continue;
      this.#idle.splice(i, 1);
      conn.destroy();
    }
  }
}

interface ConnectionHooks {
  free(conn: Connection): void;
  gone(conn: Connection): void;
}

/** What the head of an answer says about its body. */
const enum Body {
  Length,
  Chunked,
  UntilClose,
}

/**
 * One socket and the answer being read from it. States: head (until CRLF CRLF), then the body by
 * Content-Length, chunks, or until the server closes. A byte that belongs to no call is an error.
 */
class Connection {
  call?: Http1Call;
  idleUntil = 0;
  #pending?: Buffer;
  #inBody = false;
  #status = 0;
  #headers: Record<string, string> = {};
  #bodyKind = Body.Length;
  #remaining = 0;
  readonly #chunks: Buffer[] = [];
  #bodyBytes = 0;
  #keepAlive = true;
  #keepAliveMs: number;
  #chunkState: 'size' | 'data' | 'crlf' | 'trailer' = 'size';
  /** The complete answer, handed over once #read has looked at what follows it. */
  #answer?: Http1Answer;
  #destroyed = false;

  private readonly socket: Socket;
  /** True when reads land in READ_BUFFER (shared): what is kept past a read is copied out. */
  #shared = false;

  constructor(
    connect: (onread: OnRead) => Socket,
    private readonly hooks: ConnectionHooks,
    idleMs: number,
  ) {
    this.#keepAliveMs = idleMs;
    const socket = connect({
      buffer: READ_BUFFER,
      callback: (n, buf) => {
        this.#onData(buf.subarray(0, n));
        return true;
      },
    });
    this.socket = socket;
    // net sockets take `onread` (no stream 'data' events, no buffer per read); tls ones ignore it.
    if (socket instanceof TLSSocket) socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    else this.#shared = true;
    socket.on('end', () => this.#onEnd());
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#onClose());
  }

  /** False once the socket is closing: an idle socket the server closed is not reused. */
  get alive(): boolean {
    return !this.#destroyed && !this.socket.destroyed && this.socket.writable;
  }

  carry(call: Http1Call): void {
    this.call = call;
    this.#reset();
    this.socket.write(call.request);
  }

  /** Drops the call without telling it (its caller gave up on it) and closes the socket. */
  abandon(): void {
    this.call = undefined;
    this.destroy();
  }

  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    this.socket.destroy();
  }

  /** Ready for the next answer (its head sets the status, headers and body framing). */
  #reset(): void {
    this.#pending = undefined;
    this.#inBody = false;
    this.#chunks.length = 0;
    this.#bodyBytes = 0;
    this.#chunkState = 'size';
    this.#answer = undefined;
  }

  #onData(chunk: Buffer): void {
    if (!this.call) return this.#fail(new HttpProtocolError('the server sent data with no request outstanding'));
    try {
      this.#read(this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk);
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  /** Reads what `data` holds of the answer; keeps an incomplete line or head for the next chunk. */
  #read(data: Buffer): void {
    this.#pending = undefined;
    let at = 0;
    while (at < data.length && !this.#answer) {
      if (!this.#inBody) {
        const end = data.indexOf(CRLF2, at);
        if (end < 0) return this.#keep(data, at, MAX_HEAD_BYTES, 'answer head');
        this.#head(data.toString('latin1', at, end));
        at = end + 4;
        continue;
      }
      at = this.#bodyKind === Body.Chunked ? this.#chunked(data, at) : this.#plain(data, at);
      if (at < 0) return;
    }
    // Bytes past the answer belong to no call: the answer stands, the socket is not reused.
    if (this.#answer) this.#deliver(at < data.length);
  }

  /** Keeps `data` from `at` for the next chunk, up to `limit` bytes. */
  #keep(data: Buffer, at: number, limit: number, what: string): void {
    if (data.length - at > limit) throw new HttpProtocolError(`${what} longer than ${limit} bytes`);
    this.#pending = this.#shared ? Buffer.from(data.subarray(at)) : data.subarray(at);
  }

  #head(text: string): void {
    let eol = text.indexOf('\r\n');
    if (eol < 0) eol = text.length;
    const code = STATUS_LINE.exec(text.slice(0, eol));
    if (!code) throw new HttpProtocolError(`not an HTTP/1.x answer: ${JSON.stringify(text.slice(0, Math.min(eol, 40)))}`);
    const status = Number(code[2]);
    // No prototype: a header named "constructor" or "__proto__" is just a header.
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    while (eol < text.length) {
      const start = eol + 2;
      eol = text.indexOf('\r\n', start);
      if (eol < 0) eol = text.length;
      const colon = text.indexOf(':', start);
      if (colon <= start || colon > eol) throw new HttpProtocolError('malformed header line in the answer');
      const name = text.slice(start, colon).trim().toLowerCase();
      const value = text.slice(colon + 1, eol).trim();
      const seen = headers[name];
      headers[name] = seen === undefined ? value : `${seen}, ${value}`;
    }
    // 1xx (100 Continue, 103 Early Hints) come before the real answer.
    if (status < 200) {
      if (status === 101) throw new HttpProtocolError('the server switched protocols');
      return;
    }
    this.#status = status;
    this.#headers = headers;
    this.#inBody = true;
    const connection = headers.connection?.toLowerCase() ?? '';
    this.#keepAlive = code[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const hint = headers['keep-alive'] === undefined ? null : /timeout=(\d+)/i.exec(headers['keep-alive']);
    if (hint) this.#keepAliveMs = Math.min(this.#keepAliveMs, Number(hint[1]) * 1_000 - IDLE_MARGIN_MS);
    if (status === 204 || status === 304) return this.#finish();
    const te = headers['transfer-encoding'];
    if (te !== undefined) {
      if (!/(?:^|,)\s*chunked\s*$/i.test(te)) throw new HttpProtocolError(`unsupported transfer-encoding ${te}`);
      this.#bodyKind = Body.Chunked;
      return;
    }
    const cl = headers['content-length'];
    if (cl !== undefined) {
      if (!/^\d+$/.test(cl)) throw new HttpProtocolError(`bad content-length ${JSON.stringify(cl)}`);
      this.#remaining = Number(cl);
      if (this.#remaining > MAX_BODY_BYTES) throw bodyTooLong();
      this.#bodyKind = Body.Length;
      if (this.#remaining === 0) this.#finish();
      return;
    }
    this.#bodyKind = Body.UntilClose;
    this.#keepAlive = false;
  }

  /** Body by Content-Length or until close; returns where it stopped in `data` (-1: wants more). */
  #plain(data: Buffer, at: number): number {
    if (this.#bodyKind === Body.UntilClose) {
      this.#take(data.subarray(at));
      return -1;
    }
    const n = Math.min(this.#remaining, data.length - at);
    this.#take(data.subarray(at, at + n));
    this.#remaining -= n;
    if (this.#remaining > 0) return -1;
    this.#finish();
    return at + n;
  }

  /** Chunked body: size line, data, CRLF ... a zero size, trailers, an empty line. */
  #chunked(data: Buffer, at: number): number {
    while (at < data.length) {
      if (this.#chunkState === 'data') {
        const n = Math.min(this.#remaining, data.length - at);
        this.#take(data.subarray(at, at + n));
        this.#remaining -= n;
        at += n;
        if (this.#remaining === 0) this.#chunkState = 'crlf';
        continue;
      }
      const eol = data.indexOf(CRLF, at);
      if (eol < 0) {
        this.#keep(data, at, 4_096, 'chunk line');
        return -1;
      }
      const line = data.toString('latin1', at, eol);
      at = eol + 2;
      if (this.#chunkState === 'crlf') {
        if (line !== '') throw new HttpProtocolError('chunk data longer than its size');
        this.#chunkState = 'size';
      } else if (this.#chunkState === 'size') {
        const size = /^([0-9a-fA-F]{1,8})[ \t]*(?:;.*)?$/.exec(line);
        if (!size) throw new HttpProtocolError(`bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
        this.#remaining = parseInt(size[1]!, 16);
        if (this.#bodyBytes + this.#remaining > MAX_BODY_BYTES) throw bodyTooLong();
        this.#chunkState = this.#remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.#finish();
        return at;
      }
    }
    return -1;
  }

  #take(part: Buffer): void {
    if (part.length === 0) return;
    this.#bodyBytes += part.length;
    if (this.#bodyBytes > MAX_BODY_BYTES) throw bodyTooLong();
    this.#chunks.push(this.#shared ? Buffer.from(part) : part);
  }

  /** The body is complete. */
  #finish(): void {
    const body = this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
    this.#answer = { status: this.#status, headers: this.#headers, body };
  }

  /** Hands the answer over, after freeing the socket for the next call or closing it. */
  #deliver(extraBytes: boolean): void {
    const call = this.call!;
    const answer = this.#answer!;
    this.call = undefined;
    this.#reset();
    if (this.#keepAlive && !extraBytes && this.alive) {
      this.idleUntil = performance.now() + this.#keepAliveMs;
      this.hooks.free(this);
    } else {
      this.destroy();
    }
    call.done(undefined, answer);
  }

  #onEnd(): void {
    // An answer read until close ends here.
    if (this.call && this.#inBody && this.#bodyKind === Body.UntilClose) {
      this.#finish();
      return this.#deliver(false);
    }
    this.#fail(new Error('the server closed the connection'));
  }

  #fail(err: Error): void {
    const call = this.call;
    this.call = undefined;
    this.destroy();
    call?.done(err);
  }

  #onClose(): void {
    this.#destroyed = true;
    const call = this.call;
    this.call = undefined;
    call?.done(new Error('the connection closed before the answer was complete'));
    this.hooks.gone(this);
  }
}
