import { PayloadTooLargeError } from '../errors/index.js';
import type { MediaFileRepo } from '../store/index.js';
import { baseType, effectiveContentType, extensionFor, filenameFor } from './content-types.js';
import type { MediaFile, MediaInput, MediaStore, StoredMedia } from './ports.js';
import { newMediaToken } from './tokens.js';

/** Expired files deleted per statement; the cleanup repeats until fewer come back. */
const DELETE_BATCH = 500;

export interface PostgresMediaStoreOptions {
  /** SERVER_ADDRESS, without a trailing slash: the base of every media URL. */
  serverAddress: string;
  /** MEDIA_TTL_DAYS in milliseconds. */
  ttlMs: number;
  /** MEDIA_MAX_BYTES. */
  maxBytes: number;
}

export interface PostgresMediaStoreDeps {
  /** media_files on PostgreSQL or PGlite (store.media). */
  repo: MediaFileRepo;
  now?: () => Date;
}

/**
 * The MediaStore every node shares: bytes in media_files (PostgreSQL on both drivers), found by
 * an unguessable token, served at SERVER_ADDRESS/media/{token}.{ext} until they expire.
 */
export class PostgresMediaStore implements MediaStore {
  readonly #now: () => Date;

  constructor(
    private readonly options: PostgresMediaStoreOptions,
    private readonly deps: PostgresMediaStoreDeps,
  ) {
    this.#now = deps.now ?? (() => new Date());
  }

  /** The largest file put() accepts (MEDIA_MAX_BYTES). */
  get maxBytes(): number {
    return this.options.maxBytes;
  }

  async put(input: MediaInput): Promise<StoredMedia> {
    if (input.bytes.length > this.options.maxBytes) {
      throw new PayloadTooLargeError(`media file is ${input.bytes.length} bytes; at most ${this.options.maxBytes} bytes are accepted`);
    }
    const contentType = effectiveContentType(input.contentType, input.bytes);
    const uploadAt = this.#now();
    const file = {
      token: newMediaToken(),
      fileName: filenameFor(input.filename ?? '', contentType),
      contentType,
      bytes: input.bytes,
      uploadAt,
      expiresAt: new Date(uploadAt.getTime() + this.options.ttlMs),
    };
    await this.deps.repo.insert(file);
    return this.describe(file.token, contentType, file.fileName, input.bytes.length, file.expiresAt);
  }

  async get(token: string, opts: { maxBytes?: number } = {}): Promise<MediaFile | undefined> {
    const row = await this.deps.repo.get(token, this.#now(), opts.maxBytes);
    if (!row) return undefined;
    return { ...this.describe(row.token, row.contentType, row.fileName, row.bytes.length, row.expiresAt), bytes: row.bytes };
  }

  async deleteExpired(now = this.#now()): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await this.deps.repo.deleteExpired(now, DELETE_BATCH);
      total += deleted;
      if (deleted < DELETE_BATCH) return total;
    }
  }

  /** Public URL of a token: the extension lets carriers and handsets see the type (Twilio checks it). */
  urlOf(token: string, contentType: string): string {
    return `${this.options.serverAddress}/media/${token}.${extensionFor(baseType(contentType))}`;
  }

  private describe(token: string, contentType: string, filename: string, sizeBytes: number, expiresAt: Date): StoredMedia {
    return { token, contentType, filename, sizeBytes, url: this.urlOf(token, contentType), expiresAt };
  }
}
