/**
 * The peer room: who is at the other end of an entry point's connection and how many of them may
 * be — a client's `address` as an IP allow-list, TRUSTED_PROXIES (the balancers whose word about
 * the client's IP is believed), the client IP carried by HAProxy PROXY protocol v1/v2 headers, and
 * connection caps per node and per client IP. Every entry point uses it, so it is its own room
 * rather than a part of any. Also how we write to a peer's socket cheaply (corkForTurn: one
 * writev per event-loop turn), used by SMPP sessions and the Redis client.
 */
export type { AllowList, AllowListDeps } from './allow-list.js';
export { parseAllowList, normalizeIp, addIpRule, ipRuleMatches } from './allow-list.js';
export type { ProxyParse, ProxySource } from './proxy-protocol.js';
export { parseProxyHeader } from './proxy-protocol.js';
export type { ProxiedPeer, ProxyReadOptions } from './proxy-reader.js';
export { readProxyHeader, ProxyRefusal, PROXY_HEADER_TIMEOUT_MS } from './proxy-reader.js';
export type { TrustedProxies } from './trusted-proxies.js';
export { trustedProxies, plainIp } from './trusted-proxies.js';
export type { ConnectionLimits, ConnectionRefusal, ConnectionSlot } from './connection-limit.js';
export { ConnectionLimiter, perIpExempt } from './connection-limit.js';
export type { RefusalLog } from './refusal-log.js';
export { refusalLog } from './refusal-log.js';
export { corkForTurn } from './turn-cork.js';
