/**
 * `msggw batch …`: a web client's batch jobs (POST /messages/batch, upstream §5.10) seen from
 * the admin's side: list, show with --follow (a progress bar until the job ends), items, cancel.
 * The routes take the client's credentials, so these commands use client-access.ts.
 */
import { Command } from 'commander';
import { Presets, SingleBar } from 'cli-progress';
import type { Json } from '../api.js';
import { withClientKey, type ClientAccessOptions } from '../client-access.js';
import { CommandFailed, Interrupted, UsageError } from '../errors.js';
import { renderRecord, renderTable } from '../output.js';
import { sessionOf, type Session } from '../session.js';

/** A job in one of these has stopped changing (upstream §3.11); partially_queued still retries. */
export const FINAL_STATUSES = new Set(['completed', 'failed', 'cancelled']);

const JOB_COLUMNS = ['id', 'status', 'from_number', 'total_count', 'sent_count', 'failed_count', 'queued_count', 'created_at', 'completed_at'];
const JOB_FIELDS = ['id', 'client_id', 'status', 'from_number', 'total_count', 'sent_count', 'failed_count', 'queued_count',
  'throttle_per_second', 'max_retry_mins', 'webhook_url', 'created_at', 'updated_at', 'completed_at'];

/** Items handled so far: sent or failed (cancelled items count as failed, as the job counts them). */
export function doneOf(job: Json): number {
  return (Number(job.sent_count) || 0) + (Number(job.failed_count) || 0);
}

/** One line of progress for logs and pipes, where a bar cannot redraw. */
export function progressLine(job: Json): string {
  return `${String(job.status)} ${doneOf(job)}/${String(job.total_count)}: sent ${String(job.sent_count)}, `
    + `failed ${String(job.failed_count)}, queued ${String(job.queued_count)}`;
}

function renderJob(job: Json): string {
  const errors = (job.errors as Json[] | undefined) ?? [];
  return renderRecord(job, JOB_FIELDS) + (errors.length > 0 ? `Errors:\n${renderTable(errors, ['index', 'to', 'code', 'error'])}` : '');
}

interface FollowOptions { intervalMs: number; signal: AbortSignal; stderr: NodeJS.WriteStream }

/** Shows the job's progress until it ends: a bar on a terminal, a line per change elsewhere. */
export async function followJob(fetchJob: () => Promise<Json>, options: FollowOptions): Promise<Json> {
  const bar = options.stderr.isTTY ? new SingleBar({
    format: '{bar} {percentage}% | {value}/{total} | sent {sent} failed {failed} queued {queued} | {status}',
    stream: options.stderr, hideCursor: true,
  }, Presets.shades_classic) : undefined;
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
    .option('-c, --client <client>', 'the job\'s web client (id or username); the CLI issues it a key and revokes it after')
    .option('--client-key <key>', 'a gw_live_ key of the client with the batch scope instead (also MSGGW_CLIENT_KEY)');
}

/** Runs `work` with a batch-scoped key of the client. */
function asClient<T>(session: Session, opts: ClientAccessOptions, work: (key: string) => Promise<T>): Promise<T> {
  return withClientKey(session, opts, 'batch', ({ key }) => work(key));
}

function listCommand(): Command {
  return clientOptions(new Command('list').alias('ls').description('list a client\'s batch jobs, newest first'))
    .option('--status <status>', 'only jobs in this status')
    .option('--page <n>', 'page of results', '1')
    .action(async (opts: ClientAccessOptions & { status?: string; page: string }, cmd: Command) => {
      const session = await sessionOf(cmd);
      const jobs = await asClient(session, opts, (clientKey) =>
        session.api.get<Json[]>('/messages/batch', { status: opts.status, page: opts.page }, { clientKey }));
      session.out.table(jobs ?? [], JOB_COLUMNS, 'No batch jobs.');
    });
}

interface ShowOptions extends ClientAccessOptions { follow?: boolean; interval: string }

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
        throw new CommandFailed(`batch ${id} ended ${String(job.status)}: ${String(job.failed_count)} of ${String(job.total_count)} messages failed`);
      }
    });
}

function messagesCommand(): Command {
  return clientOptions(new Command('messages').description('list a batch job\'s messages in order'))
    .argument('<id>', 'the job id')
    .option('--status <status>', 'only messages in this status (pending, sent, queued, failed, cancelled)')
    .option('--page <n>', 'page of results (500 a page)', '1')
    .action(async (id: string, opts: ClientAccessOptions & { status?: string; page: string }, cmd: Command) => {
      const session = await sessionOf(cmd);
      const items = await asClient(session, opts, (clientKey) => session.api.get<Json[]>(
        `/messages/batch/${encodeURIComponent(id)}/messages`, { status: opts.status, page: opts.page, per_page: 500 }, { clientKey }));
      session.out.table(items ?? [], ['index', 'id', 'to', 'status', 'error', 'sent_at'], 'No messages.');
    });
}

function cancelCommand(): Command {
  return clientOptions(new Command('cancel').description('cancel a batch job\'s messages not yet sent'))
    .argument('<id>', 'the job id')
    .action(async (id: string, opts: ClientAccessOptions, cmd: Command) => {
      const session = await sessionOf(cmd);
      const answer = await asClient(session, opts, (clientKey) =>
        session.api.post<Json>(`/messages/batch/${encodeURIComponent(id)}/cancel`, {}, { clientKey }));
      session.out.result(answer, () => `${String(answer.message)}: ${String(answer.cancelled_count)} messages cancelled, ${String(answer.sent_count)} already sent.\n`);
    });
}

export function batchCommand(): Command {
  return new Command('batch').description('a web client\'s batch jobs: list, progress (--follow), messages, cancel')
    .addCommand(listCommand()).addCommand(showCommand()).addCommand(messagesCommand()).addCommand(cancelCommand());
}
