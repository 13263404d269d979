/**
 * What every command needs from the global options: the admin API client and the output form.
 * The environment is read here, in cmd, as everywhere else in msggw.
 */
import type { Command } from 'commander';
import { AdminApi } from './api.js';
import { loadConnection, type Connection, type ConnectionFlags } from './config.js';
import { UsageError } from './errors.js';
import { Output } from './output.js';

export interface GlobalOptions extends ConnectionFlags {
  json?: boolean;
}

export interface Session {
  api: AdminApi;
  out: Output;
  connection: Connection;
}

/** The options of the program, whichever subcommand `command` is. */
export function globalsOf(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}

export function outputOf(command: Command): Output {
  return new Output(globalsOf(command).json === true);
}

/** The connection and output for an action; the key must be known before anything is asked. */
export async function sessionOf(command: Command): Promise<Session> {
  const globals = globalsOf(command);
  const connection = await loadConnection(globals, process.env);
  if (connection.apiKey === '') {
    throw new UsageError(
      'no admin API key: pass --api-key, set MSGGW_API_KEY (or API_KEY), or put "api_key" in ~/.config/msggw/config.json',
    );
  }
  const out = new Output(globals.json === true);
  for (const warning of connection.warnings) out.warn(warning);
  return { api: new AdminApi(connection), out, connection };
}
