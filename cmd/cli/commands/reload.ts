import { Command } from 'commander';
import type { Json } from '../api.js';
import { sessionOf } from '../session.js';

/** `… reload`: POST to a reload route; changes reach every node on their own within a second anyway. */
export function reloadCommand(path: string, description: string): Command {
  return new Command('reload').description(description).action(async (_opts: unknown, cmd: Command) => {
    const { api, out } = await sessionOf(cmd);
    const answer = await api.post<Json>(path);
    out.result(answer, () => `${String(answer.status)}.\n`);
  });
}
