/**
 * msggw gateway entry point: load configuration, run one node, stop it on SIGTERM/SIGINT.
 * Exits non-zero when the configuration is invalid, start-up fails, a component dies, or the
 * node could not stop cleanly within SHUTDOWN_TIMEOUT_SECS.
 */
import { ConfigError, loadConfig } from '../../internal/config/index.js';
import { createLogger } from '../../internal/log/index.js';
import { GatewayNode } from './node.js';

/** After SHUTDOWN_TIMEOUT_SECS the node has given up on stragglers; this long more, main stops waiting too. */
const EXIT_GRACE_MS = 500;

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
  logger.info({ reason: String(ended), timeoutMs: config.node.shutdown.timeoutMs }, 'stopping');
  // The node leaves a stuck component behind at the deadline; this is the backstop should the
  // process still not exit (e.g. a handle that keeps the event loop alive).
  const backstop = setTimeout(() => {
    logger.error('shutdown deadline passed; exiting');
    process.exit(1);
  }, config.node.shutdown.timeoutMs + EXIT_GRACE_MS);
  backstop.unref();
  const stopped = await node.stop().then(
    () => true,
    (err: unknown) => {
      logger.error({ err }, 'shutdown had errors');
      return false;
    },
  );
  return ended instanceof Error || !stopped ? 1 : 0;
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
