import { sql, type Kysely } from 'kysely';

/**
 * One row per message leg, keyed (message_id, client_id, direction), so every stage can upsert
 * the whole row with its latest status: a redelivered message never adds a second row, and a
 * row lost with a crashed node is rewritten by the next stage. carrier_id lets a carrier's
 * status callback find its message by the carrier's id.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE msg_record_db_items ADD COLUMN carrier_id integer NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE msg_record_db_items ADD COLUMN text_preview text NOT NULL DEFAULT ''`.execute(db);
  await sql`CREATE UNIQUE INDEX msg_records_leg_idx ON msg_record_db_items (message_id, client_id, direction)`.execute(db);
  await sql`DROP INDEX msg_records_carrier_msg_idx`.execute(db);
  await sql`CREATE INDEX msg_records_carrier_msg_idx ON msg_record_db_items (carrier_id, carrier_msg_id)
    WHERE carrier_msg_id <> ''`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX msg_records_leg_idx`.execute(db);
  await sql`ALTER TABLE msg_record_db_items DROP COLUMN carrier_id`.execute(db);
  await sql`ALTER TABLE msg_record_db_items DROP COLUMN text_preview`.execute(db);
}
