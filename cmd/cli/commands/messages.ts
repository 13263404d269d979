/**
 * `msggw send`, `msggw usage` and `msggw history`: a test message, a client's usage and its
 * message records, through the web clients' own routes (POST /messages/send, GET
 * /messages/usage, GET /messages/history) with a key of the client.
 */
import { Command, Option } from 'commander';
import type { Json } from '../api.js';
import { collect } from '../assignments.js';
import { withClientKey, type ClientAccessOptions } from '../client-access.js';
import { renderRecord, renderTable } from '../output.js';
import { sessionOf } from '../session.js';

interface SendOptions extends ClientAccessOptions {
  from?: string;
  to: string;
  text?: string;
  mediaUrl?: string[];
  format?: string;
}

/** The send body in the client's api_format (docs/web-api.md): the route reads only that shape. */
export function sendBody(format: string, m: { from?: string; to: string; text?: string; mediaUrls: string[] }): Json {
  switch (format) {
    case 'bicom':
      return { from: m.from, to: m.to, text: m.text, media_urls: m.mediaUrls };
    case 'telnyx':
      return { data: { payload: { from: { phone_number: m.from }, to: m.to, text: m.text, media: m.mediaUrls.map((url) => ({ url })) } } };
    default:
      return { from: m.from, to: m.to, text: m.text, media: m.mediaUrls.map((url) => ({ url })) };
  }
}

function clientOptions(command: Command): Command {
  return command
    .option('-c, --client <client>', 'the web client (id or username); the CLI issues it a key for this one call and revokes it')
    .option('--client-key <key>', 'a gw_live_ key of the client instead (also MSGGW_CLIENT_KEY)');
}

export function sendCommand(): Command {
  return clientOptions(new Command('send').description('send a test message as a web client, as its PBX or app would'))
    .requiredOption('--to <number>', 'destination (E.164)')
    .option('--from <number>', "one of the client's numbers (needed when it has several)")
    .option('--text <text>', 'message text', 'msggw test message')
    .option('--media-url <url>', 'an image or file to send as MMS (repeatable)', collect)
    .option('--format <format>', "the client's api_format when using --client-key (generic, bicom, telnyx)", 'generic')
    .action(async (opts: SendOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const answer = await withClientKey(session, opts, 'send', async ({ key, client }) => {
        const format = String((client?.settings as Json | undefined)?.api_format || (client ? 'generic' : opts.format));
        const body = sendBody(format, { from: opts.from, to: opts.to, text: opts.text, mediaUrls: opts.mediaUrl ?? [] });
        return session.api.post<Json>('/messages/send', body, { clientKey: key });
      });
      session.out.result(answer, () => `Message accepted${answer.id ? `: id ${String(answer.id)}` : ''} (${String(answer.status)}).\n`);
    });
}

/** The client's counts per type and period, then its numbers' daily counts. */
function renderUsage(usage: Json): string {
  const client = (usage.client ?? {}) as Record<string, unknown>;
  const rows = ['sms', 'mms'].flatMap((type) =>
    Object.entries((client[type] ?? {}) as Record<string, Json>).map(([period, p]) => ({
      type,
      period,
      used: p.current_usage,
      limit: p.limit || 'none',
      remaining: p.remaining ?? '',
    })),
  );
  const numbers = ((usage.numbers ?? []) as Json[]).map((n) => ({
    number: n.number,
    tag: n.tag,
    group: n.group,
    sms_today: (n.sms as Json).current_usage,
    sms_limit: (n.sms as Json).limit || "client's",
    mms_today: (n.mms as Json).current_usage,
    mms_limit: (n.mms as Json).limit || "client's",
  }));
  return (
    renderRecord({ client: client.username, timezone: usage.timezone, at: usage.timestamp, ...(usage.reset_times as Json) }) +
    renderTable(rows, ['type', 'period', 'used', 'limit', 'remaining']) +
    `Numbers (today):\n${renderTable(numbers, ['number', 'tag', 'group', 'sms_today', 'sms_limit', 'mms_today', 'mms_limit'], '(none)')}`
  );
}

export function usageCommand(): Command {
  return clientOptions(new Command('usage').description("a web client's messages this minute, day and month against its limits"))
    .argument('[client]', 'the client (id or username), same as --client')
    .action(async (ref: string | undefined, opts: ClientAccessOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const usage = await withClientKey(session, { ...opts, client: opts.client ?? ref }, 'usage', ({ key }) =>
        session.api.get<Json>('/messages/usage', undefined, { clientKey: key }),
      );
      session.out.result(usage, () => renderUsage(usage));
    });
}

interface HistoryOptions extends ClientAccessOptions {
  from?: string;
  to?: string;
  type?: string;
  direction?: string;
  since?: string;
  until?: string;
  page: string;
  perPage: string;
}

const HISTORY_COLUMNS = [
  'received_timestamp',
  'direction',
  'type',
  'from_number',
  'to_number',
  'status',
  'delivery_method',
  'carrier',
  'server_id',
  { key: 'error', format: (v: unknown) => String(v ?? '').slice(0, 50) },
];

export function historyCommand(): Command {
  return clientOptions(
    new Command('history').description("a web client's message records, newest first (its legs in and out, with status)"),
  )
    .argument('[client]', 'the client (id or username), same as --client')
    .option('--from <number>', 'only from this number')
    .option('--to <number>', 'only to this number')
    .addOption(new Option('--type <type>', 'only SMS or MMS').choices(['sms', 'mms']))
    .addOption(new Option('--direction <direction>', 'only inbound or outbound').choices(['inbound', 'outbound']))
    .option('--since <date>', 'from this day or time on (YYYY-MM-DD or RFC 3339)')
    .option('--until <date>', 'up to this day (inclusive) or time')
    .option('--page <n>', 'page of results', '1')
    .option('--per-page <n>', 'records a page (at most 200)', '50')
    .action(async (ref: string | undefined, opts: HistoryOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const query = {
        from: opts.from,
        to: opts.to,
        type: opts.type,
        direction: opts.direction,
        since: opts.since,
        until: opts.until,
        page: opts.page,
        per_page: opts.perPage,
      };
      const history = await withClientKey(session, { ...opts, client: opts.client ?? ref }, 'usage', ({ key }) =>
        session.api.get<Json>('/messages/history', query, { clientKey: key }),
      );
      session.out.result(
        history,
        () =>
          renderTable((history.messages ?? []) as Json[], HISTORY_COLUMNS, 'No messages.') +
          `Page ${String(history.page)} of ${Math.max(1, Math.ceil(Number(history.total_count) / Number(history.per_page)))}, ` +
          `${String(history.total_count)} records.\n`,
      );
    });
}
