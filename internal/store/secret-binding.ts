import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { carrierPasswordBinding, clientPasswordBinding, type SecretCodec } from './secrets.js';

/**
 * Re-encrypts every stored password still in an unbound format (written before secrets were bound
 * to their rows, or by upstream gomsggw) bound to its row, so an operator has nothing to run.
 * Each row is replaced only if it still holds the value read, so nodes starting together, or an
 * admin changing the password meanwhile, never lose a write. Returns how many rows changed.
 */
export async function bindStoredSecrets(db: Kysely<Database>, codec: SecretCodec): Promise<number> {
  let changed = 0;
  for (const table of ['clients', 'carriers'] as const) {
    const binding = table === 'clients' ? clientPasswordBinding : carrierPasswordBinding;
    const rows = await db.selectFrom(table).select(['id', 'password']).where('password', '<>', '').execute();
    for (const row of rows) {
      if (codec.isBound(row.password)) continue;
      const bound = codec.encrypt(codec.decrypt(row.password, binding(row.id)), binding(row.id));
      const result = await db
        .updateTable(table)
        .set({ password: bound })
        .where('id', '=', row.id)
        .where('password', '=', row.password)
        .executeTakeFirst();
      changed += Number(result.numUpdatedRows);
    }
  }
  return changed;
}
