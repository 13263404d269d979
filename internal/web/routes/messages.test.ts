import { describe, expect, it } from 'vitest';
import type { Message } from '../../../proto/message.js';
import { OutcomeUnknownError } from '../../errors/index.js';
import { silentLogger } from '../../log/index.js';
import { captureLogger } from '../../../test/support/log-capture.js';
import { ClientAuthenticator } from '../middleware/client-auth.js';
import type { WebDeps } from '../types.js';
import { SendRoute, type SendCall } from './messages.js';

const client = {
  id: 1,
  username: 'acme',
  password: 'secret-pw',
  type: 'web',
  settings: null,
  numbers: [{ id: 1, number: '+14155550100', settings: null }],
};
const AUTH = `Basic ${Buffer.from('acme:secret-pw').toString('base64')}`;

interface Entered {
  message: Message;
  dedupKey?: string;
  repeatable?: boolean;
}

/** A SendRoute whose ingress records what it is given, then fails with `fail()` (if it returns one), logging into `lines`. */
function routeWith(lines: unknown[], fail: () => Error | undefined, entered: Entered[] = []): SendRoute {
  const logger = silentLogger();
  logger.error = ((obj: unknown) => void lines.push(obj)) as typeof logger.error;
  const directory = { clientByUsername: (name: string) => (name === 'acme' ? client : undefined), client: () => client };
  const ingress = async (_kind: string, message: Message, dedupKey?: string, repeatable?: boolean) => {
    entered.push({ message, dedupKey, repeatable });
    const err = fail();
    if (err) throw err;
  };
  const deps = { directory, logger, serverId: 'n1', ingress } as unknown as WebDeps;
  return new SendRoute(deps, new ClientAuthenticator(deps));
}

/** A SendRoute whose ingress fails (the bus is down), logging into `lines`. */
const failingRoute = (lines: unknown[]): SendRoute => routeWith(lines, () => new Error('bus down'));

function call(body: unknown, idempotencyKey = ''): SendCall {
  return {
    method: 'POST',
    path: '/messages/send',
    authorization: AUTH,
    idempotencyKey,
    peer: '127.0.0.1',
    forwardedFor: '',
    realIp: '',
    readBody: async () => Buffer.from(JSON.stringify(body)),
  };
}

const SEND = { from: '+14155550100', to: '+14155550123', text: 'hi' };

describe('SendRoute', () => {
  it('logs a refused sender as Invalid sender number and a refused destination as Invalid destination number', async () => {
    const log = captureLogger();
    const directory = { clientByUsername: (name: string) => (name === 'acme' ? client : undefined), client: () => client };
    const deps = { directory, logger: log.logger, serverId: 'n1', ingress: async () => undefined } as unknown as WebDeps;
    const route = new SendRoute(deps, new ClientAuthenticator(deps));
    expect((await route.answer(call({ ...SEND, from: '+14155550999' }))).status).toBe(403);
    expect((await route.answer(call({ ...SEND, to: 'not-a-number' }))).status).toBe(400);
    expect(log.event('Invalid sender number')).toMatchObject({ level: 30, client: 'acme', msg: 'send refused' });
    expect(log.event('Invalid destination number')).toMatchObject({ level: 30, client: 'acme' });
    expect(JSON.stringify(log.lines)).not.toMatch(/secret-pw|"hi"/);
  });

  it('answer 503 with Retry-After when the message cannot be stored, logging no header', async () => {
    const lines: unknown[] = [];
    const answer = await failingRoute(lines).answer(call({ from: '+14155550100', to: '+14155550123', text: 'hi' }));
    expect(answer).toEqual({
      status: 503,
      body: { error: 'The message could not be stored; nothing was sent. Try again later.', id: expect.any(String), outcome: 'not_stored' },
      headers: { 'Retry-After': '1' },
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ method: 'POST', path: '/messages/send' });
    expect(JSON.stringify(lines[0])).not.toMatch(/secret|Basic|authorization/i);
  });

  it('answer a wrong password 401 with the challenge, and never throw', async () => {
    const answer = await failingRoute([]).answer({ ...call({}), authorization: `Basic ${Buffer.from('acme:nope').toString('base64')}` });
    expect(answer.status).toBe(401);
    expect(answer.headers).toEqual({ 'WWW-Authenticate': 'Basic realm="Restricted"' });
  });

  it('answers 503 "unknown" with the message id when the store may have taken it, and a resend with that id keeps the id', async () => {
    const entered: Entered[] = [];
    let tries = 0;
    const route = routeWith([], () => (++tries === 1 ? new OutcomeUnknownError('no PubAck in time') : undefined), entered);
    const first = await route.answer(call(SEND));
    const body = first.body as { id: string; outcome: string; error: string };
    expect(first.status).toBe(503);
    expect(first.headers).toEqual({ 'Retry-After': '1' });
    expect(body.outcome).toBe('unknown');
    expect(body.error).toContain(`Idempotency-Key: ${body.id}`);
    expect(entered[0]).toMatchObject({ message: { id: body.id }, dedupKey: body.id, repeatable: false });

    const again = await route.answer(call(SEND, body.id));
    expect(again).toMatchObject({ status: 202, body: { status: 'queued', id: body.id } });
    // The same key on the bus as the first try, so a stored first try makes this one a duplicate.
    expect(entered[1]).toMatchObject({ message: { id: body.id }, dedupKey: body.id, repeatable: true });
  });

  it('gives the same message id to every send with the same Idempotency-Key', async () => {
    const entered: Entered[] = [];
    const route = routeWith([], () => undefined, entered);
    const a = await route.answer(call(SEND, 'order-42'));
    const b = await route.answer(call(SEND, 'order-42'));
    const c = await route.answer(call(SEND, 'order-43'));
    expect(a.status).toBe(202);
    expect((b.body as { id: string }).id).toBe((a.body as { id: string }).id);
    expect((c.body as { id: string }).id).not.toBe((a.body as { id: string }).id);
    expect(entered.map((e) => e.repeatable)).toEqual([true, true, true]);
  });

  it('refuses a malformed Idempotency-Key with 400 and stores nothing', async () => {
    const entered: Entered[] = [];
    const route = routeWith([], () => undefined, entered);
    for (const key of ['has space', 'x'.repeat(256), 'caf\u00e9']) {
      const answer = await route.answer(call(SEND, key));
      expect(answer.status).toBe(400);
      expect((answer.body as { error: string }).error).toMatch(/Idempotency-Key/);
    }
    expect(entered).toEqual([]);
  });
});
