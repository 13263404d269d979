import { sql, type Kysely } from 'kysely';

/**
 * What an SMPP delivery receipt needs to know when a status arrives later: the
 * submit's registered_delivery (is a receipt due?) and, for a reassembled long submit, the
 * message id of each part (one receipt per id, the ids its submit_sm_resps returned).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE msg_record_db_items ADD COLUMN registered_delivery smallint NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE msg_record_db_items ADD COLUMN smpp_part_ids text NOT NULL DEFAULT ''`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE msg_record_db_items DROP COLUMN registered_delivery`.execute(db);
  await sql`ALTER TABLE msg_record_db_items DROP COLUMN smpp_part_ids`.execute(db);
}
