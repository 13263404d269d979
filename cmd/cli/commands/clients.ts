/** `msggw clients …`: the gateway's clients (docs/admin-api.md, Client), and their SMPP status. */
import { Command, Option } from 'commander';
import type { Json } from '../api.js';
import { collect, withFields } from '../assignments.js';
import { CommandFailed, UsageError } from '../errors.js';
import { renderRecord, renderTable } from '../output.js';
import { generatePassword, LEGACY_PASSWORD_LENGTH, WEB_PASSWORD_LENGTH } from '../password.js';
import { clientId } from '../refs.js';
import { sessionOf, type Session } from '../session.js';
import { addNumbers, NUMBER_COLUMNS } from './numbers.js';
import { reloadCommand } from './reload.js';

const CLIENT_COLUMNS = [
  'id',
  'username',
  'name',
  'type',
  'address',
  'timezone',
  { key: 'numbers', format: (v: unknown) => String(Array.isArray(v) ? v.length : 0) },
];
const CLIENT_FIELDS = ['id', 'username', 'name', 'type', 'address', 'timezone', 'log_privacy', 'created_at', 'updated_at'];

/** Warnings the API attaches (SMPP credential limits) go to stderr in table mode. */
function warnAll(session: Session, answer: Json): void {
  if (session.out.json) return;
  for (const warning of (answer.warnings as string[] | undefined) ?? []) session.out.warn(`warning: ${warning}`);
}

/** A client: its fields, then its numbers. */
export function renderClient(client: Json): string {
  const numbers = (client.numbers as Json[] | undefined) ?? [];
  return `${renderRecord(client, CLIENT_FIELDS)}Numbers:\n${renderTable(numbers, NUMBER_COLUMNS, '(none)')}`;
}

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('list clients')
    .addOption(new Option('--type <type>', 'only clients of this type').choices(['legacy', 'web']))
    .action(async (opts: { type?: string }, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const clients = await api.get<Json[]>('/clients');
      out.table(
        clients.filter((c) => !opts.type || c.type === opts.type),
        CLIENT_COLUMNS,
        'No clients.',
      );
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('show a client and its numbers')
    .argument('<client>', 'client id or username')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const client = await api.get<Json>(`/clients/${await clientId(api, ref)}`);
      out.result(client, () => renderClient(client));
    });
}

interface AddOptions {
  username: string;
  password?: string;
  type: string;
  name?: string;
  address?: string;
  timezone?: string;
  logPrivacy?: boolean;
  carrier?: string;
  number?: string[];
  nanp?: boolean;
}

function addCommand(): Command {
  return new Command('add')
    .alias('create')
    .description("create a client; with --number, also its numbers (one step, as gomsggw's quick flow)")
    .requiredOption('-u, --username <username>', 'login (the SMPP system_id of a legacy client: 15 octets at most)')
    .option(
      '-p, --password <password>',
      'password; generated and shown once when left out (8 characters for legacy clients, the SMPP limit)',
    )
    .addOption(new Option('-t, --type <type>', 'legacy (SMPP/MM4 PBX) or web (REST)').choices(['legacy', 'web']).default('legacy'))
    .option('-n, --name <name>', 'display name')
    .option('-a, --address <address>', 'IP or hostname the PBX connects from (required for legacy clients)')
    .option('--timezone <zone>', 'IANA time zone for daily and monthly limits (default UTC)')
    .option('--log-privacy', 'keep message text out of the logs')
    .option('--carrier <carrier>', 'carrier name for the --number numbers')
    .option('--number <number>', 'a number to give the client (repeatable; needs --carrier)', collect)
    .option('--nanp', 'a --number of 10 bare digits is North American: add its 1')
    .action(async (opts: AddOptions, cmd: Command) => {
      if (opts.number?.length && !opts.carrier) throw new UsageError('--number needs --carrier: the carrier its messages leave by');
      const session = await sessionOf(cmd);
      const { api, out } = session;
      const generated =
        opts.password === undefined ? generatePassword(opts.type === 'web' ? WEB_PASSWORD_LENGTH : LEGACY_PASSWORD_LENGTH) : undefined;
      const client = await api.post<Json>('/clients', {
        username: opts.username,
        password: opts.password ?? generated,
        type: opts.type,
        name: opts.name,
        address: opts.address,
        timezone: opts.timezone,
        log_privacy: opts.logPrivacy,
      });
      warnAll(session, client);
      const numbers = opts.number?.length
        ? await addNumbers(session, Number(client.id), opts.number, { carrier: opts.carrier, nanp: opts.nanp })
        : undefined;
      const shown = await api.get<Json>(`/clients/${String(client.id)}`);
      out.result(
        { ...shown, ...(generated ? { password: generated } : {}), ...(numbers ? { added_numbers: numbers } : {}) },
        () => `Client ${String(client.id)} created.\n${renderClient(shown)}`,
      );
      if (generated && !out.json) out.say(`Password (shown once): ${generated}`);
      const notAdded = (numbers ?? []).filter((n) => n.result !== 'added');
      if (!out.json) for (const n of notAdded) out.warn(`warning: ${n.number} ${n.result}: ${n.detail}`);
      if (notAdded.some((n) => n.result === 'failed'))
        throw new CommandFailed(`client ${String(client.id)} created, but not all its numbers`);
    });
}

interface UpdateOptions {
  name?: string;
  address?: string;
  timezone?: string;
  logPrivacy?: boolean;
}

function updateCommand(): Command {
  return new Command('update')
    .alias('set')
    .description("change a client's name, address, time zone or log privacy (username and type stay)")
    .argument('<client>', 'client id or username')
    .argument('[field=value...]', 'any other field of PUT /clients/{id}')
    .option('-n, --name <name>', 'display name')
    .option('-a, --address <address>', 'IP or hostname the PBX connects from')
    .option('--timezone <zone>', 'IANA time zone')
    .option('--log-privacy', 'keep message text out of the logs')
    .option('--no-log-privacy', 'log message text')
    .action(async (ref: string, fields: string[], opts: UpdateOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const { api, out } = session;
      const id = await clientId(api, ref);
      const body = withFields(fields, { name: opts.name, address: opts.address, timezone: opts.timezone, log_privacy: opts.logPrivacy });
      const answer = await api.put<Json>(`/clients/${id}`, body);
      warnAll(session, answer);
      out.result(answer, () => `${String(answer.message)}.\n${renderClient(answer.client as Json)}`);
    });
}

function passwordCommand(): Command {
  return new Command('password')
    .description("set a client's password; generated and shown once when left out")
    .argument('<client>', 'client id or username')
    .option('-p, --password <password>', 'the new password')
    .action(async (ref: string, opts: { password?: string }, cmd: Command) => {
      const session = await sessionOf(cmd);
      const { api, out } = session;
      const id = await clientId(api, ref);
      let password = opts.password;
      if (password === undefined) {
        const client = await api.get<Json>(`/clients/${id}`);
        password = generatePassword(client.type === 'web' ? WEB_PASSWORD_LENGTH : LEGACY_PASSWORD_LENGTH);
      }
      const answer = await api.patch<Json>(`/clients/${id}/password`, { new_password: password });
      warnAll(session, answer);
      out.result({ ...answer, ...(opts.password === undefined ? { password } : {}) }, () => `${String(answer.status)}.\n`);
      if (opts.password === undefined) out.say(`Password (shown once): ${password}`);
    });
}

function removeCommand(): Command {
  return new Command('rm')
    .alias('delete')
    .description('delete a client with its numbers, settings, failovers and API keys')
    .argument('<client>', 'client id or username')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const answer = await api.delete<Json>(`/clients/${await clientId(api, ref)}`);
      out.result(answer, () => `Client ${String(answer.client_id)} deleted.\n`);
    });
}

function statusCommand(): Command {
  return new Command('status')
    .description('is the client bound over SMPP (on any node), and its failovers')
    .argument('<client>', 'client id or username')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const status = await api.get<Json>(`/clients/${await clientId(api, ref)}/smpp-status`);
      out.result(
        status,
        () =>
          renderRecord(status, ['client_id', 'username', 'online', 'ip']) +
          `Failovers:\n${renderTable((status.failovers as Json[] | undefined) ?? [], ['client_id', 'username', 'priority', 'online'], '(none)')}`,
      );
    });
}

export function clientsCommand(): Command {
  return new Command('clients')
    .description('list, create, change and delete clients; SMPP status')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(addCommand())
    .addCommand(updateCommand())
    .addCommand(passwordCommand())
    .addCommand(removeCommand())
    .addCommand(statusCommand())
    .addCommand(
      reloadCommand(
        '/clients/reload',
        'make the node re-read clients and numbers from the database (changes apply on their own within a second)',
      ),
    );
}
