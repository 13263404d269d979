/** Client settings (upstream §5.5) and failovers with SMPP status (§5.6). */
import { describe, expect, it } from 'vitest';
import type { AdminApi } from './harness.js';

export function settingsTests(api: () => AdminApi): void {
  describe('GET/PUT /clients/{id}/settings', () => {
    it('shows the default settings with a webhook secret', async () => {
      const client = await api().client();
      const res = await api().get(`/clients/${client.id}/settings`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        client_id: client.id,
        auth_method: null,
        api_format: 'generic',
        default_webhook: '',
        sms_daily_limit: 0,
        limit_both: false,
        max_binds: 0,
        max_tps: 0,
        mm4_port: 25,
      });
      expect(res.body.webhook_secret).toMatch(/^[0-9a-f]{64}$/);
    });

    it('updates the given fields only', async () => {
      const client = await api().client({ type: 'web', address: undefined });
      const res = await api().put(`/clients/${client.id}/settings`, {
        api_format: 'Bicom',
        auth_method: 'bearer',
        default_webhook: 'https://bicom.local/smsservice/connector',
        sms_burst_limit: 5,
        mms_monthly_limit: 100,
        webhook_timeout_secs: 15,
        max_binds: 2,
        max_tps: 10,
        mm4_port: 2525,
      });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Settings updated');
      expect(res.body.settings).toMatchObject({
        client_id: client.id,
        api_format: 'bicom',
        auth_method: 'bearer',
        default_webhook: 'https://bicom.local/smsservice/connector',
        sms_burst_limit: 5,
        mms_monthly_limit: 100,
        webhook_timeout_secs: 15,
        max_binds: 2,
        max_tps: 10,
        mm4_port: 2525,
        sms_daily_limit: 0,
      });
      expect((await api().get(`/clients/${client.id}/settings`)).body).toEqual(res.body.settings);
      expect((await api().put(`/clients/${client.id}/settings`, { auth_method: null })).body.settings.auth_method).toBeNull();
      expect((await api().put(`/clients/${client.id}/settings`, { auth_method: '' })).body.settings.auth_method).toBeNull();
    });

    it.each([
      [{ api_format: 'xml' }, 'api_format'],
      [{ auth_method: 'digest' }, 'auth_method'],
      [{ sms_daily_limit: -1 }, 'sms_daily_limit'],
      [{ mms_burst_limit: 2.5 }, 'mms_burst_limit'],
      [{ webhook_retries: '3' }, 'webhook_retries'],
      [{ default_webhook: 'javascript:alert(1)' }, 'default_webhook'],
      [{ mm4_port: 0 }, 'mm4_port'],
      [{ webhook_secret: 'short' }, 'webhook_secret'],
      [{ limit_both: 1 }, 'limit_both'],
      [{ split_method: 'concat' }, 'split_method'],
      [{ split_method: true }, 'split_method'],
    ])('refuses %j with 400 naming the field, and changes nothing', async (body, field) => {
      const client = await api().client();
      const before = (await api().get(`/clients/${client.id}/settings`)).body;
      const res = await api().put(`/clients/${client.id}/settings`, body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toContain(field);
      expect((await api().get(`/clients/${client.id}/settings`)).body).toEqual(before);
    });

    it("chooses the long deliver_sm split_method; a new client gets 'udh'", async () => {
      const client = await api().client();
      const url = `/clients/${client.id}/settings`;
      expect((await api().get(url)).body).toMatchObject({ split_method: 'udh', disable_message_splitting: false });
      for (const method of ['sar', 'NONE', 'payload', 'udh']) {
        const res = await api().put(url, { split_method: method });
        expect(res.status, res.text).toBe(200);
        expect(res.body.settings).toMatchObject({
          split_method: method.toLowerCase(),
          disable_message_splitting: method === 'payload',
        });
      }
      expect((await api().get(url)).body.split_method).toBe('udh');
    });

    it("keeps disable_message_splitting as split_method 'payload' by another name", async () => {
      const client = await api().client();
      const url = `/clients/${client.id}/settings`;
      const put = async (body: object) => (await api().put(url, body)).body.settings;
      expect(await put({ disable_message_splitting: true })).toMatchObject({ split_method: 'payload', disable_message_splitting: true });
      expect(await put({ disable_message_splitting: false })).toMatchObject({ split_method: 'udh', disable_message_splitting: false });
      expect(await put({ split_method: 'none' })).toMatchObject({ split_method: 'none', disable_message_splitting: false });
      expect(await put({ disable_message_splitting: false })).toMatchObject({ split_method: 'none' });
      expect(await put({ split_method: 'payload', disable_message_splitting: true })).toMatchObject({ split_method: 'payload' });
      const clash = await api().put(url, { split_method: 'sar', disable_message_splitting: true });
      expect(clash.status).toBe(400);
      expect(clash.body.error).toContain('split_method');
      expect((await api().get(url)).body.split_method).toBe('payload');
    });

    it('answers 404 for an unknown client', async () => {
      expect((await api().get('/clients/999999/settings')).status).toBe(404);
      const res = await api().put('/clients/999999/settings', { api_format: 'generic' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Client not found' });
    });
  });
}

export function failoverTests(api: () => AdminApi): void {
  describe('failovers', () => {
    it('creates, lists by priority, updates and deletes failovers', async () => {
      const primary = await api().client();
      const first = await api().client({ name: 'First' });
      const second = await api().client({ name: 'Second' });
      const a = await api().post(`/clients/${primary.id}/failovers`, { fallback_client_id: first.id, priority: 5 });
      expect(a.status).toBe(201);
      expect(a.body).toEqual({ id: a.body.id, primary_client_id: primary.id, fallback_client_id: first.id, priority: 5, enabled: true });
      const b = (await api().post(`/clients/${primary.id}/failovers`, { fallback_client_id: second.id })).body;
      expect(b.priority).toBe(0);

      const list = (await api().get(`/clients/${primary.id}/failovers`)).body;
      expect(list.map((f: any) => f.id)).toEqual([b.id, a.body.id]);
      expect(list[1]).toMatchObject({
        fallback_client_name: 'First',
        fallback_client_username: first.username,
        fallback_online: false,
      });

      const updated = await api().put(`/clients/${primary.id}/failovers/${a.body.id}`, { priority: -1, enabled: false });
      expect(updated.status).toBe(200);
      expect(updated.body).toEqual({ message: 'Failover updated', failover: { ...a.body, priority: -1, enabled: false } });

      const status = (await api().get(`/clients/${primary.id}/smpp-status`)).body;
      expect(status).toEqual({
        client_id: primary.id,
        username: primary.username,
        online: false,
        ip: '',
        failovers: [{ client_id: second.id, username: second.username, name: 'Second', priority: 0, online: false }],
      });

      const deleted = await api().delete(`/clients/${primary.id}/failovers/${b.id}`);
      expect(deleted.body).toEqual({ message: 'Failover deleted', failover_id: b.id });
      expect((await api().get(`/clients/${primary.id}/failovers`)).body.map((f: any) => f.id)).toEqual([a.body.id]);
      expect((await api().delete(`/clients/${primary.id}/failovers/${b.id}`)).status).toBe(404);
    });

    it('answers the upstream errors', async () => {
      const primary = await api().client();
      const fallback = await api().client();
      const post = (id: number, body: unknown) => api().post(`/clients/${id}/failovers`, body);
      expect((await post(primary.id, {})).body).toEqual({ error: 'fallback_client_id is required' });
      expect((await post(primary.id, { fallback_client_id: primary.id })).body).toEqual({ error: 'A client cannot be its own failover' });
      expect((await post(primary.id, { fallback_client_id: 'two' })).status).toBe(400);
      expect((await post(primary.id, { fallback_client_id: fallback.id, priority: 1.5 })).status).toBe(400);
      expect((await post(999999, { fallback_client_id: fallback.id })).body).toEqual({ error: 'Primary client not found' });
      expect((await post(primary.id, { fallback_client_id: 999999 })).body).toEqual({ error: 'Fallback client not found' });
      expect((await post(primary.id, { fallback_client_id: fallback.id })).status).toBe(201);
      const duplicate = await post(primary.id, { fallback_client_id: fallback.id });
      expect(duplicate.status).toBe(409);
      expect(typeof duplicate.body.error).toBe('string');
      expect((await api().get('/clients/999999/failovers')).status).toBe(404);
      expect((await api().get('/clients/999999/smpp-status')).status).toBe(404);
    });

    it('answers 404 when the failover belongs to another client', async () => {
      const primary = await api().client();
      const other = await api().client();
      const fallback = await api().client();
      const failover = (await api().post(`/clients/${primary.id}/failovers`, { fallback_client_id: fallback.id })).body;
      const res = await api().put(`/clients/${other.id}/failovers/${failover.id}`, { enabled: false });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Failover not found' });
      expect((await api().delete(`/clients/${other.id}/failovers/${failover.id}`)).status).toBe(404);
      expect((await api().store.failovers.get(failover.id))?.enabled).toBe(true);
    });
  });
}
