/** Client auth of /messages* (upstream §4.2–§4.3): every path, and nothing stored on a refusal. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../internal/crypto/index.js';
import { basic, bearer, type MessagesApi } from './harness.js';

const CHALLENGE = 'Basic realm="Restricted"';

export function authTests(api: () => MessagesApi): void {
  const to = '+14155550100';
  const sms = (from: string) => ({ from, to, text: 'auth test' });

  describe('credentials', () => {
    it('accepts Basic auth', async () => {
      const c = await api().client();
      const res = await api().send(sms(c.numbers[0]!), c.basic);
      expect(res.status, res.text).toBe(202);
      expect((await api().takeMessages('web')).map((m) => m.origin.clientId)).toEqual([c.id]);
    });

    it('accepts Bearer base64(user:pass) from a client without auth_method', async () => {
      const c = await api().client({ authMethod: null });
      const res = await api().send(sms(c.numbers[0]!), c.bearer);
      expect(res.status, res.text).toBe(202);
      expect(await api().takeMessages('web')).toHaveLength(1);
    });

    it("enforces an auth_method the client has set, in upstream's words", async () => {
      const basicOnly = await api().client({ authMethod: 'basic' });
      const bearerOnly = await api().client({ authMethod: 'bearer' });
      const wrong1 = await api().send(sms(basicOnly.numbers[0]!), basicOnly.bearer);
      expect(wrong1.status).toBe(401);
      expect(wrong1.body).toEqual({ status: 'error', message: 'Client requires basic authentication' });
      expect(wrong1.headers.get('www-authenticate')).toBe(CHALLENGE);
      const wrong2 = await api().send(sms(bearerOnly.numbers[0]!), bearerOnly.basic);
      expect(wrong2.status).toBe(401);
      expect(wrong2.body).toEqual({ status: 'error', message: 'Client requires bearer authentication' });
      expect(wrong2.headers.get('www-authenticate')).toBe('Bearer realm="Restricted"');
      await api().expectNothingStored();
      expect((await api().send(sms(basicOnly.numbers[0]!), basicOnly.basic)).status).toBe(202);
      expect((await api().send(sms(bearerOnly.numbers[0]!), bearerOnly.bearer)).status).toBe(202);
      expect(await api().takeMessages('web')).toHaveLength(2);
    });

    it('answers a wrong password and an unknown username identically (401 JSON with a challenge)', async () => {
      const c = await api().client();
      const answers = [
        await api().send(sms(c.numbers[0]!), basic(c.username, 'wrong')),
        await api().send(sms(c.numbers[0]!), basic('nobody-at-all', 'wrong')),
        await api().send(sms(c.numbers[0]!), bearer(c.username, 'wrong')),
        await api().send(sms(c.numbers[0]!), bearer('nobody-at-all', c.password)),
      ];
      for (const res of answers) {
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ error: 'Invalid credentials' });
        expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
      }
      await api().expectNothingStored();
    });

    it.each([
      ['no header', null],
      ['an unknown scheme', 'Digest abc'],
      ['undecodable Basic', 'Basic !!!'],
      ['a Bearer token that is neither key nor user:pass', 'Bearer not-base64!'],
    ])('answers %s with 401 "Authentication required"', async (_what, auth) => {
      const c = await api().client();
      const res = await api().send(sms(c.numbers[0]!), auth);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'Authentication required' });
      expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
      await api().expectNothingStored();
    });

    it('refuses a legacy client with 403, but only once its password is right and only from its addresses', async () => {
      const legacy = await api().client({ type: 'legacy', address: '127.0.0.1' });
      const res = await api().send(sms(legacy.numbers[0]!), legacy.basic);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ status: 'error', message: 'Legacy clients must use SMPP protocol, not REST API' });
      const guess = await api().send(sms(legacy.numbers[0]!), basic(legacy.username, 'guess'));
      expect(guess.status).toBe(401);
      expect(guess.body).toEqual({ error: 'Invalid credentials' });
      const key = await api().apiKey(legacy.id);
      expect((await api().send(sms(legacy.numbers[0]!), `Bearer ${key.key}`)).status).toBe(403);
      // From outside its address list, its right password answers as a guess does: it may not bind from there either.
      const far = await api().client({ type: 'legacy', address: '192.0.2.1' });
      const fromElsewhere = await api().send(sms(far.numbers[0]!), far.basic);
      expect([fromElsewhere.status, fromElsewhere.body]).toEqual([401, { error: 'Invalid credentials' }]);
      await api().expectNothingStored();
    });
  });

  describe('API keys', () => {
    it("sends with a key that has the send scope, whatever the client's auth_method", async () => {
      const c = await api().client({ authMethod: 'basic' });
      const { key } = await api().apiKey(c.id, { scopes: 'send' });
      const res = await api().send(sms(c.numbers[0]!), `Bearer ${key}`);
      expect(res.status, res.text).toBe(202);
      const [message] = await api().takeMessages('web');
      expect(message).toMatchObject({ id: res.body.id, origin: { kind: 'web', clientId: c.id } });
    });

    it("refuses a key without the route's scope with 403", async () => {
      const c = await api().client();
      const usageOnly = await api().apiKey(c.id, { scopes: 'usage' });
      const sendOnly = await api().apiKey(c.id, { scopes: 'send' });
      const send = await api().send(sms(c.numbers[0]!), `Bearer ${usageOnly.key}`);
      expect(send.status).toBe(403);
      expect(send.body).toEqual({ error: "API key does not have 'send' scope" });
      const history = await api().request('GET', '/messages/history', undefined, { auth: `Bearer ${sendOnly.key}` });
      expect(history.status).toBe(403);
      expect(history.body).toEqual({ error: "API key does not have 'usage' scope" });
      expect((await api().request('GET', '/messages/history', undefined, { auth: `Bearer ${usageOnly.key}` })).status).toBe(200);
      await api().expectNothingStored();
    });

    it('refuses expired, revoked and unknown keys with 401 "Invalid or expired API key", saying which', async () => {
      const c = await api().client();
      const raw = `gw_live_${'e'.repeat(64)}`;
      const expired = await api().store.apiKeys.create({
        clientId: c.id,
        name: 'old',
        keyHash: sha256Hex(raw),
        keyPrefix: raw.slice(0, 16),
        scopes: 'send,batch,usage',
        rateLimit: 0,
        expiresAt: new Date(Date.now() - 1000),
        allowedNumberIds: [],
      });
      await api().changes.announce({ kind: 'api_key', id: expired.id });
      const revoked = await api().apiKey(c.id);
      expect((await api().admin('DELETE', `/clients/${c.id}/api-keys/${revoked.id}`)).status).toBe(200);
      for (const [key, reason] of [
        [raw, 'api_key_expired'],
        [revoked.key, 'api_key_revoked'],
        [`gw_live_${'0'.repeat(64)}`, 'unknown_api_key'],
      ]) {
        const res = await api().send(sms(c.numbers[0]!), `Bearer ${key}`);
        expect(res.status, key).toBe(401);
        expect(res.body).toEqual({ error: 'Invalid or expired API key', reason, message: expect.any(String) });
        expect(res.headers.get('www-authenticate')).toBe(CHALLENGE);
      }
      await api().expectNothingStored();
    });

    it('answers a key without send scope, an expired, a revoked and a number-limited key each in its own words', async () => {
      const c = await api().client({ numbers: 2 });
      const numbers = (await api().admin('GET', `/clients/${c.id}/numbers`)).body as Array<{ id: number; number: string }>;
      const noSend = await api().apiKey(c.id, { scopes: 'usage,batch' });
      // The API issues keys that expire in days; one already past its expiry is written directly.
      const expired = `gw_live_${randomBytes(32).toString('hex')}`;
      const expiresAt = new Date(Date.now() - 60_000);
      await api().store.apiKeys.create({
        clientId: c.id,
        name: 'expired',
        keyHash: sha256Hex(expired),
        keyPrefix: expired.slice(0, 16),
        scopes: 'send',
        rateLimit: 0,
        expiresAt,
        allowedNumberIds: [],
      });
      const revoked = await api().apiKey(c.id);
      await api().admin('DELETE', `/clients/${c.id}/api-keys/${revoked.id}`);
      const limited = await api().apiKey(c.id, { allowed_number_ids: [numbers[0]!.id] });
      await api().changes.announce({ kind: 'api_key' });

      const answers = [
        await api().send(sms(c.numbers[0]!), `Bearer ${noSend.key}`),
        await api().send(sms(c.numbers[0]!), `Bearer ${expired}`),
        await api().send(sms(c.numbers[0]!), `Bearer ${revoked.key}`),
        await api().send(sms(numbers[1]!.number), `Bearer ${limited.key}`),
      ];
      expect(answers.map((res) => [res.status, res.body])).toEqual([
        [403, { error: "API key does not have 'send' scope" }],
        [
          401,
          { error: 'Invalid or expired API key', reason: 'api_key_expired', message: `This API key expired at ${expiresAt.toISOString()}` },
        ],
        [401, { error: 'Invalid or expired API key', reason: 'api_key_revoked', message: 'This API key has been revoked' }],
        [403, { error: 'API key is not authorized to send from this number' }],
      ]);
      expect(new Set(answers.map((res) => res.text)).size).toBe(4);
      await api().expectNothingStored();
    });

    it('limits a key with allowed numbers to those numbers', async () => {
      const c = await api().client({ numbers: 2 });
      const numbers = (await api().admin('GET', `/clients/${c.id}/numbers`)).body as Array<{ id: number; number: string }>;
      const allowed = numbers.find((n) => n.number === c.numbers[0])!;
      const { key } = await api().apiKey(c.id, { allowed_number_ids: [allowed.id] });
      const refused = await api().send(sms(c.numbers[1]!), `Bearer ${key}`);
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({ error: 'API key is not authorized to send from this number' });
      await api().expectNothingStored();
      // The allowed number written another way is still that number.
      const digits = c.numbers[0]!.replace('+', '');
      const ok = await api().send(sms(`${digits.slice(0, 1)} (${digits.slice(1, 4)}) ${digits.slice(4)}`), `Bearer ${key}`);
      expect(ok.status, ok.text).toBe(202);
      expect((await api().takeMessages('web'))[0]?.from).toBe(c.numbers[0]);
    });

    it("records the key's use", async () => {
      const c = await api().client();
      const { key, id } = await api().apiKey(c.id);
      expect((await api().send(sms(c.numbers[0]!), `Bearer ${key}`)).status).toBe(202);
      await expect
        .poll(async () => (await api().store.apiKeys.listByClient(c.id)).find((k) => k.id === id)?.lastUsedAt)
        .toBeInstanceOf(Date);
    });
  });
}
