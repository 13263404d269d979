/**
 * Objects named the way people name them: a client by id or username, a number by id or the
 * phone number itself, a carrier by id or name. The API takes ids, so names are looked up.
 */
import type { AdminApi, Json } from './api.js';
import { CommandFailed } from './errors.js';

const ID = /^\d+$/;
/** Ids are row numbers; a phone number has more digits than any id a gateway reaches. */
const NUMBER_ID = /^\d{1,9}$/;

export async function clientId(api: AdminApi, ref: string): Promise<number> {
  if (ID.test(ref)) return Number(ref);
  const clients = await api.get<Json[]>('/clients');
  const found = clients.find((c) => c.username === ref);
  if (!found) throw new CommandFailed(`no client with username "${ref}"`);
  return Number(found.id);
}

const digits = (s: string) => s.replace(/\D/g, '');

/** The number object (with `client_id`), looked up by id or by the phone number in any spelling. */
export async function numberOf(api: AdminApi, ref: string): Promise<Json> {
  if (NUMBER_ID.test(ref)) return api.get<Json>(`/numbers/${ref}`);
  const wanted = digits(ref.startsWith('00') ? ref.slice(2) : ref);
  const found = (await api.get<Json[]>('/numbers')).find((n) => digits(String(n.number)) === wanted);
  if (!found) throw new CommandFailed(`no number ${ref} on this gateway`);
  return found;
}

export async function carrierId(api: AdminApi, ref: string): Promise<number> {
  if (ID.test(ref)) return Number(ref);
  const carriers = await api.get<Json[]>('/carriers');
  const found = carriers.find((c) => c.name === ref);
  if (!found) throw new CommandFailed(`no carrier named "${ref}"`);
  return Number(found.id);
}
