import { afterEach, describe, expect, it } from 'vitest';
import { decodeGsm7Unpacked, decodeUcs2 } from '../text/index.js';
import { laneConcurrency } from './client-lane.js';
import { EgressHarness, eventually, legacyClient, RECEIVER, SENDER } from '../../test/support/smpp-egress-harness.js';
import { parseReceipt } from './receipt.js';
import { parseUdh } from './udh.js';

const harnesses: EgressHarness[] = [];
async function harness(options: ConstructorParameters<typeof EgressHarness>[0] = {}, start = { startEgress: true }) {
  const h = await new EgressHarness(options).start(start);
  harnesses.push(h);
  return h;
}
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LONG_GSM = 'The quick brown fox jumps over the lazy dog. '.repeat(8).trim();

describe('SMPP egress: messages', () => {
  it('delivers a short text as one GSM-7 deliver_sm with +E164 TON 1 / NPI 1 and records it delivered', async () => {
    const h = await harness();
    h.bind();
    const egress = await h.publishMessage({ text: 'Hello {world} €5' });
    await eventually(async () => expect(await h.pending()).toBe(0));
    expect(h.delivered).toHaveLength(1);
    const [{ addresses, part }] = h.delivered;
    expect(addresses).toEqual({
      source_addr: '+15550000001',
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: '+15550000002',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
    });
    expect(part.dataCoding).toBe(0);
    expect(part.esmClass).toBe(0);
    expect(decodeGsm7Unpacked(part.shortMessage)).toBe('Hello {world} €5');
    await eventually(() => expect(h.records.status(egress.message.id, RECEIVER, 'inbound')).toBe('delivered'));
    expect(await h.counter('message', 'sent')).toBe(1);
  });

  it('never resends a deliver_sm the client answered OK when its record cannot be written; the record follows later', async () => {
    const h = await harness();
    h.records.down = true;
    h.bind();
    const egress = await h.publishMessage({ text: 'once only', smpp: { registeredDelivery: 1 } });
    await eventually(async () => expect(await h.pending()).toBe(0));
    await sleep(200);
    expect(h.delivered).toHaveLength(1);
    expect(h.records.status(egress.message.id, RECEIVER, 'inbound')).toBeUndefined();
    expect(await h.pending(SENDER)).toBe(0);
    h.records.down = false;
    await eventually(() => expect(h.records.status(egress.message.id, RECEIVER, 'inbound')).toBe('delivered'), 10_000);
    // The sender asked for a receipt: its job waits in the sender's queue, after the record.
    await eventually(async () => expect(await h.pending(SENDER)).toBe(1));
    expect(h.statusEvents).toEqual([]);
    expect(h.delivered).toHaveLength(1);
  });

  it('splits a long text behind a concatenation UDH, with a reference that increments per destination', async () => {
    const h = await harness();
    h.bind();
    await h.publishMessage({ text: LONG_GSM });
    await h.publishMessage({ text: LONG_GSM });
    await eventually(() => expect(h.delivered).toHaveLength(6));
    const udhs = h.delivered.map((d) => {
      const parsed = parseUdh(d.part.shortMessage);
      if (!parsed.ok) throw new Error(parsed.error);
      return { concat: parsed.udh.concat!, body: decodeGsm7Unpacked(parsed.body), esm: d.part.esmClass };
    });
    expect(udhs.every((u) => u.esm === 0x40 && u.concat.total === 3)).toBe(true);
    const refs = [...new Set(udhs.map((u) => u.concat.ref))];
    expect(refs).toHaveLength(2);
    expect(refs[1]).toBe((refs[0] + 1) & 0xff);
    const first = udhs.filter((u) => u.concat.ref === refs[0]).sort((a, b) => a.concat.seq - b.concat.seq);
    expect(first.map((u) => u.body.length)).toEqual([153, 153, LONG_GSM.length - 306]);
    expect(first.map((u) => u.body).join('')).toBe(LONG_GSM);
  });

  it('sends UCS-2 in 67-unit parts when a character is outside GSM-7', async () => {
    const h = await harness();
    h.bind();
    const text = `${'Ünïcødé 😀 '.repeat(12)}end`;
    await h.publishMessage({ text });
    await eventually(async () => expect(await h.pending()).toBe(0));
    const bodies = h.delivered.map((d) => {
      const parsed = parseUdh(d.part.shortMessage);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(d.part.dataCoding).toBe(8);
      return decodeUcs2(parsed.body);
    });
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((b) => b.length <= 67)).toBe(true);
    expect(bodies.join('')).toBe(text);
  });

  it('sends a long text whole in message_payload when the client disabled splitting', async () => {
    const h = await harness({
      clients: [legacyClient(SENDER), legacyClient(RECEIVER, { disableMessageSplitting: true, splitMethod: 'payload' })],
    });
    h.bind();
    await h.publishMessage({ text: LONG_GSM });
    await eventually(() => expect(h.delivered).toHaveLength(1));
    const { part } = h.delivered[0];
    expect(part.shortMessage).toHaveLength(0);
    expect(decodeGsm7Unpacked(part.tlvs!.message_payload!)).toBe(LONG_GSM);
  });

  it("spreads messages over the client's sessions round robin", async () => {
    const h = await harness();
    const a = h.bind();
    const b = h.bind();
    for (let i = 0; i < 10; i++) await h.publishMessage({ text: `m${i}` });
    await eventually(() => expect(h.delivered).toHaveLength(10));
    expect(a.delivered.length).toBeGreaterThanOrEqual(3);
    expect(b.delivered.length).toBeGreaterThanOrEqual(3);
  });

  it("keeps each session's window full and never more, and consumes with laneConcurrency() jobs", async () => {
    const h = await harness({ windowSize: 3 });
    const a = h.bind();
    const b = h.bind();
    a.fallback = { delayMs: 15 };
    b.fallback = { delayMs: 15 };
    await eventually(() => expect(h.egress.concurrency(RECEIVER)).toBe(laneConcurrency(2, 3)));
    for (let i = 0; i < 30; i++) await h.publishMessage({ text: `m${i}` });
    await eventually(() => expect(h.delivered).toHaveLength(30));
    // Each window is kept full, never overfull: the sessions answer late, so jobs queue for slots.
    expect(a.maxInFlight).toBe(3);
    expect(b.maxInFlight).toBe(3);
    h.unbind(b);
    await eventually(() => expect(h.egress.concurrency(RECEIVER)).toBe(laneConcurrency(1, 3)));
    h.unbind(a);
    await eventually(() => expect(h.egress.concurrency(RECEIVER)).toBe(0));
  });

  it('keeps sending while the records of answered deliver_sm are still being written', async () => {
    // A job that held its window slot until its record was stored would stop at one window; a
    // lane with a few jobs per slot would stop at a few windows. Recording jobs have room of their own.
    const h = await harness({ windowSize: 3 });
    const a = h.bind();
    let release!: () => void;
    h.records.hold = new Promise((r) => (release = r));
    const sent: Awaited<ReturnType<EgressHarness['publishMessage']>>[] = [];
    const total = laneConcurrency(1, 3);
    for (let i = 0; i < total; i++) sent.push(await h.publishMessage({ text: `m${i}` }));
    await eventually(() => expect(h.delivered).toHaveLength(total), 10_000);
    expect(a.maxInFlight).toBeLessThanOrEqual(3);
    expect(sent.filter((e) => h.records.status(e.message.id, RECEIVER, 'inbound') === 'delivered')).toHaveLength(0);
    release();
    await eventually(
      () => expect(sent.filter((e) => h.records.status(e.message.id, RECEIVER, 'inbound') === 'delivered')).toHaveLength(total),
      10_000,
    );
  });

  it('retries a timed-out deliver_sm on another session and succeeds there', async () => {
    const h = await harness();
    const a = h.bind();
    const b = h.bind();
    a.fallback = 'timeout';
    const egress = await h.publishMessage();
    await eventually(async () => expect(await h.pending()).toBe(0));
    expect(a.delivered).toHaveLength(1);
    expect(b.delivered).toHaveLength(1);
    expect(await h.counter('message', 'retried')).toBe(1);
    await eventually(() => expect(h.records.status(egress.message.id, RECEIVER, 'inbound')).toBe('delivered'));
    expect(h.log.event('AckTimeout')).toMatchObject({ level: 30, reason: 'no deliver_sm_resp in time' });
  });

  it('resends only the part that failed, keeping the concatenation reference', async () => {
    const h = await harness();
    const s = h.bind();
    s.script.push(0, 0x08);
    await h.publishMessage({ text: LONG_GSM });
    await eventually(async () => expect(await h.pending()).toBe(0));
    const seqs = s.delivered.map((d) => parseUdh(d.part.shortMessage)).map((p) => (p.ok ? p.udh.concat : undefined));
    expect(seqs.map((c) => c?.seq)).toEqual([1, 2, 2, 3]);
    expect(new Set(seqs.map((c) => c?.ref)).size).toBe(1);
  });

  it('gives up after SMPP_RETRIES error answers: the record says failed and the sender is told', async () => {
    const h = await harness({ retries: 2 });
    const s = h.bind();
    s.fallback = 0x08;
    const egress = await h.publishMessage();
    await eventually(() => expect(h.statusEvents).toHaveLength(1));
    expect(s.delivered).toHaveLength(3);
    expect(h.statusEvents[0]).toMatchObject({ messageId: egress.message.id, status: 'failed', clientId: SENDER });
    expect(h.records.status(egress.message.id, SENDER, 'outbound')).toBe('failed');
    expect(await h.pending()).toBe(0);
    expect(await h.counter('message', 'failed')).toBe(1);
    expect(h.log.lines.filter((l) => l.event === 'AckNonOK')).toHaveLength(3);
  });

  it('waits out ESME_RTHROTTLED without spending the retries', async () => {
    const h = await harness({ retries: 0 });
    const s = h.bind();
    s.script.push(0x58, 0x58);
    const egress = await h.publishMessage();
    await eventually(async () => expect(await h.pending()).toBe(0), 5_000);
    expect(s.delivered).toHaveLength(3);
    expect(await h.counter('message', 'throttled')).toBe(2);
    await eventually(() => expect(h.records.status(egress.message.id, RECEIVER, 'inbound')).toBe('delivered'));
  });

  it('keeps messages while the client is bound nowhere and delivers them in order when it binds', async () => {
    const h = await harness({ windowSize: 1 });
    for (let i = 0; i < 5; i++) await h.publishMessage({ text: `m${i}` });
    await sleep(100);
    expect(await h.pending()).toBe(5);
    expect(h.delivered).toHaveLength(0);
    h.bind();
    await eventually(() => expect(h.delivered).toHaveLength(5));
    expect(h.delivered.map((d) => decodeGsm7Unpacked(d.part.shortMessage))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  });

  it('gives a job back when its last session closes mid-send, and delivers it on the next bind', async () => {
    const h = await harness();
    const s = h.bind();
    s.fallback = { delayMs: 200 };
    await h.publishMessage();
    await eventually(() => expect(s.delivered).toHaveLength(1));
    h.unbind(s);
    await eventually(() => expect(h.egress.concurrency(RECEIVER)).toBe(0));
    await eventually(async () => expect(await h.pending()).toBe(1));
    const next = h.bind();
    await eventually(() => expect(next.delivered).toHaveLength(1));
    await eventually(async () => expect(await h.pending()).toBe(0));
    expect(h.statusEvents.filter((e) => e.status === 'failed')).toHaveLength(0);
  });

  it("reports a message older than the queue's max age as expired instead of delivering it", async () => {
    const h = await harness({ queueMaxAgeMs: 1_000 });
    const egress = await h.publishMessage({ receivedAt: Date.now() - 5_000 });
    h.bind();
    await eventually(() => expect(h.statusEvents).toHaveLength(1));
    expect(h.statusEvents[0]).toMatchObject({ messageId: egress.message.id, status: 'expired', clientId: SENDER });
    expect(h.records.status(egress.message.id, SENDER, 'outbound')).toBe('expired');
    expect(h.delivered).toHaveLength(0);
    expect(await h.pending()).toBe(0);
  });
});

describe('SMPP egress: queue sweeper', () => {
  it('reports expired messages of a client that never binds, and leaves fresh ones waiting', async () => {
    const h = await harness({ queueMaxAgeMs: 600, sweepIntervalMs: 50 }, { startEgress: false });
    const old = await h.publishMessage({ receivedAt: Date.now() - 1_000 });
    const fresh = await h.publishMessage({ text: 'fresh' });
    await h.egress.start();
    await eventually(() => expect(h.statusEvents.map((e) => e.messageId)).toEqual([old.message.id]));
    expect(await h.pending()).toBe(1);
    await eventually(() => expect(h.statusEvents.map((e) => e.messageId)).toEqual([old.message.id, fresh.message.id]), 5_000);
    expect(h.statusEvents.every((e) => e.status === 'expired')).toBe(true);
    expect(await h.pending()).toBe(0);
  });
});

describe('SMPP egress: bounded redelivery', () => {
  it('spends one delivery of a waiting job per sweeper look, so waiting for a bind does not exhaust maxDeliver', async () => {
    const h = await harness({ queueMaxAgeMs: 60_000, sweepIntervalMs: 20, maxDeliver: 3 }, { startEgress: false });
    const waiting = await h.publishMessage({ text: 'waits for a bind' });
    await h.egress.start();
    // Several sweeper ticks while no client is bound: the first look meets the job and gives it back.
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.bus.pending(h.subjects.streams.deadLetter)).toBe(0);
    h.bind();
    await eventually(() => expect(h.delivered).toHaveLength(1));
    expect(h.records.status(waiting.message.id, SENDER, 'outbound')).toBe('delivered');
  });
});

describe('SMPP egress: delivery receipts', () => {
  it('sends one receipt per part id with the ids, stat, TLVs and swapped addresses', async () => {
    const h = await harness();
    const s = h.bind(SENDER);
    const submittedAt = Date.UTC(2026, 10, 28, 9, 30);
    await h.publishStatus({
      messageId: 'id-a',
      partIds: ['id-a', 'id-b', 'id-c'],
      registeredDelivery: 1,
      status: 'delivered',
      submittedAt,
      at: Date.now(),
      textPreview: 'Hello there',
    });
    await eventually(() => expect(s.delivered).toHaveLength(3));
    for (const [i, id] of ['id-a', 'id-b', 'id-c'].entries()) {
      const { part, addresses } = s.delivered[i];
      expect(part.esmClass).toBe(0x04);
      expect(part.tlvs).toEqual({ receipted_message_id: id, message_state: 2 });
      const receipt = parseReceipt(part.shortMessage.toString('latin1'));
      expect(receipt).toMatchObject({ id, stat: 'DELIVRD', sub: 1, dlvrd: 1, err: '000', text: 'Hello there', submitDate: submittedAt });
      expect(addresses.source_addr).toBe('+15559999999');
      expect(addresses.destination_addr).toBe('+15550000001');
    }
    await eventually(async () => expect(await h.counter('receipt', 'sent', `client${SENDER}`)).toBe(3));
  });

  it('sends the message id alone when the submit was not reassembled', async () => {
    const h = await harness();
    const s = h.bind(SENDER);
    await h.publishStatus({ messageId: 'solo', registeredDelivery: 1, status: 'undelivered', errorCode: '30' });
    await eventually(() => expect(s.delivered).toHaveLength(1));
    expect(parseReceipt(s.delivered[0].part.shortMessage.toString('latin1'))).toMatchObject({ id: 'solo', stat: 'UNDELIV', err: '030' });
  });

  it('sends nothing when registered_delivery is 0, and only failures for 2', async () => {
    const h = await harness();
    const s = h.bind(SENDER);
    await h.publishStatus({ messageId: 'r0', registeredDelivery: 0, status: 'failed' });
    await h.publishStatus({ messageId: 'r2ok', registeredDelivery: 2, status: 'delivered' });
    await h.publishStatus({ messageId: 'r2bad', registeredDelivery: 2, status: 'rejected' });
    await h.publishStatus({ messageId: 'r1sent', registeredDelivery: 1, status: 'sent' });
    await eventually(async () => expect(await h.pending(SENDER)).toBe(0));
    expect(s.delivered.map((d) => d.part.tlvs?.receipted_message_id)).toEqual(['r2bad']);
  });
});
