import { describeBus } from '../../test/conformance/bus.js';
import { createBus, MemoryBusHub } from './index.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describeBus('MemoryBus', () => {
  const hub = new MemoryBusHub();
  return { newBus: (nodeId) => createBus({ kind: 'memory', hub }, { nodeId, logger: quiet }) };
});
