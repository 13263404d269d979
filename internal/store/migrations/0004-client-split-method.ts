import { sql, type Kysely } from 'kysely';

/**
 * How a long deliver_sm is cut, per client. The column defaults to 'none' (gomsggw's plain parts)
 * so a settings row msggw did not write itself, as an import from gomsggw brings, behaves as it
 * did there; msggw writes 'udh' for the clients it creates. Rows already here were made by
 * msggw and keep what they did: 'payload' with disable_message_splitting, else 'udh'.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE client_settings ADD COLUMN split_method text NOT NULL DEFAULT 'none'
    CONSTRAINT client_settings_split_method_check CHECK (split_method IN ('udh', 'sar', 'payload', 'none'))`.execute(db);
  await sql`UPDATE client_settings
    SET split_method = CASE WHEN disable_message_splitting THEN 'payload' ELSE 'udh' END`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE client_settings DROP COLUMN split_method`.execute(db);
}
