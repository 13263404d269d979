/**
 * Which legacy clients a peer IP speaks for, and where a client's MM4 server is. MM4 has no
 * login: a client is known by its `address` (upstream §9.1), read as the same allow-list SMPP
 * uses (single IP, comma list, CIDR, host names). Unlike SMPP, an empty address allows no one,
 * since nothing else would authenticate the peer.
 */
import { isIP } from 'node:net';
import { parseAllowList, type AllowList, type AllowListDeps } from '../peer/index.js';
import type { ClientDetails } from '../store/index.js';
import type { Mm4Directory } from './types.js';

/** gomsggw dialled port 25 (§9.4); a client's settings.mm4_port overrides it. */
export const DEFAULT_MM4_PORT = 25;

export class PeerDirectory {
  /** Parsed allow-lists by address text; addresses change rarely, so this stays small. */
  readonly #lists = new Map<string, AllowList>();

  constructor(
    private readonly directory: Pick<Mm4Directory, 'clients'>,
    private readonly deps: AllowListDeps = {},
  ) {}

  /** Legacy clients whose address allows `ip`, in id order (several may share a host). */
  async clientsFor(ip: string): Promise<ClientDetails[]> {
    const found: ClientDetails[] = [];
    for (const client of this.directory.clients()) {
      if (client.type !== 'legacy') continue;
      const list = this.list(client.address);
      if (!list.open && (await list.allows(ip))) found.push(client);
    }
    return found;
  }

  private list(address: string): AllowList {
    let list = this.#lists.get(address);
    if (!list) {
      list = parseAllowList(address, this.deps);
      this.#lists.set(address, list);
    }
    return list;
  }
}

/**
 * Where to deliver MM4 for a client: the first entry of its address that names one host (an IP
 * or a host name, not a CIDR block), and its mm4_port or 25. undefined when there is none.
 */
export function mm4Endpoint(client: ClientDetails): { host: string; port: number } | undefined {
  const host = client.address
    .split(',')
    .map((e) => e.trim())
    .find((e) => e !== '' && !e.includes('/'));
  if (!host) return undefined;
  const port = client.settings?.mm4Port || DEFAULT_MM4_PORT;
  return { host: isIP(host) === 6 ? host : host.toLowerCase(), port };
}
