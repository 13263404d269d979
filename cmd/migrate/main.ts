/**
 * `npm run migrate`: applies pending database migrations and checks ENCRYPTION_KEY against the
 * database, then exits. The gateway does the same at start (under the same lock), so running
 * this first is optional: it lets a deploy pipeline migrate before rolling out new nodes.
 */
import { ConfigError, loadConfig } from '../../internal/config/index.js';
import { createSecretBox } from '../../internal/crypto/index.js';
import { createStore } from '../../internal/store/index.js';

async function main(): Promise<number> {
  let config;
  try {
    config = await loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msggw migrate: invalid configuration\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const store = await createStore(config.store, { secretBox: createSecretBox(config.secrets.encryptionKey) });
  try {
    const applied = await store.migrate();
    await store.verifySecrets();
    process.stdout.write(
      applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database is up to date\n',
    );
    return 0;
  } finally {
    await store.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`msggw migrate: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
