import { afterEach, describe, expect, it } from 'vitest';
import { UnavailableError } from '../../internal/errors/index.js';
import { createBus, type Bus } from '../../internal/bus/index.js';
import { describeBus } from '../conformance/bus.js';
import { requireServices, uniquePrefix } from '../support/env.js';
import { startNats, type RunningNats } from '../support/services.js';

const svc = requireServices(['nats']);
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(svc.skip)(svc.title('NatsBus'), () => {
  describeBus('NatsBus', () => ({
    newBus: (nodeId) => createBus({ kind: 'nats', servers: [svc.urls.nats] }, { nodeId, logger: quiet }),
  }));

  describe('connection', () => {
    // These tests restart a server, so each gets a private nats-server rather than the shared one.
    const cleanup: Array<() => Promise<void>> = [];
    afterEach(async () => {
      for (const fn of cleanup.splice(0).reverse()) await fn().catch(() => undefined);
    });
    const server = async (opts: Parameters<typeof startNats>[0] = {}): Promise<RunningNats> => {
      const s = await startNats(opts);
      cleanup.push(() => s.stop());
      return s;
    };
    const bus = async (url: string, nodeId: string): Promise<Bus> => {
      const b = createBus({ kind: 'nats', servers: [url], reconnectWaitMs: 100 }, { nodeId, logger: quiet });
      cleanup.push(() => b.stop());
      await b.start();
      return b;
    };

    it('rejects start() with UnavailableError when no server listens', async () => {
      const b = createBus({ kind: 'nats', servers: ['nats://127.0.0.1:1'], connectTimeoutMs: 500 }, { nodeId: 'n', logger: quiet });
      await expect(b.start()).rejects.toBeInstanceOf(UnavailableError);
      await b.stop();
      expect(await b.closed()).toBeUndefined();
    });

    it('keeps its subscriptions across a server restart', async () => {
      const first = await server();
      const port = Number(new URL(first.url).port);
      const [a, b] = [await bus(first.url, 'a'), await bus(first.url, 'b')];
      const subject = `${uniquePrefix()}.restart`;
      const got: string[] = [];
      await b.subscribe(subject, (m) => void got.push(new TextDecoder().decode(m.data)));

      await first.stop();
      await server({ port });
      for (let i = 0; !got.includes('after') && i < 100; i++) {
        await a.publish(subject, bytes('after'));
        await sleep(100);
      }
      expect(got).toContain('after');
      let closed = false;
      void a.closed().then(() => (closed = true));
      await sleep(0);
      expect(closed).toBe(false);
    });

    it('resolves closed() with an Error when the connection ends on its own', async () => {
      const first = await server();
      const port = Number(new URL(first.url).port);
      const a = await bus(first.url, 'a');
      await first.stop();
      // The restarted server demands credentials the bus does not have: the client gives up.
      await server({ port, extraArgs: ['--user', 'someone', '--pass', 'secret'] });
      const ended = await Promise.race([a.closed(), sleep(15_000).then(() => 'still open')]);
      expect(ended).toBeInstanceOf(Error);
      await expect(a.publish('x', bytes(''))).rejects.toBeInstanceOf(UnavailableError);
      await a.stop();
    });
  });
});
