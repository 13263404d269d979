import type { PostgresDialect } from 'kysely';
import { CamelCasePlugin, Kysely, Migrator, sql } from 'kysely';
import { GatewayError, ErrorCode } from '../errors/index.js';
import type { Database } from './schema.js';
import { KEY_CHECK_BINDING, type SecretCodec } from './secrets.js';
import { bindStoredSecrets } from './secret-binding.js';
import type { Store } from './types.js';
import { migrationProvider } from './migrations/index.js';
import { StripNulPlugin } from './text-cleaning.js';
import { KyselyClientRepo } from './repos/clients.js';
import { KyselyNumberRepo } from './repos/numbers.js';
import { KyselyCarrierRepo } from './repos/carriers.js';
import { KyselyFailoverRepo } from './repos/failovers.js';
import { KyselyApiKeyRepo } from './repos/api-keys.js';
import { KyselyRecordRepo } from './repos/records.js';
import { KyselyMediaRepo } from './repos/media.js';
import { KyselyBatchRepo } from './repos/batches.js';

/** Known plaintext kept encrypted in gateway_meta, so a wrong ENCRYPTION_KEY is caught at start. */
const KEY_CHECK_KEY = 'encryption_key_check';
const KEY_CHECK_PLAINTEXT = 'msggw-encryption-key-check-v1';

export interface KyselyStoreDeps {
  codec: SecretCodec;
  newWebhookSecret: () => string;
}

/** The one Store implementation; pg and PGlite differ only in the dialect handed in. */
export class KyselyStore implements Store {
  readonly clients: KyselyClientRepo;
  readonly numbers: KyselyNumberRepo;
  readonly carriers: KyselyCarrierRepo;
  readonly failovers: KyselyFailoverRepo;
  readonly apiKeys: KyselyApiKeyRepo;
  readonly records: KyselyRecordRepo;
  readonly media: KyselyMediaRepo;
  readonly batches: KyselyBatchRepo;
  readonly db: Kysely<Database>;
  #closing?: Promise<void>;

  constructor(
    readonly driver: 'pg' | 'pglite',
    dialect: PostgresDialect,
    private readonly deps: KyselyStoreDeps,
  ) {
    this.db = new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin(), new StripNulPlugin()] });
    this.clients = new KyselyClientRepo(this.db, deps);
    this.numbers = new KyselyNumberRepo(this.db);
    this.carriers = new KyselyCarrierRepo(this.db, deps.codec);
    this.failovers = new KyselyFailoverRepo(this.db);
    this.apiKeys = new KyselyApiKeyRepo(this.db);
    this.records = new KyselyRecordRepo(this.db);
    this.media = new KyselyMediaRepo(this.db);
    this.batches = new KyselyBatchRepo(this.db);
  }

  /** Kysely's Migrator holds a PostgreSQL advisory lock, so nodes starting together take turns. */
  async migrate(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) throw new GatewayError(ErrorCode.INTERNAL, `database migration failed: ${String(error)}`, { cause: error });
    return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  /**
   * Proves ENCRYPTION_KEY is the key the data was written with: the first start stores a check
   * value, every later start must decrypt it. Throws a clear error instead of yielding garbage.
   * Then re-encrypts passwords stored in an unbound format bound to their rows.
   */
  async verifySecrets(): Promise<void> {
    await this.db
      .insertInto('gatewayMeta')
      .values({ key: KEY_CHECK_KEY, value: this.deps.codec.encrypt(KEY_CHECK_PLAINTEXT, KEY_CHECK_BINDING) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const row = await this.db.selectFrom('gatewayMeta').select('value').where('key', '=', KEY_CHECK_KEY).executeTakeFirstOrThrow();
    let plain: string | undefined;
    try {
      plain = this.deps.codec.decrypt(row.value, KEY_CHECK_BINDING);
    } catch {
      plain = undefined;
    }
    if (plain !== KEY_CHECK_PLAINTEXT) {
      throw new GatewayError(
        ErrorCode.INTERNAL,
        'ENCRYPTION_KEY does not match the key this database was encrypted with; start with the original key',
      );
    }
    await bindStoredSecrets(this.db, this.deps.codec);
  }

  async ping(): Promise<boolean> {
    try {
      await sql`select 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.db.destroy();
    return this.#closing;
  }
}
