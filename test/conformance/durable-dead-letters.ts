/**
 * Dead letters, part of the durable bus conformance suite (durable-bus.ts calls
 * `describeDeadLetters` with the shared test context): what maxDeliver gives up goes to the
 * consumer's dead-letter subject, once, with where it came from, and leaves its stream.
 */
import { describe, expect, it } from 'vitest';
import { ack, retry, type Bus, type ConsumerSpec, type DurableHandler, type StreamMessage } from '../../internal/bus/index.js';
import { deadLetterCodec, deadLetterPayload, type DeadLetter } from '../../proto/dead-letter.js';
import { bytes, Deliveries, eventually, Gate, sleep, text, type DurableTestContext } from './durable-helpers.js';

export function describeDeadLetters(ctx: DurableTestContext): void {
  const T = () => ctx.fixture.timing;
  const workStream = () => `${ctx.prefix}_W`;
  const dlqStream = () => `${ctx.prefix}_DLQ`;
  const subj = (s: string) => `${ctx.prefix}.${s}`;
  const dlqSubject = () => `${ctx.prefix}_dlq.${workStream()}`;

  const streams = async (bus: Bus): Promise<void> => {
    await bus.ensureStream({ name: workStream(), subjects: [subj('>')], retention: 'workqueue' });
    await bus.ensureStream({ name: dlqStream(), subjects: [`${ctx.prefix}_dlq.>`], retention: 'limits', maxAgeMs: 60_000 });
  };
  const spec = (over: Partial<ConsumerSpec> = {}): ConsumerSpec => ({
    stream: workStream(),
    durable: 'work',
    filterSubject: subj('>'),
    ackWaitMs: T().ackWaitMs,
    deadLetterSubject: dlqSubject(),
    ...over,
  });
  const consume = async (bus: Bus, s: ConsumerSpec, h: DurableHandler): Promise<void> => {
    const c = await bus.consume(s, h);
    ctx.stopAfter(c);
  };
  /** Every message of the dead-letter stream, in order. */
  const letters = async (bus: Bus): Promise<Array<StreamMessage & { letter: DeadLetter }>> => {
    const out: Array<StreamMessage & { letter: DeadLetter }> = [];
    for (let m = await bus.readMessage(dlqStream(), 1); m; m = await bus.readMessage(dlqStream(), m.seq + 1)) {
      out.push({ ...m, letter: deadLetterCodec.decode(m.data) });
    }
    return out;
  };

  describe('dead letters', () => {
    it('dead-letters a message whose handler retries on every delivery, after maxDeliver deliveries', async () => {
      const a = await ctx.node('a');
      await streams(a);
      const got = new Deliveries();
      await consume(
        a,
        spec({ maxDeliver: 3 }),
        got.handler('a', () => retry(20)),
      );
      const { seq } = await a.publishDurable(subj('x.1'), bytes('poison'));
      await eventually('one dead letter', async () => (await letters(a)).length === 1);
      await sleep(T().ackWaitMs * 2);
      expect(got.seen.map((s) => s.deliveryCount)).toEqual([1, 2, 3]);
      expect(await a.pending(workStream())).toBe(0);
      const [only, ...more] = await letters(a);
      expect(more).toEqual([]);
      expect(only.subject).toBe(dlqSubject());
      expect(only.letter).toMatchObject({
        stream: workStream(),
        consumer: 'work',
        subject: subj('x.1'),
        seq,
        deliveries: 3,
        reason: 'retry',
      });
      expect(text(deadLetterPayload(only.letter))).toBe('poison');
      expect(Math.abs(only.letter.at - Date.now())).toBeLessThan(60_000);
    });

    it('dead-letters a message whose handler always throws, with the error as its detail', async () => {
      const a = await ctx.node('a');
      await streams(a);
      const got = new Deliveries();
      await consume(
        a,
        spec({ maxDeliver: 2 }),
        got.handler('a', () => {
          throw new Error('poison pill (expected in this test)');
        }),
      );
      await a.publishDurable(subj('x'), bytes('throws'));
      await eventually('one dead letter', async () => (await letters(a)).length === 1, 15_000);
      await sleep(T().ackWaitMs * 2);
      expect(got.seen.map((s) => s.deliveryCount)).toEqual([1, 2]);
      expect(await a.pending(workStream())).toBe(0);
      const [only] = await letters(a);
      expect(only.letter).toMatchObject({ reason: 'error', deliveries: 2, detail: 'poison pill (expected in this test)' });
    });

    it('dead-letters a message whose last delivery was never answered (its node died)', async () => {
      const { bus: dying, kill } = await ctx.killable('dying');
      await streams(dying);
      const got = new Deliveries();
      const never = new Gate();
      await consume(
        dying,
        spec({ maxDeliver: 1 }),
        got.handler('dying', async () => (await never.wait(), ack)),
      );
      await dying.publishDurable(subj('x'), bytes('orphan'));
      await got.atLeast(1);
      const survivor = await ctx.node('survivor');
      await consume(survivor, spec({ maxDeliver: 1 }), got.handler('survivor'));
      await kill();
      await eventually('one dead letter', async () => (await letters(survivor)).length === 1, T().ackWaitMs * 4 + 10_000);
      await eventually('stream empty', async () => (await survivor.pending(workStream())) === 0);
      expect(got.seen.map((s) => s.node)).toEqual(['dying']);
      const [only] = await letters(survivor);
      expect(only.letter).toMatchObject({ reason: 'ack_wait', deliveries: 1, subject: subj('x') });
      expect(text(deadLetterPayload(only.letter))).toBe('orphan');
    });

    it('keeps a message it cannot dead-letter (no stream stores the subject) in its stream', async () => {
      const a = await ctx.node('a');
      await streams(a);
      const got = new Deliveries();
      await consume(
        a,
        spec({ maxDeliver: 2, deadLetterSubject: `${ctx.prefix}_nowhere.x` }),
        got.handler('a', () => retry(20)),
      );
      await a.publishDurable(subj('x'), bytes('kept'));
      await got.atLeast(2);
      await sleep(T().ackWaitMs * 3);
      expect(got.seen.map((s) => s.deliveryCount)).toEqual([1, 2]);
      expect(await a.pending(workStream())).toBe(1);
    });

    it('terms without a dead-letter subject, as before (nothing stored)', async () => {
      const a = await ctx.node('a');
      await streams(a);
      const got = new Deliveries();
      await consume(
        a,
        spec({ maxDeliver: 2, deadLetterSubject: undefined }),
        got.handler('a', () => retry(20)),
      );
      await a.publishDurable(subj('x'), bytes('plain'));
      await got.atLeast(2);
      await sleep(T().ackWaitMs * 2);
      expect(await a.pending(workStream())).toBe(0);
      expect(await letters(a)).toEqual([]);
    });

    it('reads messages by sequence and subject filter, and deletes one', async () => {
      const a = await ctx.node('a');
      await streams(a);
      const one = await a.publishDurable(`${ctx.prefix}_dlq.A`, bytes('1'));
      const two = await a.publishDurable(`${ctx.prefix}_dlq.B`, bytes('2'));
      const three = await a.publishDurable(`${ctx.prefix}_dlq.A`, bytes('3'));
      expect((await a.readMessage(dlqStream(), one.seq + 1, `${ctx.prefix}_dlq.A`))?.seq).toBe(three.seq);
      expect((await a.readMessage(dlqStream(), 1))?.seq).toBe(one.seq);
      expect(await a.deleteMessage(dlqStream(), two.seq)).toBe(true);
      expect(await a.deleteMessage(dlqStream(), two.seq)).toBe(false);
      expect((await a.readMessage(dlqStream(), two.seq))?.seq).toBe(three.seq);
      expect(await a.readMessage(dlqStream(), three.seq + 1)).toBeNull();
      const m = await a.readMessage(dlqStream(), three.seq);
      expect(m && text(m.data)).toBe('3');
      expect(m?.subject).toBe(`${ctx.prefix}_dlq.A`);
    });
  });
}
