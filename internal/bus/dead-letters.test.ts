import { afterEach, describe, expect, it } from 'vitest';
import { deadLetter, deadLetterCodec, deadLetterMsgId } from '../../proto/dead-letter.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import { ensureStreams } from '../cluster/index.js';
import { NotFoundError, ValidationError } from '../errors/index.js';
import { DeadLetterStore } from './dead-letters.js';
import { ack, createBus, type Bus } from './index.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const s = makeSubjects('dls');
const text = (b: Uint8Array) => new TextDecoder().decode(b);
let bus: Bus;

afterEach(async () => {
  await bus?.stop();
});

async function setup(): Promise<DeadLetterStore> {
  bus = createBus({ kind: 'memory' }, { nodeId: 'n1', logger: quiet });
  await bus.start();
  await ensureStreams(bus, s);
  return new DeadLetterStore(bus, s);
}

/** A message stored in `stream` under `msgId` and given up from it (as its consumer would). */
async function givenUp(stream: string, subject: string, payload: string, msgId: string): Promise<number> {
  const stored = await bus.publishDurable(subject, new TextEncoder().encode(payload), { msgId });
  const letter = deadLetter(
    { stream, consumer: 'c', subject, seq: stored.seq, deliveries: 3, reason: 'retry', at: Date.now() },
    new TextEncoder().encode(payload),
  );
  await bus.deleteMessage(stream, stored.seq);
  return (await bus.publishDurable(s.deadLetter(stream), deadLetterCodec.encode(letter), { msgId: deadLetterMsgId(stream, stored.seq) }))
    .seq;
}

describe('DeadLetterStore', () => {
  it('lists oldest first, by page, and by stream or stage', async () => {
    const store = await setup();
    const a = await givenUp(s.streams.carrier, s.msgOutCarrier(1), 'c1', 'id-c1');
    const b = await givenUp(s.streams.webhook, s.msgOutWebhook(2), 'w1', 'id-w1');
    const c = await givenUp(s.streams.carrier, s.msgOutCarrier(1), 'c2', 'id-c2');
    const first = await store.list({ limit: 2 });
    expect(first.items.map((e) => e.seq)).toEqual([a, b]);
    expect(first.next).toBe(b);
    const second = await store.list({ limit: 2, after: first.next });
    expect(second.items.map((e) => e.seq)).toEqual([c]);
    expect(second.next).toBeUndefined();
    expect((await store.list({ stream: 'carrier' })).items.map((e) => e.seq)).toEqual([a, c]);
    expect((await store.list({ stream: s.streams.webhook })).items.map((e) => e.letter.subject)).toEqual([s.msgOutWebhook(2)]);
    await expect(store.list({ stream: 'nope' })).rejects.toBeInstanceOf(ValidationError);
    await expect(store.list({ stream: 'deadLetter' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('replays to the original subject, while the original is still in its duplicate window, then removes the letter', async () => {
    const store = await setup();
    const seq = await givenUp(s.streams.carrier, s.msgOutCarrier(1), 'again', 'id-again');
    const got: string[] = [];
    await bus.consume(
      { stream: s.streams.carrier, durable: 'c', filterSubject: s.msgOutCarrier(1) },
      async (m) => (got.push(text(m.data)), ack),
    );
    const r = await store.replay(seq);
    expect(r).toMatchObject({ seq, subject: s.msgOutCarrier(1) });
    await expect.poll(() => got).toEqual(['again']);
    await expect(store.get(seq)).rejects.toBeInstanceOf(NotFoundError);
    expect((await store.list()).items).toEqual([]);
  });

  it('shows one letter and deletes it; unknown ones are NotFoundError', async () => {
    const store = await setup();
    const seq = await givenUp(s.streams.smpp, s.msgOutSmpp(4), 'x', 'id-x');
    expect((await store.get(seq)).letter).toMatchObject({ stream: s.streams.smpp, deliveries: 3, reason: 'retry' });
    await store.delete(seq);
    await expect(store.get(seq)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.delete(seq)).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.replay(seq)).rejects.toBeInstanceOf(NotFoundError);
  });
});
