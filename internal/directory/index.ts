/**
 * The directory room: each node's in-memory view of clients, numbers, carriers and API keys,
 * read on the hot path and by the admin API, refreshed by configuration change events.
 */
export { MemoryDirectory, DEFAULT_FULL_RELOAD_MS } from './memory-directory.js';
export type { DirectoryOptions, DirectoryDeps } from './memory-directory.js';
export { LocalConfigChanges } from './local-changes.js';
export type { Directory, ConfigChanges, ConfigChange } from './types.js';
export { effectiveLimit, effectiveNumberSettings, effectiveWebhook, LimitPeriod } from './effective-settings.js';
export type { EffectiveLimit, EffectiveNumberSettings, LimitedType, SettingSource } from './effective-settings.js';

import { MemoryDirectory } from './memory-directory.js';
import type { Store } from '../store/index.js';

/** A directory over `store`; call start() to load it. */
export function createDirectory(store: Store, options: { fullReloadMs?: number } = {}): MemoryDirectory {
  return new MemoryDirectory(options, { store });
}
