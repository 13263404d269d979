import { describe, expect, it } from 'vitest';
import { HANDLER_ERROR_RETRY_MS } from './durable-types.js';
import { ack, createBus, MemoryBusHub } from './index.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** When each delivery of one message started, for a handler that throws on the first `throws` of them. */
async function deliveryTimes(handlerRetryMs: number | undefined, throws: number): Promise<number[]> {
  const options = handlerRetryMs ? { handlerRetryMs } : {};
  const bus = createBus({ kind: 'memory', hub: new MemoryBusHub(), ...options }, { nodeId: 'n1', logger: quiet });
  await bus.start();
  const at: number[] = [];
  try {
    await bus.ensureStream({ name: 'S', subjects: ['s.>'], retention: 'workqueue' });
    const consumer = await bus.consume({ stream: 'S', durable: 'work', filterSubject: 's.>', ackWaitMs: 30_000 }, async () => {
      at.push(Date.now());
      if (at.length <= throws) throw new Error('handler bug (expected in this test)');
      return ack;
    });
    await bus.publishDurable('s.x', new TextEncoder().encode('x'));
    const deadline = Date.now() + 10_000;
    while (at.length <= throws && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await consumer.stop();
  } finally {
    await bus.stop();
  }
  return at;
}

describe('the retry delay after a handler threw', () => {
  it('is HANDLER_ERROR_RETRY_MS by default', async () => {
    const [first, second] = await deliveryTimes(undefined, 1);
    expect(second! - first!).toBeGreaterThanOrEqual(HANDLER_ERROR_RETRY_MS - 20);
  });

  it('starts at the bus option handlerRetryMs and doubles per delivery', async () => {
    const [first, second, third] = await deliveryTimes(50, 2);
    expect(second! - first!).toBeGreaterThanOrEqual(40);
    expect(second! - first!).toBeLessThan(HANDLER_ERROR_RETRY_MS / 2);
    expect(third! - second!).toBeGreaterThanOrEqual(90);
    expect(third! - second!).toBeLessThan(HANDLER_ERROR_RETRY_MS / 2);
  });
});
