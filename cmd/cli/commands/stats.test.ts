import { describe, expect, it } from 'vitest';
import { counterRates, ratesBetween, renderStats, type StatsSample } from './stats.js';

function sample(at: number, received: number, sent: number): StatsSample {
  const messages = { ingress: { web: received }, egress: { 'carrier:ok': sent, 'carrier:failed': 1 } };
  return {
    at,
    health: 'healthy',
    stats: {
      smpp_connected_clients: 1,
      mm4_connected_clients: 2,
      messages,
      smpp_clients: [{ username: 'zultys', ip_address: '10.0.0.5', bind_mode: 'transceiver', server_id: 'gw2', last_seen: 't' }],
      mm4_clients: [{ username: 'zultys', active_sessions: 2, server_id: 'gw1' }],
      nodes: [
        { server_id: 'gw1', uptime_secs: 3_700, rss_bytes: 104_857_600, messages },
        { server_id: 'gw2', uptime_secs: 10, rss_bytes: 52_428_800, messages: {} },
      ],
    },
  };
}

describe('counterRates', () => {
  it('is the change per second of every counter', () => {
    expect(counterRates({ ingress: { web: 10 } }, { ingress: { web: 30, smpp: 4 } }, 2)).toEqual({ ingress: { web: 10, smpp: 2 } });
  });

  it('counts a counter that went down (its node restarted) from zero', () => {
    expect(counterRates({ ingress: { web: 100 } }, { ingress: { web: 6 } }, 2)).toEqual({ ingress: { web: 3 } });
  });
});

describe('ratesBetween', () => {
  it("gives the cluster's and each node's rates over the time between samples", () => {
    const rates = ratesBetween(sample(0, 10, 5), sample(5_000, 60, 30));
    expect(rates.cluster.ingress.web).toBe(10);
    expect(rates.nodes.gw1.egress['carrier:ok']).toBe(5);
    expect(rates.nodes.gw2).toEqual({});
  });
});

describe('renderStats', () => {
  it('shows each node with its binds, MM4 sessions and messages, then the binds and peers by node', () => {
    const text = renderStats(sample(0, 12, 7));
    const row = (node: string) =>
      text
        .split('\n')
        .find((l) => l.startsWith(`│ ${node} `))!
        .split('│')
        .map((c) => c.trim());
    expect(row('gw1').slice(1, 9)).toEqual(['gw1', '1h 1m 40s', '100.0 MiB', '0', '2', '12', '7', '1']);
    expect(row('gw2').slice(1, 9)).toEqual(['gw2', '10s', '50.0 MiB', '1', '0', '0', '0', '0']);
    expect(text).toMatch(/│ zultys +│ 10\.0\.0\.5 +│ transceiver +│ gw2 /);
    expect(text).toContain('Node asked: healthy; 1 SMPP clients bound, 2 MM4 sessions open');
  });

  it('adds per-second columns when rates are given', () => {
    const a = sample(0, 0, 0);
    const b = sample(2_000, 8, 4);
    const text = renderStats(b, ratesBetween(a, b));
    expect(text).toContain('received/s');
    expect(text).toMatch(/│ gw1 .*│ 4\.0 +│ 2\.0 +│/);
  });
});
