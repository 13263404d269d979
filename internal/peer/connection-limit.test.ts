import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConnectionLimiter, perIpExempt } from './connection-limit.js';
import { trustedProxies } from './trusted-proxies.js';

const socket = () => new EventEmitter() as unknown as Socket;

describe('ConnectionLimiter', () => {
  it('admits up to the node-wide cap and per IP, and frees a slot when its socket closes', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 3, maxPerIp: 2 });
    const sockets = [socket(), socket(), socket(), socket()];
    const [a, b, c] = sockets.slice(0, 3).map((s) => limiter.admit(s)!);
    expect([a!.claimIp('192.0.2.1'), b!.claimIp('192.0.2.1'), c!.claimIp('192.0.2.1')]).toEqual([true, true, false]);
    expect(c!.claimIp('192.0.2.2')).toBe(true);
    expect(limiter.admit(sockets[3]!)).toBeUndefined();
    sockets[0]!.emit('close');
    sockets[0]!.emit('close');
    expect([limiter.open, limiter.from('192.0.2.1')]).toEqual([2, 1]);
    expect(limiter.admit(socket())?.claimIp('192.0.2.1')).toBe(true);
  });

  it('caps nothing with zeros', () => {
    const limiter = new ConnectionLimiter({ maxConnections: 0, maxPerIp: 0 });
    for (let i = 0; i < 1_000; i++) expect(limiter.admit(socket())?.claimIp('192.0.2.1')).toBe(true);
  });
});

describe('perIpExempt', () => {
  const trusted = trustedProxies(['10.0.0.0/8']);
  const from = (remoteAddress: string) => ({ remoteAddress }) as Socket;

  it('exempts a trusted proxy seen directly, never an IP a PROXY header names', () => {
    expect(perIpExempt(from('::ffff:10.0.0.7'), '10.0.0.7', trusted)).toBe(true);
    expect(perIpExempt(from('10.0.0.7'), '10.0.0.8', trusted)).toBe(false);
    expect(perIpExempt(from('192.0.2.1'), '192.0.2.1', trusted)).toBe(false);
  });
});
