import { randomBytes as nodeRandomBytes } from 'node:crypto';
import type { ObjectIdDeps } from './types.js';

// Layout of a MongoDB ObjectID, which upstream used for carrier uuids (the `/inbound/{uuid}`
// path): 4-byte seconds, 5 bytes random per generator, 3-byte counter starting at random.
const PROCESS_RANDOM_BYTES = 5;
const COUNTER_BYTES = 3;
const COUNTER_MODULO = 2 ** (8 * COUNTER_BYTES);

/**
 * Returns a function giving 24-character lowercase hex ids that sort roughly by creation time.
 * Unique within a generator by the counter (16.7 M ids per second) and across generators and
 * nodes by the 5 random bytes.
 */
export function createObjectIdGenerator(deps: ObjectIdDeps = {}): () => string {
  const now = deps.now ?? Date.now;
  const random = deps.randomBytes ?? nodeRandomBytes;
  const processPart = Buffer.from(random(PROCESS_RANDOM_BYTES));
  let counter = Buffer.from(random(COUNTER_BYTES)).readUIntBE(0, COUNTER_BYTES);
  return () => {
    const id = Buffer.alloc(12);
    id.writeUInt32BE(Math.floor(now() / 1000) % 2 ** 32, 0);
    processPart.copy(id, 4);
    counter = (counter + 1) % COUNTER_MODULO;
    id.writeUIntBE(counter, 9, COUNTER_BYTES);
    return id.toString('hex');
  };
}

// Shared by the whole process on purpose, like MongoDB's driver: it holds no connection, and one
// counter makes ids from every node in a test process unique by construction.
let defaultGenerator: (() => string) | undefined;

/** A new ObjectID-style id (24 lowercase hex chars), e.g. a carrier uuid. */
export function generateObjectId(): string {
  defaultGenerator ??= createObjectIdGenerator();
  return defaultGenerator();
}
