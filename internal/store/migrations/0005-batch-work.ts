import { sql, type Kysely } from 'kysely';

/**
 * What a batch needs to run as cluster work (internal/batch): the job keeps its template (items
 * are rendered when sent, so a CSV upload may name its template after the file) and when its
 * quota retries give up; an item keeps its variables and how often a send was tried (a tried
 * item is sent again only through the ingress's repeat check). The status index serves the
 * worker's "next pending items" and the progress counts.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE batch_jobs ADD COLUMN text_template text NOT NULL DEFAULT ''`.execute(db);
  await sql`ALTER TABLE batch_jobs ADD COLUMN retry_until timestamptz`.execute(db);
  await sql`ALTER TABLE batch_message_items ADD COLUMN variables text NOT NULL DEFAULT ''`.execute(db);
  await sql`ALTER TABLE batch_message_items ADD COLUMN attempts integer NOT NULL DEFAULT 0`.execute(db);
  await sql`CREATE INDEX batch_items_status_idx ON batch_message_items (batch_job_id, status, index)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX batch_items_status_idx`.execute(db);
  await sql`ALTER TABLE batch_message_items DROP COLUMN attempts`.execute(db);
  await sql`ALTER TABLE batch_message_items DROP COLUMN variables`.execute(db);
  await sql`ALTER TABLE batch_jobs DROP COLUMN retry_until`.execute(db);
  await sql`ALTER TABLE batch_jobs DROP COLUMN text_template`.execute(db);
}
