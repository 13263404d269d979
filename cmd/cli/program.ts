/**
 * The `msggw` command line: every command, its options and its help. Built fresh on each call,
 * so tests and the docs generator (docs/cli.md) see exactly what users run.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { apiKeysCommand } from './commands/api-keys.js';
import { batchCommand } from './commands/batch.js';
import { carriersCommand } from './commands/carriers.js';
import { clientsCommand } from './commands/clients.js';
import { configCommand } from './commands/config.js';
import { deadLettersCommand } from './commands/dead-letters.js';
import { failoversCommand } from './commands/failovers.js';
import { importCommand } from './commands/import.js';
import { historyCommand, sendCommand, usageCommand } from './commands/messages.js';
import { numbersCommand } from './commands/numbers.js';
import { serveCommand } from './commands/serve.js';
import { settingsCommand } from './commands/settings.js';
import { statsCommand } from './commands/stats.js';

/** The package's version, from the sources (cmd/cli) or the build (dist/cmd/cli). */
function packageVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(path, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not this level
    }
  }
  return 'unknown';
}

const EXAMPLES = `
Connection: --url/--api-key, else MSGGW_URL and MSGGW_API_KEY (or API_KEY, the gateway's own),
else ~/.config/msggw/config.json ({"url": "http://gw1:3000", "api_key": "..."}; MSGGW_CONFIG
names another file). Every command takes --json; errors are one line on stderr, exit 1 (2 for
bad usage).

Examples:
  msggw clients add -u zultys -a 203.0.113.7 --carrier telnyx --number +12505550100
  msggw numbers add zultys +12505550101 +12505550102 --carrier telnyx
  msggw settings set acme api_format=bicom sms_daily_limit=500
  msggw send -c acme --from +12505550100 --to +14155559876 --text "hello"
  msggw stats --interval 5
  msggw clients list --json | jq '.[].username'`;

export interface ProgramOptions {
  /** Fixed help width (the docs); otherwise the terminal's. */
  helpWidth?: number;
}

/** Sets the help width on a command and every command under it. */
function setHelpWidth(command: Command, width: number): void {
  command.configureHelp({ helpWidth: width });
  for (const sub of command.commands) setHelpWidth(sub, width);
}

export function buildProgram(options: ProgramOptions = {}): Command {
  const program = new Command('msggw')
    .description("Run an msggw gateway node, or administer a running cluster through a node's admin API.")
    .version(packageVersion(), '-V, --version')
    .option('--url <url>', "the node's admin API (default http://localhost:3000)")
    .option('--api-key <key>', 'the admin API key (prefer the environment or the config file: flags show in ps)')
    .option('--config <file>', 'config file with url and api_key')
    .option('--timeout <ms>', 'how long to wait for the node to answer (default 15000)')
    .option('--json', "print the API's JSON instead of tables")
    .showSuggestionAfterError()
    .addHelpText('after', EXAMPLES);
  for (const command of [
    serveCommand(),
    clientsCommand(),
    numbersCommand(),
    carriersCommand(),
    settingsCommand(),
    apiKeysCommand(),
    failoversCommand(),
    sendCommand(),
    usageCommand(),
    historyCommand(),
    statsCommand(),
    batchCommand(),
    deadLettersCommand(),
    importCommand(),
    configCommand(),
  ]) {
    program.addCommand(command);
  }
  if (options.helpWidth) setHelpWidth(program, options.helpWidth);
  return program;
}

/** Every command with its full name (`msggw clients add`), parents first: what docs/cli.md lists. */
export function allCommands(program: Command): Array<{ name: string; command: Command }> {
  const out: Array<{ name: string; command: Command }> = [];
  const walk = (command: Command, prefix: string) => {
    const name = prefix ? `${prefix} ${command.name()}` : command.name();
    out.push({ name, command });
    for (const sub of command.commands) walk(sub, name);
  };
  walk(program, '');
  return out;
}
