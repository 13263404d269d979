import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database, MsgRecordsTable } from '../schema.js';
import type { HistoryQuery, MessageRecord, RecordRepo, RecordStatus, StoredRecord } from '../types.js';
import { guard } from '../db-errors.js';

/** Status order: a leg only moves forward (final states share the top rank). */
const RANK: Record<RecordStatus, number> = {
  queued: 0, sent: 1, delivered: 2, undelivered: 2, failed: 2, expired: 2, rejected: 2, unknown: 2,
};

const rankSql = (column: string) => sql<number>`(CASE ${sql.ref(column)}
  WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 ELSE 2 END)`;

const legKey = (r: MessageRecord) => `${r.messageId}\u0000${r.clientId}\u0000${r.direction}`;

export class KyselyRecordRepo implements RecordRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async upsertMany(records: MessageRecord[]): Promise<void> {
    const rows = mergeByLeg(records);
    if (rows.length === 0) return;
    await guard(() => this.db.insertInto('msgRecordDbItems')
      .values(rows.map(toRow))
      .onConflict((oc) => oc.columns(['messageId', 'clientId', 'direction']).doUpdateSet((eb) => ({
        status: sql`CASE WHEN ${rankSql('excluded.status')} >= ${rankSql('msg_record_db_items.status')}
          THEN excluded.status ELSE msg_record_db_items.status END`,
        carrierMsgId: sql`COALESCE(NULLIF(excluded.carrier_msg_id, ''), msg_record_db_items.carrier_msg_id)`,
        carrierId: sql`GREATEST(excluded.carrier_id, msg_record_db_items.carrier_id)`,
        error: sql`COALESCE(NULLIF(excluded.error, ''), msg_record_db_items.error)`,
        registeredDelivery: sql`GREATEST(excluded.registered_delivery, msg_record_db_items.registered_delivery)`,
        smppPartIds: sql`COALESCE(NULLIF(excluded.smpp_part_ids, ''), msg_record_db_items.smpp_part_ids)`,
        // A URL part's size is known only once the media worker fetched it (issue 6).
        originalSizeBytes: sql`GREATEST(excluded.original_size_bytes, msg_record_db_items.original_size_bytes)`,
        transcodedSizeBytes: sql`GREATEST(excluded.transcoded_size_bytes, msg_record_db_items.transcoded_size_bytes)`,
        transcodingPerformed: sql`excluded.transcoding_performed OR msg_record_db_items.transcoding_performed`,
        updatedAt: eb.ref('excluded.updatedAt'),
      })))
      .execute());
  }

  async byMessageId(messageId: string): Promise<StoredRecord[]> {
    const rows = await guard(() => this.db.selectFrom('msgRecordDbItems').selectAll()
      .where('messageId', '=', messageId).orderBy('id').execute());
    return rows.map(toRecord);
  }

  async byCarrierMsgId(carrierId: number, carrierMsgId: string): Promise<StoredRecord | undefined> {
    const row = await guard(() => this.db.selectFrom('msgRecordDbItems').selectAll()
      .where('carrierId', '=', carrierId).where('carrierMsgId', '=', carrierMsgId)
      .where('carrierMsgId', '<>', '').orderBy('id').executeTakeFirst());
    return row ? toRecord(row) : undefined;
  }

  async history(q: HistoryQuery): Promise<{ records: StoredRecord[]; total: number }> {
    let query = this.db.selectFrom('msgRecordDbItems').where('clientId', '=', q.clientId);
    if (q.from) query = query.where('from', 'in', numberForms(q.from));
    if (q.to) query = query.where('to', 'in', numberForms(q.to));
    if (q.type) query = query.where('type', '=', q.type);
    if (q.direction) query = query.where('direction', '=', q.direction);
    if (q.since) query = query.where('receivedTimestamp', '>=', q.since);
    if (q.until) query = query.where('receivedTimestamp', '<=', q.until);
    const [rows, count] = await guard(() => Promise.all([
      query.selectAll().orderBy('receivedTimestamp', 'desc').orderBy('id', 'desc')
        .limit(q.perPage).offset((q.page - 1) * q.perPage).execute(),
      query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]));
    return { records: rows.map(toRecord), total: Number(count.n) };
  }
}

/** A number as given, with and without its '+' (upstream matched both forms). */
function numberForms(n: string): string[] {
  const bare = n.replace(/^\+/, '');
  return [bare, `+${bare}`];
}

/** One statement cannot touch a row twice: merge legs of the batch, keeping the most advanced. */
function mergeByLeg(records: MessageRecord[]): MessageRecord[] {
  const byLeg = new Map<string, MessageRecord>();
  for (const r of records) {
    const prev = byLeg.get(legKey(r));
    if (!prev) {
      byLeg.set(legKey(r), r);
      continue;
    }
    const newer = RANK[r.status] >= RANK[prev.status] ? r : prev;
    byLeg.set(legKey(r), {
      ...prev, ...newer,
      carrierMsgId: r.carrierMsgId || prev.carrierMsgId,
      carrierId: Math.max(r.carrierId, prev.carrierId),
      error: r.error || prev.error,
      registeredDelivery: Math.max(r.registeredDelivery ?? 0, prev.registeredDelivery ?? 0),
      smppPartIds: r.smppPartIds?.length ? r.smppPartIds : prev.smppPartIds,
    });
  }
  return [...byLeg.values()];
}

function toRow(r: MessageRecord) {
  return { ...r, registeredDelivery: r.registeredDelivery ?? 0, smppPartIds: (r.smppPartIds ?? []).join(','), updatedAt: new Date() };
}

function toRecord(row: Selectable<MsgRecordsTable>): StoredRecord {
  return {
    ...row,
    smppPartIds: row.smppPartIds ? row.smppPartIds.split(',') : [],
    id: Number(row.id),
    receivedTimestamp: new Date(row.receivedTimestamp),
    updatedAt: new Date(row.updatedAt),
    type: row.type as 'sms' | 'mms',
    direction: row.direction as 'inbound' | 'outbound',
    status: row.status as RecordStatus,
  };
}
