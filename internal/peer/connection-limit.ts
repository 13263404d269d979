/**
 * Connection caps for a listener: at most `maxConnections` open at once on the node, and at
 * most `maxPerIp` from one client IP, so one peer (or a flood of them) cannot take every socket,
 * file descriptor and session buffer the node has. 0 turns a cap off.
 *
 * The node-wide cap is taken as a socket is accepted; the per-IP one once the client's IP is
 * known (after a PROXY header, when there is one), so a balancer's own address is never capped.
 */
import type { Socket } from 'node:net';
import { normalizeIp } from './allow-list.js';
import type { TrustedProxies } from './trusted-proxies.js';

/**
 * True when `clientIp` is the socket's own peer and a trusted proxy: a balancer that does not
 * name its clients (no PROXY protocol, or its own health checks) carries all of them, so it has
 * no per-IP cap. An IP a PROXY header names is always capped.
 */
export function perIpExempt(socket: Socket, clientIp: string, trusted: TrustedProxies): boolean {
  return normalizeIp(socket.remoteAddress ?? '') === clientIp && trusted(clientIp);
}

export interface ConnectionLimits {
  /** Open connections on this listener (0 = no limit). */
  maxConnections: number;
  /** Open connections from one client IP (0 = no limit). */
  maxPerIp: number;
}

/**
 * Why a listener refused a connection before its protocol started (a metric label): a cap, or a PROXY
 * header from a peer not in TRUSTED_PROXIES, or a missing or bad one.
 */
export type ConnectionRefusal = 'max_connections' | 'max_per_ip' | 'proxy_untrusted' | 'proxy_header';

/** One admitted connection. Released when its socket closes. */
export interface ConnectionSlot {
  /** Counts the connection against `ip`; false (and nothing counted) when that IP is at its cap. */
  claimIp(ip: string): boolean;
  release(): void;
}

export class ConnectionLimiter {
  #open = 0;
  readonly #perIp = new Map<string, number>();

  constructor(private readonly limits: ConnectionLimits) {}

  /** Connections open now. */
  get open(): number {
    return this.#open;
  }

  /** Connections open now from `ip`. */
  from(ip: string): number {
    return this.#perIp.get(ip) ?? 0;
  }

  /** A slot for `socket`, released when it closes; undefined when the node-wide cap is reached. */
  admit(socket: Socket): ConnectionSlot | undefined {
    if (this.limits.maxConnections > 0 && this.#open >= this.limits.maxConnections) return undefined;
    this.#open++;
    let ip: string | undefined;
    let released = false;
    const slot: ConnectionSlot = {
      claimIp: (claimed) => {
        if (ip !== undefined) return ip === claimed;
        const n = this.from(claimed);
        if (this.limits.maxPerIp > 0 && n >= this.limits.maxPerIp) return false;
        this.#perIp.set(claimed, n + 1);
        ip = claimed;
        return true;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#open--;
        if (ip === undefined) return;
        const n = this.from(ip) - 1;
        if (n > 0) this.#perIp.set(ip, n);
        else this.#perIp.delete(ip);
      },
    };
    socket.once('close', slot.release);
    return slot;
  }
}
