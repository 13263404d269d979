import { describe, expect, it } from 'vitest';
import type { Bus } from '../bus/index.js';
import { ClusterStats } from './stats.js';

const enc = new TextEncoder();

describe('ClusterStats', () => {
  it("counts open MM4 sessions across nodes (upstream's mm4_connected_clients) and bound SMPP usernames", async () => {
    const other = {
      server_id: 'gw2',
      uptime_secs: 1,
      rss_bytes: 1,
      messages: { ingress: { web: 2 } },
      smpp_clients: [{ username: 'pbx', ip_address: '10.0.0.9', last_seen: 'x' }],
      mm4_clients: [{ client_id: 'b', username: 'zultys', active_sessions: 2 }],
    };
    const bus = { gather: async () => [enc.encode(JSON.stringify(other))] } as unknown as Bus;
    const stats = new ClusterStats({ nodeId: 'gw1', subject: 'stats' }, { bus });
    stats.addSource(() => ({
      smpp_clients: [{ username: 'pbx', ip_address: '10.0.0.8', last_seen: 'y' }],
      mm4_clients: [{ client_id: 'a', username: 'zultys', active_sessions: 3 }],
      messages: { ingress: { web: 1 } },
    }));
    const all = await stats.collect();
    expect(all).toMatchObject({ smpp_connected_clients: 1, mm4_connected_clients: 5, messages: { ingress: { web: 3 } } });
    expect((all.nodes as Array<{ server_id: string }>).map((n) => n.server_id)).toEqual(['gw1', 'gw2']);
  });

  it('names the node of each MM4 peer row', async () => {
    const other = {
      server_id: 'gw2',
      uptime_secs: 1,
      rss_bytes: 1,
      messages: {},
      smpp_clients: [],
      mm4_clients: [{ client_id: 'b', username: 'zultys', active_sessions: 2 }],
    };
    const bus = { gather: async () => [enc.encode(JSON.stringify(other))] } as unknown as Bus;
    const stats = new ClusterStats({ nodeId: 'gw1', subject: 'stats' }, { bus });
    stats.addSource(() => ({ mm4_clients: [{ client_id: 'a', username: 'zultys', active_sessions: 3 }] }));
    const rows = (await stats.collect()).mm4_clients as Array<{ client_id: string; server_id: string }>;
    expect(rows.map((r) => [r.client_id, r.server_id])).toEqual([
      ['a', 'gw1'],
      ['b', 'gw2'],
    ]);
  });
});
