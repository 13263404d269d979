/**
 * Who may bind (upstream §8.3, with BUG-11 fixed): a legacy client's system_id (its username) and
 * password, compared in constant time; its `address` as an IP allow-list; its max_binds across the
 * cluster; and the cluster's failed-login limiter (internal/lockout).
 *
 * A bind refused before the credentials are proven tells the peer nothing about which part was
 * wrong: an unknown system_id, a wrong password, a right password from an address not on the
 * allow-list, a web client's right password and a source locked out all answer BIND_REFUSED, each
 * after the same FailureDelay. The reason is returned for the log only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ESME } from '../errors/index.js';
import type { FailureDelay, LoginLimiter } from '../lockout/index.js';
import { LogEvent } from '../log/index.js';
import type { ClientDetails } from '../store/index.js';
import { parseAllowList, type AllowListDeps } from '../peer/index.js';
import type { BindMode } from './ports.js';
import type { BindClaim, BindSlot } from '../cluster/index.js';

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
  /**
   * `reason` and `event` (gomsggw's log event name) are for the log: they may say which part was
   * wrong, the status never does.
   */
  | { ok: false; status: number; reason: string; event: LogEvent };

/** The directory lookup binds need. */
export interface BindClients {
  clientByUsername(username: string): ClientDetails | undefined;
}

/** Where binds are recorded cluster-wide (the cluster room's BindRegistry). */
export interface BindSlots {
  claim(clientId: number, maxBinds: number, bind: BindClaim): Promise<BindSlot | null>;
}

export interface BindAuthenticatorDeps extends AllowListDeps {
  clients: BindClients;
  slots: BindSlots;
  /** Failed binds counted per IP, network and system_id, shared with the REST logins. */
  logins: LoginLimiter;
  /** How long after its arrival every refused bind is answered. */
  failureDelay: FailureDelay;
}

/**
 * The one status of every refusal before a login: gomsggw's answer to an unknown system_id or a
 * wrong password (upstream §8.3 step 2), which ESMEs already know, and Jasmin's for every failed
 * login. Upstream's 0x0F (empty fields) and 0x05 (web client) are gone: they told the two apart.
 */
export const BIND_REFUSED = ESME.RINVPASWD;

/**
 * A login that was right but has no room: max_binds reached. Only the client's own password gets
 * this far, so a distinct status tells a guesser nothing; ESME_RBINDFAIL (SMPP 3.4 "bind failed")
 * says "try later", as Jasmin answers it.
 */
export const BIND_NO_SLOT = ESME.RBINDFAIL;

type CheckResult = { ok: true; client: ClientDetails } | { ok: false; reason: string; event: LogEvent };

export class BindAuthenticator {
  constructor(private readonly deps: BindAuthenticatorDeps) {}

  async authenticate(req: BindRequest): Promise<BindVerdict> {
    const { logins, failureDelay } = this.deps;
    const startedAt = failureDelay.start();
    const attempt = { ip: req.remoteIp, username: req.systemId };
    const gate = await logins.admit(attempt);
    if (!gate.allowed) return this.refuse(startedAt, `too many failed logins (${gate.scope} locked out)`, LogEvent.AuthFailed);
    const checked = await this.check(req);
    if (!checked.ok) {
      await logins.fail(attempt);
      return this.refuse(startedAt, checked.reason, checked.event);
    }
    await logins.succeed(attempt);
    return this.claimSlot(checked.client, req);
  }

  /**
   * Every check runs whatever the others found (the allow-list first, then the password, which is
   * compared even for an unknown system_id), so the work done does not depend on which part was
   * wrong; FailureDelay hides what time is still left (a host name in the allow-list waits on DNS).
   */
  private async check(req: BindRequest): Promise<CheckResult> {
    const client = req.systemId ? this.deps.clients.clientByUsername(req.systemId) : undefined;
    const allowed = client ? await parseAllowList(client.address, this.deps).allows(req.remoteIp) : false;
    const passwordOk = samePassword(req.password, client?.password ?? '');
    const invalid = LogEvent.AuthFailedInvalidCredentials;
    if (!client) return { ok: false, reason: req.systemId ? 'unknown system_id' : 'empty system_id', event: invalid };
    if (!allowed) return { ok: false, reason: `IP ${req.remoteIp} is not in the client's address list`, event: LogEvent.AuthFailed };
    if (client.type !== 'legacy')
      return { ok: false, reason: 'a web client cannot bind over SMPP', event: LogEvent.WebClientCannotUseSMPP };
    if (!passwordOk) return { ok: false, reason: req.password ? 'wrong password' : 'empty password', event: invalid };
    return { ok: true, client };
  }

  private async refuse(startedAt: number, reason: string, event: LogEvent): Promise<BindVerdict> {
    await this.deps.failureDelay.wait(startedAt);
    return { ok: false, status: BIND_REFUSED, reason, event };
  }

  /** Not a credential failure: a client at its max_binds is not counted as a failed login. */
  private async claimSlot(client: ClientDetails, req: BindRequest): Promise<BindVerdict> {
    const maxBinds = client.settings?.maxBinds ?? 0;
    const slot = await this.deps.slots.claim(client.id, maxBinds, { session: req.sessionId, ip: req.remoteIp, mode: req.mode });
    if (slot) return { ok: true, client, slot };
    return { ok: false, status: BIND_NO_SLOT, reason: `max_binds ${maxBinds} reached`, event: LogEvent.AuthFailed };
  }
}

/** Constant-time equality of two passwords of any lengths (their SHA-256 digests are compared). */
export function samePassword(given: string, stored: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(stored).digest();
  return timingSafeEqual(a, b) && stored.length > 0;
}
