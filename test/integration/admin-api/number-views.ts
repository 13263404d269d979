/** Numbers across clients by tag and group, and a number's effective settings (upstream §13.4). */
import { describe, expect, it } from 'vitest';
import type { AdminApi } from './harness.js';

export function numberViewTests(api: () => AdminApi): void {
  describe('GET /numbers', () => {
    it('lists numbers across clients, filtered by tag, group and client', async () => {
      const tag = api().uniq('tag');
      const first = await api().client();
      const second = await api().client();
      const a = await api().addNumber(first.id, { tag, group: 'east' });
      const b = await api().addNumber(second.id, { tag, group: 'west' });
      const c = await api().addNumber(second.id, { tag, group: 'east' });
      await api().addNumber(second.id, { tag: 'other', group: 'east' });
      const ids = async (query: string) => {
        const res = await api().get(`/numbers${query}`);
        expect(res.status, res.text).toBe(200);
        return res.body.map((n: any) => n.id);
      };
      expect(await ids(`?tag=${tag}`)).toEqual([a.id, b.id, c.id]);
      expect(await ids(`?tag=${tag}&group=east`)).toEqual([a.id, c.id]);
      expect(await ids(`?tag=${tag}&client_id=${second.id}`)).toEqual([b.id, c.id]);
      expect(await ids(`?client_id=${first.id}`)).toEqual([a.id]);
      expect(await ids(`?tag=${tag.toUpperCase()}`)).toEqual([]);
      expect((await api().get(`/numbers?tag=${tag}`)).body[0]).toEqual(a);
    });

    it('answers an unknown client with [] and bad filters with 400', async () => {
      expect((await api().get('/numbers?client_id=999999')).body).toEqual([]);
      expect((await api().get('/numbers?client_id=abc')).body).toEqual({ error: 'Invalid client ID' });
      const twice = await api().get('/numbers?tag=a&tag=b');
      expect(twice.status).toBe(400);
      expect(twice.body).toEqual({ error: 'Give the tag filter once' });
    });
  });

  describe('GET /numbers/{id}', () => {
    it('shows one number, and 404 for an unknown one', async () => {
      const client = await api().client();
      const number = await api().addNumber(client.id, { tag: 'one' });
      expect((await api().get(`/numbers/${number.id}`)).body).toEqual(number);
      expect((await api().get('/numbers/999999')).body).toEqual({ error: 'Number not found' });
    });
  });

  describe('GET /numbers/{id}/effective-settings', () => {
    it('shows each limit and the webhook with the level it comes from', async () => {
      const client = await api().client({ type: 'web', address: undefined, timezone: 'America/Vancouver' });
      await api().put(`/clients/${client.id}/settings`, {
        sms_daily_limit: 500,
        sms_monthly_limit: 10_000,
        mms_daily_limit: 20,
        limit_both: true,
        default_webhook: 'https://client.example.test/in',
        api_format: 'bicom',
      });
      const number = await api().addNumber(client.id, { tag: 'support', group: 'cs' });
      const view = async () => (await api().get(`/numbers/${number.id}/effective-settings`)).body;

      expect(await view()).toEqual({
        number_id: number.id,
        number: number.number,
        client_id: client.id,
        tag: 'support',
        group: 'cs',
        carrier: number.carrier,
        webhook: { url: 'https://client.example.test/in', source: 'client' },
        limits: {
          sms: {
            burst: { limit: 0, source: 'none', limit_both: true },
            daily: { limit: 500, source: 'client', limit_both: true },
            monthly: { limit: 10_000, source: 'client', limit_both: true },
          },
          mms: {
            burst: { limit: 0, source: 'none', limit_both: true },
            daily: { limit: 20, source: 'client', limit_both: true },
            monthly: { limit: 0, source: 'none', limit_both: true },
          },
        },
        auto_reply: {
          master_enabled: true,
          enabled: false,
          effective_enabled: false,
          message: '',
          effective_message: '',
          cooldown_secs: 60,
          suppressed_by_stop: false,
          env_default_fallback: 'We are closed',
        },
        timezone: 'America/Vancouver',
        api_format: 'bicom',
        auth_method: null,
      });

      await api().put(`/numbers/${number.id}/settings`, { sms_daily_limit: 50, limit_both: false, auto_reply_enabled: true });
      await api().put(`/clients/${client.id}/numbers/${number.id}`, { webhook: 'https://number.example.test/in' });
      const after = await view();
      expect(after.limits.sms.daily).toEqual({ limit: 50, source: 'number', limit_both: false });
      expect(after.limits.sms.monthly).toEqual({ limit: 10_000, source: 'client', limit_both: true });
      expect(after.webhook).toEqual({ url: 'https://number.example.test/in', source: 'number' });
      expect(after.auto_reply).toMatchObject({ enabled: true, effective_enabled: true, effective_message: 'We are closed' });
    });

    it('answers 404 for an unknown number', async () => {
      expect((await api().get('/numbers/999999/effective-settings')).status).toBe(404);
    });
  });
}
