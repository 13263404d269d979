import type { Kysely } from 'kysely';
import { NotFoundError } from '../../errors/index.js';
import type { Database } from '../schema.js';
import type { ApiKeyRepo, NewApiKey, TenantApiKey } from '../types.js';
import { guard } from '../db-errors.js';
import { toApiKey } from './rows.js';

export class KyselyApiKeyRepo implements ApiKeyRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(input: NewApiKey): Promise<TenantApiKey> {
    const { allowedNumberIds, ...key } = input;
    const id = await guard(
      () =>
        this.db.transaction().execute(async (tx) => {
          const numbers =
            allowedNumberIds.length === 0
              ? []
              : await tx
                  .selectFrom('clientNumbers')
                  .select(['id', 'number'])
                  .where('clientId', '=', input.clientId)
                  .where('id', 'in', allowedNumberIds)
                  .execute();
          const missing = allowedNumberIds.find((nid) => !numbers.some((n) => n.id === nid));
          if (missing !== undefined) throw new NotFoundError(`number ID ${missing} not found on client ${input.clientId}`);
          const row = await tx.insertInto('tenantApiKeys').values(key).returning('id').executeTakeFirstOrThrow();
          if (numbers.length > 0) {
            await tx
              .insertInto('apiKeyNumbers')
              .values(numbers.map((n) => ({ apiKeyId: row.id, numberId: n.id, number: n.number })))
              .execute();
          }
          return row.id;
        }),
      { conflict: 'an API key with this hash already exists', missingParent: 'client not found' },
    );
    return (await this.load({ id }))[0]!;
  }

  listByClient(clientId: number): Promise<TenantApiKey[]> {
    return this.load({ clientId });
  }

  listAll(): Promise<TenantApiKey[]> {
    return this.load({});
  }

  async getByHash(keyHash: string): Promise<TenantApiKey | undefined> {
    return (await this.load({ keyHash }))[0];
  }

  async revoke(clientId: number, keyId: number): Promise<boolean> {
    const result = await guard(() =>
      this.db
        .updateTable('tenantApiKeys')
        .set({ active: false })
        .where('id', '=', keyId)
        .where('clientId', '=', clientId)
        .executeTakeFirst(),
    );
    return result.numUpdatedRows > 0n;
  }

  async touch(keyId: number, at: Date): Promise<void> {
    await guard(() => this.db.updateTable('tenantApiKeys').set({ lastUsedAt: at }).where('id', '=', keyId).execute());
  }

  private async load(where: { id?: number; clientId?: number; keyHash?: string }): Promise<TenantApiKey[]> {
    return guard(async () => {
      let query = this.db.selectFrom('tenantApiKeys').selectAll().orderBy('id');
      if (where.id !== undefined) query = query.where('id', '=', where.id);
      if (where.clientId !== undefined) query = query.where('clientId', '=', where.clientId);
      if (where.keyHash !== undefined) query = query.where('keyHash', '=', where.keyHash);
      const keys = await query.execute();
      if (keys.length === 0) return [];
      const numbers = await this.db
        .selectFrom('apiKeyNumbers')
        .selectAll()
        .where(
          'apiKeyId',
          'in',
          keys.map((k) => k.id),
        )
        .orderBy('id')
        .execute();
      return keys.map((k) =>
        toApiKey(
          k,
          numbers.filter((n) => n.apiKeyId === k.id),
        ),
      );
    });
  }
}
