/** `msggw numbers …`: clients' numbers, their limits and auto-reply (docs/admin-api.md, Number). */
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import type { Json } from '../api.js';
import { parseAssignments, withFields } from '../assignments.js';
import { ApiError, CommandFailed, UsageError } from '../errors.js';
import { renderRecord, renderTable, type Columns } from '../output.js';
import { clientId, numberOf } from '../refs.js';
import { sessionOf, type Session } from '../session.js';

export const NUMBER_COLUMNS: Columns = [
  'id',
  'client_id',
  'number',
  'carrier',
  'tag',
  'group',
  'webhook',
  { key: 'ignore_stop_cmd_sending', header: 'ignore_stop' },
];

export interface NumberFields {
  carrier?: string;
  tag?: string;
  group?: string;
  webhook?: string;
  ignoreStop?: boolean;
  nanp?: boolean;
}

/**
 * With --nanp, a number written as 10 bare digits (no + or 00) is North American and gets its
 * 1, as gomsggw's admin script always did; the gateway itself never adds a country code.
 */
export function withNanp(number: string, nanp: boolean | undefined): string {
  const digits = number.replace(/[\s\-().]/g, '');
  return nanp && /^\d{10}$/.test(digits) ? `+1${digits}` : number;
}

/** One pasted number's outcome: added, skipped (the gateway has it already) or failed. */
interface Added {
  number: string;
  result: 'added' | 'skipped' | 'failed';
  id?: number;
  detail: string;
}

/** Numbers pasted as a list: commas, semicolons and newlines separate; spaces may be inside a number. */
export function splitNumbers(items: string[]): string[] {
  return items
    .flatMap((item) => item.split(/[,;\r\n]+/))
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

/**
 * Adds each number to the client, going on past one that fails: a number the gateway already
 * has is skipped, as gomsggw's admin script did, so a pasted list can be added again.
 */
export async function addNumbers(session: Session, client: number, numbers: string[], fields: NumberFields): Promise<Added[]> {
  if (!fields.carrier) throw new UsageError('--carrier is required to add numbers');
  const results: Added[] = [];
  for (const given of numbers) {
    const number = withNanp(given, fields.nanp);
    try {
      const added = await session.api.post<Json>(`/clients/${client}/numbers`, {
        number,
        carrier: fields.carrier,
        tag: fields.tag,
        group: fields.group,
        webhook: fields.webhook,
        ignore_stop_cmd_sending: fields.ignoreStop,
      });
      results.push({ number: String(added.number), result: 'added', id: Number(added.id), detail: '' });
    } catch (err) {
      if (!(err instanceof ApiError) || err.status >= 500 || err.status === 401) throw err;
      results.push({ number, result: err.status === 409 ? 'skipped' : 'failed', detail: err.message });
    }
  }
  return results;
}

async function readNumbersFile(path: string): Promise<string[]> {
  const text = path === '-' ? await readStdin() : await readFile(path, 'utf8');
  return splitNumbers([text]);
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('list numbers, of every client or of one')
    .option('-c, --client <client>', "only this client's numbers (id or username)")
    .option('--tag <tag>', 'only numbers with this tag ("" for none)')
    .option('--group <group>', 'only numbers in this group ("" for none)')
    .action(async (opts: { client?: string; tag?: string; group?: string }, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const client = opts.client === undefined ? undefined : await clientId(api, opts.client);
      const numbers = await api.get<Json[]>('/numbers', { client_id: client, tag: opts.tag, group: opts.group });
      out.table(numbers, NUMBER_COLUMNS, 'No numbers.');
    });
}

/** A number's fields, then its own settings when it has any. */
function renderNumber(number: Json): string {
  const { settings, ...fields } = number;
  return renderRecord(fields) + (settings ? `Settings:\n${renderRecord(settings as Json)}` : '');
}

function showCommand(): Command {
  return new Command('show')
    .description('show a number')
    .argument('<number>', 'number id, or the number (+12505550100)')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const number = await api.get<Json>(`/numbers/${String((await numberOf(api, ref)).id)}`);
      out.result(number, () => renderNumber(number));
    });
}

function addCommand(): Command {
  return new Command('add')
    .description('give a client numbers; a number the gateway already has is skipped')
    .argument('<client>', 'client id or username')
    .argument('[numbers...]', 'numbers, in any spelling (+1 250 555 0100, 12505550100); commas or spaces between')
    .requiredOption('--carrier <carrier>', 'carrier name (or type) outbound messages from these numbers leave by')
    .option('-f, --file <path>', 'read more numbers from a file, or - for stdin (one per line, or comma separated)')
    .option('--tag <tag>', 'free-form label')
    .option('--group <group>', 'free-form label')
    .option('--webhook <url>', "where this number's messages go (web clients; default: the client's default_webhook)")
    .option('--ignore-stop', 'no auto-reply and no STOP footer for this number')
    .option('--nanp', 'a number of 10 bare digits is North American: add its 1 (2505551234 -> +12505551234)')
    .action(async (ref: string, given: string[], opts: NumberFields & { file?: string }, cmd: Command) => {
      const session = await sessionOf(cmd);
      const numbers = [...splitNumbers(given), ...(opts.file ? await readNumbersFile(opts.file) : [])];
      if (numbers.length === 0) throw new UsageError('no numbers given: name them as arguments or with --file');
      const results = await addNumbers(session, await clientId(session.api, ref), numbers, opts);
      session.out.table(results as unknown as Json[], ['number', 'result', 'id', 'detail']);
      const failed = results.filter((r) => r.result === 'failed').length;
      if (failed > 0) throw new CommandFailed(`${failed} of ${results.length} numbers could not be added`);
    });
}

function updateCommand(): Command {
  return new Command('update')
    .alias('set')
    .description("change a number's carrier, labels or webhook")
    .argument('<number>', 'number id, or the number')
    .argument('[field=value...]', 'any other field of PUT /clients/{id}/numbers/{number_id}')
    .option('--carrier <carrier>', 'carrier name')
    .option('--tag <tag>', 'free-form label')
    .option('--group <group>', 'free-form label')
    .option('--webhook <url>', 'the number\'s own webhook ("" to use the client\'s)')
    .option('--ignore-stop', 'no auto-reply and no STOP footer for this number')
    .option('--no-ignore-stop', 'auto-reply and STOP footer as usual')
    .action(async (ref: string, fields: string[], opts: NumberFields, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const number = await numberOf(api, ref);
      const answer = await api.put<Json>(
        `/clients/${String(number.client_id)}/numbers/${String(number.id)}`,
        withFields(fields, {
          carrier: opts.carrier,
          tag: opts.tag,
          group: opts.group,
          webhook: opts.webhook,
          ignore_stop_cmd_sending: opts.ignoreStop,
        }),
      );
      out.result(answer, () => `${String(answer.message)}.\n${renderNumber(answer.number as Json)}`);
    });
}

function removeCommand(): Command {
  return new Command('rm')
    .alias('delete')
    .description('take a number from its client')
    .argument('<number>', 'number id, or the number')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const number = await numberOf(api, ref);
      const answer = await api.delete<Json>(`/clients/${String(number.client_id)}/numbers/${String(number.id)}`);
      out.result(answer, () => `Number ${String(number.number)} deleted.\n`);
    });
}

function settingsCommand(): Command {
  return new Command('settings')
    .description("show a number's own limits and auto-reply; with field=value, change them")
    .argument('<number>', 'number id, or the number')
    .argument('[field=value...]', 'e.g. sms_daily_limit=500 limit_both=true (PUT /numbers/{id}/settings)')
    .action(async (ref: string, fields: string[], _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const id = String((await numberOf(api, ref)).id);
      if (fields.length === 0) {
        const settings = await api.get<Json>(`/numbers/${id}/settings`);
        out.record(settings);
        return;
      }
      const answer = await api.put<Json>(`/numbers/${id}/settings`, parseAssignments(fields));
      out.result(answer, () => `${String(answer.message)}.\n${renderRecord(answer.settings as Json)}`);
    });
}

/** The effective-settings answer flattened to `limits.sms.daily`-style rows. */
function renderEffective(view: Json): string {
  const limits = (view.limits ?? {}) as Record<string, Record<string, Json>>;
  const rows = Object.entries(limits).flatMap(([type, periods]) =>
    Object.entries(periods).map(([period, limit]) => ({ type, period, ...limit })),
  );
  const webhook = (view.webhook ?? {}) as Json;
  return (
    renderRecord({ ...view, webhook: webhook.url ? `${String(webhook.url)} (from ${String(webhook.source)})` : '(none)' }, [
      'number_id',
      'number',
      'client_id',
      'carrier',
      'tag',
      'group',
      'webhook',
      'timezone',
      'api_format',
      'auth_method',
    ]) +
    `Limits:\n${renderTable(rows, ['type', 'period', 'limit', 'source', 'limit_both'])}` +
    `Auto-reply:\n${renderRecord((view.auto_reply ?? {}) as Json)}`
  );
}

function effectiveCommand(): Command {
  return new Command('effective')
    .description("what applies to a number and where it comes from (its own settings or its client's)")
    .argument('<number>', 'number id, or the number')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const view = await api.get<Json>(`/numbers/${String((await numberOf(api, ref)).id)}/effective-settings`);
      out.result(view, () => renderEffective(view));
    });
}

interface AutoReplyOptions {
  on?: boolean;
  off?: boolean;
  message?: string;
  cooldown?: string;
}

function autoReplyCommand(): Command {
  return new Command('auto-reply')
    .description("show a number's auto-reply; with options, change it")
    .argument('<number>', 'number id, or the number')
    .addOption(new Option('--on', 'answer messages to this number').conflicts('off'))
    .option('--off', 'stop answering')
    .option('--message <text>', 'the reply ("" for AUTO_REPLY_DEFAULT_MESSAGE)')
    .option('--cooldown <secs>', 'at most one reply per sender in this many seconds (0 = 60)')
    .action(async (ref: string, opts: AutoReplyOptions, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const path = `/numbers/${String((await numberOf(api, ref)).id)}/auto-reply`;
      const enabled = opts.on ? true : opts.off ? false : undefined;
      if (enabled === undefined && opts.message === undefined && opts.cooldown === undefined) {
        out.record(await api.get<Json>(path));
        return;
      }
      const answer = await api.put<Json>(path, {
        enabled,
        message: opts.message,
        cooldown_secs: opts.cooldown === undefined ? undefined : Number(opts.cooldown),
      });
      out.result(answer, () => `${String(answer.message)}.\n${renderRecord(answer.settings as Json)}`);
    });
}

export function numbersCommand(): Command {
  return new Command('numbers')
    .description('list, add, change and remove numbers; their limits and auto-reply')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(addCommand())
    .addCommand(updateCommand())
    .addCommand(removeCommand())
    .addCommand(settingsCommand())
    .addCommand(effectiveCommand())
    .addCommand(autoReplyCommand());
}
