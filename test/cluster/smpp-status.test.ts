/**
 * GET /clients/{id}/smpp-status and `fallback_online` (upstream §5.6) read the cluster's SMPP
 * session registry: a client bound on node B is online on node A's admin API, and offline again
 * once it unbinds. Net::SMPP is the ESME; the same story runs on the embedded default (one node,
 * memory bus, PGlite) and on two nodes over real nats-server, redis-server and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { NetSmpp, netSmppMissing } from '../support/net-smpp.js';
import { SmppGateway, until } from '../support/smpp-gateway.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const perlMissing = netSmppMissing();
const clusterTitle = (name: string) => (perlMissing ? `${name} [skipped: ${perlMissing}]` : svc.title(name));
const embeddedTitle = (name: string) => (perlMissing ? `${name} [skipped: ${perlMissing}]` : name);

interface Clients {
  pbx: number;
  backup: number;
}

/** A PBX without a bind limit, and its fallback with max_binds 2 (so both registry key kinds are read). */
async function addClients(gw: SmppGateway): Promise<Clients> {
  await gw.addCarrier();
  const pbx = await gw.legacyClient('pbx', 'pbxpw', ['+15550001000']);
  const backup = await gw.legacyClient('backup', 'backuppw', ['+15550002000'], { max_binds: 2 });
  const failover = await gw.api('POST', `/clients/${pbx}/failovers`, { fallback_client_id: backup, priority: 1 });
  expect(failover.status).toBe(201);
  return { pbx, backup };
}

async function bind(node: SmppGateway, systemId: string, password: string, esmes: NetSmpp[]): Promise<NetSmpp> {
  const esme = await NetSmpp.connect({ host: '127.0.0.1', port: node.smppPort, label: `${systemId}@${node.base}` });
  esmes.push(esme);
  expect((await esme.bind({ mode: 'transceiver', systemId, password })).commandStatus).toBe(0);
  return esme;
}

const status = async (gw: SmppGateway, id: number) => {
  const res = await gw.api('GET', `/clients/${id}/smpp-status`);
  expect(res.status).toBe(200);
  return res.body;
};

const fallbackOnline = async (gw: SmppGateway, id: number) =>
  ((await gw.api('GET', `/clients/${id}/failovers`)).body as Array<{ fallback_online: boolean }>)[0].fallback_online;

/** Both clients offline on `ask`, bound on `bindOn` (online on `ask`), unbound (offline again). */
function describeStatus(nodes: () => { ask: SmppGateway; bindOn: SmppGateway; clients: Clients }): void {
  const esmes: NetSmpp[] = [];
  afterAll(async () => {
    for (const e of esmes) await e.close();
  });

  it("says offline before any bind, in gomsggw's shape", async () => {
    const { ask, clients } = nodes();
    expect(await status(ask, clients.pbx)).toEqual({
      client_id: clients.pbx,
      username: 'pbx',
      online: false,
      ip: '',
      failovers: [{ client_id: clients.backup, username: 'backup', name: '', priority: 1, online: false }],
    });
    expect(await fallbackOnline(ask, clients.pbx)).toBe(false);
  });

  it("says online, with the ESME's IP, while the client is bound on a node", async () => {
    const { ask, bindOn, clients } = nodes();
    const pbx = await bind(bindOn, 'pbx', 'pbxpw', esmes);
    const backup = await bind(bindOn, 'backup', 'backuppw', esmes);
    expect(await status(ask, clients.pbx)).toEqual({
      client_id: clients.pbx,
      username: 'pbx',
      online: true,
      ip: '127.0.0.1',
      failovers: [{ client_id: clients.backup, username: 'backup', name: '', priority: 1, online: true }],
    });
    expect(await fallbackOnline(ask, clients.pbx)).toBe(true);
    expect((await status(ask, clients.backup)).online).toBe(true);

    await pbx.unbind();
    await backup.unbind();
    await until(async () => (await status(ask, clients.pbx)).online === false, 5_000, 'pbx offline after its unbind');
    expect(await status(ask, clients.pbx)).toEqual({
      client_id: clients.pbx,
      username: 'pbx',
      online: false,
      ip: '',
      failovers: [{ client_id: clients.backup, username: 'backup', name: '', priority: 1, online: false }],
    });
    expect(await fallbackOnline(ask, clients.pbx)).toBe(false);
  });
}

describe.skipIf(perlMissing !== undefined)(embeddedTitle('SMPP status on the embedded default (one node)'), () => {
  let gw: SmppGateway;
  let clients: Clients;

  beforeAll(async () => {
    gw = await SmppGateway.start();
    clients = await addClients(gw);
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
  }, 30_000);

  describeStatus(() => ({ ask: gw, bindOn: gw, clients }));
});

describe.skipIf(svc.skip || perlMissing !== undefined)(clusterTitle('SMPP status across a two-node cluster'), () => {
  let fake: FakeCarrier;
  let a: SmppGateway;
  let b: SmppGateway;
  let clients: Clients;

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    const env = {
      DATABASE_URL: await createTestDatabase('smpp_status'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      BUS_SUBJECT_PREFIX: uniquePrefix('smpps'),
    };
    a = await SmppGateway.start({ fake, env, serverId: 'statusA' });
    b = await SmppGateway.start({ fake, env, serverId: 'statusB' });
    clients = await addClients(a);
    // Node B learns the clients through the cluster's config sync before they can bind there.
    await until(async () => (await b.api('GET', '/clients')).body?.length >= 2, 15_000, 'node B to see the clients');
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await fake?.close();
  }, 60_000);

  describeStatus(() => ({ ask: a, bindOn: b, clients }));
});
