/**
 * `msggw import`: takes over a gomsggw database. Reads its carriers, clients, numbers,
 * failovers, API keys and media and writes them into the store this node's configuration names,
 * decrypting gomsggw's passwords with ENCRYPTION_KEY (the key gomsggw ran with) and storing them
 * as the gateway does. Prints a line per row and a summary (docs/import.md).
 */
import { ConfigError, loadConfig } from '../../internal/config/index.js';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore } from '../../internal/store/index.js';
import { formatEvent, formatSummary, importGomsggw, openGomsggwSource, type ImportProgress } from '../../internal/importer/index.js';

export interface ImportRequest {
  fromPostgres: string;
  dryRun: boolean;
  /** Told after each row (a progress bar); the lines and the summary go to stdout regardless. */
  onProgress?: (progress: ImportProgress) => void;
}

/**
 * Runs the import. Resolves 0 when the run finished (rows it could not take are listed, not
 * fatal) and 2 on an invalid configuration; rejects when a database cannot be reached.
 */
export async function runImport(request: ImportRequest, env: NodeJS.ProcessEnv): Promise<number> {
  let config;
  try {
    config = await loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msggw import: invalid configuration\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const source = await openGomsggwSource(request.fromPostgres);
  try {
    const encryptionKey = config.secrets.encryptionKey;
    const store = await createStore(config.store, { secretBox: createSecretBox(encryptionKey) });
    try {
      // A dry run writes nothing, migrations included: it needs a database msggw has already set up.
      if (!request.dryRun) {
        await store.migrate();
        await store.verifySecrets();
      }
      const report = await importGomsggw(source, store, {
        encryptionKey,
        dryRun: request.dryRun,
        now: new Date(),
        onProgress: request.onProgress,
      });
      for (const event of report.events) process.stdout.write(`${formatEvent(event)}\n`);
      process.stdout.write(`${formatSummary(report)}\n`);
      return 0;
    } finally {
      await store.close();
    }
  } finally {
    await source.close();
  }
}
