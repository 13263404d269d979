/**
 * Who may bind (upstream §8.3, with BUG-11 fixed): a legacy client's system_id (its username) and
 * password, compared in constant time; its `address` as an IP allow-list; its max_binds across the
 * cluster; and a lockout for IPs that keep failing. Status codes keep upstream's where it had one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ESME } from '../errors/index.js';
import type { ClientDetails } from '../store/index.js';
import { parseAllowList, type AllowListDeps } from '../peer/index.js';
import type { BindFailureLimiter } from './bind-limiter.js';
import type { BindMode } from './ports.js';
import type { BindSlot } from './session-registry.js';

export interface BindRequest {
  systemId: string;
  password: string;
  mode: BindMode;
  /** The client's IP: the peer's, or the one a PROXY header named. */
  remoteIp: string;
  sessionId: string;
}

export type BindVerdict =
  | { ok: true; client: ClientDetails; slot: BindSlot }
  | { ok: false; status: number; reason: string };

/** The directory lookup binds need. */
export interface BindClients {
  clientByUsername(username: string): ClientDetails | undefined;
}

/** The bind slots of the session registry. */
export interface BindSlots {
  claim(clientId: number, maxBinds: number, sessionId: string): Promise<BindSlot | null>;
}

export interface BindAuthenticatorDeps extends AllowListDeps {
  clients: BindClients;
  slots: BindSlots;
  limiter: BindFailureLimiter;
}

/**
 * 0x05 for a web client's bind: gomsggw's vendored library called it ESME_RBINDFAIL, SMPP 3.4
 * calls it ESME_RALYBND; existing ESMEs may match on it (upstream §8.3 step 3).
 */
const WEB_CLIENT_STATUS = ESME.RALYBND;

export class BindAuthenticator {
  constructor(private readonly deps: BindAuthenticatorDeps) {}

  async authenticate(req: BindRequest): Promise<BindVerdict> {
    const { limiter } = this.deps;
    if (limiter.blocked(req.remoteIp)) {
      return { ok: false, status: ESME.RBINDFAIL, reason: 'too many failed binds from this IP' };
    }
    const checked = await this.check(req);
    if (!checked.ok) {
      limiter.recordFailure(req.remoteIp);
      return checked;
    }
    return this.claimSlot(checked.client, req);
  }

  private async check(req: BindRequest): Promise<{ ok: true; client: ClientDetails } | { ok: false; status: number; reason: string }> {
    if (!req.systemId || !req.password) return { ok: false, status: ESME.RINVSYSID, reason: 'empty system_id or password' };
    const client = this.deps.clients.clientByUsername(req.systemId);
    // Compare even for an unknown system_id, so timing does not tell which usernames exist.
    const passwordOk = samePassword(req.password, client?.password ?? '');
    if (!client || !passwordOk) return { ok: false, status: ESME.RINVPASWD, reason: 'unknown system_id or wrong password' };
    if (client.type !== 'legacy') return { ok: false, status: WEB_CLIENT_STATUS, reason: 'a web client cannot bind over SMPP' };
    if (!(await parseAllowList(client.address, this.deps).allows(req.remoteIp))) {
      return { ok: false, status: ESME.RBINDFAIL, reason: `IP ${req.remoteIp} is not in the client's address list` };
    }
    return { ok: true, client };
  }

  /** Not a credential failure: a client at its max_binds is not locked out for it. */
  private async claimSlot(client: ClientDetails, req: BindRequest): Promise<BindVerdict> {
    const maxBinds = client.settings?.maxBinds ?? 0;
    const slot = await this.deps.slots.claim(client.id, maxBinds, req.sessionId);
    if (slot) return { ok: true, client, slot };
    return { ok: false, status: ESME.RBINDFAIL, reason: `max_binds ${maxBinds} reached` };
  }
}

/** Constant-time equality of two passwords of any lengths (their SHA-256 digests are compared). */
export function samePassword(given: string, stored: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(stored).digest();
  return timingSafeEqual(a, b) && stored.length > 0;
}
