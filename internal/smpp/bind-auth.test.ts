import { describe, expect, it } from 'vitest';
import { FailureDelay, MemoryLoginLimiter, type LoginLimits } from '../lockout/index.js';
import type { ClientDetails } from '../store/index.js';
import { BIND_NO_SLOT, BIND_REFUSED, BindAuthenticator, type BindRequest, type BindVerdict } from './bind-auth.js';
import { legacyClient } from '../../test/support/smpp-server-harness.js';

const DELAY_MS = 500;
/** What a host-name lookup costs in these tests (fake time). */
const DNS_MS = 300;
const limits: LoginLimits = { windowMs: 60_000, perIp: 100, perNetwork: 0, perUser: 0 };

/**
 * A BindAuthenticator on a fake clock: DNS lookups and the failure delay advance it, so each
 * verdict comes with the (fake) time it took.
 */
function setup(clients: ClientDetails[], opts: { limits?: LoginLimits; freeSlots?: number } = {}) {
  let now = 1_000;
  let freeSlots = opts.freeSlots ?? Infinity;
  const byName = new Map(clients.map((c) => [c.username, c]));
  const logins = new MemoryLoginLimiter({ limits: opts.limits ?? limits });
  const auth = new BindAuthenticator({
    clients: { clientByUsername: (name) => byName.get(name) },
    slots: { claim: async () => (freeSlots-- > 0 ? { release: async () => undefined } : null) },
    logins,
    failureDelay: new FailureDelay(DELAY_MS, {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    }),
    resolve: async (host) => {
      now += DNS_MS;
      return host === 'pbx.example' ? ['198.51.100.5'] : [];
    },
  });
  const bind = async (over: Partial<BindRequest>): Promise<BindVerdict & { tookMs: number }> => {
    const started = now;
    const verdict = await auth.authenticate({
      systemId: '',
      password: '',
      mode: 'transceiver',
      remoteIp: '127.0.0.1',
      sessionId: 's',
      ...over,
    });
    return { ...verdict, tookMs: now - started };
  };
  return { bind, logins };
}

describe('BindAuthenticator', () => {
  const pbx = legacyClient(1, { address: 'pbx.example, 10.0.0.0/8', password: 'right-pw' });
  const web = legacyClient(2, { type: 'web', password: 'web-pw' });

  it('answers every refusal before a login with one status, after the same time, whichever part was wrong', async () => {
    const { bind } = setup([pbx, web]);
    const attempts: Array<[string, Partial<BindRequest>]> = [
      ['unknown system_id', { systemId: 'nobody', password: 'right-pw', remoteIp: '10.1.2.3' }],
      ['wrong password from an allowed IP', { systemId: 'esme1', password: 'wrong', remoteIp: '10.1.2.3' }],
      ['right password from an IP not allowed', { systemId: 'esme1', password: 'right-pw', remoteIp: '192.0.2.9' }],
      ['wrong password from an IP not allowed', { systemId: 'esme1', password: 'wrong', remoteIp: '192.0.2.9' }],
      ["a web client's right password", { systemId: 'esme2', password: 'web-pw' }],
      ['empty password', { systemId: 'esme1', password: '', remoteIp: '10.1.2.3' }],
      ['empty system_id', { systemId: '', password: 'right-pw' }],
    ];
    const answers = [];
    for (const [label, request] of attempts) {
      const verdict = await bind(request);
      answers.push({ label, ok: verdict.ok, status: verdict.ok ? 0 : verdict.status, tookMs: verdict.tookMs });
    }
    // An allow-list host name costs DNS time for a known system_id only; the answer hides it.
    expect(answers).toEqual(attempts.map(([label]) => ({ label, ok: false, status: BIND_REFUSED, tookMs: DELAY_MS })));
    expect(BIND_REFUSED).toBe(0x0e);
  });

  it('keeps the precise reason for the log, without the password', async () => {
    const { bind } = setup([pbx, web]);
    const reasons = [
      await bind({ systemId: 'nobody', password: 'secret-1' }),
      await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '192.0.2.9' }),
      await bind({ systemId: 'esme1', password: 'secret-2', remoteIp: '10.1.2.3' }),
      await bind({ systemId: 'esme2', password: 'web-pw' }),
    ].map((v) => (v.ok ? '' : v.reason));
    expect(reasons).toEqual([
      'unknown system_id',
      "IP 192.0.2.9 is not in the client's address list",
      'wrong password',
      'a web client cannot bind over SMPP',
    ]);
    expect(reasons.join(' ')).not.toMatch(/secret|right-pw|web-pw/);
  });

  it('binds the right password from an allowed IP or host name at once', async () => {
    const { bind } = setup([pbx]);
    expect(await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '10.9.9.9' })).toMatchObject({ ok: true, tookMs: 0 });
    expect(await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '198.51.100.5' })).toMatchObject({ ok: true, tookMs: DNS_MS });
  });

  it('refuses a locked-out source with the same status and time, even with the right password, without checking it', async () => {
    const { bind } = setup([pbx], { limits: { ...limits, perIp: 2 } });
    await bind({ systemId: 'esme1', password: 'bad', remoteIp: '10.1.2.3' });
    await bind({ systemId: 'esme1', password: 'bad', remoteIp: '10.1.2.3' });
    const locked = await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '10.1.2.3' });
    expect(locked).toMatchObject({ ok: false, status: BIND_REFUSED, tookMs: DELAY_MS, reason: 'too many failed logins (ip locked out)' });
    expect(await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '10.1.2.4' })).toMatchObject({ ok: true });
  });

  it('counts a right password from an address not allowed as a failed login', async () => {
    const { bind } = setup([pbx], { limits: { ...limits, perIp: 1 } });
    await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '192.0.2.9' });
    expect(await bind({ systemId: 'esme1', password: 'right-pw', remoteIp: '192.0.2.9' })).toMatchObject({
      ok: false,
      reason: 'too many failed logins (ip locked out)',
    });
  });

  it('keeps a client binding from where it bound before while its system_id is guessed from elsewhere', async () => {
    const open = legacyClient(3, { password: 'open-pw' });
    const { bind } = setup([open], { limits: { ...limits, perUser: 3 } });
    expect(await bind({ systemId: 'esme3', password: 'open-pw', remoteIp: '203.0.113.10' })).toMatchObject({ ok: true });
    for (let i = 1; i <= 3; i++) await bind({ systemId: 'esme3', password: `guess${i}`, remoteIp: `198.51.${i}.1` });
    expect(await bind({ systemId: 'esme3', password: 'open-pw', remoteIp: '198.51.99.1' })).toMatchObject({
      ok: false,
      status: BIND_REFUSED,
    });
    expect(await bind({ systemId: 'esme3', password: 'open-pw', remoteIp: '203.0.113.10' })).toMatchObject({ ok: true });
  });

  it('answers max_binds reached (only after a right login) with its own status, at once, uncounted', async () => {
    const { bind } = setup([legacyClient(4, { password: 'pw4' })], { freeSlots: 0, limits: { ...limits, perIp: 1 } });
    for (let i = 0; i < 3; i++) {
      expect(await bind({ systemId: 'esme4', password: 'pw4' })).toMatchObject({ ok: false, status: BIND_NO_SLOT, tookMs: 0 });
    }
    expect(BIND_NO_SLOT).toBe(0x0d);
  });
});
