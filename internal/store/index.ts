/**
 * The store room: configuration and records in PostgreSQL (pg) or PGlite (embedded default),
 * one schema and one set of migrations for both. Other rooms use the repositories of `Store`.
 */
export { createStore } from './create.js';
export type { StoreConfig, StoreDeps } from './create.js';
export type { KyselyStore } from './kysely-store.js';
export { ClientType, ApiFormat, AuthMethod, SplitMethod, NEW_CLIENT_SPLIT_METHOD, GOMSGGW_SPLIT_METHOD, legKey } from './types.js';
export { isPermanentDataError } from './db-errors.js';
export { clientNumber } from './client-numbers.js';
export type * from './types.js';
export type { SecretCodec } from './secrets.js';
