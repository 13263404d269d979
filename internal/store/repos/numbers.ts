import type { Kysely } from 'kysely';
import { NotFoundError } from '../../errors/index.js';
import type { Database } from '../schema.js';
import type { ClientNumber, NewNumber, NumberFilter, NumberPatch, NumberRepo, NumberSettings, NumberSettingsPatch } from '../types.js';
import { guard } from '../db-errors.js';
import { loadNumbers } from './client-details.js';
import { toNumberSettings } from './rows.js';

export class KyselyNumberRepo implements NumberRepo {
  constructor(private readonly db: Kysely<Database>) {}

  listAll(): Promise<ClientNumber[]> {
    return guard(() => loadNumbers(this.db));
  }

  listByClient(clientId: number, filter: NumberFilter = {}): Promise<ClientNumber[]> {
    return guard(() => loadNumbers(this.db, { clientIds: [clientId], ...filter }));
  }

  async get(id: number): Promise<ClientNumber | undefined> {
    return (await guard(() => loadNumbers(this.db, { id })))[0];
  }

  async getByNumber(e164: string): Promise<ClientNumber | undefined> {
    return (await guard(() => loadNumbers(this.db, { number: e164 })))[0];
  }

  async create(input: NewNumber): Promise<ClientNumber> {
    const { webhook, ...rest } = input;
    const row = await guard(
      () =>
        this.db
          .insertInto('clientNumbers')
          .values({ ...rest, webHook: webhook })
          .returning('id')
          .executeTakeFirstOrThrow(),
      { conflict: `number ${input.number} already exists`, missingParent: `client with ID ${input.clientId} does not exist` },
    );
    return this.mustGet(row.id);
  }

  async update(id: number, patch: NumberPatch): Promise<ClientNumber> {
    const { webhook, ...rest } = patch;
    const set = { ...rest, ...(webhook !== undefined ? { webHook: webhook } : {}), updatedAt: new Date() };
    const result = await guard(() => this.db.updateTable('clientNumbers').set(set).where('id', '=', id).executeTakeFirst());
    if (result.numUpdatedRows === 0n) throw new NotFoundError('Number not found');
    return this.mustGet(id);
  }

  async delete(id: number): Promise<boolean> {
    const result = await guard(() => this.db.deleteFrom('clientNumbers').where('id', '=', id).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }

  async getSettings(numberId: number): Promise<NumberSettings | undefined> {
    const row = await guard(() => this.db.selectFrom('numberSettings').selectAll().where('numberId', '=', numberId).executeTakeFirst());
    return row ? toNumberSettings(row) : undefined;
  }

  async upsertSettings(numberId: number, patch: NumberSettingsPatch): Promise<NumberSettings> {
    // One upsert keyed on number_id: the same row whichever route writes it (fixes BUG-17).
    const update = Object.keys(patch).length > 0 ? patch : { numberId };
    const row = await guard(
      () =>
        this.db
          .insertInto('numberSettings')
          .values({ ...patch, numberId })
          .onConflict((oc) => oc.column('numberId').doUpdateSet(update))
          .returningAll()
          .executeTakeFirstOrThrow(),
      { missingParent: 'Number not found' },
    );
    return toNumberSettings(row);
  }

  private async mustGet(id: number): Promise<ClientNumber> {
    const number = await this.get(id);
    if (!number) throw new NotFoundError('Number not found');
    return number;
  }
}
