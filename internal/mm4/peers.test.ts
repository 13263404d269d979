import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ClientDetails } from '../store/index.js';
import { mm4Endpoint, PeerDirectory } from './peers.js';
import { readLimited } from './read-limited.js';

const client = (id: number, address: string, type = 'legacy', mm4Port?: number) =>
  ({ id, username: `c${id}`, address, type, settings: mm4Port ? { mm4Port } : null, numbers: [] }) as unknown as ClientDetails;

describe('PeerDirectory', () => {
  const clients = [client(1, '10.0.0.5'), client(2, '10.0.0.0/24, pbx.example'), client(3, ''), client(4, '10.0.0.5', 'web')];
  const peers = new PeerDirectory({ clients: () => clients }, { resolve: async (host) => (host === 'pbx.example' ? ['192.0.2.8'] : []) });

  it('finds every legacy client whose address allows the IP, by IP, CIDR or host name', async () => {
    expect((await peers.clientsFor('10.0.0.5')).map((c) => c.id)).toEqual([1, 2]);
    expect((await peers.clientsFor('::ffff:10.0.0.9')).map((c) => c.id)).toEqual([2]);
    expect((await peers.clientsFor('192.0.2.8')).map((c) => c.id)).toEqual([2]);
  });

  it('never lets an empty address (or a web client) in', async () => {
    expect(await peers.clientsFor('203.0.113.1')).toEqual([]);
  });
});

describe('mm4Endpoint', () => {
  it('takes the first single host of the address and the client port, 25 by default', () => {
    expect(mm4Endpoint(client(1, '10.0.0.0/24, PBX.Example, 10.0.0.6', 'legacy', 2525))).toEqual({ host: 'pbx.example', port: 2525 });
    expect(mm4Endpoint(client(1, '10.0.0.6'))).toEqual({ host: '10.0.0.6', port: 25 });
    expect(mm4Endpoint(client(1, '10.0.0.0/24'))).toBeUndefined();
  });
});

describe('readLimited', () => {
  it('keeps a stream within the limit and only counts one past it', async () => {
    expect(await readLimited(Readable.from([Buffer.from('ab'), Buffer.from('cd')]), 4)).toEqual({ ok: true, bytes: Buffer.from('abcd') });
    expect(await readLimited(Readable.from([Buffer.from('ab'), Buffer.from('cde')]), 4)).toEqual({ ok: false, receivedBytes: 5 });
  });
});
