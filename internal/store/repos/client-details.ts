import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ClientDetails, ClientNumber, NumberSettings } from '../types.js';
import type { SecretCodec } from '../secrets.js';
import { toClient, toClientSettings, toFailover, toNumber, toNumberSettings } from './rows.js';

/**
 * Loads clients with settings, numbers (with their settings) and failovers in five queries,
 * whatever the number of clients: the directory loads everything this way at start.
 */
export async function loadClientDetails(
  db: Kysely<Database>,
  codec: SecretCodec,
  where: { id?: number; username?: string } = {},
): Promise<ClientDetails[]> {
  let query = db.selectFrom('clients').selectAll().orderBy('id');
  if (where.id !== undefined) query = query.where('id', '=', where.id);
  if (where.username !== undefined) query = query.where('username', '=', where.username);
  const clients = await query.execute();
  if (clients.length === 0) return [];
  const ids = clients.map((c) => c.id);

  const [settings, numbers, failovers] = await Promise.all([
    db.selectFrom('clientSettings').selectAll().where('clientId', 'in', ids).execute(),
    loadNumbers(db, { clientIds: ids }),
    db.selectFrom('clientFailovers').selectAll().where('primaryClientId', 'in', ids).orderBy('priority').orderBy('id').execute(),
  ]);

  return clients.map((row) => ({
    ...toClient(row, codec),
    settings: settings.find((s) => s.clientId === row.id) ? toClientSettings(settings.find((s) => s.clientId === row.id)!) : null,
    numbers: numbers.filter((n) => n.clientId === row.id),
    failovers: failovers.filter((f) => f.primaryClientId === row.id).map(toFailover),
  }));
}

export interface NumberQuery {
  clientIds?: number[];
  id?: number;
  number?: string;
  tag?: string;
  group?: string;
}

/** Numbers with their settings, ordered by id. */
export async function loadNumbers(db: Kysely<Database>, where: NumberQuery = {}): Promise<ClientNumber[]> {
  let query = db.selectFrom('clientNumbers').selectAll().orderBy('id');
  if (where.clientIds) query = query.where('clientId', 'in', where.clientIds);
  if (where.id !== undefined) query = query.where('id', '=', where.id);
  if (where.number !== undefined) query = query.where('number', '=', where.number);
  if (where.tag !== undefined) query = query.where('tag', '=', where.tag);
  if (where.group !== undefined) query = query.where('group', '=', where.group);
  const rows = await query.execute();
  if (rows.length === 0) return [];
  const settingsRows = await db
    .selectFrom('numberSettings')
    .selectAll()
    .where(
      'numberId',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  const byNumber = new Map<number, NumberSettings>(settingsRows.map((s) => [s.numberId, toNumberSettings(s)]));
  return rows.map((row) => toNumber(row, byNumber.get(row.id) ?? null));
}
