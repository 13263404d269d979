import { describeDurableBus } from '../../test/conformance/durable-bus.js';
import { MemoryBus, MemoryBusHub } from './memory.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describeDurableBus('MemoryBus', () => {
  const hub = new MemoryBusHub();
  return {
    newBus: (nodeId, opts) => new MemoryBus(hub, { nodeId, logger: quiet }, opts),
    newKillableBus: async (nodeId) => {
      const bus = new MemoryBus(hub, { nodeId, logger: quiet });
      await bus.start();
      return { bus, kill: async () => bus.kill() };
    },
    timing: { ackWaitMs: 300, ttlMs: 600 },
  };
});
