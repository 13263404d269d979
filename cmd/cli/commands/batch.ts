/**
 * `msggw batch …`: a web client's batch jobs (POST /messages/batch, upstream §5.10) seen from
 * the admin's side: create (recipients or a CSV file), list, show with --follow (a progress bar
 * until the job ends), items, cancel. The routes take the client's credentials, so these
 * commands use client-access.ts.
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import type { Json } from '../api.js';
import { collect } from '../assignments.js';
import { withClientKey, type ClientAccessOptions } from '../client-access.js';
import { CommandFailed, Interrupted, UsageError } from '../errors.js';
import { renderRecord, renderTable } from '../output.js';
import { sessionOf, type Session } from '../session.js';

/** A job in one of these has stopped changing (upstream §3.11); partially_queued still retries. */
export const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

const JOB_COLUMNS = [
  'id',
  'status',
  'from_number',
  'total_count',
  'sent_count',
  'failed_count',
  'queued_count',
  'created_at',
  'completed_at',
];
const JOB_FIELDS = [
  'id',
  'client_id',
  'status',
  'from_number',
  'total_count',
  'sent_count',
  'failed_count',
  'queued_count',
  'throttle_per_second',
  'max_retry_mins',
  'webhook_url',
  'created_at',
  'updated_at',
  'completed_at',
];

/** Items handled so far: sent or failed (cancelled items count as failed, as the job counts them). */
export function doneOf(job: Json): number {
  return (Number(job.sent_count) || 0) + (Number(job.failed_count) || 0);
}

/** One line of progress for logs and pipes, where a bar cannot redraw. */
export function progressLine(job: Json): string {
  return (
    `${String(job.status)} ${doneOf(job)}/${String(job.total_count)}: sent ${String(job.sent_count)}, ` +
    `failed ${String(job.failed_count)}, queued ${String(job.queued_count)}`
  );
}

function renderJob(job: Json): string {
  const errors = (job.errors as Json[] | undefined) ?? [];
  return renderRecord(job, JOB_FIELDS) + (errors.length > 0 ? `Errors:\n${renderTable(errors, ['index', 'to', 'code', 'error'])}` : '');
}

interface FollowOptions {
  intervalMs: number;
  signal: AbortSignal;
  stderr: NodeJS.WriteStream;
}

/** Shows the job's progress until it ends: a bar on a terminal, a line per change elsewhere. */
export async function followJob(fetchJob: () => Promise<Json>, options: FollowOptions): Promise<Json> {
  const bar = options.stderr.isTTY
    ? new SingleBar(
        {
          format: '{bar} {percentage}% | {value}/{total} | sent {sent} failed {failed} queued {queued} | {status}',
          stream: options.stderr,
          hideCursor: true,
        },
        Presets.shades_classic,
      )
    : undefined;
  let job = await fetchJob();
  let last = '';
  const show = () => {
    const payload = { sent: job.sent_count, failed: job.failed_count, queued: job.queued_count, status: job.status };
    if (bar) {
      bar.setTotal(Number(job.total_count) || 0);
      bar.update(doneOf(job), payload);
    } else if (progressLine(job) !== last) {
      last = progressLine(job);
      options.stderr.write(`${last}\n`);
    }
  };
  bar?.start(Number(job.total_count) || 0, 0, { sent: 0, failed: 0, queued: 0, status: job.status });
  try {
    show();
    while (!FINAL_STATUSES.has(String(job.status))) {
      await abortableSleep(options.intervalMs, options.signal);
      job = await fetchJob();
      show();
    }
  } finally {
    bar?.stop();
  }
  return job;
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Interrupted('interrupted'));
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Interrupted('interrupted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function clientOptions(command: Command): Command {
  return command
    .option('-c, --client <client>', "the job's web client (id or username); the CLI issues it a key and revokes it after")
    .option('--client-key <key>', 'a gw_live_ key of the client with the batch scope instead (also MSGGW_CLIENT_KEY)');
}

/** Runs `work` with a batch-scoped key of the client. */
function asClient<T>(session: Session, opts: ClientAccessOptions, work: (key: string) => Promise<T>): Promise<T> {
  return withClientKey(session, opts, 'batch', ({ key }) => work(key));
}

interface CreateOptions extends ClientAccessOptions {
  from?: string;
  text?: string;
  to?: string[];
  csv?: string;
  throttle?: string;
  maxRetryMins?: string;
  webhookUrl?: string;
}

/** The job's fields as the route reads them, left out when not given (the gateway's defaults apply). */
function jobFields(opts: CreateOptions): Record<string, string | undefined> {
  return {
    from: opts.from,
    text_template: opts.text,
    webhook_url: opts.webhookUrl,
    throttle_per_second: opts.throttle,
    max_retry_mins: opts.maxRetryMins,
  };
}

/** A CSV file as the route's multipart form: the file `csv` and the job's fields as text. */
async function csvForm(path: string, opts: CreateOptions): Promise<FormData> {
  const form = new FormData();
  for (const [name, value] of Object.entries(jobFields(opts))) if (value !== undefined) form.append(name, value);
  // A Blob backed by the file: fetch streams it rather than holding the whole file.
  form.append('csv', await openAsBlob(path, { type: 'text/csv' }), basename(path));
  return form;
}

/** The JSON batch of `--to` recipients, each sent the text (template) of `--text`. */
function recipientsBody(opts: CreateOptions): Json {
  const number = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new UsageError(`${name} must be a number`);
    return n;
  };
  const to = (opts.to ?? [])
    .flatMap((list) => list.split(','))
    .map((n) => n.trim())
    .filter((n) => n !== '');
  return {
    ...jobFields(opts),
    throttle_per_second: number('--throttle', opts.throttle),
    max_retry_mins: number('--max-retry-mins', opts.maxRetryMins),
    messages: to.map((n) => ({ to: n })),
  };
}

function createCommand(): Command {
  return clientOptions(new Command('create').description('send a batch as a web client: --to recipients or a --csv file'))
    .option('--to <numbers>', 'a recipient, or a comma list (repeatable)', collect)
    .option('--csv <file>', 'a CSV file: a to/phone/number column, a text/message/body column, and template variables')
    .option('--text <template>', 'the text, a template with {{column}} variables for a CSV')
    .option('--from <number>', "one of the client's numbers (needed when it has several)")
    .option('--throttle <n>', 'messages a second (default 30)')
    .option('--max-retry-mins <n>', 'minutes a quota-held batch is retried (default 60)')
    .option('--webhook-url <url>', 'where the finished job is POSTed')
    .action(async (opts: CreateOptions, cmd: Command) => {
      if ((opts.csv === undefined) === (opts.to === undefined)) throw new UsageError('give the recipients: --to or --csv (one of them)');
      // Read before a key is issued: a missing file or a bad number costs no key.
      const form = opts.csv === undefined ? undefined : await csvForm(opts.csv, opts);
      const body = form ? undefined : recipientsBody(opts);
      const session = await sessionOf(cmd);
      const created = await asClient(session, opts, (clientKey) =>
        session.api.request<Json>('POST', '/messages/batch', form ? { form, clientKey } : { body, clientKey }),
      );
      session.out.result(
        created,
        () =>
          `Batch ${String(created.id)} accepted: ${String(created.total_count)} messages ` +
          `(msggw batch show ${String(created.id)} --follow).\n`,
      );
    });
}

function listCommand(): Command {
  return clientOptions(new Command('list').alias('ls').description("list a client's batch jobs, newest first"))
    .option('--status <status>', 'only jobs in this status')
    .option('--page <n>', 'page of results', '1')
    .action(async (opts: ClientAccessOptions & { status?: string; page: string }, cmd: Command) => {
      const session = await sessionOf(cmd);
      const jobs = await asClient(session, opts, (clientKey) =>
        session.api.get<Json[]>('/messages/batch', { status: opts.status, page: opts.page }, { clientKey }),
      );
      session.out.table(jobs ?? [], JOB_COLUMNS, 'No batch jobs.');
    });
}

interface ShowOptions extends ClientAccessOptions {
  follow?: boolean;
  interval: string;
}

function showCommand(): Command {
  return clientOptions(new Command('show').description('show a batch job; --follow shows its progress until it ends'))
    .argument('<id>', 'the job id')
    .option('-f, --follow', 'poll until the job completes, fails or is cancelled; exit 1 unless it completed')
    .option('-i, --interval <secs>', 'seconds between polls with --follow', '1')
    .action(async (id: string, opts: ShowOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const intervalMs = Number(opts.interval) * 1000;
      if (!(intervalMs > 0)) throw new UsageError('--interval must be a positive number of seconds');
      const path = `/messages/batch/${encodeURIComponent(id)}`;
      const job = await asClient(session, opts, async (clientKey) => {
        const fetchJob = () => session.api.get<Json>(path, undefined, { clientKey });
        if (!opts.follow) return fetchJob();
        const interrupt = new AbortController();
        const onSigint = () => interrupt.abort();
        process.once('SIGINT', onSigint);
        try {
          return await followJob(fetchJob, { intervalMs, signal: interrupt.signal, stderr: process.stderr });
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
      session.out.result(job, () => renderJob(job));
      if (opts.follow && job.status !== 'completed') {
        throw new CommandFailed(
          `batch ${id} ended ${String(job.status)}: ${String(job.failed_count)} of ${String(job.total_count)} messages failed`,
        );
      }
    });
}

function messagesCommand(): Command {
  return clientOptions(new Command('messages').description("list a batch job's messages in order"))
    .argument('<id>', 'the job id')
    .option('--status <status>', 'only messages in this status (pending, sent, queued, failed, cancelled)')
    .option('--page <n>', 'page of results (500 a page)', '1')
    .action(async (id: string, opts: ClientAccessOptions & { status?: string; page: string }, cmd: Command) => {
      const session = await sessionOf(cmd);
      const items = await asClient(session, opts, (clientKey) =>
        session.api.get<Json[]>(
          `/messages/batch/${encodeURIComponent(id)}/messages`,
          { status: opts.status, page: opts.page, per_page: 500 },
          { clientKey },
        ),
      );
      session.out.table(items ?? [], ['index', 'id', 'to', 'status', 'error', 'sent_at'], 'No messages.');
    });
}

function cancelCommand(): Command {
  return clientOptions(new Command('cancel').description("cancel a batch job's messages not yet sent"))
    .argument('<id>', 'the job id')
    .action(async (id: string, opts: ClientAccessOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const answer = await asClient(session, opts, (clientKey) =>
        session.api.post<Json>(`/messages/batch/${encodeURIComponent(id)}/cancel`, {}, { clientKey }),
      );
      session.out.result(
        answer,
        () =>
          `${String(answer.message)}: ${String(answer.cancelled_count)} messages cancelled, ${String(answer.sent_count)} already sent.\n`,
      );
    });
}

export function batchCommand(): Command {
  return new Command('batch')
    .description("a web client's batch jobs: create, list, progress (--follow), messages, cancel")
    .addCommand(createCommand())
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(messagesCommand())
    .addCommand(cancelCommand());
}
