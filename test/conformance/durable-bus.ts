/**
 * The durable half of the Bus contract (internal/bus/durable-types.ts) and the leases built on
 * it, as tests run against every implementation:
 *
 *   describeDurableBus('MemoryBus', () => ({ newBus: …, newKillableBus: …, timing: { ackWaitMs: 300, ttlMs: 600 } }));
 *
 * Buses from one fixture share one network (one hub, one nats-server), so a test plays
 * several nodes. Each test uses its own stream, subjects and bucket, and stops what it made.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, UnavailableError } from '../../internal/errors/index.js';
import { ack, retry, term, type Bus, type Consumer, type ConsumerSpec, type Retention } from '../../internal/bus/index.js';
import { bytes, Deliveries, eventually, Gate, sleep, type DurableBusFixture, type DurableTestContext } from './durable-helpers.js';
import { describeDeadLetters } from './durable-dead-letters.js';
import { describeLeases } from './durable-leases.js';

export type { DurableBusFixture, DurableTestContext } from './durable-helpers.js';

export function describeDurableBus(name: string, setup: () => DurableBusFixture | Promise<DurableBusFixture>): void {
  describe(`DurableBus conformance: ${name}`, () => {
    const ctx = {} as DurableTestContext;
    let buses: Bus[];
    let deferred: Array<() => Promise<void>>;
    let consumers: Consumer[];

    beforeEach(async () => {
      ctx.fixture = await setup();
      ctx.prefix = `db${randomBytes(5).toString('hex')}`;
      buses = [];
      deferred = [];
      consumers = [];
      ctx.node = async (id, opts) => {
        const bus = ctx.fixture.newBus(`${ctx.prefix}-${id}`, opts);
        buses.push(bus);
        await bus.start();
        return bus;
      };
      ctx.killable = async (id) => {
        const k = await ctx.fixture.newKillableBus(`${ctx.prefix}-${id}`);
        buses.push(k.bus);
        return k;
      };
      ctx.defer = (fn) => void deferred.push(fn);
      ctx.stopAfter = (consumer) => void consumers.push(consumer);
    });

    afterEach(async () => {
      Gate.openAll();
      for (const fn of deferred.reverse()) await fn().catch(() => undefined);
      // Removing the test's streams while its consumers stop ends their open pull requests at
      // once; otherwise each stop() waits for its pulls to expire (about a second per test).
      const stopping = Promise.allSettled(consumers.map((c) => c.stop()));
      await ctx.fixture.cleanup?.(ctx.prefix);
      await stopping;
      await Promise.allSettled(buses.map((b) => b.stop()));
    });

    const T = (): DurableBusFixture['timing'] => ctx.fixture.timing;
    const streamName = (): string => `${ctx.prefix}_S`;
    const subj = (s: string): string => `${ctx.prefix}.${s}`;
    const stream = (bus: Bus, retention: Retention = 'workqueue', maxAgeMs?: number): Promise<void> =>
      bus.ensureStream({ name: streamName(), subjects: [subj('>')], retention, ...(maxAgeMs ? { maxAgeMs } : {}) });
    const spec = (over: Partial<ConsumerSpec> = {}): ConsumerSpec => ({
      stream: streamName(),
      durable: 'work',
      filterSubject: subj('>'),
      ackWaitMs: T().ackWaitMs,
      ...over,
    });
    const consume = async (bus: Bus, s: ConsumerSpec, h: Parameters<Bus['consume']>[1], concurrency?: number): Promise<Consumer> => {
      const c = await bus.consume(s, h, concurrency ? { concurrency } : {});
      consumers.push(c);
      return c;
    };
    const publishN = async (bus: Bus, n: number, topic = 'job'): Promise<void> => {
      for (let i = 0; i < n; i++) await bus.publishDurable(subj(topic), bytes(`m${i}`));
    };

    describe('streams and publishing', () => {
      it('ensureStream is idempotent, also when three nodes run it at once', async () => {
        const [a, b, c] = [await ctx.node('a'), await ctx.node('b'), await ctx.node('c')];
        await Promise.all([stream(a), stream(b), stream(c)]);
        await stream(a);
        await a.ensureStream({ name: streamName(), subjects: [subj('>'), `${ctx.prefix}x.>`], retention: 'workqueue', maxAgeMs: 60_000 });
        expect((await b.publishDurable(`${ctx.prefix}x.y`, bytes('new subject'))).seq).toBe(1);
        await expect(stream(a, 'limits')).rejects.toBeInstanceOf(ConflictError);
        await expect(a.ensureStream({ name: `${streamName()}2`, subjects: [subj('a.b')], retention: 'limits' })).rejects.toBeInstanceOf(
          ConflictError,
        );
      });

      it('resolves publishDurable with the stream and its sequence', async () => {
        const a = await ctx.node('a');
        await stream(a);
        expect(await a.publishDurable(subj('x'), bytes('1'))).toEqual({ stream: streamName(), seq: 1, duplicate: false });
        expect(await a.publishDurable(subj('y'), bytes('2'), { msgId: 'id-2' })).toEqual({
          stream: streamName(),
          seq: 2,
          duplicate: false,
        });
        expect(await a.pending(streamName())).toBe(2);
        expect(await a.pending(streamName(), subj('y'))).toBe(1);
      });

      it('rejects publishDurable with UnavailableError when no stream stores the subject', async () => {
        const a = await ctx.node('a');
        await expect(a.publishDurable(`${ctx.prefix}nostream.x`, bytes('lost'), { timeoutMs: 2_000 })).rejects.toBeInstanceOf(
          UnavailableError,
        );
      });

      it('drops a repeated msgId inside the window and delivers the message once', async () => {
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const first = await a.publishDurable(subj('x'), bytes('once'), { msgId: 'm-1' });
        const again = await b.publishDurable(subj('x'), bytes('once'), { msgId: 'm-1' });
        expect(again).toEqual({ stream: streamName(), seq: first.seq, duplicate: true });
        const got = new Deliveries();
        await consume(b, spec(), got.handler('b'));
        await got.atLeast(1);
        await eventually('the ack to remove it', async () => (await a.pending(streamName())) === 0);
        await sleep(T().ackWaitMs);
        expect(got.count()).toBe(1);
      });

      it('stores a repeated msgId again once the dedup window has passed', async () => {
        const a = await ctx.node('a');
        await a.ensureStream({ name: streamName(), subjects: [subj('>')], retention: 'workqueue', duplicateWindowMs: 1_000 });
        expect((await a.publishDurable(subj('x'), bytes('1'), { msgId: 'w' })).duplicate).toBe(false);
        expect((await a.publishDurable(subj('x'), bytes('1'), { msgId: 'w' })).duplicate).toBe(true);
        await sleep(1_000);
        let ack2 = await a.publishDurable(subj('x'), bytes('1'), { msgId: 'w' });
        for (let i = 0; ack2.duplicate && i < 40; i++) {
          await sleep(100);
          ack2 = await a.publishDurable(subj('x'), bytes('1'), { msgId: 'w' });
        }
        expect(ack2).toMatchObject({ duplicate: false, seq: 2 });
      });
    });

    describe('consuming', () => {
      it('removes an acked message from a workqueue stream', async () => {
        const a = await ctx.node('a');
        await stream(a);
        await a.publishDurable(subj('x'), bytes('work'));
        expect(await a.pending(streamName())).toBe(1);
        const got = new Deliveries();
        await consume(a, spec(), got.handler('a'));
        await got.atLeast(1);
        await eventually('pending 0', async () => (await a.pending(streamName())) === 0);
        expect(got.seen[0]).toMatchObject({ subject: subj('x'), text: 'work', seq: 1, deliveryCount: 1 });
      });

      it('splits one durable between two nodes and handles each message once', async () => {
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const got = new Deliveries();
        const slow = async () => (await sleep(5), ack);
        await consume(a, spec(), got.handler('a', slow), 4);
        await consume(b, spec(), got.handler('b', slow), 4);
        await publishN(a, 100);
        await got.atLeast(100, 20_000);
        await eventually('pending 0', async () => (await a.pending(streamName())) === 0);
        await sleep(T().ackWaitMs);
        expect(got.count()).toBe(100);
        expect(new Set(got.seen.map((s) => s.seq)).size).toBe(100);
        expect(got.seen.filter((s) => s.node === 'a').length).toBeGreaterThan(0);
        expect(got.seen.filter((s) => s.node === 'b').length).toBeGreaterThan(0);
      });

      it('redelivers after a retry delay, with deliveryCount 2', async () => {
        const a = await ctx.node('a');
        await stream(a);
        const delayMs = Math.round(T().ackWaitMs / 2);
        const got = new Deliveries();
        await consume(
          a,
          spec({ ackWaitMs: T().ackWaitMs * 4 }),
          got.handler('a', (m) => (m.deliveryCount === 1 ? retry(delayMs) : ack)),
        );
        await a.publishDurable(subj('x'), bytes('again'));
        await got.atLeast(2);
        const [first, second] = got.seen;
        expect([first.deliveryCount, second.deliveryCount]).toEqual([1, 2]);
        expect(second.at - first.at).toBeGreaterThanOrEqual(delayMs - 30);
        expect(second.at - first.at).toBeLessThan(T().ackWaitMs * 4);
        await eventually('pending 0', async () => (await a.pending(streamName())) === 0);
      });

      it('never redelivers a termed message, and removes it from a workqueue stream', async () => {
        const a = await ctx.node('a');
        await stream(a);
        const got = new Deliveries();
        await consume(
          a,
          spec(),
          got.handler('a', () => term('cannot ever work (expected in this test)')),
        );
        await a.publishDurable(subj('x'), bytes('doomed'));
        await got.atLeast(1);
        await eventually('pending 0', async () => (await a.pending(streamName())) === 0);
        await sleep(T().ackWaitMs * 2);
        expect(got.count()).toBe(1);
      });

      it('retries a handler that throws', async () => {
        const a = await ctx.node('a');
        await stream(a);
        const got = new Deliveries();
        await consume(
          a,
          spec(),
          got.handler('a', (m) => {
            if (m.deliveryCount === 1) throw new Error('handler bug (expected in this test)');
            return ack;
          }),
        );
        await a.publishDurable(subj('x'), bytes('flaky'));
        await got.atLeast(2, 15_000);
        expect(got.seen.map((s) => s.deliveryCount)).toEqual([1, 2]);
      });

      it('redelivers to another node once the ack wait ends when the holder dies', async () => {
        const { bus: dying, kill } = await ctx.killable('dying');
        await stream(dying);
        const got = new Deliveries();
        const never = new Gate();
        await consume(
          dying,
          spec(),
          got.handler('dying', async () => (await never.wait(), ack)),
        );
        await dying.publishDurable(subj('x'), bytes('orphan'));
        await got.atLeast(1);
        const survivor = await ctx.node('survivor');
        await consume(survivor, spec(), got.handler('survivor'));
        const killedAt = Date.now();
        await kill();
        await got.atLeast(2, T().ackWaitMs * 4 + 5_000);
        const second = got.seen[1];
        expect(second).toMatchObject({ node: 'survivor', text: 'orphan', deliveryCount: 2 });
        expect(second.at - got.seen[0].at).toBeGreaterThanOrEqual(T().ackWaitMs - 50);
        expect(second.at - killedAt).toBeLessThan(T().ackWaitMs * 3 + 2_000);
        await eventually('pending 0', async () => (await survivor.pending(streamName())) === 0);
      });

      it('stops redelivering after maxDeliver and gives the message up', async () => {
        const a = await ctx.node('a');
        await stream(a);
        const got = new Deliveries();
        await consume(
          a,
          spec({ maxDeliver: 3 }),
          got.handler('a', () => retry(20)),
        );
        await a.publishDurable(subj('x'), bytes('hopeless'));
        await got.atLeast(3);
        await sleep(T().ackWaitMs * 2);
        expect(got.seen.map((s) => s.deliveryCount)).toEqual([1, 2, 3]);
        expect(await a.pending(streamName())).toBe(0);
      });

      it('keeps at most maxAckPending messages in flight across nodes', async () => {
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const got = new Deliveries();
        const gate = new Gate();
        const held = async () => (await gate.wait(), ack);
        const s = spec({ maxAckPending: 3, ackWaitMs: T().ackWaitMs * 20 });
        await consume(a, s, got.handler('a', held), 5);
        await consume(b, s, got.handler('b', held), 5);
        await publishN(a, 8);
        await eventually('3 in flight', () => got.running === 3);
        await sleep(T().ackWaitMs);
        expect(got.running).toBe(3);
        gate.open();
        await got.atLeast(8);
        expect(got.maxRunning).toBe(3);
        await eventually('pending 0', async () => (await a.pending(streamName())) === 0);
      });

      it('runs at most `concurrency` handlers at once on a node', async () => {
        const a = await ctx.node('a');
        await stream(a);
        const got = new Deliveries();
        const gate = new Gate();
        await consume(
          a,
          spec({ ackWaitMs: T().ackWaitMs * 20 }),
          got.handler('a', async () => (await gate.wait(), ack)),
          4,
        );
        await publishN(a, 10);
        await eventually('4 running', () => got.running === 4);
        await sleep(T().ackWaitMs);
        expect(got.running).toBe(4);
        gate.open();
        await got.atLeast(10);
        expect(got.maxRunning).toBe(4);
      });

      it('handles one message at a time, in order, by default', async () => {
        const a = await ctx.node('a');
        await stream(a);
        await publishN(a, 5);
        const got = new Deliveries();
        await consume(
          a,
          spec(),
          got.handler('a', async () => (await sleep(10), ack)),
        );
        await got.atLeast(5);
        expect(got.seen.map((s) => s.text)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
        expect(got.maxRunning).toBe(1);
      });

      it('stop() lets running handlers finish and applies their outcomes', async () => {
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const got = new Deliveries();
        const gate = new Gate();
        const s = spec({ ackWaitMs: 30_000 });
        const onA = await consume(
          a,
          s,
          got.handler('a', async () => (await gate.wait(), ack)),
          2,
        );
        await publishN(a, 4);
        await eventually('2 running on a', () => got.running === 2);
        const stopping = onA.stop();
        setTimeout(() => gate.open(), 200);
        await stopping;
        expect(got.count()).toBe(2);
        await eventually('the two acks', async () => (await a.pending(streamName())) === 2);
        await consume(b, s, got.handler('b'));
        await got.atLeast(4, 5_000);
        expect(new Set(got.seen.map((x) => x.seq)).size).toBe(4);
        expect(got.seen.slice(2).every((x) => x.node === 'b')).toBe(true);
      });

      it('stop() gives back at once what outlives the drain deadline', async () => {
        const a = await ctx.node('a', { drainTimeoutMs: 300 });
        const b = await ctx.node('b');
        await stream(a);
        const got = new Deliveries();
        const never = new Gate();
        const s = spec({ ackWaitMs: 30_000 });
        await consume(
          a,
          s,
          got.handler('a', async () => (await never.wait(), ack)),
        );
        await a.publishDurable(subj('x'), bytes('stuck'));
        await got.atLeast(1);
        const t0 = Date.now();
        await a.stop();
        expect(Date.now() - t0).toBeLessThan(5_000);
        await consume(b, s, got.handler('b'));
        await got.atLeast(2, 5_000);
        expect(got.seen[1]).toMatchObject({ node: 'b', text: 'stuck', deliveryCount: 2 });
      });

      it('stop() does not hand a message given back while stopping to the stopping node again', async () => {
        // A handler cut short by stop() asks for a retry: the message must reach another node
        // with its delivery budget intact, not bounce between the server and the draining pulls.
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const got = new Deliveries();
        const gate = new Gate();
        const s = spec({ ackWaitMs: 30_000, maxDeliver: 4 });
        // Room for more than one message, so a pull request is still open while a stops.
        const onA = await consume(
          a,
          s,
          got.handler('a', async () => (await gate.wait(), retry(0))),
          4,
        );
        await a.publishDurable(subj('x'), bytes('cut short'));
        await got.atLeast(1);
        const stopping = onA.stop();
        setTimeout(() => gate.open(), 100);
        await stopping;
        expect(got.seen.filter((x) => x.node === 'a')).toHaveLength(1);
        await consume(b, s, got.handler('b'));
        await got.atLeast(2, 10_000);
        expect(got.seen[1]).toMatchObject({ node: 'b', text: 'cut short', deliveryCount: 2 });
      });

      it('stop() while waiting for messages gives back those that arrive meanwhile, at once', async () => {
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const got = new Deliveries();
        const s = spec({ ackWaitMs: 30_000 });
        const onA = await consume(a, s, got.handler('a'), 4);
        await sleep(100);
        const stopping = onA.stop();
        await publishN(b, 5);
        await stopping;
        await consume(b, s, got.handler('b'), 4);
        await eventually('all 5 handled', () => new Set(got.seen.map((x) => x.seq)).size === 5, 5_000);
        await eventually('pending 0', async () => (await b.pending(streamName())) === 0);
      });

      it('working() keeps a long handler from being redelivered', async () => {
        const [a, b] = [await ctx.node('a'), await ctx.node('b')];
        await stream(a);
        const got = new Deliveries();
        const { ackWaitMs } = T();
        const long = async (m: Parameters<Parameters<Bus['consume']>[1]>[0]) => {
          for (let t = 0; t < ackWaitMs * 2.5; t += ackWaitMs / 4) {
            await sleep(ackWaitMs / 4);
            m.working();
          }
          return ack;
        };
        await consume(a, spec(), got.handler('a', long));
        await consume(b, spec(), got.handler('b', long));
        await a.publishDurable(subj('x'), bytes('long'));
        await eventually('pending 0', async () => (await a.pending(streamName())) === 0, ackWaitMs * 6);
        expect(got.count()).toBe(1);
      });

      it('recreates a consumer deleted under it and keeps consuming', async () => {
        const a = await ctx.node('a');
        await stream(a);
        const got = new Deliveries();
        await consume(a, spec(), got.handler('a'));
        await a.publishDurable(subj('x'), bytes('before'));
        await got.atLeast(1);
        // Acks are not confirmed: a delete that nats-server applies before the ack of 'before'
        // loses that ack, and the recreated consumer then rightly delivers 'before' again.
        await eventually('the ack of before', async () => (await a.pending(streamName())) === 0);
        await a.deleteConsumer(streamName(), 'work');
        await a.publishDurable(subj('x'), bytes('after'));
        await got.atLeast(2, 15_000);
        expect(got.seen.map((s) => s.text)).toEqual(['before', 'after']);
      });

      it('rejects a durable whose filter overlaps another on a workqueue stream', async () => {
        const a = await ctx.node('a');
        await stream(a);
        await consume(a, spec({ durable: 'one', filterSubject: subj('x.>') }), new Deliveries().handler('a'));
        await expect(a.consume(spec({ durable: 'two', filterSubject: subj('x.y') }), new Deliveries().handler('a'))).rejects.toBeInstanceOf(
          ConflictError,
        );
        await consume(a, spec({ durable: 'three', filterSubject: subj('z') }), new Deliveries().handler('a'));
      });

      it('rejects consume with NotFoundError when the stream does not exist', async () => {
        const a = await ctx.node('a');
        await expect(a.consume(spec({ stream: `${ctx.prefix}_missing` }), new Deliveries().handler('a'))).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });

      it('limits retention: every durable sees every message, acks keep it, maxAge drops it', async () => {
        const a = await ctx.node('a');
        const maxAgeMs = 1_500;
        await stream(a, 'limits', maxAgeMs);
        const one = new Deliveries();
        const two = new Deliveries();
        await consume(a, spec({ durable: 'one' }), one.handler('a'));
        await consume(a, spec({ durable: 'two' }), two.handler('a'));
        await publishN(a, 3);
        await Promise.all([one.atLeast(3), two.atLeast(3)]);
        await sleep(100);
        expect(await a.pending(streamName())).toBe(3);
        await eventually('maxAge expiry', async () => (await a.pending(streamName())) === 0, maxAgeMs * 4);
        expect([one.count(), two.count()]).toEqual([3, 3]);
      });
    });

    describe('stream state (for metrics)', () => {
      it("counts messages per subject and reports each consumer's pending, in-flight and ack floor", async () => {
        const a = await ctx.node('a');
        await stream(a);
        await publishN(a, 2, 'out.1');
        await publishN(a, 3, 'out.2');
        await a.publishDurable(subj('other'), bytes('x'));
        expect(await a.subjectCounts(streamName(), subj('out.>'))).toEqual({ [subj('out.1')]: 2, [subj('out.2')]: 3 });

        const got = new Deliveries();
        const gate = new Gate();
        await consume(
          a,
          spec({ durable: 'outs', filterSubject: subj('out.>'), maxAckPending: 2, ackWaitMs: T().ackWaitMs * 20 }),
          got.handler('a', async () => (await gate.wait(), ack)),
          2,
        );
        await eventually('2 in flight', () => got.running === 2);
        const held = await a.streamState(streamName());
        expect(held.messages).toBe(6);
        expect(held.consumers).toEqual([{ durable: 'outs', pending: 3, ackPending: 2, redelivered: 0, ackFloor: 0 }]);

        gate.open();
        await got.atLeast(5);
        // With nothing left to deliver the floor reaches the stream's last sequence, past messages the filter skips.
        await eventually('all acked', async () => (await a.streamState(streamName())).consumers[0]?.ackFloor === 6);
        expect(await a.streamState(streamName())).toEqual({
          messages: 1,
          consumers: [{ durable: 'outs', pending: 0, ackPending: 0, redelivered: 0, ackFloor: 6 }],
        });
      });

      it('rejects streamState and subjectCounts with NotFoundError when the stream does not exist', async () => {
        const a = await ctx.node('a');
        await expect(a.streamState(`${ctx.prefix}_missing`)).rejects.toBeInstanceOf(NotFoundError);
        await expect(a.subjectCounts(`${ctx.prefix}_missing`, subj('>'))).rejects.toBeInstanceOf(NotFoundError);
      });
    });

    describeDeadLetters(ctx);
    describeLeases(ctx);
  });
}
