/**
 * SMPP failover delivery (upstream-behaviour.md §7.3) with Net::SMPP as the ESMEs: a legacy
 * client with a failover client configured over the admin API. While the client itself has no
 * receiving bind anywhere in the cluster and its failover has one, a REST message to the
 * client's number reaches the failover's ESME (with the client's number as destination) and the
 * ledger says so; once the client binds, its messages go to it again.
 *
 * Run embedded (one node: PGlite, memory bus) and on the real services (two nodes in this
 * process on nats-server, PostgreSQL and redis-server: the fallback binds on node A, messages
 * enter on node B, which learns the binds from the cluster's registry). A message that entered
 * while nobody could receive waits in the client's queue and moves to the failover once it binds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { type DeliverSm, NetSmpp, netSmppMissing } from '../support/net-smpp.js';
import { bare, SmppGateway, until } from '../support/smpp-gateway.js';

const PRIMARY = '+15550001000';
const FALLBACK = '+15550002000';
const WEB = '+15550005000';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

const perlMissing = netSmppMissing();
const svc = requireServices(['nats', 'postgres', 'redis']);

interface Setup {
  /** Where the ESMEs bind. */
  bindOn: SmppGateway;
  /** Where REST messages enter. */
  sendOn: SmppGateway;
  all: SmppGateway[];
  fake?: FakeCarrier;
}

/** Messages queued for the unbound client move to its failover after this long. */
const GRACE = { SMPP_FAILOVER_GRACE_SECS: '1' };

async function embedded(): Promise<Setup> {
  const gw = await SmppGateway.start({ env: GRACE });
  return { bindOn: gw, sendOn: gw, all: [gw] };
}

async function cluster(): Promise<Setup> {
  const fake = await FakeCarrier.start();
  const env = {
    DATABASE_URL: await createTestDatabase('smpp_failover'),
    NATS_URL: svc.urls.nats,
    REDIS_URL: svc.urls.redis,
    BUS_SUBJECT_PREFIX: uniquePrefix('fo'),
    ...GRACE,
  };
  const a = await SmppGateway.start({ fake, env, serverId: 'foA' });
  const b = await SmppGateway.start({ fake, env, serverId: 'foB' });
  return { bindOn: a, sendOn: b, all: [a, b], fake };
}

const modes = [
  { name: 'embedded (PGlite, memory bus)', setup: embedded, skip: perlMissing },
  { name: 'two nodes on nats-server, PostgreSQL and redis-server', setup: cluster, skip: perlMissing ?? svc.reason },
];

describe.each(modes)('SMPP failover delivery: $name', ({ name, setup, skip }) => {
  let s: Setup;
  let primaryId: number;
  let fallbackId: number;
  const esmes: NetSmpp[] = [];

  beforeAll(async () => {
    if (skip) return;
    s = await setup();
    const admin = s.bindOn;
    await admin.addCarrier();
    await admin.webClient('sender', 'sender-pass', [WEB]);
    primaryId = await admin.legacyClient('primary', 'primpw', [PRIMARY]);
    fallbackId = await admin.legacyClient('fallback', 'fallpw', [FALLBACK]);
    const f = await admin.api('POST', `/clients/${primaryId}/failovers`, { fallback_client_id: fallbackId, priority: 1 });
    expect(f.status).toBe(201);
    // Every node knows the failover before a message enters.
    for (const gw of s.all) {
      await until(
        async () => (await gw.api('GET', `/clients/${primaryId}/failovers`)).body?.length === 1,
        15_000,
        'the failover on every node',
      );
    }
  }, 180_000);

  afterAll(async () => {
    for (const e of esmes) await e.close();
    for (const gw of s?.all ?? []) await gw.stop();
    await s?.fake?.close();
  }, 60_000);

  async function bind(systemId: string, password: string): Promise<NetSmpp> {
    const esme = await NetSmpp.connect({ host: '127.0.0.1', port: s.bindOn.smppPort, label: `${systemId} (${name})` });
    esmes.push(esme);
    expect((await esme.bind({ mode: 'transceiver', systemId, password })).commandStatus).toBe(0);
    return esme;
  }

  async function send(text: string): Promise<string> {
    const res = await s.sendOn.api('POST', '/messages/send', { from: WEB, to: PRIMARY, text }, basic('sender', 'sender-pass'));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return res.body.id as string;
  }

  const textOf = (d: DeliverSm) => d.shortMessage.toString('latin1');

  /** The inbound leg of a message once it is delivered. */
  async function deliveredLeg(id: string) {
    let leg: Awaited<ReturnType<SmppGateway['ledger']>>[number] | undefined;
    await until(
      async () => {
        leg = (await s.sendOn.ledger(id)).find((l) => l.direction === 'inbound' && l.status === 'delivered');
        return leg !== undefined;
      },
      15_000,
      `the delivered inbound leg of ${id}`,
    );
    return leg!;
  }

  let fallback: NetSmpp;

  it.skipIf(skip)('moves a message queued while nobody could receive to the failover client once it binds', async () => {
    const id = await send('queued while nobody was bound');
    await until(async () => (await s.sendOn.ledger(id)).some((l) => l.direction === 'inbound'), 10_000, 'the queued leg');
    fallback = await bind('fallback', 'fallpw');
    const d = await fallback.waitForDeliverSm((p) => textOf(p) === 'queued while nobody was bound', 20_000);
    expect(bare(d.destinationAddr)).toBe(bare(PRIMARY));
    const leg = await deliveredLeg(id);
    expect(leg.clientId).toBe(fallbackId);
    expect(leg.error).toBe(`failover from client ${primaryId} (primary)`);
    const own = (await s.sendOn.ledger(id)).find((l) => l.direction === 'inbound' && l.clientId === primaryId);
    expect(own).toMatchObject({ status: 'failed', error: `moved to failover client ${fallbackId}: no receiving bind` });
  });

  it.skipIf(skip)('delivers a message for the unbound client to its bound failover client, and the ledger says so', async () => {
    await s.sendOn.receiving(fallbackId);
    const id = await send('for primary, via failover');
    const d = await fallback.waitForDeliverSm((p) => textOf(p) === 'for primary, via failover', 20_000);
    // The deliver_sm keeps the original To: the fallback PBX sees whose number it was for.
    expect(bare(d.destinationAddr)).toBe(bare(PRIMARY));
    expect(bare(d.sourceAddr)).toBe(bare(WEB));
    const leg = await deliveredLeg(id);
    expect(leg.clientId).toBe(fallbackId);
    expect(leg.deliveryMethod).toBe('smpp');
    expect(leg.error).toBe(`failover from client ${primaryId} (primary)`);
  });

  it.skipIf(skip)('delivers to the client itself again once it binds', async () => {
    const primary = await bind('primary', 'primpw');
    await s.sendOn.receiving(primaryId);
    const id = await send('primary is back');
    const d = await primary.waitForDeliverSm((p) => textOf(p) === 'primary is back', 20_000);
    expect(bare(d.destinationAddr)).toBe(bare(PRIMARY));
    const leg = await deliveredLeg(id);
    expect(leg.clientId).toBe(primaryId);
    expect(leg.error).toBe('');
    expect(fallback.deliveries().some((p) => textOf(p) === 'primary is back')).toBe(false);
  });
});
