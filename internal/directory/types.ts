import type { ConfigChange } from '../../proto/config-change.js';
import type { Carrier, ClientDetails, ClientNumber, TenantApiKey } from '../store/index.js';

export type { ConfigChange };

/**
 * The node's in-memory view of the configuration: clients with their numbers and settings,
 * carriers and API keys, read on every message without touching the database.
 * Kept current by cfg.changed events (any node's change reaches every node within a second)
 * and by a periodic full reload as a safety net, since core NATS delivery is at-most-once.
 * Lists are sorted by id.
 */
export interface Directory {
  clients(): ClientDetails[];
  client(id: number): ClientDetails | undefined;
  clientByUsername(username: string): ClientDetails | undefined;
  /** Exact lookup by canonical E.164 ('+' and digits). */
  numberByE164(e164: string): ClientNumber | undefined;
  number(id: number): ClientNumber | undefined;
  carriers(): Carrier[];
  carrier(id: number): Carrier | undefined;
  carrierByUuid(uuid: string): Carrier | undefined;
  carrierByName(name: string): Carrier | undefined;
  /** Any key by its SHA-256, revoked ones too (`active` false): check `active` and `expiresAt`. */
  apiKeyByHash(keyHash: string): TenantApiKey | undefined;
  /** Re-reads the entity a change names from the store. */
  apply(change: ConfigChange): Promise<void>;
  reloadAll(): Promise<void>;
}

/**
 * How the admin API announces a change it has written: the local directory applies it before
 * the call resolves (read-your-writes on this node), then every other node is told.
 */
export interface ConfigChanges {
  announce(change: Omit<ConfigChange, 'v' | 'origin' | 'at'>): Promise<ConfigChange>;
}
