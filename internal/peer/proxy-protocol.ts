/**
 * HAProxy PROXY protocol v1 (text) and v2 (binary) headers (haproxy doc/proxy-protocol.txt),
 * which a load balancer sends first on each connection so the gateway sees the client's IP, not
 * the balancer's. With HAPROXY_PROXY_PROTOCOL on, every connection must start with one; a
 * connection without it is refused (accepting it would let anyone who reaches the port directly
 * pick the IP the allow-list checks).
 */
import { isIP } from 'node:net';

/** v2 signature (§2.2). */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');
/** §2.1: a v1 line is at most 107 octets, CRLF included. */
const V1_MAX = 107;
const V2_HEADER = 16;

export interface ProxySource {
  ip: string;
  port: number;
}

export type ProxyParse =
  /** More bytes are needed. */
  | { state: 'incomplete' }
  /**
   * A whole header of `consumed` octets. `source` is absent for v1 UNKNOWN and v2 LOCAL
   * (health checks from the balancer itself): the peer address stands.
   */
  | { state: 'done'; consumed: number; source?: ProxySource }
  | { state: 'invalid'; reason: string };

/** Parses the PROXY header at the start of `data`. */
export function parseProxyHeader(data: Buffer): ProxyParse {
  if (startsWith(data, V2_SIGNATURE)) return parseV2(data);
  if (startsWith(data, V1_PREFIX)) return parseV1(data);
  const prefix = Math.min(data.length, V2_SIGNATURE.length);
  if (V2_SIGNATURE.subarray(0, prefix).equals(data.subarray(0, prefix))) return { state: 'incomplete' };
  const v1 = Math.min(data.length, V1_PREFIX.length);
  if (V1_PREFIX.subarray(0, v1).equals(data.subarray(0, v1))) return { state: 'incomplete' };
  return { state: 'invalid', reason: 'the connection did not start with a PROXY protocol header' };
}

function parseV1(data: Buffer): ProxyParse {
  const end = data.indexOf('\r\n');
  if (end < 0) return data.length >= V1_MAX ? { state: 'invalid', reason: 'PROXY v1 line too long' } : { state: 'incomplete' };
  if (end + 2 > V1_MAX) return { state: 'invalid', reason: 'PROXY v1 line too long' };
  const consumed = end + 2;
  const words = data.toString('latin1', 0, end).split(' ');
  if (words[1] === 'UNKNOWN') return { state: 'done', consumed };
  if (words.length !== 6 || (words[1] !== 'TCP4' && words[1] !== 'TCP6')) {
    return { state: 'invalid', reason: `malformed PROXY v1 line` };
  }
  const [, family, ip, , portText] = words;
  const port = Number(portText);
  if (isIP(ip) !== (family === 'TCP4' ? 4 : 6) || !/^\d{1,5}$/.test(portText) || port > 65535) {
    return { state: 'invalid', reason: 'PROXY v1 line has a bad source address' };
  }
  return { state: 'done', consumed, source: { ip, port } };
}

function parseV2(data: Buffer): ProxyParse {
  if (data.length < V2_HEADER) return { state: 'incomplete' };
  const versionCommand = data[12];
  if (versionCommand >> 4 !== 2) return { state: 'invalid', reason: `PROXY v2 version ${versionCommand >> 4}` };
  const consumed = V2_HEADER + data.readUInt16BE(14);
  if (data.length < consumed) return { state: 'incomplete' };
  const command = versionCommand & 0x0f;
  if (command === 0x0) return { state: 'done', consumed }; // LOCAL
  if (command !== 0x1) return { state: 'invalid', reason: `PROXY v2 command ${command}` };
  const family = data[13] >> 4;
  const body = data.subarray(V2_HEADER, consumed);
  if (family === 0x1 && body.length >= 12) {
    return { state: 'done', consumed, source: { ip: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) } };
  }
  if (family === 0x2 && body.length >= 36) {
    return { state: 'done', consumed, source: { ip: ipv6Text(body.subarray(0, 16)), port: body.readUInt16BE(32) } };
  }
  // AF_UNSPEC or AF_UNIX: no IP to take; the peer address stands.
  if (family === 0x0 || family === 0x3) return { state: 'done', consumed };
  return { state: 'invalid', reason: 'PROXY v2 address block too short' };
}

function ipv6Text(octets: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(octets.readUInt16BE(i).toString(16));
  // Node's own formatting (via URL) compresses zeros the canonical way (RFC 5952).
  return new URL(`http://[${groups.join(':')}]`).hostname.slice(1, -1);
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}
