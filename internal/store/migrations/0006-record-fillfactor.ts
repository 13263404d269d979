import { sql, type Kysely } from 'kysely';

/**
 * Room on each ledger page for a leg's next version. A leg is written queued and then updated to
 * its outcome; with full pages every update lands on another page and adds an entry to each of
 * the table's five indexes. With free room on the page, and no indexed column changed, PostgreSQL
 * updates in place (a HOT update) and touches no index.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE msg_record_db_items SET (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE msg_record_db_items RESET (fillfactor)`.execute(db);
}
