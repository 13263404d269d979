import { RedisScript, safeRedisError, type Redis } from '../cluster/index.js';
import { UnavailableError } from '../errors/index.js';
import { checkPart } from './concat-part.js';
import type { ConcatPart, ExpiredSet, Reassembler } from './ports.js';

export interface RedisReassemblerOptions {
  /** A set whose first part arrived this long ago is expired by takeExpired(). */
  ttlMs: number;
  /** Prepended to every key, e.g. `msggw:reassembly:`; tests use a unique one each. */
  keyPrefix: string;
}

export interface RedisReassemblerDeps {
  /** A client from connectRedis (fails fast when Redis is down). Shared: close() leaves it open. */
  redis: Redis;
}

/**
 * The sweep runs periodically, so a set is claimed up to one sweep interval after its TTL: its
 * parts must outlive that. Keys live 2× ttl, and at least this much longer than ttl.
 */
const MIN_KEY_TTL_MARGIN_MS = 30_000;
/** Sets claimed per takeExpired script run, so one run never blocks Redis for long. */
const EXPIRE_BATCH = 100;

// Completes a set atomically: only the call whose HSETNX makes HLEN reach total reads and deletes
// it, so exactly one caller cluster-wide gets the parts. A repeated seq changes nothing.
// KEYS: set hash, expiry index. ARGV: seq, part JSON, total, first-part time, key TTL ms, set id.
const ADD = new RedisScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return false end
local count = redis.call('HLEN', KEYS[1])
if count >= tonumber(ARGV[3]) then
  local parts = redis.call('HVALS', KEYS[1])
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[6])
  return parts
end
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
end
return false
`);

// Claims expired sets atomically (read, delete, unindex), so each goes to exactly one caller and
// a set cannot both complete and expire. The set hashes are derived from the index members, so
// this script, like the data, expects a single Redis (not Redis Cluster).
// KEYS: expiry index. ARGV: cutoff time (inclusive), set key prefix, batch size.
// Returns a flat list: set id, its part JSONs, set id, its part JSONs, ...
const TAKE_EXPIRED = new RedisScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  out[#out + 1] = id
  out[#out + 1] = redis.call('HVALS', key)
  redis.call('DEL', key)
end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return out
`);

/**
 * Reassembly shared by every node through Redis. Each set is a hash (seq → part JSON) keyed by
 * (clientId, from, to, ref, total) that lives 2× ttl; a sorted set indexes pending sets by
 * their first part's `receivedAt` for takeExpired(). Both operations are single Lua scripts.
 *
 * Every Redis failure rejects with UnavailableError (the client does not queue or retry, so a
 * down Redis rejects within its command timeout).
 */
export class RedisReassembler implements Reassembler {
  readonly #redis: Redis;
  readonly #ttlMs: number;
  readonly #keyTtlMs: number;
  readonly #setPrefix: string;
  readonly #indexKey: string;
  #closed = false;

  constructor(opts: RedisReassemblerOptions, deps: RedisReassemblerDeps) {
    this.#redis = deps.redis;
    this.#ttlMs = opts.ttlMs;
    this.#keyTtlMs = Math.max(2 * opts.ttlMs, opts.ttlMs + MIN_KEY_TTL_MARGIN_MS);
    this.#setPrefix = `${opts.keyPrefix}set:`;
    this.#indexKey = `${opts.keyPrefix}expiry`;
  }

  async add(part: ConcatPart): Promise<ConcatPart[] | null> {
    this.#checkOpen();
    checkPart(part);
    const id = setId(part);
    const args = [part.seq, JSON.stringify(part), part.total, part.receivedAt, this.#keyTtlMs, id];
    const reply = await this.#run(ADD, [this.#setPrefix + id, this.#indexKey], args);
    return reply === null ? null : decodeParts(reply);
  }

  async takeExpired(now = Date.now()): Promise<ExpiredSet[]> {
    this.#checkOpen();
    const expired: ExpiredSet[] = [];
    for (;;) {
      const reply = await this.#run(TAKE_EXPIRED, [this.#indexKey], [now - this.#ttlMs, this.#setPrefix, EXPIRE_BATCH]);
      const claimed = decodeExpired(reply);
      // A set whose hash Redis already dropped (no sweep for 2× ttl) has nothing left to report.
      expired.push(...claimed.filter((s) => s.parts.length > 0));
      if (claimed.length < EXPIRE_BATCH) return expired;
    }
  }

  /** Stops this reassembler; the shared Redis client stays open for its owner to close. */
  async close(): Promise<void> {
    this.#closed = true;
  }

  async #run(script: RedisScript, keys: string[], args: Array<string | number>): Promise<unknown> {
    try {
      return await script.run(this.#redis, keys, args);
    } catch (err) {
      throw new UnavailableError('reassembly store (redis) unavailable', { cause: safeRedisError(err) });
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new UnavailableError('reassembler is closed');
  }
}

/** `clientId:from:to:ref:total`, from and to URI-encoded so the id splits back unambiguously. */
function setId(p: ConcatPart): string {
  return [p.clientId, encodeURIComponent(p.from), encodeURIComponent(p.to), p.ref, p.total].join(':');
}

function parseSetId(id: string): Omit<ExpiredSet, 'parts'> {
  const [clientId, from, to, ref, total] = id.split(':');
  return {
    clientId: Number(clientId),
    from: decodeURIComponent(from),
    to: decodeURIComponent(to),
    ref: Number(ref),
    total: Number(total),
  };
}

function decodeParts(reply: unknown): ConcatPart[] {
  if (!Array.isArray(reply)) throw new TypeError('reassembly script returned a non-list');
  return reply.map((json) => JSON.parse(String(json)) as ConcatPart).sort((a, b) => a.seq - b.seq);
}

function decodeExpired(reply: unknown): ExpiredSet[] {
  if (!Array.isArray(reply)) throw new TypeError('reassembly expiry script returned a non-list');
  const sets: ExpiredSet[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    sets.push({ ...parseSetId(String(reply[i])), parts: decodeParts(reply[i + 1]) });
  }
  return sets;
}
