import type { Kysely } from 'kysely';
import { NotFoundError } from '../../errors/index.js';
import type { Database } from '../schema.js';
import { carrierPasswordBinding, type SecretCodec } from '../secrets.js';
import type { Carrier, CarrierPatch, CarrierRepo, NewCarrier } from '../types.js';
import { guard } from '../db-errors.js';
import { toCarrier } from './rows.js';

export class KyselyCarrierRepo implements CarrierRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly codec: SecretCodec,
  ) {}

  async list(): Promise<Carrier[]> {
    const rows = await guard(() => this.db.selectFrom('carriers').selectAll().orderBy('id').execute());
    return rows.map((r) => toCarrier(r, this.codec));
  }

  get(id: number): Promise<Carrier | undefined> {
    return this.findBy('id', id);
  }

  getByUuid(uuid: string): Promise<Carrier | undefined> {
    return this.findBy('uuid', uuid);
  }

  getByName(name: string): Promise<Carrier | undefined> {
    return this.findBy('name', name);
  }

  async create(input: NewCarrier): Promise<Carrier> {
    // The password is bound to the row id, which exists only once the row does.
    const row = await guard(
      () =>
        this.db.transaction().execute(async (tx) => {
          const { id } = await tx
            .insertInto('carriers')
            .values({ ...input, password: '' })
            .returning('id')
            .executeTakeFirstOrThrow();
          return tx
            .updateTable('carriers')
            .set({ password: this.encrypt(id, input.password) })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow();
        }),
      { conflict: `a carrier named '${input.name}' already exists` },
    );
    return toCarrier(row, this.codec);
  }

  async update(id: number, patch: CarrierPatch): Promise<Carrier> {
    const set = { ...patch, updatedAt: new Date() };
    if (patch.password !== undefined) set.password = this.encrypt(id, patch.password);
    const row = await guard(() => this.db.updateTable('carriers').set(set).where('id', '=', id).returningAll().executeTakeFirst(), {
      conflict: `a carrier named '${patch.name}' already exists`,
    });
    if (!row) throw new NotFoundError('Carrier not found');
    return toCarrier(row, this.codec);
  }

  async delete(id: number): Promise<boolean> {
    const result = await guard(() => this.db.deleteFrom('carriers').where('id', '=', id).executeTakeFirst());
    return result.numDeletedRows > 0n;
  }

  private encrypt(id: number, password: string): string {
    return password === '' ? '' : this.codec.encrypt(password, carrierPasswordBinding(id));
  }

  private async findBy(column: 'id' | 'uuid' | 'name', value: number | string): Promise<Carrier | undefined> {
    const row = await guard(() =>
      this.db
        .selectFrom('carriers')
        .selectAll()
        .where(column, '=', value as never)
        .executeTakeFirst(),
    );
    return row ? toCarrier(row, this.codec) : undefined;
  }
}
