import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { MediaFileRepo, MediaFileRow, NewMediaFile } from '../types.js';
import { guard } from '../db-errors.js';

/** media_files (upstream §3.8, bytes in a bytea column instead of base64 text). */
export class KyselyMediaRepo implements MediaFileRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(file: NewMediaFile): Promise<void> {
    await guard(
      () =>
        this.db
          .insertInto('mediaFiles')
          .values({
            accessToken: file.token,
            fileName: file.fileName,
            contentType: file.contentType,
            data: file.bytes,
            sizeBytes: file.bytes.length,
            uploadAt: file.uploadAt,
            expiresAt: file.expiresAt,
          })
          .execute(),
      { conflict: 'a media file with this token already exists' },
    );
  }

  async get(token: string, now: Date, maxBytes?: number): Promise<MediaFileRow | undefined> {
    // The size test is in the query, so the bytes of a file over maxBytes never leave the database;
    // octet_length reads a stored value's length without detoasting it (and trusts no size column).
    const row = await guard(() =>
      this.db
        .selectFrom('mediaFiles')
        .selectAll()
        .where('accessToken', '=', token)
        .where('expiresAt', '>', now)
        .$if(maxBytes !== undefined, (qb) => qb.where(sql<number>`octet_length(data)`, '<=', maxBytes!))
        .executeTakeFirst(),
    );
    if (!row) return undefined;
    return {
      token: row.accessToken,
      fileName: row.fileName,
      contentType: row.contentType,
      // Both drivers hand back a Uint8Array view; Buffer.from on its buffer shares, not copies.
      bytes: Buffer.from(row.data.buffer, row.data.byteOffset, row.data.byteLength),
      uploadAt: new Date(row.uploadAt),
      expiresAt: new Date(row.expiresAt),
    };
  }

  async deleteExpired(now: Date, limit: number): Promise<number> {
    // Batched, so one cleanup never holds a long lock over a large backlog (media_files_expires_idx).
    const rows = await guard(() =>
      this.db
        .deleteFrom('mediaFiles')
        .where('id', 'in', (qb) => qb.selectFrom('mediaFiles').select('id').where('expiresAt', '<=', now).limit(limit))
        .returning('id')
        .execute(),
    );
    return rows.length;
  }
}
