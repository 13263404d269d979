/**
 * The web clients' routes (/messages/*) take a client's credentials, not the admin key. The CLI
 * uses the client's API key when given one; otherwise it issues a key with only the scope needed,
 * expiring in a day, uses it and revokes it (it stays listed, inactive, named for the CLI).
 */
import type { Json } from './api.js';
import { ApiError, CommandFailed, UsageError } from './errors.js';
import { clientId } from './refs.js';
import type { Session } from './session.js';

export const TEMPORARY_KEY_NAME = 'msggw cli (temporary)';

export interface ClientAccessOptions {
  /** The client, by id or username: needed unless a key is given. */
  client?: string;
  /** A `gw_live_` key of the client (--client-key or MSGGW_CLIENT_KEY). */
  clientKey?: string;
}

export interface ClientAccess {
  key: string;
  /** The client, when the CLI looked it up (not with a given key). */
  client?: Json;
}

/** A client that is not a web client cannot use /messages/* (upstream §4.2): say so before issuing a key. */
function assertWebClient(client: Json): void {
  if (client.type !== 'web') {
    throw new CommandFailed(
      `client ${String(client.username)} is a ${String(client.type)} client: only web clients use the REST message routes`,
    );
  }
}

/** A new key reaches every node within a second; behind a load balancer the next call may land on one that has not seen it. */
const NEW_KEY_WAIT_MS = 2_000;
const NEW_KEY_RETRY_MS = 200;

/** Runs `call` again while it is refused with 401: a refused call did nothing, so repeating it is safe. */
async function untilKnown<T>(call: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + NEW_KEY_WAIT_MS;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401) || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, NEW_KEY_RETRY_MS));
    }
  }
}

/** Runs `work` with a key of the client that has `scope`, revoking a key the CLI issued afterwards. */
export async function withClientKey<T>(
  session: Session,
  options: ClientAccessOptions,
  scope: string,
  work: (access: ClientAccess) => Promise<T>,
): Promise<T> {
  const given = options.clientKey ?? process.env.MSGGW_CLIENT_KEY;
  if (given) return work({ key: given });
  if (!options.client) throw new UsageError('name the client (--client) or give its API key (--client-key or MSGGW_CLIENT_KEY)');
  const { api } = session;
  const id = await clientId(api, options.client);
  const client = await api.get<Json>(`/clients/${id}`);
  assertWebClient(client);
  const issued = await api.post<Json>(`/clients/${id}/api-keys`, { name: TEMPORARY_KEY_NAME, scopes: scope, expires_in_days: 1 });
  try {
    return await untilKnown(() => work({ key: String(issued.key), client }));
  } finally {
    await api.delete(`/clients/${id}/api-keys/${String(issued.id)}`).catch(() => undefined);
  }
}
