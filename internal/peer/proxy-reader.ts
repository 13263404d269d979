/**
 * Reading a PROXY protocol header off a fresh connection, for the SMPP and MM4 listeners. Only a
 * trusted proxy (TRUSTED_PROXIES) may name the client: a header from any other peer would let
 * whoever reaches the port directly pick the IP the allow-lists check, so such a connection is
 * refused before a byte is read.
 */
import type { Socket } from 'node:net';
import { normalizeIp } from './allow-list.js';
import { parseProxyHeader } from './proxy-protocol.js';
import type { ConnectionRefusal } from './connection-limit.js';
import type { TrustedProxies } from './trusted-proxies.js';

/** A PROXY header arrives with the connection; a balancer never takes seconds to send it. */
export const PROXY_HEADER_TIMEOUT_MS = 5_000;
/** v2 headers with TLVs stay far below this; anything longer is not a PROXY header. */
const PROXY_HEADER_MAX_BYTES = 4_096;

export interface ProxiedPeer {
  /** The client IP the header named, or the peer's own for LOCAL / UNKNOWN (the balancer's health checks). */
  ip: string;
  /** Bytes read past the header: the start of the client's own protocol. */
  rest: Buffer;
}

export interface ProxyReadOptions {
  trusted: TrustedProxies;
  timeoutMs?: number;
}

/** Why a connection was refused before its protocol started. */
export class ProxyRefusal extends Error {
  override name = 'ProxyRefusal';
  /** proxy_untrusted: the peer may not send one; proxy_header: none, or not a valid one, in time. */
  constructor(
    readonly reason: Extract<ConnectionRefusal, `proxy_${string}`>,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads the PROXY header at the start of `socket` (left paused afterwards). Rejects with a
 * ProxyRefusal when the peer is not a trusted proxy, or the header is missing, malformed, too
 * long or late; the caller closes the socket.
 */
export function readProxyHeader(socket: Socket, options: ProxyReadOptions): Promise<ProxiedPeer> {
  const peerIp = normalizeIp(socket.remoteAddress ?? '');
  if (!options.trusted(peerIp)) {
    return Promise.reject(new ProxyRefusal('proxy_untrusted', `a PROXY header from ${peerIp}, which is not in TRUSTED_PROXIES`));
  }
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const finish = (err?: Error, value?: ProxiedPeer) => {
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
      if (parsed.state === 'invalid') return finish(new ProxyRefusal('proxy_header', parsed.reason));
      if (parsed.state === 'done') {
        return finish(undefined, { ip: parsed.source ? normalizeIp(parsed.source.ip) : peerIp, rest: data.subarray(parsed.consumed) });
      }
      if (data.length > PROXY_HEADER_MAX_BYTES) finish(new ProxyRefusal('proxy_header', 'PROXY header too long'));
    };
    const onClose = () => finish(new ProxyRefusal('proxy_header', 'closed before the PROXY header'));
    const timer = setTimeout(
      () => finish(new ProxyRefusal('proxy_header', 'no PROXY header in time')),
      options.timeoutMs ?? PROXY_HEADER_TIMEOUT_MS,
    );
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
