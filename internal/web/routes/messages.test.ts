import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../log/index.js';
import { ClientAuthenticator } from '../middleware/client-auth.js';
import type { WebDeps } from '../types.js';
import { SendRoute, type SendCall } from './messages.js';

const client = {
  id: 1, username: 'acme', password: 'secret-pw', type: 'web', settings: null,
  numbers: [{ id: 1, number: '+14155550100', settings: null }],
};
const AUTH = `Basic ${Buffer.from('acme:secret-pw').toString('base64')}`;

/** A SendRoute whose ingress fails (the bus is down), logging into `lines`. */
function failingRoute(lines: unknown[]): SendRoute {
  const logger = silentLogger();
  logger.error = ((obj: unknown) => void lines.push(obj)) as typeof logger.error;
  const directory = { clientByUsername: (name: string) => (name === 'acme' ? client : undefined), client: () => client };
  const deps = { directory, logger, serverId: 'n1', ingress: async () => { throw new Error('bus down'); } } as unknown as WebDeps;
  return new SendRoute(deps, new ClientAuthenticator(deps));
}

function call(body: unknown): SendCall {
  return {
    method: 'POST', path: '/messages/send', authorization: AUTH, peer: '127.0.0.1', forwardedFor: '', realIp: '',
    readBody: async () => Buffer.from(JSON.stringify(body)),
  };
}

describe('SendRoute', () => {
  it('answer 503 with Retry-After when the message cannot be stored, logging no header', async () => {
    const lines: unknown[] = [];
    const answer = await failingRoute(lines).answer(call({ from: '+14155550100', to: '+14155550123', text: 'hi' }));
    expect(answer).toEqual({
      status: 503,
      body: { error: 'The message could not be stored; nothing was sent. Try again later.' },
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
});
