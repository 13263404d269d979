/** `msggw carriers …`: the carriers numbers send through (docs/admin-api.md, Carrier; docs/carriers.md). */
import { Command, Option } from 'commander';
import { CARRIER_TYPES } from '../../../proto/carrier-types.js';
import type { Json } from '../api.js';
import { withFields } from '../assignments.js';
import { renderRecord } from '../output.js';
import { carrierId } from '../refs.js';
import { sessionOf, type Session } from '../session.js';
import { reloadCommand } from './reload.js';

const CARRIER_COLUMNS = [
  'id',
  'name',
  'type',
  'username',
  'max_rps',
  'webhook_url',
  { key: 'warnings', format: (v: unknown) => (Array.isArray(v) && v.length > 0 ? `${v.length} (see show)` : '') },
];
const CARRIER_FIELDS = [
  'id',
  'name',
  'type',
  'username',
  'uuid',
  'webhook_url',
  'profile_id',
  'api_base_url',
  'verify_webhooks',
  'public_key',
  'max_rps',
  'created_at',
  'updated_at',
];

interface CarrierOptions {
  name?: string;
  type?: string;
  username?: string;
  password?: string;
  profileId?: string;
  apiBaseUrl?: string;
  publicKey?: string;
  maxRps?: string;
  uuid?: string;
  verifyWebhooks?: boolean;
}

/** The fields the options name; the rest stay as they are (undefined is left out of the JSON). */
function carrierBody(opts: CarrierOptions, fields: string[]): Json {
  return withFields(fields, {
    name: opts.name,
    type: opts.type,
    username: opts.username,
    password: opts.password,
    profile_id: opts.profileId,
    api_base_url: opts.apiBaseUrl,
    public_key: opts.publicKey,
    max_rps: opts.maxRps === undefined ? undefined : Number(opts.maxRps),
    uuid: opts.uuid,
    verify_webhooks: opts.verifyWebhooks,
  });
}

/** A carrier's fields, then what the gateway warns about it (e.g. unsigned webhooks). */
function showCarrier(session: Session, carrier: Json, heading = ''): void {
  session.out.result(carrier, () => heading + renderRecord(carrier, CARRIER_FIELDS));
  if (!session.out.json) for (const w of (carrier.warnings as string[] | undefined) ?? []) session.out.warn(`warning: ${w}`);
}

function withCarrierOptions(command: Command): Command {
  return command
    .option('--profile-id <id>', 'Telnyx messaging profile id')
    .option('--api-base-url <url>', 'a sandbox or test server instead of the carrier\'s API ("" = the real one)')
    .option('--public-key <key>', "key that verifies the carrier's webhook signatures")
    .option('--verify-webhooks', 'verify webhook signatures when there is a key (the default)')
    .option('--no-verify-webhooks', 'take webhooks unsigned')
    .option('--max-rps <n>', 'messages per second the carrier takes from the cluster (0 = no limit)');
}

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('list carriers')
    .action(async (_opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      out.table(await api.get<Json[]>('/carriers'), CARRIER_COLUMNS, 'No carriers.');
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('show a carrier and the webhook URL to configure at it')
    .argument('<carrier>', 'carrier id or name')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const session = await sessionOf(cmd);
      showCarrier(session, await session.api.get<Json>(`/carriers/${await carrierId(session.api, ref)}`));
    });
}

function addCommand(): Command {
  const command = new Command('add')
    .alias('create')
    .description('add a carrier')
    .requiredOption('--name <name>', 'the name numbers route by')
    .addOption(new Option('--type <type>', 'carrier type').choices([...CARRIER_TYPES]).makeOptionMandatory())
    .requiredOption('--username <username>', 'Twilio account SID, Telnyx or OneVoicePlus user')
    .requiredOption('--password <password>', 'Twilio auth token, Telnyx API key, OneVoicePlus password')
    .argument('[field=value...]', 'any other field of POST /carriers');
  return withCarrierOptions(command)
    .option('--uuid <hex24>', "keep a gomsggw carrier's uuid, so its webhook URL stays")
    .action(async (fields: string[], opts: CarrierOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const carrier = await session.api.post<Json>('/carriers', carrierBody(opts, fields));
      showCarrier(session, carrier, `Carrier ${String(carrier.id)} created.\n`);
    });
}

function updateCommand(): Command {
  const command = new Command('update')
    .alias('set')
    .description('change a carrier (a carrier numbers use cannot be renamed)')
    .argument('<carrier>', 'carrier id or name')
    .argument('[field=value...]', 'any other field of PUT /carriers/{id}')
    .option('--name <name>', 'new name')
    .addOption(new Option('--type <type>', 'carrier type').choices([...CARRIER_TYPES]))
    .option('--username <username>', 'account or user')
    .option('--password <password>', 'token, key or password');
  return withCarrierOptions(command).action(async (ref: string, fields: string[], opts: CarrierOptions, cmd: Command) => {
    const session = await sessionOf(cmd);
    const answer = await session.api.put<Json>(`/carriers/${await carrierId(session.api, ref)}`, carrierBody(opts, fields));
    showCarrier(session, session.out.json ? answer : (answer.carrier as Json), `${String(answer.message)}.\n`);
  });
}

function removeCommand(): Command {
  return new Command('rm')
    .alias('delete')
    .description('delete a carrier no number uses')
    .argument('<carrier>', 'carrier id or name')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const answer = await api.delete<Json>(`/carriers/${await carrierId(api, ref)}`);
      out.result(answer, () => `Carrier ${String(answer.carrier_id)} deleted.\n`);
    });
}

export function carriersCommand(): Command {
  return new Command('carriers')
    .description('list, add, change and delete carriers')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(addCommand())
    .addCommand(updateCommand())
    .addCommand(removeCommand())
    .addCommand(
      reloadCommand('/carriers/reload', 'make the node re-read carriers from the database (changes apply on their own within a second)'),
    );
}
