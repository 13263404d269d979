/**
 * Issue 4 in cluster mode: two gateway processes on one nats-server, redis-server and PostgreSQL,
 * with Net::SMPP as the ESME. A client bound on node A receives what entered on node B (a REST
 * send, an inbound carrier webhook, a carrier status callback); a long message whose parts are
 * submitted half to A and half to B reaches the carrier whole; max_binds holds across nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { NetSmpp, netSmppMissing, TLV } from '../support/net-smpp.js';
import { bare, SmppGateway, until } from '../support/smpp-gateway.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const perlMissing = netSmppMissing();
const skip = svc.skip || perlMissing !== undefined;
const title = (name: string) => (perlMissing ? `${name} [skipped: ${perlMissing}]` : svc.title(name));

const PBX = '+15550001000';
const WEB = '+15550005000';
const ESME_RBINDFAIL = 0x0d;
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe.skipIf(skip)(title('SMPP across a two-node cluster'), () => {
  let fake: FakeCarrier;
  let a: SmppGateway;
  let b: SmppGateway;
  const esmes: NetSmpp[] = [];

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    const env = {
      DATABASE_URL: await createTestDatabase('smpp_cluster'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      BUS_SUBJECT_PREFIX: uniquePrefix('smppc'),
    };
    [a, b] = await Promise.all([
      SmppGateway.start({ process: true, fake, env, serverId: 'smppA' }),
      SmppGateway.start({ process: true, fake, env, serverId: 'smppB' }),
    ]);
    await a.addCarrier();
    await a.legacyClient('pbx', 'pbxpw', [PBX]);
    await a.legacyClient('limited', 'limitpw', [], { max_binds: 2 });
    await a.webClient('webapp', 'webapp-pass', [WEB]);
    // Node B learns the clients through the cluster's config sync.
    await until(async () => (await b.api('GET', '/clients')).body?.length >= 3, 15_000, 'node B to see the clients');
  }, 180_000);

  afterAll(async () => {
    for (const e of esmes) await e.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await fake?.close();
  }, 60_000);

  async function bound(node: SmppGateway, systemId: string, password: string, label: string): Promise<NetSmpp> {
    let esme: NetSmpp | undefined;
    await until(
      async () => {
        const e = await NetSmpp.connect({ host: '127.0.0.1', port: node.smppPort, label });
        esmes.push(e);
        const resp = await e.bind({ mode: 'transceiver', systemId, password });
        if (resp.commandStatus === 0) esme = e;
        else await e.close();
        return esme !== undefined;
      },
      15_000,
      `${systemId} to bind on ${label}`,
    );
    return esme!;
  }

  let onA: NetSmpp;

  it('delivers a REST message sent on node B to the client bound on node A', async () => {
    onA = await bound(a, 'pbx', 'pbxpw', 'pbx@A');
    await until(async () => (await b.binds('pbx')).some((x) => x.server_id === 'smppA'), 10_000, "the bind on A in B's /stats");
    const res = await b.api('POST', '/messages/send', { from: WEB, to: PBX, text: 'REST on B, hello A' }, basic('webapp', 'webapp-pass'));
    expect(res.status).toBe(202);
    const d = await onA.waitForDeliverSm((p) => p.shortMessage.toString('latin1') === 'REST on B, hello A', 20_000);
    expect(bare(d.sourceAddr)).toBe(bare(WEB));
    expect(bare(d.destinationAddr)).toBe(bare(PBX));
  });

  it('delivers an inbound carrier webhook posted to node B to the client bound on node A', async () => {
    await b.inbound({ from: '+15557770000', to: PBX, text: 'carrier via B' });
    const d = await onA.waitForDeliverSm((p) => p.shortMessage.toString('latin1') === 'carrier via B', 20_000);
    expect(bare(d.sourceAddr)).toBe('15557770000');
  });

  it("sends the receipt to node A when the carrier's status callback arrives at node B", async () => {
    const resp = await onA.submitSm({
      sourceAddr: bare(PBX),
      sourceAddrTon: 1,
      sourceAddrNpi: 1,
      destinationAddr: '15559990100',
      destAddrTon: 1,
      destAddrNpi: 1,
      registeredDelivery: 1,
      shortMessage: Buffer.from('receipt across nodes'),
    });
    expect(resp.commandStatus).toBe(0);
    const sent = await a.carrierText('receipt across nodes', 20_000);
    await b.statusCallback({ carrierMsgId: sent.request.carrierMsgId!, from: PBX, to: '+15559990100', status: 'delivered' });
    const d = await onA.waitForDeliverSm((p) => (p.esmClass & 0x04) !== 0 && p.shortMessage.includes(`id:${resp.messageId} `), 20_000);
    expect(
      d.tlvs
        .find((t) => t.tag === TLV.receipted_message_id)
        ?.value.toString('latin1')
        .replace(/\0$/, ''),
    ).toBe(resp.messageId);
  });

  it('reassembles a long message whose parts are submitted half to node A and half to node B', async () => {
    const onB = await bound(b, 'pbx', 'pbxpw', 'pbx@B');
    const chunks = [
      'Part one on A. '.padEnd(153, 'a'),
      'Part two on B. '.padEnd(153, 'b'),
      'Part three on A. '.padEnd(153, 'c'),
      'Part four on B.',
    ];
    const ref = 0x20 + Math.floor(Math.random() * 0xd0);
    const part = (seq: number) => ({
      sourceAddr: bare(PBX),
      sourceAddrTon: 1,
      sourceAddrNpi: 1,
      destinationAddr: '15559990200',
      destAddrTon: 1,
      destAddrNpi: 1,
      esmClass: 0x40,
      dataCoding: 0,
      shortMessage: Buffer.concat([Buffer.from([5, 0, 3, ref, 4, seq]), Buffer.from(chunks[seq - 1]!)]),
    });
    // Out of order, alternating nodes: 4 (B), 1 (A), 3 (A), 2 (B).
    const answers = [await onB.submitSm(part(4)), await onA.submitSm(part(1)), await onA.submitSm(part(3)), await onB.submitSm(part(2))];
    expect(answers.map((x) => x.commandStatus)).toEqual([0, 0, 0, 0]);
    await a.carrierText(chunks.join(''), 20_000);
    expect(a.carrierSends().filter((s) => s.to === '+15559990200')).toHaveLength(1);
  });

  const queued = Array.from({ length: 5 }, (_, i) => `queued while away ${i}`);
  let arrived: string[] = [];

  it('keeps messages for a client with no bind anywhere and delivers them all when it binds on the other node', async () => {
    for (const e of esmes.splice(0)) await e.close();
    await until(async () => (await a.binds('pbx')).length === 0, 15_000, 'every pbx bind to leave /stats');
    // A node's stopped consumer keeps its last pull request open until it expires (at most 3 s,
    // internal/bus/nats-consumer.ts); a message landing in it then goes back to the stream and
    // behind the next ones. Known limit of the order guarantee; wait it out here.
    await new Promise((r) => setTimeout(r, 3_500));
    for (const text of queued) await a.inbound({ from: '+15557770001', to: PBX, text });
    await new Promise((r) => setTimeout(r, 500));
    const later = await bound(b, 'pbx', 'pbxpw', 'pbx@B later');
    const got = await later.waitForDeliverSms(
      queued.length,
      (p) => p.shortMessage.toString('latin1').startsWith('queued while away'),
      20_000,
    );
    arrived = got.map((p) => p.shortMessage.toString('latin1'));
    expect([...arrived].sort()).toEqual(queued);
  });

  it('delivers the queued messages in the order they arrived ("flow in order")', () => {
    expect(arrived, 'deliver_sm order on the wire').toEqual(queued);
  });

  it('enforces max_binds across the nodes', async () => {
    const first = await bound(a, 'limited', 'limitpw', 'limited@A');
    await bound(b, 'limited', 'limitpw', 'limited@B');
    for (const node of [a, b]) {
      const extra = await NetSmpp.connect({ host: '127.0.0.1', port: node.smppPort, label: 'limited third' });
      esmes.push(extra);
      expect((await extra.bind({ mode: 'transceiver', systemId: 'limited', password: 'limitpw' })).commandStatus).toBe(ESME_RBINDFAIL);
    }
    expect((await a.binds('limited')).map((x) => x.server_id).sort()).toEqual(['smppA', 'smppB']);
    // A freed slot can be taken again, on the other node.
    expect((await first.unbind()).commandStatus).toBe(0);
    await bound(b, 'limited', 'limitpw', 'limited@B again');
  });
});
