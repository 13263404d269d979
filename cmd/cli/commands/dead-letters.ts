/** `msggw dead-letters …`: messages the bus gave up on, and replaying them (docs/admin-api.md, Dead letters). */
import { Command } from 'commander';
import type { Json } from '../api.js';
import { renderRecord, renderTable } from '../output.js';
import { sessionOf } from '../session.js';

const LETTER_COLUMNS = [
  'seq',
  'stream',
  'subject',
  'deliveries',
  'reason',
  'dead_at',
  { key: 'detail', format: (v: unknown) => String(v ?? '').slice(0, 60) },
];

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description('list dead letters, oldest first')
    .option('--stream <stream>', 'only from this stream or stage (in, carrier, webhook, smpp, mm4, status, media)')
    .option('--after <seq>', 'start after this seq (the next_after of the previous page)')
    .option('--limit <n>', 'at most this many (1-100)')
    .action(async (opts: { stream?: string; after?: string; limit?: string }, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const page = await api.get<Json>('/dead-letters', { stream: opts.stream, after: opts.after, limit: opts.limit });
      out.result(
        page,
        () =>
          renderTable(page.dead_letters as Json[], LETTER_COLUMNS, 'No dead letters.') +
          (page.next_after ? `More: --after ${String(page.next_after)}\n` : ''),
      );
    });
}

function showCommand(): Command {
  return new Command('show')
    .description('show a dead letter, with its payload')
    .argument('<seq>', "the dead letter's seq")
    .action(async (seq: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const letter = await api.get<Json>(`/dead-letters/${seq}`);
      out.result(letter, () => {
        const { payload_base64: payload, ...fields } = letter;
        return `${renderRecord(fields)}Payload:\n${Buffer.from(String(payload ?? ''), 'base64').toString('utf8')}\n`;
      });
    });
}

function replayCommand(): Command {
  return new Command('replay')
    .description('publish dead letters again to where they were going (after fixing the cause)')
    .argument('[seq...]', 'the letters to replay; none: the oldest (see --stream, --limit)')
    .option('--stream <stream>', 'with no seq: only from this stream or stage')
    .option('--limit <n>', 'with no seq: at most this many')
    .action(async (seqs: string[], opts: { stream?: string; limit?: string }, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const body =
        seqs.length > 0
          ? { seqs: seqs.map(Number) }
          : { stream: opts.stream, limit: opts.limit === undefined ? undefined : Number(opts.limit) };
      const answer = await api.post<Json>('/dead-letters/replay', body);
      const failed = (answer.failed as Json[] | undefined) ?? [];
      out.result(
        answer,
        () =>
          `Replayed ${(answer.replayed as Json[]).length}, failed ${failed.length}.\n` +
          (failed.length > 0 ? renderTable(failed, ['seq', 'error']) : ''),
      );
    });
}

function removeCommand(): Command {
  return new Command('rm')
    .alias('delete')
    .description('delete a dead letter without replaying it')
    .argument('<seq>', "the dead letter's seq")
    .action(async (seq: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const answer = await api.delete<Json>(`/dead-letters/${seq}`);
      out.result(answer, () => `Dead letter ${String(answer.seq)} deleted.\n`);
    });
}

export function deadLettersCommand(): Command {
  return new Command('dead-letters')
    .description('messages the gateway gave up on: list, show, replay, delete')
    .addCommand(listCommand())
    .addCommand(showCommand())
    .addCommand(replayCommand())
    .addCommand(removeCommand());
}
