import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-record-legs.js';
import * as m0003 from './0003-record-smpp-receipts.js';

/**
 * Every migration, in order. Names sort lexically; never rename or edit a released one:
 * add the next file instead.
 */
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-record-legs': m0002,
  '0003-record-smpp-receipts': m0003,
  '0004-client-split-method': await import('./0004-client-split-method.js'),
  '0005-batch-work': await import('./0005-batch-work.js'),
  '0006-record-fillfactor': await import('./0006-record-fillfactor.js'),
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
