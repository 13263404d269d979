/**
 * Peer identification shared by the legacy front doors (SMPP and MM4): a client's `address` as
 * an IP allow-list, and HAProxy PROXY protocol v1/v2 headers. The code lives in the SMPP room,
 * which wrote it first; this door lets MM4 use it without one front door importing the other.
 */
export type { AllowList, AllowListDeps } from '../smpp/allow-list.js';
export { parseAllowList, normalizeIp } from '../smpp/allow-list.js';
export type { ProxyParse, ProxySource } from '../smpp/proxy-protocol.js';
export { parseProxyHeader } from '../smpp/proxy-protocol.js';
