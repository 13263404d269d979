/**
 * The media room: MMS media kept in PostgreSQL (both drivers) by unguessable token and served
 * at /media/{token}; media of routed messages fetched (with the carrier's auth) and fitted to
 * each carrier's size limit by transcode workers on media.transcode (sharp, ffmpeg); expired
 * files cleaned by one leader-elected node.
 */
export type { MediaInput, StoredMedia, MediaFile, MediaStore } from './ports.js';
export { PostgresMediaStore } from './postgres-store.js';
export type { PostgresMediaStoreOptions, PostgresMediaStoreDeps } from './postgres-store.js';
export { MediaCleanup } from './cleanup.js';
export type { MediaCleanupOptions, MediaCleanupDeps } from './cleanup.js';
export { MediaDetour } from './detour.js';
export type { MediaDetourOptions, MediaDetourDeps } from './detour.js';
export { MediaPreparer, refOf } from './prepare.js';
export type { MediaPreparerOptions, MediaPreparerDeps } from './prepare.js';
export { TranscodeWorker } from './transcode-worker.js';
export type { TranscodeWorkerOptions, TranscodeWorkerDeps, MediaFailure } from './transcode-worker.js';
export { carrierLimit, DEFAULT_CARRIER_LIMITS, FALLBACK_CARRIER_LIMIT } from './limits.js';
export type { CarrierIdentity } from './limits.js';
export { fitPart, fitsAsIs } from './transcoder.js';
export type { PartInput, PartResult, FitContext } from './transcoder.js';
export { fetchMedia } from './fetch.js';
export { createMediaUrlGuard, MediaUrlRefusedError } from './url-guard.js';
export type { MediaUrlGuard } from './url-guard.js';
export { newMediaToken, tokenFromPath } from './tokens.js';
export { baseType, extensionFor, filenameFor, sniffContentType, effectiveContentType, mediaKind, servedInline } from './content-types.js';
export type { MediaKind } from './content-types.js';
