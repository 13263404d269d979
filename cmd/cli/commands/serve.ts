/** `msggw serve` (and `msggw` alone): runs a gateway node, configured by its environment (docs/configuration.md). */
import { Command } from 'commander';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run a gateway node (what `msggw` with no command does); configured by environment variables, see docs/configuration.md')
    .action(async () => {
      // The gateway's entry runs itself on import and exits the process when the node stops.
      await import('../../gateway/main.js');
    });
}
