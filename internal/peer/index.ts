/**
 * The peer room: who is at the other end of a legacy front door's connection (SMPP and MM4) —
 * a client's `address` as an IP allow-list, and the client IP carried by HAProxy PROXY protocol
 * v1/v2 headers when the listener sits behind a load balancer. Both front doors use it, so it is
 * its own room rather than a part of either. Also how we write to a peer's socket cheaply
 * (corkForTurn: one writev per event-loop turn), used by SMPP sessions and the Redis client.
 */
export type { AllowList, AllowListDeps } from './allow-list.js';
export { parseAllowList, normalizeIp, addIpRule, ipRuleMatches } from './allow-list.js';
export type { ProxyParse, ProxySource } from './proxy-protocol.js';
export { parseProxyHeader } from './proxy-protocol.js';
export { corkForTurn } from './turn-cork.js';
