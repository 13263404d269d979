/** Clients: upstream §5.3 plus GET/PUT /clients/{id}; BUG-21 and BUG-31 fixed. */
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../../internal/crypto/index.js';
import type { AdminApi } from './harness.js';

export function clientTests(api: () => AdminApi): void {
  describe('POST /clients', () => {
    it('creates a legacy client: 201, no password key, default settings, empty numbers', async () => {
      const username = api().uniq('zultys');
      const res = await api().post('/clients', {
        username,
        password: 'smpp_pass',
        type: 'legacy',
        name: 'Zultys MX',
        address: '192.168.1.100',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        username,
        type: 'legacy',
        name: 'Zultys MX',
        address: '192.168.1.100',
        timezone: 'UTC',
        log_privacy: false,
        numbers: [],
      });
      expect(res.body).not.toHaveProperty('password');
      expect(res.text).not.toContain('smpp_pass');
      expect(res.body.settings).toMatchObject({ client_id: res.body.id, api_format: 'generic' });
      expect((await api().store.clients.get(res.body.id))?.password).toBe('smpp_pass');
    });

    it('creates a web client without an address, keeping its time zone', async () => {
      const client = await api().client({ type: 'web', address: undefined, timezone: 'America/Vancouver' });
      expect(client).toMatchObject({ type: 'web', address: '', timezone: 'America/Vancouver' });
    });

    it('defaults the type to legacy and an empty time zone to UTC', async () => {
      const client = await api().client({ type: undefined, timezone: '' });
      expect(client).toMatchObject({ type: 'legacy', timezone: 'UTC' });
    });

    it.each([
      [{ password: 'pw', address: '192.0.2.1' }, 'Username and Password are required'],
      [{ username: 'u-nopw', address: '192.0.2.1' }, 'Username and Password are required'],
      [{ username: '', password: 'pw', address: '192.0.2.1' }, 'Username and Password are required'],
      [{ username: 'u-noaddr', password: 'pw', type: 'legacy' }, 'Address (IP or hostname) is required for legacy clients'],
      [{ username: 'u-noaddr2', password: 'pw' }, 'Address (IP or hostname) is required for legacy clients'],
      [{ username: 'u-type', password: 'pw', type: 'smpp', address: '192.0.2.1' }, 'Invalid client type "smpp": use legacy or web'],
      [{ username: 'u-tz', password: 'pw', type: 'web', timezone: 'Mars/Olympus' }, 'timezone: must be an IANA time zone'],
      [{ username: 7, password: 'pw', type: 'web' }, 'username'],
      [{ username: 'u-priv', password: 'pw', type: 'web', log_privacy: 'yes' }, 'log_privacy'],
    ])('refuses %j with 400 and saves nothing', async (body: Record<string, unknown>, message) => {
      const res = await api().post('/clients', body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toContain(message);
      if (typeof body.username === 'string' && body.username) {
        expect(await api().store.clients.getByUsername(body.username)).toBeUndefined();
      }
    });

    it('ignores nested settings and numbers instead of inserting them', async () => {
      const number = api().number();
      const client = await api().client({ settings: { api_format: 'bicom' }, numbers: [{ number, carrier: 'x' }] });
      expect(client.numbers).toEqual([]);
      expect(client.settings.api_format).toBe('generic');
      expect(await api().store.numbers.getByNumber(number)).toBeUndefined();
    });

    it('refuses a duplicate username with 409 JSON', async () => {
      const first = await api().client();
      const res = await api().post('/clients', { username: first.username, password: 'x', address: '192.0.2.2' });
      expect(res.status).toBe(409);
      expect(res.body.error).toContain(first.username);
    });
  });

  describe('GET /clients and /clients/{id}', () => {
    it('lists clients with settings and numbers, never a password', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id, { tag: 'sales' });
      const res = await api().get('/clients');
      expect(res.status).toBe(200);
      const listed = res.body.find((c: any) => c.id === client.id);
      expect(listed.numbers).toEqual([number]);
      expect(listed.settings.client_id).toBe(client.id);
      expect(res.text).not.toContain('"password"');
    });

    it('gets one client, or 404 JSON', async () => {
      const client = await api().client();
      expect((await api().get(`/clients/${client.id}`)).body).toEqual(client);
      const missing = await api().get('/clients/999999');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: 'Client not found' });
    });
  });

  describe('PUT /clients/{id}', () => {
    it('updates name, address, time zone (in its canonical spelling) and log privacy', async () => {
      const client = await api().client();
      const res = await api().put(`/clients/${client.id}`, {
        name: 'Renamed',
        address: '198.51.100.0/24',
        timezone: 'europe/paris',
        log_privacy: true,
        username: 'ignored',
      });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Client updated');
      expect(res.body.client).toMatchObject({
        username: client.username,
        name: 'Renamed',
        address: '198.51.100.0/24',
        timezone: 'Europe/Paris',
        log_privacy: true,
      });
    });

    it('refuses a bad time zone or an empty legacy address with 400, and 404 for unknown clients', async () => {
      const client = await api().client();
      expect((await api().put(`/clients/${client.id}`, { timezone: 'Nowhere/Land' })).status).toBe(400);
      const res = await api().put(`/clients/${client.id}`, { address: '' });
      expect(res.status).toBe(400);
      expect(res.body.error).toBe('Address (IP or hostname) is required for legacy clients');
      expect((await api().get(`/clients/${client.id}`)).body).toEqual(client);
      expect((await api().put('/clients/999999', { name: 'x' })).status).toBe(404);
    });
  });

  describe('PATCH /clients/{id}/password', () => {
    it('sets a new password', async () => {
      const client = await api().client();
      const res = await api().patch(`/clients/${client.id}/password`, { new_password: 'n3w' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'Password updated successfully' });
      expect((await api().store.clients.get(client.id))?.password).toBe('n3w');
      expect(api().directory.client(client.id)?.password).toBe('n3w');
    });

    it('answers upstream errors: 400 without a password, 400 for a bad id, 404 for an unknown client', async () => {
      const client = await api().client();
      expect((await api().patch(`/clients/${client.id}/password`, {})).body).toEqual({ error: 'New password is required' });
      expect((await api().patch(`/clients/${client.id}/password`, { new_password: '' })).status).toBe(400);
      expect((await api().patch('/clients/x/password', { new_password: 'a' })).body).toEqual({ error: 'Invalid client ID format' });
      const missing = await api().patch('/clients/999999/password', { new_password: 'a' });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: 'Client not found' });
    });
  });

  describe('SMPP credential limits (SMPP 3.4: system_id 15 octets, password 8)', () => {
    const passwordWarning = expect.stringMatching(/^password: 9 octets is longer than the 8 SMPP 3\.4 allows/);
    const usernameWarning = expect.stringMatching(/^username: 16 octets is longer than the 15 SMPP 3\.4 allows/);
    const warnLines = (clientId: number) => api().logs.filter((l) => l.client_id === clientId && l.level === 40);

    it("creates the README's legacy client (password smpp_pass) with a warning in the answer and the log", async () => {
      const res = await api().post('/clients', {
        username: api().uniq('zultys'),
        password: 'smpp_pass',
        type: 'legacy',
        name: 'Zultys MX',
        address: '192.168.1.100',
      });
      expect(res.status).toBe(201);
      expect(res.body.warnings).toEqual([passwordWarning]);
      expect(res.body).toMatchObject({ type: 'legacy', name: 'Zultys MX' });
      expect(warnLines(res.body.id)).toEqual([
        expect.objectContaining({ msg: 'legacy client credentials exceed the SMPP 3.4 limits', warnings: [passwordWarning] }),
      ]);
      expect(JSON.stringify(api().logs)).not.toContain('smpp_pass');
      expect((await api().store.clients.get(res.body.id))?.password).toBe('smpp_pass');
    });

    it('warns about a system_id over 15 octets, and about nothing at the limits', async () => {
      const long = await api().post('/clients', { username: 'u'.repeat(16), password: 'pw', address: '192.0.2.1' });
      expect(long.status).toBe(201);
      expect(long.body.warnings).toEqual([usernameWarning]);
      const both = await api().post('/clients', { username: 'v'.repeat(16), password: 'p'.repeat(9), address: '192.0.2.1' });
      expect(both.body.warnings).toEqual([usernameWarning, passwordWarning]);
      const atLimits = await api().post('/clients', { username: 'w'.repeat(15), password: 'p'.repeat(8), address: '192.0.2.1' });
      expect(atLimits.status).toBe(201);
      expect(atLimits.body).not.toHaveProperty('warnings');
      expect(warnLines(atLimits.body.id)).toEqual([]);
    });

    it('does not warn for a web client, which never binds over SMPP', async () => {
      const res = await api().post('/clients', { username: 'x'.repeat(20), password: 'a-long-web-password', type: 'web' });
      expect(res.status).toBe(201);
      expect(res.body).not.toHaveProperty('warnings');
    });

    it("warns when a legacy client's password is changed to one over 8 octets", async () => {
      const client = await api().client();
      const long = await api().patch(`/clients/${client.id}/password`, { new_password: 'smpp_pass' });
      expect(long.status).toBe(200);
      expect(long.body).toEqual({ status: 'Password updated successfully', warnings: [passwordWarning] });
      expect(warnLines(client.id)).toHaveLength(1);
      const short = await api().patch(`/clients/${client.id}/password`, { new_password: 'smpp_pw' });
      expect(short.body).toEqual({ status: 'Password updated successfully' });
      const web = await api().client({ type: 'web', address: undefined });
      expect((await api().patch(`/clients/${web.id}/password`, { new_password: 'a-long-web-password' })).body).toEqual({
        status: 'Password updated successfully',
      });
    });

    it('keeps warning on PUT /clients/{id} while the stored credentials exceed the limits', async () => {
      const client = await api().client({ password: 'smpp_pass' });
      const res = await api().put(`/clients/${client.id}`, { name: 'Renamed' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ message: 'Client updated', client: { name: 'Renamed' }, warnings: [passwordWarning] });
      const fine = await api().client();
      expect(Object.keys((await api().put(`/clients/${fine.id}`, { name: 'Renamed' })).body)).toEqual(['message', 'client']);
    });
  });

  describe('DELETE /clients/{id}', () => {
    it('removes the client with its numbers, settings, failovers both ways and API keys', async () => {
      const api_ = api();
      const client = await api_.client();
      const primary = await api_.client();
      const fallback = await api_.client();
      const number = await api_.addNumber(client.id);
      await api_.put(`/numbers/${number.id}/settings`, { sms_daily_limit: 5 });
      const asPrimary = (await api_.post(`/clients/${client.id}/failovers`, { fallback_client_id: fallback.id })).body;
      const asFallback = (await api_.post(`/clients/${primary.id}/failovers`, { fallback_client_id: client.id })).body;
      const key = (await api_.post(`/clients/${client.id}/api-keys`, { allowed_number_ids: [number.id] })).body;

      const res = await api_.delete(`/clients/${client.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Client deleted', client_id: client.id });

      const { store, directory } = api_;
      expect(await store.clients.get(client.id)).toBeUndefined();
      expect(await store.clients.getSettings(client.id)).toBeUndefined();
      expect(await store.numbers.getByNumber(number.number)).toBeUndefined();
      expect(await store.numbers.getSettings(number.id)).toBeUndefined();
      expect(await store.failovers.get(asPrimary.id)).toBeUndefined();
      expect(await store.failovers.get(asFallback.id)).toBeUndefined();
      expect(await store.apiKeys.listByClient(client.id)).toEqual([]);
      expect(await store.apiKeys.getByHash(sha256Hex(key.key))).toBeUndefined();
      expect(directory.apiKeyByHash(sha256Hex(key.key))).toBeUndefined();
      expect(directory.numberByE164(number.number)).toBeUndefined();
      expect((await api_.get(`/clients/${primary.id}/failovers`)).body).toEqual([]);
      expect((await api_.get(`/clients/${client.id}`)).status).toBe(404);

      // The number is free again.
      await api_.addNumber(primary.id, { number: number.number });
    });

    it('answers 404 for an unknown client', async () => {
      const res = await api().delete('/clients/999999');
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Client not found' });
    });
  });

  describe('POST /clients/reload', () => {
    it('reloads clients written behind the API', async () => {
      const username = api().uniq('direct');
      const created = await api().store.clients.create({
        username,
        password: 'pw',
        address: '192.0.2.9',
        name: '',
        type: 'legacy',
        timezone: 'UTC',
        logPrivacy: false,
      });
      expect((await api().get(`/clients/${created.id}`)).status).toBe(404);
      const res = await api().post('/clients/reload');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'Clients and Numbers reloaded' });
      expect((await api().get(`/clients/${created.id}`)).body.username).toBe(username);
    });
  });
}
