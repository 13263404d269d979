import { CompiledQuery, type Kysely, type Selectable } from 'kysely';
import type { Database, MsgRecordsTable } from '../schema.js';
import { legKey, type HistoryQuery, type MessageRecord, type RecordRepo, type RecordStatus, type StoredRecord } from '../types.js';
import { guard } from '../db-errors.js';
import { jsonForPostgres } from '../text-cleaning.js';

/** Status order: a leg only moves forward (final states share the top rank). */
const RANK: Record<RecordStatus, number> = {
  queued: 0,
  sent: 1,
  delivered: 2,
  undelivered: 2,
  failed: 2,
  expired: 2,
  rejected: 2,
  unknown: 2,
};

/**
 * The ledger's columns as upsertMany writes them: the batch goes as one JSON parameter, one
 * object per leg (ledgerRow) keyed by column name, turned into rows by json_to_recordset. One SQL
 * text whatever the batch size, so the hot path builds no query tree per value (Kysely's
 * multi-row insert built one for each of ~30 values of each leg), and one native JSON.stringify
 * instead of pg's array literals (an unnest() of one array per column, into which pg escaped and
 * concatenated every value).
 */
const COLUMNS: ReadonlyArray<readonly [column: string, type: string]> = [
  ['message_id', 'text'],
  ['client_id', 'int4'],
  ['to', 'text'],
  ['from', 'text'],
  ['received_timestamp', 'timestamptz'],
  ['type', 'text'],
  ['carrier', 'text'],
  ['internal', 'bool'],
  ['log_id', 'text'],
  ['server_id', 'text'],
  ['direction', 'text'],
  ['from_client_type', 'text'],
  ['to_client_type', 'text'],
  ['delivery_method', 'text'],
  ['source_ip', 'text'],
  ['encoding', 'text'],
  ['total_segments', 'int4'],
  ['original_bytes_length', 'int4'],
  ['original_size_bytes', 'int4'],
  ['transcoded_size_bytes', 'int4'],
  ['media_count', 'int4'],
  ['transcoding_performed', 'bool'],
  ['status', 'text'],
  ['carrier_msg_id', 'text'],
  ['carrier_id', 'int4'],
  ['text_preview', 'text'],
  ['error', 'text'],
  ['registered_delivery', 'int2'],
  ['smpp_part_ids', 'text'],
  ['updated_at', 'timestamptz'],
];

/** One leg as json_to_recordset reads it: every column of COLUMNS, by name (one object shape). */
function ledgerRow(r: MessageRecord, now: string) {
  return {
    message_id: r.messageId,
    client_id: r.clientId,
    to: r.to,
    from: r.from,
    received_timestamp: r.receivedTimestamp.toISOString(),
    type: r.type,
    carrier: r.carrier,
    internal: r.internal,
    log_id: r.logId,
    server_id: r.serverId,
    direction: r.direction,
    from_client_type: r.fromClientType,
    to_client_type: r.toClientType,
    delivery_method: r.deliveryMethod,
    source_ip: r.sourceIp,
    encoding: r.encoding,
    total_segments: r.totalSegments,
    original_bytes_length: r.originalBytesLength,
    original_size_bytes: r.originalSizeBytes,
    transcoded_size_bytes: r.transcodedSizeBytes,
    media_count: r.mediaCount,
    transcoding_performed: r.transcodingPerformed,
    status: r.status,
    carrier_msg_id: r.carrierMsgId,
    carrier_id: r.carrierId,
    text_preview: r.textPreview,
    error: r.error,
    registered_delivery: r.registeredDelivery ?? 0,
    smpp_part_ids: (r.smppPartIds ?? []).join(','),
    updated_at: now,
  };
}

const quoted = (column: string) => `"${column}"`;

const RANK_OF = (table: string) => `(CASE ${table}.status WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 ELSE 2 END)`;

/**
 * A leg moves forward only: the higher-ranked status wins, an id or error once known stays, sizes
 * and flags only grow (a URL part's size is known only once the media worker fetched it);
 * updated_at stays with the status, so a late 'queued' write does not date a final state.
 */
const UPSERT_SQL = `INSERT INTO msg_record_db_items (${COLUMNS.map(([c]) => quoted(c)).join(', ')})
SELECT * FROM json_to_recordset($1::json) AS t(${COLUMNS.map(([c, type]) => `${quoted(c)} ${type}`).join(', ')})
ON CONFLICT (message_id, client_id, direction) DO UPDATE SET
  status = CASE WHEN ${RANK_OF('excluded')} >= ${RANK_OF('msg_record_db_items')} THEN excluded.status ELSE msg_record_db_items.status END,
  carrier_msg_id = COALESCE(NULLIF(excluded.carrier_msg_id, ''), msg_record_db_items.carrier_msg_id),
  carrier_id = GREATEST(excluded.carrier_id, msg_record_db_items.carrier_id),
  error = COALESCE(NULLIF(excluded.error, ''), msg_record_db_items.error),
  registered_delivery = GREATEST(excluded.registered_delivery, msg_record_db_items.registered_delivery),
  smpp_part_ids = COALESCE(NULLIF(excluded.smpp_part_ids, ''), msg_record_db_items.smpp_part_ids),
  original_size_bytes = GREATEST(excluded.original_size_bytes, msg_record_db_items.original_size_bytes),
  transcoded_size_bytes = GREATEST(excluded.transcoded_size_bytes, msg_record_db_items.transcoded_size_bytes),
  transcoding_performed = excluded.transcoding_performed OR msg_record_db_items.transcoding_performed,
  updated_at = CASE WHEN ${RANK_OF('excluded')} >= ${RANK_OF('msg_record_db_items')} THEN excluded.updated_at ELSE msg_record_db_items.updated_at END`;

/** The batch as one JSON parameter, with what PostgreSQL's json refuses cleaned out (text-cleaning.ts). */
function upsertParams(rows: readonly MessageRecord[]): [string] {
  const now = new Date().toISOString();
  return [jsonForPostgres(JSON.stringify(rows.map((r) => ledgerRow(r, now))))];
}

export class KyselyRecordRepo implements RecordRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async upsertMany(records: MessageRecord[]): Promise<void> {
    const rows = mergeByLeg(records);
    if (rows.length === 0) return;
    await guard(() => this.db.executeQuery(CompiledQuery.raw(UPSERT_SQL, upsertParams(rows))));
  }

  async byMessageId(messageId: string): Promise<StoredRecord[]> {
    const rows = await guard(() =>
      this.db.selectFrom('msgRecordDbItems').selectAll().where('messageId', '=', messageId).orderBy('id').execute(),
    );
    return rows.map(toRecord);
  }

  async byCarrierMsgId(carrierId: number, carrierMsgId: string): Promise<StoredRecord | undefined> {
    const row = await guard(() =>
      this.db
        .selectFrom('msgRecordDbItems')
        .selectAll()
        .where('carrierId', '=', carrierId)
        .where('carrierMsgId', '=', carrierMsgId)
        .where('carrierMsgId', '<>', '')
        .orderBy('id')
        .executeTakeFirst(),
    );
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
    const [rows, count] = await guard(() =>
      Promise.all([
        query
          .selectAll()
          .orderBy('receivedTimestamp', 'desc')
          .orderBy('id', 'desc')
          .limit(q.perPage)
          .offset((q.page - 1) * q.perPage)
          .execute(),
        query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]),
    );
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
    const key = legKey(r);
    const prev = byLeg.get(key);
    byLeg.set(key, prev ? mergeLegs(prev, r) : r);
  }
  return [...byLeg.values()];
}

/**
 * `r` written after `prev`: the higher-ranked status wins, with the same rules as UPSERT_SQL's
 * for the fields that only grow or stay once known, so merging in a batch or across batches
 * agrees. The common case, a queued leg followed by its sent or failed one, is `r` as it is: no
 * copy is made then.
 */
function mergeLegs(prev: MessageRecord, r: MessageRecord): MessageRecord {
  if (RANK[r.status] >= RANK[prev.status] && supersedes(r, prev)) return r;
  const newer = RANK[r.status] >= RANK[prev.status] ? r : prev;
  return {
    ...prev,
    ...newer,
    carrierMsgId: r.carrierMsgId || prev.carrierMsgId,
    carrierId: Math.max(r.carrierId, prev.carrierId),
    error: r.error || prev.error,
    registeredDelivery: Math.max(r.registeredDelivery ?? 0, prev.registeredDelivery ?? 0),
    smppPartIds: r.smppPartIds?.length ? r.smppPartIds : prev.smppPartIds,
    originalSizeBytes: Math.max(r.originalSizeBytes, prev.originalSizeBytes),
    transcodedSizeBytes: Math.max(r.transcodedSizeBytes, prev.transcodedSizeBytes),
    transcodingPerformed: r.transcodingPerformed || prev.transcodingPerformed,
  };
}

/** True when merging `prev` into `r` would write exactly `r`: nothing of prev's is kept. */
function supersedes(r: MessageRecord, prev: MessageRecord): boolean {
  return (
    (Boolean(r.carrierMsgId) || !prev.carrierMsgId) &&
    r.carrierId >= prev.carrierId &&
    (Boolean(r.error) || !prev.error) &&
    (r.registeredDelivery ?? 0) >= (prev.registeredDelivery ?? 0) &&
    ((r.smppPartIds?.length ?? 0) > 0 || (prev.smppPartIds?.length ?? 0) === 0) &&
    r.originalSizeBytes >= prev.originalSizeBytes &&
    r.transcodedSizeBytes >= prev.transcodedSizeBytes &&
    (r.transcodingPerformed || !prev.transcodingPerformed)
  );
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
