import { RedisScript, safeRedisError, type Redis } from '../redis/index.js';
import { UnavailableError } from '../errors/index.js';
import { checkPart, partBytes, ReassemblyFullError } from './concat-part.js';
import type { AddOptions, ConcatPart, ExpiredSet, Reassembler, ReassemblyLimits } from './ports.js';

export interface RedisReassemblerOptions extends ReassemblyLimits {
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

// Lowers a client's usage (KEYS-independent: the client hash is named by the caller) and drops
// the hash when the client has no open set left, so nothing stays behind.
const RELEASE = `
local function release(client, sets, bytes)
  local left = redis.call('HINCRBY', client, 'sets', -sets)
  redis.call('HINCRBY', client, 'bytes', -bytes)
  if left <= 0 then redis.call('DEL', client) end
end
`;

// Completes a set atomically: only the call whose part makes HLEN reach total reads and deletes
// it, so exactly one caller cluster-wide gets the parts. A repeated seq changes nothing. A set
// is open while the expiry index lists it; its bytes are kept in the sizes hash and the client's
// open sets and bytes in the client hash, so completion and expiry can give them back. A part
// that would not complete its set is refused (nothing stored) when it takes the client past its
// limits, unless ARGV[10] is '1' (a part put back).
// KEYS: set hash, expiry index, sizes hash, client hash.
// ARGV: seq, part JSON, total, first-part time, key TTL ms, set id, part bytes, max sets,
//       max bytes, restore.
const ADD = new RedisScript(
  RELEASE +
    `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return false end
local opening = not redis.call('ZSCORE', KEYS[2], ARGV[6])
local bytes = tonumber(ARGV[7])
if redis.call('HLEN', KEYS[1]) + 1 >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  local parts = redis.call('HVALS', KEYS[1])
  redis.call('DEL', KEYS[1])
  if not opening then
    local held = tonumber(redis.call('HGET', KEYS[3], ARGV[6]) or '0')
    redis.call('ZREM', KEYS[2], ARGV[6])
    redis.call('HDEL', KEYS[3], ARGV[6])
    release(KEYS[4], 1, held)
  end
  return parts
end
if ARGV[10] ~= '1' then
  local sets = tonumber(redis.call('HGET', KEYS[4], 'sets') or '0')
  local held = tonumber(redis.call('HGET', KEYS[4], 'bytes') or '0')
  if (opening and sets >= tonumber(ARGV[8])) or held + bytes > tonumber(ARGV[9]) then return 'full' end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('HLEN', KEYS[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
if opening then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[6])
  redis.call('HINCRBY', KEYS[4], 'sets', 1)
end
redis.call('HINCRBY', KEYS[3], ARGV[6], bytes)
redis.call('HINCRBY', KEYS[4], 'bytes', bytes)
return false
`,
);

// Claims expired sets atomically (read, delete, unindex, give the client its usage back), so
// each goes to exactly one caller and a set cannot both complete and expire. The set and client
// hashes are derived from the index members (a set id starts with its client id), so this
// script, like the data, expects a single Redis (not Redis Cluster).
// KEYS: expiry index, sizes hash. ARGV: cutoff time (inclusive), set key prefix, batch size,
// client key prefix.
// Returns a flat list: set id, its part JSONs, set id, its part JSONs, ...
const TAKE_EXPIRED = new RedisScript(
  RELEASE +
    `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local key = ARGV[2] .. id
  out[#out + 1] = id
  out[#out + 1] = redis.call('HVALS', key)
  redis.call('DEL', key)
  local held = tonumber(redis.call('HGET', KEYS[2], id) or '0')
  redis.call('HDEL', KEYS[2], id)
  release(ARGV[4] .. string.match(id, '^[^:]*'), 1, held)
end
if #ids > 0 then redis.call('ZREM', KEYS[1], unpack(ids)) end
return out
`,
);

/**
 * Reassembly shared by every node through Redis. Each set is a hash (seq → part JSON) keyed by
 * (clientId, from, to, ref, total) that lives 2× ttl; a sorted set indexes pending sets by
 * their first part's `receivedAt` for takeExpired(); a hash keeps each open set's bytes and one
 * per client its open sets and bytes, for the ReassemblyLimits. Both operations are single Lua
 * scripts.
 *
 * Every Redis failure rejects with UnavailableError (the client does not queue or retry, so a
 * down Redis rejects within its command timeout).
 */
export class RedisReassembler implements Reassembler {
  readonly #redis: Redis;
  readonly #opts: RedisReassemblerOptions;
  readonly #keyTtlMs: number;
  readonly #setPrefix: string;
  readonly #clientPrefix: string;
  readonly #indexKey: string;
  readonly #sizesKey: string;
  #closed = false;

  constructor(opts: RedisReassemblerOptions, deps: RedisReassemblerDeps) {
    this.#redis = deps.redis;
    this.#opts = opts;
    this.#keyTtlMs = Math.max(2 * opts.ttlMs, opts.ttlMs + MIN_KEY_TTL_MARGIN_MS);
    this.#setPrefix = `${opts.keyPrefix}set:`;
    this.#clientPrefix = `${opts.keyPrefix}client:`;
    this.#indexKey = `${opts.keyPrefix}expiry`;
    this.#sizesKey = `${opts.keyPrefix}sizes`;
  }

  async add(part: ConcatPart, options: AddOptions = {}): Promise<ConcatPart[] | null> {
    this.#checkOpen();
    checkPart(part);
    const id = setId(part);
    const keys = [this.#setPrefix + id, this.#indexKey, this.#sizesKey, this.#clientPrefix + part.clientId];
    const args = [
      part.seq,
      JSON.stringify(part),
      part.total,
      part.receivedAt,
      this.#keyTtlMs,
      id,
      partBytes(part),
      this.#opts.maxOpenSetsPerClient,
      this.#opts.maxOpenBytesPerClient,
      options.restore ? 1 : 0,
    ];
    const reply = await this.#run(ADD, keys, args);
    if (reply === 'full') throw new ReassemblyFullError(part.clientId);
    return reply === null ? null : decodeParts(reply);
  }

  async takeExpired(now = Date.now()): Promise<ExpiredSet[]> {
    this.#checkOpen();
    const expired: ExpiredSet[] = [];
    for (;;) {
      const reply = await this.#run(
        TAKE_EXPIRED,
        [this.#indexKey, this.#sizesKey],
        [now - this.#opts.ttlMs, this.#setPrefix, EXPIRE_BATCH, this.#clientPrefix],
      );
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
