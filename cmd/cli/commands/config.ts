/** `msggw config`: which node the CLI talks to and where that came from; the key is never shown. */
import { Command } from 'commander';
import { loadConnection } from '../config.js';
import { globalsOf, outputOf } from '../session.js';

export function configCommand(): Command {
  return new Command('config')
    .description('show the node URL and where it and the API key come from (flags > env > config file)')
    .action(async (_opts: unknown, cmd: Command) => {
      const connection = await loadConnection(globalsOf(cmd), process.env);
      const view = {
        url: connection.url,
        url_from: connection.sources.url,
        api_key: connection.apiKey ? 'set' : 'not set',
        api_key_from: connection.sources.apiKey,
        timeout_ms: connection.timeoutMs,
      };
      const out = outputOf(cmd);
      for (const warning of connection.warnings) out.warn(warning);
      out.record(view);
    });
}
