import { isIP } from 'node:net';
import { plainIp, type TrustedProxies } from '../peer/index.js';

export interface ClientIpInput {
  /** The socket peer (`req.socket.remoteAddress`). */
  peer: string | undefined;
  /** The X-Forwarded-For header ('' when absent). */
  forwardedFor: string;
  /** The X-Real-IP header ('' when absent). */
  realIp: string;
}

/**
 * The caller's IP (upstream §4.5): the socket peer, unless the peer is a trusted proxy; then the
 * nearest untrusted address of X-Forwarded-For, else X-Real-IP, else the peer.
 *
 * X-Forwarded-For is read from the right (the address the last trusted proxy saw), where
 * gomsggw took the leftmost parsable entry, which any caller can forge by sending the header.
 */
export function clientIp(input: ClientIpInput, trusted: TrustedProxies): string {
  const peer = plainIp(input.peer ?? '');
  if (!trusted(peer)) return peer;
  const hops = input.forwardedFor
    .split(',')
    .map(plainIp)
    .filter((ip) => isIP(ip) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted(hop)) return hop;
  }
  const real = plainIp(input.realIp);
  if (isIP(real) !== 0 && !trusted(real)) return real;
  return peer;
}
