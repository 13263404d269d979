/** Tenant API keys (upstream §4.3, §5.8): raw key shown once, SHA-256 stored, scopes checked. */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../internal/crypto/index.js';
import type { AdminApi } from './harness.js';

export function apiKeyTests(api: () => AdminApi): void {
  describe('POST /clients/{id}/api-keys', () => {
    it('issues a gw_live_ key, stores only its hash, and makes it usable at once', async () => {
      const client = await api().client({ type: 'web', address: undefined });
      const res = await api().post(`/clients/${client.id}/api-keys`, { name: 'CSV Import App', rate_limit: 60 });
      expect(res.status).toBe(201);
      expect(res.body.key).toMatch(/^gw_live_[0-9a-f]{64}$/);
      expect(res.body).toMatchObject({
        client_id: client.id,
        name: 'CSV Import App',
        key_prefix: res.body.key.slice(0, 16),
        scopes: 'send,batch,usage',
        rate_limit: 60,
        active: true,
        expires_at: null,
        last_used_at: null,
        allowed_numbers: [],
      });
      expect(res.body).not.toHaveProperty('key_hash');
      const hash = sha256Hex(res.body.key);
      expect((await api().store.apiKeys.getByHash(hash))?.id).toBe(res.body.id);
      expect(api().directory.apiKeyByHash(hash)?.clientId).toBe(client.id);
    });

    it('defaults the name, sets an expiry, normalises scopes and restricts numbers', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      const before = Date.now();
      const res = await api().post(`/clients/${client.id}/api-keys`, {
        scopes: ' Send , usage,send',
        expires_in_days: 2,
        allowed_number_ids: [number.id],
      });
      expect(res.status).toBe(201);
      expect(res.body.name).toBe('API Key');
      expect(res.body.scopes).toBe('send,usage');
      const expires = Date.parse(res.body.expires_at);
      expect(expires - before).toBeGreaterThanOrEqual(2 * 86_400_000 - 1000);
      expect(expires - before).toBeLessThan(2 * 86_400_000 + 60_000);
      expect(res.body.allowed_numbers).toEqual([
        { id: expect.any(Number), api_key_id: res.body.id, number_id: number.id, number: number.number },
      ]);
      const asArray = await api().post(`/clients/${client.id}/api-keys`, { scopes: ['batch'] });
      expect(asArray.body.scopes).toBe('batch');
    });

    it.each([
      [{ scopes: 'send,admin' }, 'Unknown scope "admin": allowed scopes are send, batch, usage'],
      [{ rate_limit: -1 }, 'rate_limit'],
      [{ expires_in_days: 'soon' }, 'expires_in_days'],
      [{ allowed_number_ids: ['1'] }, 'allowed_number_ids'],
    ])('refuses %j with 400 and issues nothing', async (body, message) => {
      const client = await api().client();
      const res = await api().post(`/clients/${client.id}/api-keys`, body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toContain(message);
      expect(await api().store.apiKeys.listByClient(client.id)).toEqual([]);
    });

    it('refuses a number of another client with 400, and answers 404 for an unknown client', async () => {
      const client = await api().client();
      const other = await api().client();
      const foreign = await api().addNumber(other.id);
      const res = await api().post(`/clients/${client.id}/api-keys`, { allowed_number_ids: [foreign.id] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: `number ID ${foreign.id} not found on client ${client.id}` });
      expect(await api().store.apiKeys.listByClient(client.id)).toEqual([]);
      expect((await api().post('/clients/999999/api-keys', {})).body).toEqual({ error: 'Client not found' });
    });
  });

  describe('GET and DELETE /clients/{id}/api-keys', () => {
    it('lists keys without secrets and revokes them', async () => {
      const client = await api().client();
      const issued = (await api().post(`/clients/${client.id}/api-keys`, { name: 'k1' })).body;
      const list = await api().get(`/clients/${client.id}/api-keys`);
      expect(list.status).toBe(200);
      const { key: _raw, ...listed } = issued;
      expect(list.body).toEqual([listed]);
      expect(list.text).not.toContain(issued.key);
      expect(list.text).not.toContain(sha256Hex(issued.key));

      const revoked = await api().delete(`/clients/${client.id}/api-keys/${issued.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ message: 'API key revoked', key_id: issued.id });
      expect(api().directory.apiKeyByHash(sha256Hex(issued.key))?.active).toBe(false);
      expect((await api().get(`/clients/${client.id}/api-keys`)).body).toEqual([{ ...listed, active: false }]);
    });

    it('answers 404 for a key of another client and for an unknown client', async () => {
      const owner = await api().client();
      const other = await api().client();
      const issued = (await api().post(`/clients/${owner.id}/api-keys`, {})).body;
      const res = await api().delete(`/clients/${other.id}/api-keys/${issued.id}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'API key not found' });
      expect(api().directory.apiKeyByHash(sha256Hex(issued.key))).toBeDefined();
      expect((await api().get('/clients/999999/api-keys')).status).toBe(404);
    });
  });
}
