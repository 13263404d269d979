/**
 * msggw gateway entry point: load configuration, run one node, stop it on SIGTERM/SIGINT.
 * Exits non-zero when the configuration is invalid, start-up fails, or a component dies.
 */
import { ConfigError, loadConfig } from '../../internal/config/index.js';
import { createLogger } from '../../internal/log/index.js';
import { GatewayNode } from './node.js';

/** Past this, a stuck shutdown is abandoned so the orchestrator can restart the node. */
const STOP_DEADLINE_MS = 30_000;

async function main(): Promise<number> {
  let config;
  try {
    config = await loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`msggw: invalid configuration\n${err.message}\n`);
      return 2;
    }
    throw err;
  }
  const logger = createLogger({ level: config.log.level, serverId: config.node.serverId });
  for (const warning of config.warnings) logger.warn(warning);
  announceSecrets(config.secrets);

  const node = new GatewayNode(config, logger);
  try {
    await node.start();
  } catch (err) {
    logger.fatal({ err }, `start-up failed: ${(err as Error).message}`);
    await node.stop().catch(() => undefined);
    return 1;
  }

  const ended = await new Promise<string | Error>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => resolve(signal));
    void node.closed().then((result) => resolve(result ?? new Error('a component stopped unexpectedly')));
  });
  logger.info({ reason: String(ended) }, 'stopping');
  const deadline = setTimeout(() => {
    logger.error('shutdown deadline passed; exiting');
    process.exit(1);
  }, STOP_DEADLINE_MS);
  deadline.unref();
  await node.stop().catch((err) => logger.error({ err }, 'shutdown had errors'));
  return ended instanceof Error ? 1 : 0;
}

/** The embedded default generates its keys once; the admin must learn the API key somehow. */
function announceSecrets(secrets: { apiKeyGenerated: boolean; apiKey: string; secretsFile?: string }): void {
  if (secrets.apiKeyGenerated) {
    process.stdout.write(`\nmsggw: generated admin API key (kept in ${secrets.secretsFile}):\n  API_KEY=${secrets.apiKey}\n\n`);
  } else if (secrets.secretsFile) {
    process.stdout.write(`msggw: admin API key is in ${secrets.secretsFile}\n`);
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`msggw: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
