/**
 * `msggw import --from-postgres URL [--dry-run]`: takes over a gomsggw database. Reads its
 * carriers, clients, numbers, failovers, API keys and media and writes them into the store this
 * node's configuration names, decrypting gomsggw's passwords with ENCRYPTION_KEY (the key gomsggw
 * ran with) and storing them as the gateway does. Prints a line per row and a summary.
 * Exits 0 when the run finished (rows it could not take are listed, not fatal), 2 on bad
 * arguments or configuration, 1 when a database cannot be reached.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../../internal/config/index.js';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore } from '../../internal/store/index.js';
import { formatEvent, formatSummary, importGomsggw, openGomsggwSource } from '../../internal/importer/index.js';

const USAGE = 'usage: msggw import --from-postgres postgres://user:pass@host:5432/smsgw [--dry-run]\n';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { 'from-postgres': { type: 'string' }, 'dry-run': { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`msggw import: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const url = args['from-postgres'];
  if (!url) {
    process.stderr.write(`msggw import: --from-postgres is required\n${USAGE}`);
    return 2;
  }
  const dryRun = args['dry-run'] === true;
  let config;
  try {
    config = await loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msggw import: invalid configuration\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const source = await openGomsggwSource(url);
  try {
    const encryptionKey = config.secrets.encryptionKey;
    const store = await createStore(config.store, { secretBox: createSecretBox(encryptionKey) });
    try {
      // A dry run writes nothing, migrations included: it needs a database msggw has already set up.
      if (!dryRun) {
        await store.migrate();
        await store.verifySecrets();
      }
      const report = await importGomsggw(source, store, { encryptionKey, dryRun, now: new Date() });
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`msggw import: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
