/**
 * The media room's contract, so MM4, the web entry point, carriers and transcoding can
 * be built side by side: media bytes never travel on the bus; they are stored once here and
 * referred to by token (proto/message.ts MediaRef.token), served at /media/{token}.
 */

/** Bytes to keep. */
export interface MediaInput {
  bytes: Buffer;
  contentType: string;
  /** As the sender named it; an extension matching the content type is added when missing. */
  filename?: string;
}

/** A stored media file. */
export interface StoredMedia {
  /** Unguessable (≥ 128 bits of randomness), URL-safe. */
  token: string;
  contentType: string;
  filename: string;
  sizeBytes: number;
  /** Public URL: SERVER_ADDRESS + /media/{token}{.ext}. */
  url: string;
  expiresAt: Date;
}

export interface MediaFile extends StoredMedia {
  bytes: Buffer;
}

/** Every node reads what any node stored (PostgreSQL on both drivers). */
export interface MediaStore {
  /** MEDIA_MAX_BYTES: a message's parts are checked against it before any is put, so none is stored alone. */
  readonly maxBytes: number;
  /** Rejects with PayloadTooLargeError (internal/errors) past `maxBytes`. */
  put(input: MediaInput): Promise<StoredMedia>;
  /**
   * undefined when unknown or expired, or larger than `maxBytes` when given: such a file's bytes
   * are never read, so a caller holds no more than it asked for.
   */
  get(token: string, opts?: { maxBytes?: number }): Promise<MediaFile | undefined>;
  /** Deletes expired files; returns how many. Run by one leader-elected node. */
  deleteExpired(now?: Date): Promise<number>;
}
