/** Carriers: upstream §5.2 plus GET/PUT/DELETE /carriers/{id}, BUG-3 and BUG-4 fixed. */
import { describe, expect, it } from 'vitest';
import { generateObjectId } from '../../../internal/crypto/index.js';
import type { AdminApi } from './harness.js';

export function carrierTests(api: () => AdminApi): void {
  describe('POST /carriers', () => {
    it('creates a carrier and answers 201 with its webhook URL and without its password', async () => {
      const name = api().uniq('twilio');
      const res = await api().post('/carriers', {
        name,
        type: 'Twilio',
        username: 'AC123',
        password: 'token',
        profile_id: 'prof',
        api_base_url: 'http://127.0.0.1:9/sandbox',
        max_rps: 5,
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        name,
        type: 'twilio',
        username: 'AC123',
        profile_id: 'prof',
        api_base_url: 'http://127.0.0.1:9/sandbox',
        verify_webhooks: true,
        public_key: '',
        max_rps: 5,
      });
      expect(res.body.uuid).toMatch(/^[0-9a-f]{24}$/);
      expect(res.body.webhook_url).toBe(`https://gw.example.test/inbound/${res.body.uuid}`);
      expect(res.body).not.toHaveProperty('password');
      expect(res.text).not.toContain('token');
      const stored = await api().store.carriers.get(res.body.id);
      expect(stored?.password).toBe('token');
      expect(api().directory.carrierByUuid(res.body.uuid)?.name).toBe(name);
    });

    it('keeps a given uuid (migrated carriers keep their webhook URL) and refuses a taken one with 409', async () => {
      const uuid = generateObjectId();
      const first = await api().carrier({ uuid });
      expect(first.uuid).toBe(uuid);
      const again = await api().post('/carriers', { name: api().uniq('c'), type: 'telnyx', username: 'u', password: 'p', uuid });
      expect(again.status).toBe(409);
      expect(again.body.error).toContain(uuid);
    });

    it('refuses an unknown type with 400 naming the allowed types, and saves nothing', async () => {
      const before = (await api().store.carriers.list()).length;
      const name = api().uniq('bandwidth');
      const res = await api().post('/carriers', { name, type: 'bandwidth', username: 'u', password: 'p' });
      expect(res.status).toBe(400);
      expect(res.body.error).toContain('bandwidth');
      expect(res.body.error).toContain('twilio, telnyx, onevoiceplus');
      expect(await api().store.carriers.getByName(name)).toBeUndefined();
      expect((await api().store.carriers.list()).length).toBe(before);
    });

    it.each([
      [{ type: 'telnyx', username: 'u', password: 'p' }, 'All fields (name, type, username, password) are required'],
      [{ name: 'x', username: 'u', password: 'p' }, 'All fields (name, type, username, password) are required'],
      [{ name: 'x', type: 'telnyx', password: 'p' }, 'All fields (name, type, username, password) are required'],
      [{ name: 'x', type: 'telnyx', username: 'u', password: '' }, 'All fields (name, type, username, password) are required'],
      [{ name: 'x', type: 'telnyx', username: 'u', password: 'p', api_base_url: 'ftp://x' }, 'api_base_url'],
      [{ name: 'x', type: 'telnyx', username: 'u', password: 'p', max_rps: -1 }, 'max_rps'],
      [{ name: 'x', type: 'telnyx', username: 'u', password: 'p', verify_webhooks: 'yes' }, 'verify_webhooks'],
      [{ name: 42, type: 'telnyx', username: 'u', password: 'p' }, 'name'],
      [{ name: 'x', type: 'telnyx', username: 'u', password: 'p', uuid: 'not-hex' }, 'uuid'],
    ])('refuses %j with 400 and saves nothing', async (body, message) => {
      const before = (await api().store.carriers.list()).length;
      const res = await api().post('/carriers', body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.error).toContain(message);
      expect((await api().store.carriers.list()).length).toBe(before);
    });

    it('accepts a carrier that cannot verify its webhooks, naming the field to set in warnings', async () => {
      const unsigned = (field: string) =>
        `${field} is empty: inbound webhooks for this carrier are accepted unsigned; set ${field} to verify them`;
      const cases: Array<[Record<string, unknown>, string[]]> = [
        [{ type: 'telnyx' }, [unsigned('public_key')]],
        [{ type: 'onevoiceplus' }, [unsigned('public_key')]],
        [
          { type: 'telnyx', public_key: 'a2V5', verify_webhooks: false },
          ['verify_webhooks is false: inbound webhooks for this carrier are accepted unsigned'],
        ],
        [{ type: 'telnyx', public_key: 'a2V5' }, []],
        [{ type: 'onevoiceplus', public_key: 'shared-token' }, []],
        [{ type: 'twilio' }, []],
      ];
      for (const [body, warnings] of cases) {
        const res = await api().post('/carriers', { name: api().uniq('w'), username: 'u', password: 'p', ...body });
        expect(res.status, JSON.stringify(body)).toBe(201);
        expect(res.body.warnings, JSON.stringify(body)).toEqual(warnings);
      }
    });

    it('refuses a duplicate name with 409 JSON', async () => {
      const first = await api().carrier();
      const res = await api().post('/carriers', { name: first.name, type: 'twilio', username: 'u', password: 'p' });
      expect(res.status).toBe(409);
      expect(res.body.error).toContain(first.name);
    });
  });

  describe('GET /carriers and /carriers/{id}', () => {
    it('lists carriers by id with webhook URLs and no passwords', async () => {
      const carrier = await api().carrier();
      const res = await api().get('/carriers');
      expect(res.status).toBe(200);
      expect(Array.isArray(res.body)).toBe(true);
      expect(res.body.find((c: any) => c.id === carrier.id)).toEqual(carrier);
      expect(res.text).not.toContain('"password"');
      const ids = res.body.map((c: any) => c.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    });

    it('gets one carrier, or 404 JSON', async () => {
      const carrier = await api().carrier();
      expect((await api().get(`/carriers/${carrier.id}`)).body).toEqual(carrier);
      const missing = await api().get('/carriers/999999');
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ error: 'Carrier not found' });
    });
  });

  describe('PUT /carriers/{id}', () => {
    it('updates the given fields, keeps the uuid, and stores a new password', async () => {
      const carrier = await api().carrier();
      const res = await api().put(`/carriers/${carrier.id}`, {
        api_base_url: 'http://127.0.0.1:4010',
        verify_webhooks: false,
        password: 'rotated',
        type: 'onevoiceplus',
        uuid: 'f'.repeat(24),
      });
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Carrier updated');
      expect(res.body.carrier).toMatchObject({
        id: carrier.id,
        name: carrier.name,
        uuid: carrier.uuid,
        api_base_url: 'http://127.0.0.1:4010',
        verify_webhooks: false,
        type: 'onevoiceplus',
      });
      expect(res.body.carrier).not.toHaveProperty('password');
      expect((await api().store.carriers.get(carrier.id))?.password).toBe('rotated');
      expect((await api().get(`/carriers/${carrier.id}`)).body.api_base_url).toBe('http://127.0.0.1:4010');
    });

    it('says in warnings whether the carrier, as updated, verifies its webhooks', async () => {
      const carrier = await api().carrier({ type: 'telnyx' });
      expect(carrier.warnings).toHaveLength(1);
      const keyed = await api().put(`/carriers/${carrier.id}`, { public_key: 'a2V5' });
      expect(keyed.body.carrier.warnings).toEqual([]);
      const off = await api().put(`/carriers/${carrier.id}`, { verify_webhooks: false });
      expect(off.body.carrier.warnings).toEqual(['verify_webhooks is false: inbound webhooks for this carrier are accepted unsigned']);
    });

    it('refuses an unknown type or an empty password with 400 and changes nothing', async () => {
      const carrier = await api().carrier();
      for (const body of [{ type: 'plivo' }, { password: '' }, { name: '' }, { api_base_url: 'not a url' }]) {
        const res = await api().put(`/carriers/${carrier.id}`, body);
        expect(res.status, JSON.stringify(body)).toBe(400);
      }
      expect((await api().get(`/carriers/${carrier.id}`)).body).toEqual(carrier);
    });

    it('renames an unused carrier but refuses to strand numbers with 409', async () => {
      const unused = await api().carrier();
      const renamed = api().uniq('renamed');
      expect((await api().put(`/carriers/${unused.id}`, { name: renamed })).body.carrier.name).toBe(renamed);

      const used = await api().carrier();
      const client = await api().client();
      await api().addNumber(client.id, { carrier: used.name });
      const res = await api().put(`/carriers/${used.id}`, { name: api().uniq('other') });
      expect(res.status).toBe(409);
      expect(res.body.error).toContain(used.name);
    });

    it('answers 404 for an unknown carrier', async () => {
      expect((await api().put('/carriers/999999', { max_rps: 1 })).status).toBe(404);
    });
  });

  describe('DELETE /carriers/{id}', () => {
    it('deletes an unused carrier', async () => {
      const carrier = await api().carrier();
      const res = await api().delete(`/carriers/${carrier.id}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Carrier deleted', carrier_id: carrier.id });
      expect((await api().get(`/carriers/${carrier.id}`)).status).toBe(404);
      expect(api().directory.carrierByUuid(carrier.uuid)).toBeUndefined();
      expect((await api().delete(`/carriers/${carrier.id}`)).status).toBe(404);
    });

    it('refuses with 409 while numbers use the carrier', async () => {
      const carrier = await api().carrier();
      const client = await api().client();
      await api().addNumber(client.id, { carrier: carrier.name });
      const res = await api().delete(`/carriers/${carrier.id}`);
      expect(res.status).toBe(409);
      expect((await api().get(`/carriers/${carrier.id}`)).status).toBe(200);
    });
  });

  describe('POST /carriers/reload', () => {
    it('reloads carriers written behind the API', async () => {
      const name = api().uniq('direct');
      await api().store.carriers.create({
        name,
        type: 'telnyx',
        username: 'u',
        password: 'p',
        uuid: generateObjectId(),
        profileId: '',
        apiBaseUrl: '',
        verifyWebhooks: true,
        publicKey: '',
        maxRps: 0,
      });
      expect((await api().get('/carriers')).body.some((c: any) => c.name === name)).toBe(false);
      const res = await api().post('/carriers/reload');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'Carriers reloaded' });
      expect((await api().get('/carriers')).body.some((c: any) => c.name === name)).toBe(true);
    });
  });
}
