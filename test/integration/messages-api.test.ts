/**
 * Web client messaging (POST /messages/send, /messages, GET /messages/history) and carrier
 * webhooks (/inbound/{uuid}) over real HTTP: on PGlite with the in-process bus (the embedded
 * default), and on a real PostgreSQL with a real nats-server (skipped, saying why, without them).
 */
import { describe } from 'vitest';
import { createBus, MemoryBusHub } from '../../internal/bus/index.js';
import { createStore } from '../../internal/store/index.js';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { storeDeps } from './admin-api/harness.js';
import { describeMessagesApi } from './messages-api/suite.js';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describeMessagesApi('PGlite + MemoryBus', async () => {
  const hub = new MemoryBusHub();
  const newBus = async () => {
    const bus = createBus({ kind: 'memory', hub }, { nodeId: 'web-node-1', logger: quiet });
    await bus.start();
    return bus;
  };
  return { store: await createStore({ driver: 'pglite' }, storeDeps()), bus: await newBus(), prefix: '', otherBus: newBus };
});

const svc = requireServices(['nats', 'postgres']);
describe.skipIf(svc.skip)(svc.title('PostgreSQL + nats-server'), () => {
  describeMessagesApi('PostgreSQL + nats-server', async () => {
    const newBus = async () => {
      const bus = createBus({ kind: 'nats', servers: [svc.urls.nats] }, { nodeId: 'web-node-1', logger: quiet });
      await bus.start();
      return bus;
    };
    const url = await createTestDatabase('messages_api');
    return {
      store: await createStore({ driver: 'pg', url }, storeDeps()),
      bus: await newBus(),
      prefix: uniquePrefix('msg'),
      otherBus: newBus,
    };
  });
});
