import { sql, type Kysely, type RawBuilder } from 'kysely';
import { NotFoundError } from '../../errors/index.js';
import type { Database } from '../schema.js';
import { clientPasswordBinding, type SecretCodec } from '../secrets.js';
import {
  NEW_CLIENT_SPLIT_METHOD,
  SplitMethod,
  type ClientDetails,
  type ClientPatch,
  type ClientRepo,
  type ClientSettings,
  type ClientSettingsPatch,
  type NewClient,
} from '../types.js';
import { guard } from '../db-errors.js';
import { loadClientDetails } from './client-details.js';
import { toClientSettings } from './rows.js';

export interface ClientRepoDeps {
  codec: SecretCodec;
  /** Makes the per-client webhook signing secret. */
  newWebhookSecret: () => string;
}

export class KyselyClientRepo implements ClientRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly deps: ClientRepoDeps,
  ) {}

  list(): Promise<ClientDetails[]> {
    return guard(() => loadClientDetails(this.db, this.deps.codec));
  }

  async get(id: number): Promise<ClientDetails | undefined> {
    return (await guard(() => loadClientDetails(this.db, this.deps.codec, { id })))[0];
  }

  async getByUsername(username: string): Promise<ClientDetails | undefined> {
    return (await guard(() => loadClientDetails(this.db, this.deps.codec, { username })))[0];
  }

  async create(input: NewClient): Promise<ClientDetails> {
    const id = await guard(
      () =>
        this.db.transaction().execute(async (tx) => {
          // The password is bound to the row id, which exists only once the row does.
          const row = await tx
            .insertInto('clients')
            .values({ ...input, password: '' })
            .returning('id')
            .executeTakeFirstOrThrow();
          await tx
            .updateTable('clients')
            .set({ password: this.encrypt(row.id, input.password) })
            .where('id', '=', row.id)
            .execute();
          await tx
            .insertInto('clientSettings')
            .values({ clientId: row.id, webhookSecret: this.deps.newWebhookSecret(), splitMethod: NEW_CLIENT_SPLIT_METHOD })
            .execute();
          return row.id;
        }),
      { conflict: `a client with username '${input.username}' already exists` },
    );
    return this.mustGet(id);
  }

  async update(id: number, patch: ClientPatch): Promise<ClientDetails> {
    if (Object.keys(patch).length > 0) {
      const result = await guard(() =>
        this.db
          .updateTable('clients')
          .set({ ...patch, updatedAt: new Date() })
          .where('id', '=', id)
          .executeTakeFirst(),
      );
      if (result.numUpdatedRows === 0n) throw new NotFoundError('Client not found');
    }
    return this.mustGet(id);
  }

  async setPassword(id: number, password: string): Promise<void> {
    const result = await guard(() =>
      this.db
        .updateTable('clients')
        .set({ password: this.encrypt(id, password), updatedAt: new Date() })
        .where('id', '=', id)
        .executeTakeFirst(),
    );
    if (result.numUpdatedRows === 0n) throw new NotFoundError('Client not found');
  }

  async delete(id: number): Promise<boolean> {
    // ON DELETE CASCADE takes numbers, their settings, client settings, failovers both ways,
    // API keys and batch jobs in the same statement, so a failure leaves nothing half-deleted.
    const result = await guard(() => this.db.deleteFrom('clients').where('id', '=', id).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }

  async getSettings(clientId: number): Promise<ClientSettings | undefined> {
    const row = await guard(() => this.db.selectFrom('clientSettings').selectAll().where('clientId', '=', clientId).executeTakeFirst());
    return row ? toClientSettings(row) : undefined;
  }

  async upsertSettings(clientId: number, patch: ClientSettingsPatch): Promise<ClientSettings> {
    const { insert, update: split } = splitColumns(patch);
    const values = { ...patch, ...insert, clientId, webhookSecret: patch.webhookSecret ?? this.deps.newWebhookSecret() };
    // An empty patch still needs a SET clause to return the existing row.
    const update = Object.keys(patch).length > 0 ? { ...patch, ...split } : { clientId };
    const row = await guard(
      () =>
        this.db
          .insertInto('clientSettings')
          .values(values)
          .onConflict((oc) => oc.column('clientId').doUpdateSet(update))
          .returningAll()
          .executeTakeFirstOrThrow(),
      { missingParent: 'Client not found' },
    );
    return toClientSettings(row);
  }

  private encrypt(id: number, password: string): string {
    return this.deps.codec.encrypt(password, clientPasswordBinding(id));
  }

  private async mustGet(id: number): Promise<ClientDetails> {
    const client = await this.get(id);
    if (!client) throw new NotFoundError('Client not found');
    return client;
  }
}

interface SplitColumns {
  splitMethod?: SplitMethod | RawBuilder<string>;
  disableMessageSplitting?: boolean;
}

/**
 * split_method and its older alias disable_message_splitting, written together so they never
 * disagree: a method sets the flag; the flag alone sets 'payload' (true) or turns 'payload' back
 * into the default 'udh' (false). A new row without a method keeps the column's gomsggw default.
 */
function splitColumns(patch: ClientSettingsPatch): {
  insert: Omit<SplitColumns, 'splitMethod'> & { splitMethod?: SplitMethod };
  update: SplitColumns;
} {
  if (patch.splitMethod !== undefined) {
    const both = { splitMethod: patch.splitMethod, disableMessageSplitting: patch.splitMethod === SplitMethod.PAYLOAD };
    return { insert: both, update: both };
  }
  if (patch.disableMessageSplitting === true) {
    const both = { splitMethod: SplitMethod.PAYLOAD, disableMessageSplitting: true };
    return { insert: both, update: both };
  }
  if (patch.disableMessageSplitting === false) {
    const keepUnlessPayload = sql<string>`CASE WHEN client_settings.split_method = ${SplitMethod.PAYLOAD}
      THEN ${NEW_CLIENT_SPLIT_METHOD} ELSE client_settings.split_method END`;
    return { insert: {}, update: { splitMethod: keepUnlessPayload } };
  }
  return { insert: {}, update: {} };
}
