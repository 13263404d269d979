import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { UnavailableError } from '../errors/index.js';
import type { KvBucket, KvEntry } from './durable-types.js';
import { assertKvKey } from './subject.js';

/**
 * KvBucket over a NATS KV bucket (@nats-io/kv). A revision check that fails ("wrong last
 * sequence") is an answer, null or false, not an error; anything else is UnavailableError.
 * Deleted and purged entries read as absent.
 */
export class NatsKv implements KvBucket {
  constructor(
    private readonly kv: KV,
    private readonly bucket: string,
    private readonly timeoutMs: number,
  ) {}

  async get(key: string): Promise<KvEntry | null> {
    assertKvKey(key);
    try {
      const e = await this.kv.get(key);
      return e && e.operation === 'PUT' ? { value: e.string(), revision: e.revision } : null;
    } catch (err) {
      throw this.#unavailable('get', key, err);
    }
  }

  create(key: string, value: string): Promise<number | null> {
    return this.#checked('create', key, () => this.kv.create(key, value));
  }

  update(key: string, value: string, revision: number): Promise<number | null> {
    return this.#checked('update', key, () => this.kv.update(key, value, revision, this.timeoutMs));
  }

  async delete(key: string, revision?: number): Promise<boolean> {
    const done = await this.#checked('delete', key, async () => {
      await this.kv.delete(key, revision !== undefined ? { previousSeq: revision } : undefined);
      return 1;
    });
    return done !== null;
  }

  async #checked(op: string, key: string, fn: () => Promise<number>): Promise<number | null> {
    assertKvKey(key);
    try {
      return await fn();
    } catch (err) {
      if (isWrongLastSequence(err)) return null;
      throw this.#unavailable(op, key, err);
    }
  }

  #unavailable(op: string, key: string, err: unknown): UnavailableError {
    return new UnavailableError(`KV ${op} of ${this.bucket}/${key} failed`, { cause: err });
  }
}

function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence || err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
