import { PostgresDialect } from 'kysely';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { PGlitePool } from './pglite-pool.js';
import { openPGlite } from './pglite-open.js';
import { KyselyStore } from './kysely-store.js';
import type { SecretCodec } from './secrets.js';
import type { Store } from './types.js';

const INT8_OID = 20;
/** pg pool size per node: enough for the admin API and batched record writes. */
const DEFAULT_POOL_SIZE = 10;

export type StoreConfig =
  | {
      driver: 'pglite';
      /** undefined = in memory (tests) */ dataDir?: string;
      /** PostgreSQL's buffer cache inside PGlite; default DEFAULT_PGLITE_SHARED_BUFFERS_MB (16). */
      sharedBuffersMb?: number;
    }
  | { driver: 'pg'; url: string; poolSize?: number };

export interface StoreDeps {
  secretBox: SecretCodec;
  /**
   * Told when the server drops an idle pooled connection (it stopped or restarted). pg's Pool
   * emits those as 'error' events, which would end the process if nobody listened; the pool
   * reconnects on its next query by itself.
   */
  onConnectionLost?: (err: Error) => void;
}

// bigserial ids and counts fit in a double for any realistic lifetime; strings would leak
// driver detail into every caller.
const parseInt8 = (value: string): number => Number(value);

/** Opens the store the configuration names. Call migrate() and verifySecrets() before use. */
export async function createStore(cfg: StoreConfig, deps: StoreDeps): Promise<Store> {
  const storeDeps = { codec: deps.secretBox, newWebhookSecret: () => randomBytes(32).toString('hex') };
  if (cfg.driver === 'pg') {
    const pool = new pg.Pool({
      connectionString: cfg.url,
      max: cfg.poolSize ?? DEFAULT_POOL_SIZE,
      types: {
        getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === INT8_OID ? parseInt8 : pg.types.getTypeParser(oid, format)),
      } as pg.CustomTypesConfig,
    });
    // The pool hears an idle connection's error; a checked-out one between two queries (in a
    // transaction) emits its own, which unheard would end the process when PostgreSQL stops.
    pool.on('error', (err) => deps.onConnectionLost?.(err));
    pool.on('connect', (client) => client.on('error', (err) => deps.onConnectionLost?.(err)));
    return new KyselyStore('pg', new PostgresDialect({ pool }), storeDeps);
  }
  const pglite = await openPGlite({ dataDir: cfg.dataDir, sharedBuffersMb: cfg.sharedBuffersMb, parsers: { [INT8_OID]: parseInt8 } });
  const pool = new PGlitePool(pglite);
  return new KyselyStore('pglite', new PostgresDialect({ pool: pool as unknown as pg.Pool }), storeDeps);
}
