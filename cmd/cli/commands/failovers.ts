/** `msggw failovers …`: where a legacy client's SMS go while it has no bind (docs/admin-api.md, Failover delivery). */
import { Command, Option } from 'commander';
import type { Json } from '../api.js';
import { renderRecord } from '../output.js';
import { clientId } from '../refs.js';
import { sessionOf } from '../session.js';

const FAILOVER_COLUMNS = [
  'id',
  'priority',
  'enabled',
  'fallback_client_id',
  { key: 'fallback_client_username', header: 'fallback' },
  { key: 'fallback_online', header: 'online' },
];

function listCommand(): Command {
  return new Command('list')
    .alias('ls')
    .description("list a client's failovers, first tried first, with whether each is bound")
    .argument('<client>', 'client id or username')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      out.table(await api.get<Json[]>(`/clients/${await clientId(api, ref)}/failovers`), FAILOVER_COLUMNS, 'No failovers.');
    });
}

function addCommand(): Command {
  return new Command('add')
    .description("let another legacy client receive this one's SMS while it is not bound")
    .argument('<client>', 'the primary client (id or username)')
    .argument('<fallback>', 'the client that receives instead (id or username)')
    .option('--priority <n>', 'lower is tried first', '0')
    .action(async (ref: string, fallback: string, opts: { priority: string }, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const failover = await api.post<Json>(`/clients/${await clientId(api, ref)}/failovers`, {
        fallback_client_id: await clientId(api, fallback),
        priority: Number(opts.priority),
      });
      out.result(failover, () => `Failover ${String(failover.id)} added.\n${renderRecord(failover)}`);
    });
}

function updateCommand(): Command {
  return new Command('update')
    .alias('set')
    .description("change a failover's priority, or turn it on or off")
    .argument('<client>', 'the primary client (id or username)')
    .argument('<failover-id>', "the failover's id (from failovers list)")
    .option('--priority <n>', 'lower is tried first')
    .addOption(new Option('--enable', 'use this failover').conflicts('disable'))
    .option('--disable', 'keep it, but do not use it')
    .action(async (ref: string, failoverId: string, opts: { priority?: string; enable?: boolean; disable?: boolean }, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const answer = await api.put<Json>(`/clients/${await clientId(api, ref)}/failovers/${failoverId}`, {
        priority: opts.priority === undefined ? undefined : Number(opts.priority),
        enabled: opts.enable ? true : opts.disable ? false : undefined,
      });
      out.result(answer, () => `${String(answer.message)}.\n${renderRecord(answer.failover as Json)}`);
    });
}

function removeCommand(): Command {
  return new Command('rm')
    .alias('delete')
    .description('remove a failover')
    .argument('<client>', 'the primary client (id or username)')
    .argument('<failover-id>', "the failover's id (from failovers list)")
    .action(async (ref: string, failoverId: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const answer = await api.delete<Json>(`/clients/${await clientId(api, ref)}/failovers/${failoverId}`);
      out.result(answer, () => `Failover ${String(answer.failover_id)} deleted.\n`);
    });
}

export function failoversCommand(): Command {
  return new Command('failovers')
    .description("list, add, change and remove a legacy client's failovers")
    .addCommand(listCommand())
    .addCommand(addCommand())
    .addCommand(updateCommand())
    .addCommand(removeCommand());
}
