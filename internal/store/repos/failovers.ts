import type { Kysely } from 'kysely';
import { NotFoundError } from '../../errors/index.js';
import type { Database } from '../schema.js';
import type { ClientFailover, FailoverPatch, FailoverRepo, NewFailover } from '../types.js';
import { guard } from '../db-errors.js';
import { toFailover } from './rows.js';

export class KyselyFailoverRepo implements FailoverRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async listByPrimary(clientId: number): Promise<ClientFailover[]> {
    const rows = await guard(() =>
      this.db.selectFrom('clientFailovers').selectAll().where('primaryClientId', '=', clientId).orderBy('priority').orderBy('id').execute(),
    );
    return rows.map(toFailover);
  }

  async get(id: number): Promise<ClientFailover | undefined> {
    const row = await guard(() => this.db.selectFrom('clientFailovers').selectAll().where('id', '=', id).executeTakeFirst());
    return row ? toFailover(row) : undefined;
  }

  async create(input: NewFailover): Promise<ClientFailover> {
    const row = await guard(() => this.db.insertInto('clientFailovers').values(input).returningAll().executeTakeFirstOrThrow(), {
      conflict: 'this failover already exists',
      missingParent: 'Fallback client not found',
    });
    return toFailover(row);
  }

  async update(id: number, patch: FailoverPatch): Promise<ClientFailover> {
    const update = Object.keys(patch).length > 0 ? patch : { id };
    const row = await guard(() =>
      this.db.updateTable('clientFailovers').set(update).where('id', '=', id).returningAll().executeTakeFirst(),
    );
    if (!row) throw new NotFoundError('Failover not found');
    return toFailover(row);
  }

  async delete(id: number): Promise<boolean> {
    const result = await guard(() => this.db.deleteFrom('clientFailovers').where('id', '=', id).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }
}
