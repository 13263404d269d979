import type { MediaRef, Message } from '../../proto/message.js';
import { NotFoundError, PayloadTooLargeError } from '../errors/index.js';
import { baseType, effectiveContentType, mediaKind, OCTET_STREAM } from './content-types.js';
import { fetchMedia } from './fetch.js';
import { partBudgets } from './ladder.js';
import { tokenFromPath } from './tokens.js';
import type { MediaStore, StoredMedia } from './ports.js';
import { fitPart, fitsAsIs, shrinkable, type PartInput } from './transcoder.js';

export interface MediaPreparerOptions {
  /** MEDIA_MAX_BYTES: a download past this is cut off. */
  maxBytes: number;
  fetchTimeoutMs: number;
  /** TRANSCODE_TEMP_PATH. */
  tempDir: string;
  /**
   * SERVER_ADDRESS: a URL under its /media/ is one of our stored files (a client forwarding an
   * MMS it got from us) and is read from the store, not fetched: the gateway's own address is
   * often a private one, which the URL guard refuses.
   */
  serverAddress?: string;
}

export interface MediaPreparerDeps {
  media: MediaStore;
  /**
   * Headers the carrier's media URL `url` needs (Twilio: Basic SID:token; Telnyx: none); none
   * when `url` is not on the carrier's own hosts (CarrierDriver.mediaAuth).
   */
  mediaAuth(carrierId: number, url: string): Record<string, string>;
  /** How media URLs are fetched: the node passes its guard's (createMediaUrlGuard), never a bare fetch. */
  fetch: typeof fetch;
}

/** A part of the message, with its bytes when they were just downloaded. */
interface Loaded {
  ref: MediaRef;
  input?: PartInput;
}

/** A stored file as a message part; `originalSizeBytes` when it is a transcoded version. */
export function refOf(stored: StoredMedia, originalSizeBytes?: number): MediaRef {
  return {
    url: stored.url,
    token: stored.token,
    contentType: stored.contentType,
    filename: stored.filename,
    sizeBytes: stored.sizeBytes,
    ...(originalSizeBytes !== undefined ? { originalSizeBytes } : {}),
  };
}

/**
 * Makes a message's media ready for its egress: URL parts are downloaded (with the carrier's
 * auth for carrier-origin media, size-limited) into the media store; for a carrier, parts are
 * then fitted into the carrier's limit (shared by water-filling, ladder.ts) and SMIL dropped.
 */
export class MediaPreparer {
  constructor(
    private readonly options: MediaPreparerOptions,
    private readonly deps: MediaPreparerDeps,
  ) {}

  /** The message's parts as stored media; `limit` (bytes) only for carrier-bound messages. */
  async prepare(message: Message, limit: number | undefined, signal: AbortSignal): Promise<MediaRef[]> {
    const parts = limit === undefined ? message.media : message.media.filter((p) => mediaKind(p.contentType) !== 'smil');
    const loaded: Loaded[] = [];
    for (const ref of parts) loaded.push(await this.load(ref, message, signal));
    if (limit === undefined) return this.storeDownloads(loaded);
    return this.fit(loaded, limit, signal);
  }

  private async load(ref: MediaRef, message: Message, signal: AbortSignal): Promise<Loaded> {
    if (ref.token || !ref.url) return { ref };
    const token = this.ownToken(ref.url);
    if (token) {
      const file = await this.deps.media.get(token);
      if (!file) throw new NotFoundError(`media ${ref.url} has expired or is unknown`);
      return { ref: { ...ref, token, contentType: file.contentType, filename: ref.filename || file.filename, sizeBytes: file.sizeBytes } };
    }
    const carrierId = message.origin.kind === 'carrier' ? message.origin.carrierId : undefined;
    const fetched = await fetchMedia(ref.url, {
      headers: carrierId !== undefined ? this.deps.mediaAuth(carrierId, ref.url) : undefined,
      maxBytes: this.options.maxBytes,
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.fetchTimeoutMs)]),
      fetch: this.deps.fetch,
    });
    // The sender's type wins unless it is missing or generic; then the server's, then the bytes'.
    const given = baseType(ref.contentType) === OCTET_STREAM ? fetched.contentType : ref.contentType;
    const contentType = effectiveContentType(given, fetched.bytes);
    return {
      ref: { ...ref, contentType, sizeBytes: fetched.bytes.length },
      input: { bytes: fetched.bytes, contentType, filename: ref.filename },
    };
  }

  private async storeDownloads(loaded: Loaded[]): Promise<MediaRef[]> {
    const out: MediaRef[] = [];
    for (const part of loaded) out.push(part.input ? refOf(await this.deps.media.put(part.input)) : part.ref);
    return out;
  }

  private async fit(loaded: Loaded[], limit: number, signal: AbortSignal): Promise<MediaRef[]> {
    const sizes = loaded.map((p) => p.ref.sizeBytes ?? 0);
    const budgets = partBudgets(
      sizes,
      loaded.map((p) => shrinkable(p.ref.contentType)),
      limit,
    );
    const out: MediaRef[] = [];
    for (const [i, part] of loaded.entries()) {
      const budget = budgets[i]!;
      if (!part.input && fitsAsIs({ contentType: part.ref.contentType, sizeBytes: sizes[i]! }, budget)) {
        out.push(part.ref);
        continue;
      }
      const input = part.input ?? (await this.read(part.ref));
      const result = await fitPart(input, budget, { signal, tempDir: this.options.tempDir });
      const stored = await this.deps.media.put(result);
      out.push(refOf(stored, result.transcoded ? input.bytes.length : undefined));
    }
    const total = out.reduce((sum, p) => sum + (p.sizeBytes ?? 0), 0);
    if (total > limit) throw new PayloadTooLargeError(`the MMS media total ${total} bytes, over the carrier's limit of ${limit}`);
    return out;
  }

  /** The token of a URL of our own /media/ (see MediaPreparerOptions.serverAddress), else undefined. */
  private ownToken(url: string): string | undefined {
    const prefix = this.options.serverAddress ? `${this.options.serverAddress.replace(/\/+$/, '')}/media/` : undefined;
    if (!prefix || !url.startsWith(prefix)) return undefined;
    const segment = url.slice(prefix.length);
    return segment.includes('/') || segment.includes('?') ? undefined : tokenFromPath(segment);
  }

  private async read(ref: MediaRef): Promise<PartInput> {
    const file = await this.deps.media.get(ref.token ?? '');
    if (!file) throw new NotFoundError(`the media part ${ref.filename || ref.token} has expired or is unknown`);
    return { bytes: file.bytes, contentType: file.contentType, filename: file.filename };
  }
}
