/** `msggw settings …`: a client's settings (docs/admin-api.md, Client settings). */
import { Command } from 'commander';
import type { Json } from '../api.js';
import { parseAssignments } from '../assignments.js';
import { UsageError } from '../errors.js';
import { renderRecord } from '../output.js';
import { clientId } from '../refs.js';
import { sessionOf } from '../session.js';

function showCommand(): Command {
  return new Command('show')
    .description("show a client's settings: format, webhook, limits, SMPP and MM4")
    .argument('<client>', 'client id or username')
    .action(async (ref: string, _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      out.record(await api.get<Json>(`/clients/${await clientId(api, ref)}/settings`));
    });
}

function setCommand(): Command {
  return new Command('set')
    .description("change some of a client's settings, the others stay")
    .argument('<client>', 'client id or username')
    .argument(
      '<field=value...>',
      'e.g. api_format=bicom default_webhook=https://pbx.example/in sms_daily_limit=500 split_method=sar max_binds=2',
    )
    .action(async (ref: string, fields: string[], _opts: unknown, cmd: Command) => {
      const { api, out } = await sessionOf(cmd);
      const body = parseAssignments(fields);
      if (Object.keys(body).length === 0) throw new UsageError('nothing to set');
      const answer = await api.put<Json>(`/clients/${await clientId(api, ref)}/settings`, body);
      out.result(answer, () => `${String(answer.message)}.\n${renderRecord(answer.settings as Json)}`);
    });
}

export function settingsCommand(): Command {
  return new Command('settings').description("show and change a client's settings").addCommand(showCommand()).addCommand(setCommand());
}
