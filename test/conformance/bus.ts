/**
 * The Bus contract as tests, run against every implementation:
 *
 *   describeBus('MemoryBus', () => { const hub = new MemoryBusHub(); return { newBus: (id) => createBus({ kind: 'memory', hub }, { nodeId: id }) }; });
 *
 * `newBus` must return unstarted buses that share one network (one hub, one nats-server), so a
 * test can play several nodes. Every test uses its own random subject prefix and stops the
 * buses it made.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnavailableError, ValidationError } from '../../internal/errors/index.js';
import type { Bus, BusMsg } from '../../internal/bus/index.js';

export interface BusFixture {
  /** A new, unstarted bus on the shared network, for node `nodeId`. */
  newBus(nodeId: string): Bus;
  /** Called after each test, once its buses are stopped. */
  close?(): Promise<void>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const bytes = (s: string): Uint8Array => enc.encode(s);
const text = (b: Uint8Array): string => dec.decode(b);

/** Collects messages delivered to a handler and waits for a count. */
class Received {
  readonly msgs: BusMsg[] = [];
  #waiters: Array<() => void> = [];

  readonly handler = (msg: BusMsg): void => {
    this.msgs.push(msg);
    for (const w of this.#waiters.splice(0)) w();
  };

  get texts(): string[] {
    return this.msgs.map((m) => text(m.data));
  }

  async atLeast(n: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.msgs.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} messages, got ${this.msgs.length}: ${JSON.stringify(this.texts)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function describeBus(name: string, setup: () => BusFixture | Promise<BusFixture>): void {
  describe(`Bus conformance: ${name}`, () => {
    let fixture: BusFixture;
    let buses: Bus[];
    let p: string;
    /** A started bus for node `id`, stopped after the test. */
    const node = async (id: string): Promise<Bus> => {
      const bus = fixture.newBus(`${p}-${id}`);
      buses.push(bus);
      await bus.start();
      return bus;
    };
    const subj = (s: string): string => `${p}.${s}`;

    beforeEach(async () => {
      fixture = await setup();
      buses = [];
      p = `t${randomBytes(5).toString('hex')}`;
    });

    afterEach(async () => {
      await Promise.allSettled(buses.map((b) => b.stop()));
      await fixture.close?.();
    });

    describe('publish/subscribe', () => {
      it('delivers a published message to a subscriber on another node', async () => {
        const [a, b] = [await node('a'), await node('b')];
        const got = new Received();
        await b.subscribe(subj('greet'), got.handler);
        await a.publish(subj('greet'), bytes('hello'));
        await got.atLeast(1);
        expect(got.msgs[0].subject).toBe(subj('greet'));
        expect(got.texts).toEqual(['hello']);
        expect(got.msgs[0].reply).toBeUndefined();
      });

      it('matches * against exactly one token', async () => {
        const bus = await node('a');
        const star = new Received();
        const all = new Received();
        await bus.subscribe(subj('cfg.*'), star.handler);
        await bus.subscribe(subj('>'), all.handler);
        for (const s of ['cfg.client', 'cfg.client.7', 'cfg', 'cfg.carrier']) await bus.publish(subj(s), bytes(s));
        await all.atLeast(4);
        await star.atLeast(2);
        expect(star.msgs.map((m) => m.subject).sort()).toEqual([subj('cfg.carrier'), subj('cfg.client')]);
      });

      it('matches a final > against one or more tokens, but not zero', async () => {
        const bus = await node('a');
        const gt = new Received();
        const all = new Received();
        await bus.subscribe(subj('msg.out.>'), gt.handler);
        await bus.subscribe(subj('>'), all.handler);
        for (const s of ['msg.out', 'msg.out.smpp', 'msg.out.smpp.42', 'msg.in.smpp']) await bus.publish(subj(s), bytes(s));
        await all.atLeast(4);
        await gt.atLeast(2);
        expect(gt.texts.sort()).toEqual(['msg.out.smpp', 'msg.out.smpp.42']);
      });

      it('delivers one message to every subscriber, on every node', async () => {
        const [a, b, c] = [await node('a'), await node('b'), await node('c')];
        const onB = new Received();
        const onC = new Received();
        await b.subscribe(subj('cfg.changed'), onB.handler);
        await c.subscribe(subj('cfg.changed'), onC.handler);
        await a.publish(subj('cfg.changed'), bytes('x'));
        await Promise.all([onB.atLeast(1), onC.atLeast(1)]);
        expect([onB.texts, onC.texts]).toEqual([['x'], ['x']]);
      });

      it('gives each handler its own copy of the data', async () => {
        const bus = await node('a');
        const first = new Received();
        const second = new Received();
        await bus.subscribe(subj('copy'), (m) => {
          m.data[0] = 0x21;
          first.handler(m);
        });
        await bus.subscribe(subj('copy'), second.handler);
        const payload = bytes('abc');
        await bus.publish(subj('copy'), payload);
        await Promise.all([first.atLeast(1), second.atLeast(1)]);
        expect(second.texts).toEqual(['abc']);
        expect(text(payload)).toBe('abc');
      });

      it('stops delivering after unsubscribe', async () => {
        const [a, b] = [await node('a'), await node('b')];
        const gone = new Received();
        const sentinel = new Received();
        const sub = await b.subscribe(subj('u'), gone.handler);
        await b.subscribe(subj('u'), sentinel.handler);
        await a.publish(subj('u'), bytes('1'));
        await Promise.all([gone.atLeast(1), sentinel.atLeast(1)]);
        sub.unsubscribe();
        sub.unsubscribe();
        await a.publish(subj('u'), bytes('2'));
        await a.publish(subj('u'), bytes('3'));
        await sentinel.atLeast(3);
        expect(gone.texts).toEqual(['1']);
      });

      it('keeps a subscription going after its handler throws or rejects', async () => {
        const bus = await node('a');
        const got = new Received();
        let calls = 0;
        await bus.subscribe(subj('boom'), async (m) => {
          calls++;
          if (calls === 1) throw new Error('first fails (expected in this test)');
          if (calls === 2) return Promise.reject(new Error('second rejects (expected in this test)'));
          got.handler(m);
        });
        for (const n of ['1', '2', '3']) await bus.publish(subj('boom'), bytes(n));
        await got.atLeast(1);
        expect(got.texts).toEqual(['3']);
      });

      it('rejects invalid subjects with ValidationError', async () => {
        const bus = await node('a');
        await expect(bus.publish(subj('a.*'), bytes(''))).rejects.toBeInstanceOf(ValidationError);
        await expect(bus.publish(subj('a.>'), bytes(''))).rejects.toBeInstanceOf(ValidationError);
        await expect(bus.publish(`${p}..a`, bytes(''))).rejects.toBeInstanceOf(ValidationError);
        await expect(bus.publish('', bytes(''))).rejects.toBeInstanceOf(ValidationError);
        await expect(bus.subscribe(subj('>.a'), () => undefined)).rejects.toBeInstanceOf(ValidationError);
        await expect(bus.subscribe(subj('a b'), () => undefined)).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('request/reply', () => {
      it('resolves with the answer the handler returns', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await b.subscribe(subj('echo'), (m) => {
          expect(m.reply).toBeTruthy();
          return bytes(`echo:${text(m.data)}`);
        });
        const answer = await a.request(subj('echo'), bytes('ping'), { timeoutMs: 2_000 });
        expect(text(answer)).toBe('echo:ping');
      });

      it('resolves with an answer from an async handler', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await b.subscribe(subj('slow'), async (m) => {
          await sleep(50);
          return bytes(text(m.data).toUpperCase());
        });
        expect(text(await a.request(subj('slow'), bytes('hi'), { timeoutMs: 2_000 }))).toBe('HI');
      });

      it('rejects with UnavailableError when no answer comes within timeoutMs', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await b.subscribe(subj('mute'), () => undefined);
        const started = Date.now();
        const err = await a.request(subj('mute'), bytes('?'), { timeoutMs: 200 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnavailableError);
        expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      });

      it('rejects with UnavailableError at once when nobody is subscribed', async () => {
        const a = await node('a');
        const started = Date.now();
        const err = await a.request(subj('nobody'), bytes('?'), { timeoutMs: 5_000 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(UnavailableError);
        expect(Date.now() - started).toBeLessThan(2_000);
      });
    });

    describe('gather', () => {
      it('collects the answer of every responder until the timeout', async () => {
        const nodes = [await node('a'), await node('b'), await node('c')];
        await Promise.all(nodes.map((n, i) => n.subscribe(subj('stats.collect'), () => bytes(`node${i}`))));
        const asker = await node('asker');
        const answers = await asker.gather(subj('stats.collect'), bytes('{}'), { timeoutMs: 500 });
        expect(answers.map(text).sort()).toEqual(['node0', 'node1', 'node2']);
      });

      it('includes a responder on the asking node itself', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await a.subscribe(subj('g'), () => bytes('a'));
        await b.subscribe(subj('g'), () => bytes('b'));
        const answers = await a.gather(subj('g'), bytes(''), { timeoutMs: 300 });
        expect(answers.map(text).sort()).toEqual(['a', 'b']);
      });

      it('returns early once max answers arrived', async () => {
        const nodes = [await node('a'), await node('b'), await node('c')];
        await Promise.all(nodes.map((n) => n.subscribe(subj('g'), () => bytes('x'))));
        const started = Date.now();
        const answers = await nodes[0].gather(subj('g'), bytes(''), { timeoutMs: 5_000, max: 2 });
        expect(answers).toHaveLength(2);
        expect(Date.now() - started).toBeLessThan(2_000);
      });

      it('leaves out responders that answer nothing', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await a.subscribe(subj('g'), () => bytes('yes'));
        await b.subscribe(subj('g'), () => undefined);
        expect((await a.gather(subj('g'), bytes(''), { timeoutMs: 300 })).map(text)).toEqual(['yes']);
      });

      it('resolves [] at once when nobody is subscribed', async () => {
        const a = await node('a');
        const started = Date.now();
        expect(await a.gather(subj('nobody'), bytes(''), { timeoutMs: 5_000 })).toEqual([]);
        expect(Date.now() - started).toBeLessThan(2_000);
      });
    });

    describe('lifecycle', () => {
      it('rejects use before start with UnavailableError', async () => {
        const bus = fixture.newBus(`${p}-new`);
        buses.push(bus);
        await expect(bus.publish(subj('x'), bytes(''))).rejects.toBeInstanceOf(UnavailableError);
        await expect(bus.subscribe(subj('x'), () => undefined)).rejects.toBeInstanceOf(UnavailableError);
      });

      it('stops idempotently, resolves closed() with undefined, and refuses use afterwards', async () => {
        const bus = await node('a');
        await bus.subscribe(subj('x'), () => undefined);
        const first = bus.stop();
        expect(bus.stop()).toBe(first);
        await first;
        await bus.stop();
        expect(await bus.closed()).toBeUndefined();
        await expect(bus.publish(subj('x'), bytes(''))).rejects.toBeInstanceOf(UnavailableError);
        await expect(bus.request(subj('x'), bytes(''), { timeoutMs: 100 })).rejects.toBeInstanceOf(UnavailableError);
        await expect(bus.gather(subj('x'), bytes(''), { timeoutMs: 100 })).rejects.toBeInstanceOf(UnavailableError);
        await expect(bus.subscribe(subj('x'), () => undefined)).rejects.toBeInstanceOf(UnavailableError);
      });

      it('stops a bus that was never started', async () => {
        const bus = fixture.newBus(`${p}-never`);
        await bus.stop();
        expect(await bus.closed()).toBeUndefined();
      });

      it('lets a running handler finish and send its answer before stopping', async () => {
        const [a, b] = [await node('a'), await node('b')];
        let entered!: () => void;
        const inHandler = new Promise<void>((r) => (entered = r));
        await b.subscribe(subj('work'), async () => {
          entered();
          await sleep(150);
          return bytes('done');
        });
        const answer = a.request(subj('work'), bytes(''), { timeoutMs: 3_000 });
        await inHandler;
        await b.stop();
        expect(text(await answer)).toBe('done');
      });

      it('rejects its own pending request with UnavailableError when stopped', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await b.subscribe(subj('slow'), async () => {
          await sleep(1_000);
          return bytes('late');
        });
        const pending = a.request(subj('slow'), bytes(''), { timeoutMs: 10_000 }).catch((e: unknown) => e);
        await sleep(100);
        const started = Date.now();
        await a.stop();
        expect(await pending).toBeInstanceOf(UnavailableError);
        expect(Date.now() - started).toBeLessThan(900);
      });

      it('resolves a pending gather with what it has when stopped', async () => {
        const [a, b] = [await node('a'), await node('b')];
        await b.subscribe(subj('g'), () => bytes('b'));
        const gathering = a.gather(subj('g'), bytes(''), { timeoutMs: 10_000 });
        await sleep(100);
        const started = Date.now();
        await a.stop();
        expect((await gathering).map(text)).toEqual(['b']);
        expect(Date.now() - started).toBeLessThan(5_000);
      });
    });
  });
}
