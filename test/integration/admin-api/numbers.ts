/** Client numbers (upstream §5.4), number settings and auto-reply (§5.7); BUG-1, 3 and 17 fixed. */
import { describe, expect, it } from 'vitest';
import type { AdminApi } from './harness.js';

export function numberTests(api: () => AdminApi): void {
  describe('POST /clients/{id}/numbers', () => {
    it('adds a number in canonical E.164 and echoes every field', async () => {
      const client = await api().client({ type: 'web', address: undefined });
      const carrier = await api().carrier();
      const res = await api().post(`/clients/${client.id}/numbers`, {
        number: '+1 (250) 555-0142',
        carrier: carrier.name,
        tag: 'sales',
        group: 'west',
        webhook: 'https://hooks.example.test/in',
        ignore_stop_cmd_sending: true,
        settings: { sms_daily_limit: 1 },
      });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: res.body.id,
        client_id: client.id,
        number: '+12505550142',
        carrier: carrier.name,
        tag: 'sales',
        group: 'west',
        webhook: 'https://hooks.example.test/in',
        ignore_stop_cmd_sending: true,
      });
      expect(api().directory.numberByE164('+12505550142')?.clientId).toBe(client.id);
      expect((await api().get(`/clients/${client.id}/numbers`)).body).toEqual([res.body]);
    });

    it.each([
      ['12505550143', '+12505550143'],
      ['0012505550144', '+12505550144'],
      ['1.250.555.0145', '+12505550145'],
    ])('normalises %s to %s', async (input, expected) => {
      const client = await api().client();
      expect((await api().addNumber(client.id, { number: input })).number).toBe(expected);
    });

    it('keeps numbers unique across clients whatever their spelling (409)', async () => {
      const first = await api().client();
      const second = await api().client();
      await api().addNumber(first.id, { number: '+1 250 555 0146' });
      const carrier = await api().carrier();
      const res = await api().post(`/clients/${second.id}/numbers`, { number: '12505550146', carrier: carrier.name });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ error: 'number +12505550146 already exists' });
    });

    it.each([
      [{ carrier: 'x' }, 'Number and Carrier are required'],
      [{ number: '+12505550147' }, 'Number and Carrier are required'],
      [{ number: 'call me', carrier: 'x' }, 'Invalid number "call me": use E.164, e.g. +12505551234'],
      [{ number: '+0123', carrier: 'x' }, 'Invalid number "+0123"'],
      [{ number: '+12505550148', carrier: 'x', webhook: 'not-a-url' }, 'webhook'],
      [{ number: '+12505550148', carrier: 'x', ignore_stop_cmd_sending: 1 }, 'ignore_stop_cmd_sending'],
    ])('refuses %j with 400', async (body, message) => {
      const client = await api().client();
      const res = await api().post(`/clients/${client.id}/numbers`, body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toContain(message);
      expect((await api().get(`/clients/${client.id}/numbers`)).body).toEqual([]);
    });

    it('refuses a carrier that does not exist with 400 and saves nothing', async () => {
      const client = await api().client();
      const res = await api().post(`/clients/${client.id}/numbers`, { number: '+12505550149', carrier: 'nosuch' });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/^carrier nosuch does not exist/);
      expect(await api().store.numbers.getByNumber('+12505550149')).toBeUndefined();
    });

    it('accepts a carrier type as the carrier, as gomsggw numbers name them', async () => {
      const client = await api().client();
      const res = await api().post(`/clients/${client.id}/numbers`, { number: '+12505550151', carrier: 'Twilio' });
      expect(res.status, res.text).toBe(201);
      expect(res.body).toMatchObject({ number: '+12505550151', carrier: 'Twilio' });
    });

    it('answers 404 for an unknown client', async () => {
      const carrier = await api().carrier();
      const res = await api().post('/clients/999999/numbers', { number: '+12505550150', carrier: carrier.name });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Client not found' });
    });
  });

  describe('GET /clients/{id}/numbers', () => {
    it('filters by tag and group', async () => {
      const client = await api().client();
      const a = await api().addNumber(client.id, { tag: 't1', group: 'g1' });
      const b = await api().addNumber(client.id, { tag: 't1', group: 'g2' });
      const c = await api().addNumber(client.id, { tag: 't2', group: 'g1' });
      const list = async (query: string) => (await api().get(`/clients/${client.id}/numbers${query}`)).body.map((n: any) => n.id);
      expect(await list('')).toEqual([a.id, b.id, c.id]);
      expect(await list('?tag=t1')).toEqual([a.id, b.id]);
      expect(await list('?group=g1')).toEqual([a.id, c.id]);
      expect(await list('?tag=t1&group=g2')).toEqual([b.id]);
      expect(await list('?tag=none')).toEqual([]);
    });

    it('answers 404 for an unknown client', async () => {
      expect((await api().get('/clients/999999/numbers')).body).toEqual({ error: 'Client not found' });
    });
  });

  describe('PUT /clients/{id}/numbers/{number_id}', () => {
    it('updates fields and auto-reply settings', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      const carrier = await api().carrier();
      const res = await api().put(`/clients/${client.id}/numbers/${number.id}`, {
        carrier: carrier.name,
        tag: 'vip',
        group: 'east',
        webhook: '',
        ignore_stop_cmd_sending: true,
        auto_reply_enabled: true,
        auto_reply_message: 'Away',
        auto_reply_cooldown_secs: 30,
        number: '+19999999999',
      });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Number updated');
      expect(res.body.number).toMatchObject({
        id: number.id,
        number: number.number,
        carrier: carrier.name,
        tag: 'vip',
        group: 'east',
        ignore_stop_cmd_sending: true,
        settings: { auto_reply_enabled: true, auto_reply_message: 'Away', auto_reply_cooldown_secs: 30 },
      });
      expect((await api().get(`/clients/${client.id}/numbers`)).body).toEqual([res.body.number]);
    });

    it('refuses an unknown carrier with 400 and changes nothing', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      const res = await api().put(`/clients/${client.id}/numbers/${number.id}`, { carrier: 'ghost', tag: 'x' });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/^carrier ghost does not exist/);
      expect((await api().store.numbers.get(number.id))?.tag).toBe(number.tag);
    });

    it('answers 404 for a number of another client', async () => {
      const owner = await api().client();
      const other = await api().client();
      const number = await api().addNumber(owner.id);
      const res = await api().put(`/clients/${other.id}/numbers/${number.id}`, { tag: 'stolen' });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Number not found for this client' });
    });
  });

  describe('DELETE /clients/{id}/numbers/{number_id}', () => {
    it('deletes the number and its settings', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      await api().put(`/numbers/${number.id}/settings`, { sms_daily_limit: 3 });
      const res = await api().delete(`/clients/${client.id}/numbers/${number.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Number deleted', number_id: number.id });
      expect(await api().store.numbers.getSettings(number.id)).toBeUndefined();
      expect(api().directory.number(number.id)).toBeUndefined();
      expect((await api().delete(`/clients/${client.id}/numbers/${number.id}`)).status).toBe(404);
    });
  });

  numberSettingsTests(api);
}

function numberSettingsTests(api: () => AdminApi): void {
  describe('GET/PUT /numbers/{id}/settings', () => {
    it('reports no settings, then stores limits and auto-reply fields', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      expect((await api().get(`/numbers/${number.id}/settings`)).body).toEqual({ message: 'No settings configured for this number' });
      const res = await api().put(`/numbers/${number.id}/settings`, { sms_daily_limit: 10, mms_monthly_limit: 4, limit_both: true });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Number settings updated');
      expect(res.body.settings).toMatchObject({
        number_id: number.id,
        sms_daily_limit: 10,
        mms_monthly_limit: 4,
        limit_both: true,
        sms_burst_limit: 0,
        auto_reply_enabled: false,
        auto_reply_cooldown_secs: 60,
      });
      expect((await api().get(`/numbers/${number.id}/settings`)).body).toEqual(res.body.settings);
    });

    it('keeps working across repeated writes and a full reload (BUG-17)', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      expect((await api().put(`/numbers/${number.id}/settings`, { sms_daily_limit: 1 })).status).toBe(200);
      await api().directory.reloadAll();
      expect((await api().get(`/numbers/${number.id}/settings`)).body.sms_daily_limit).toBe(1);
      expect((await api().put(`/numbers/${number.id}/auto-reply`, { enabled: true })).status).toBe(200);
      expect((await api().put(`/numbers/${number.id}/settings`, { sms_daily_limit: 2 })).body.settings).toMatchObject({
        sms_daily_limit: 2,
        auto_reply_enabled: true,
      });
    });

    it('refuses negative or fractional limits with 400 and answers 404 for unknown numbers', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      for (const body of [{ sms_daily_limit: -1 }, { mms_burst_limit: 1.5 }, { limit_both: 'no' }]) {
        expect((await api().put(`/numbers/${number.id}/settings`, body)).status, JSON.stringify(body)).toBe(400);
      }
      expect(await api().store.numbers.getSettings(number.id)).toBeUndefined();
      expect((await api().get('/numbers/999999/settings')).body).toEqual({ error: 'Number not found' });
      expect((await api().put('/numbers/999999/settings', {})).status).toBe(404);
    });
  });

  describe('GET/PUT /numbers/{id}/auto-reply', () => {
    it('resolves the effective auto-reply from the master switch, the number and the default', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      const view = async () => (await api().get(`/numbers/${number.id}/auto-reply`)).body;
      expect(await view()).toEqual({
        number_id: number.id,
        number: number.number,
        master_enabled: true,
        enabled: false,
        effective_enabled: false,
        message: '',
        effective_message: '',
        cooldown_secs: 60,
        suppressed_by_stop: false,
        env_default_fallback: 'We are closed',
      });

      const res = await api().put(`/numbers/${number.id}/auto-reply`, { enabled: true });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Auto-reply settings updated', settings: { enabled: true, message: '', cooldown_secs: 60 } });
      expect(await view()).toMatchObject({ enabled: true, effective_enabled: true, effective_message: 'We are closed' });

      await api().put(`/numbers/${number.id}/auto-reply`, { message: 'Back soon', cooldown_secs: 120 });
      expect(await view()).toMatchObject({ effective_message: 'Back soon', message: 'Back soon', cooldown_secs: 120 });

      await api().put(`/clients/${client.id}/numbers/${number.id}`, { ignore_stop_cmd_sending: true });
      expect(await view()).toMatchObject({ effective_enabled: false, suppressed_by_stop: true });
    });

    it('refuses bad values with 400 and answers 404 for unknown numbers', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id);
      expect((await api().put(`/numbers/${number.id}/auto-reply`, { cooldown_secs: -5 })).status).toBe(400);
      expect((await api().put(`/numbers/${number.id}/auto-reply`, { enabled: 'true' })).status).toBe(400);
      expect((await api().get('/numbers/999999/auto-reply')).status).toBe(404);
      expect((await api().put('/numbers/999999/auto-reply', { enabled: true })).status).toBe(404);
    });
  });
}
