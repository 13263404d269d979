/** `msggw api-keys …`: web clients' `gw_live_` keys (docs/admin-api.md, API key). */
import { Command } from 'commander';
import type { Json } from '../api.js';
import { collect } from '../assignments.js';
import { renderRecord } from '../output.js';
import { clientId, numberOf } from '../refs.js';
import { sessionOf } from '../session.js';

const KEY_COLUMNS = [
  'id',
  'name',
  'key_prefix',
  'scopes',
  'rate_limit',
  'active',
  'expires_at',
  'last_used_at',
  { key: 'allowed_numbers', format: (v: unknown) => (Array.isArray(v) ? v.map((n) => String((n as Json).number)).join(', ') : '') },
];

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description("list a client's API keys (revoked ones too)")
    .argument('<client>', 'client id or username')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      out.table(await api.get<Json[]>(`/clients/${await clientId(api, ref)}/api-keys`), KEY_COLUMNS, 'No API keys.');
    });
}

interface CreateOptions {
  name?: string;
  scopes?: string;
  rateLimit?: string;
  expiresInDays?: string;
  number?: string[];
}

function createCommand(): Command {
  return new Command('create')
    .alias('add')
    .description('issue an API key; the key is shown once')
    .argument('<client>', 'client id or username')
    .option('--name <name>', 'what the key is for')
    .option('--scopes <list>', 'comma list of send, batch, usage', 'send,batch,usage')
    .option('--rate-limit <n>', 'requests per minute (0 = no limit)')
    .option('--expires-in-days <n>', 'days until the key expires (0 = never)')
    .option('--number <number>', 'only send from this number (id or number; repeatable)', collect)
    .action(async (ref: string, opts: CreateOptions, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const id = await clientId(api, ref);
      const numberIds = await Promise.all((opts.number ?? []).map(async (n) => Number((await numberOf(api, n)).id)));
      const key = await api.post<Json>(`/clients/${id}/api-keys`, {
        name: opts.name,
        scopes: opts.scopes,
        rate_limit: opts.rateLimit === undefined ? undefined : Number(opts.rateLimit),
        expires_in_days: opts.expiresInDays === undefined ? undefined : Number(opts.expiresInDays),
        allowed_number_ids: numberIds,
      });
      const { key: raw, ...shown } = key;
      out.result(
        key,
        () =>
          `${renderRecord(shown, ['id', 'client_id', 'name', 'key_prefix', 'scopes', 'rate_limit', 'expires_at'])}` +
          `API key (shown once): ${String(raw)}\n`,
      );
    });
}

function revokeCommand(): Command {
  return new Command('revoke')
    .alias('rm')
    .description('revoke an API key (it stays listed, inactive)')
    .argument('<client>', 'client id or username')
    .argument('<key-id>', "the key's id (from api-keys list)")
    .action(async (ref: string, keyId: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const answer = await api.delete<Json>(`/clients/${await clientId(api, ref)}/api-keys/${keyId}`);
      out.result(answer, () => `API key ${String(answer.key_id)} revoked.\n`);
    });
}

export function apiKeysCommand(): Command {
  return new Command('api-keys')
    .description("list, create and revoke web clients' API keys")
    .addCommand(listCommand())
    .addCommand(createCommand())
    .addCommand(revokeCommand());
}
