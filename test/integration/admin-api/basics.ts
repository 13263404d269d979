/** Health, stats, admin auth, and the error contract every admin route shares. */
import { describe, expect, it } from 'vitest';
import { ADMIN_BODY_LIMIT_BYTES } from '../../../internal/web/index.js';
import { ADMIN_KEY, basic, type AdminApi } from './harness.js';

/** Every admin route; `{c}` client, `{n}` number, `{f}` failover, `{k}` API key, `{r}` carrier id. */
export const ADMIN_ROUTES: Array<[method: string, path: string]> = [
  ['GET', '/stats'],
  ['GET', '/carriers'],
  ['POST', '/carriers'],
  ['POST', '/carriers/reload'],
  ['GET', '/carriers/{r}'],
  ['PUT', '/carriers/{r}'],
  ['DELETE', '/carriers/{r}'],
  ['GET', '/clients'],
  ['POST', '/clients'],
  ['POST', '/clients/reload'],
  ['GET', '/clients/{c}'],
  ['PUT', '/clients/{c}'],
  ['DELETE', '/clients/{c}'],
  ['PATCH', '/clients/{c}/password'],
  ['GET', '/clients/{c}/numbers'],
  ['POST', '/clients/{c}/numbers'],
  ['PUT', '/clients/{c}/numbers/{n}'],
  ['DELETE', '/clients/{c}/numbers/{n}'],
  ['GET', '/clients/{c}/settings'],
  ['PUT', '/clients/{c}/settings'],
  ['GET', '/clients/{c}/failovers'],
  ['POST', '/clients/{c}/failovers'],
  ['PUT', '/clients/{c}/failovers/{f}'],
  ['DELETE', '/clients/{c}/failovers/{f}'],
  ['GET', '/clients/{c}/smpp-status'],
  ['GET', '/clients/{c}/api-keys'],
  ['POST', '/clients/{c}/api-keys'],
  ['DELETE', '/clients/{c}/api-keys/{k}'],
  ['GET', '/numbers/{n}/settings'],
  ['PUT', '/numbers/{n}/settings'],
  ['GET', '/numbers/{n}/auto-reply'],
  ['PUT', '/numbers/{n}/auto-reply'],
];

/** Routes that read a JSON body (the reload routes take none). */
const BODY_ROUTES = ADMIN_ROUTES.filter(([m, p]) => m !== 'GET' && m !== 'DELETE' && !p.endsWith('/reload'));
const ID_ROUTES = ADMIN_ROUTES.filter(([, p]) => p.includes('{'));

/** Real ids for the placeholders, so a route that wrongly skipped validation would find its target. */
async function realIds(api: AdminApi): Promise<Record<string, number>> {
  const client = await api.client();
  const other = await api.client();
  const number = await api.addNumber(client.id);
  const failover = (await api.post(`/clients/${client.id}/failovers`, { fallback_client_id: other.id })).body;
  const key = (await api.post(`/clients/${client.id}/api-keys`, {})).body;
  const carrier = await api.carrier();
  return { c: client.id, n: number.id, f: failover.id, k: key.id, r: carrier.id };
}

const fill = (path: string, ids: Record<string, number | string>) => path.replace(/\{(\w)\}/g, (_, name: string) => String(ids[name]));

function expectJsonError(res: { status: number; headers: Headers; body: any; text: string }, status: number) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(typeof res.body.error, res.text).toBe('string');
  expect(res.body.error.length).toBeGreaterThan(0);
}

export function basicsTests(api: () => AdminApi): void {
  describe('GET /health and GET /ready', () => {
    it('answer 200 without auth while the node is ready', async () => {
      const health = await api().get('/health', { auth: null });
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      const ready = await api().get('/ready', { auth: null });
      expect(ready.status).toBe(200);
      expect(ready.body).toEqual({ status: 'ready' });
    });

    it('answer 503 JSON while the node is not ready', async () => {
      api().ready.value = false;
      try {
        for (const path of ['/health', '/ready']) expectJsonError(await api().get(path, { auth: null }), 503);
      } finally {
        api().ready.value = true;
      }
    });
  });

  describe('GET /stats', () => {
    it('gives the upstream shape with empty session lists', async () => {
      const res = await api().get('/stats');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ smpp_connected_clients: 0, smpp_clients: [], mm4_connected_clients: 0, mm4_clients: [] });
    });
  });

  describe('admin auth', () => {
    const cases: Array<[string, string | null, string]> = [
      ['no header', null, 'Authorization header missing'],
      ['another scheme', 'Bearer abc', 'Invalid Authorization header format'],
      ['lower-case scheme', `basic ${Buffer.from(`a:${ADMIN_KEY}`).toString('base64')}`, 'Invalid Authorization header format'],
      ['bad base64', 'Basic !!!not-base64!!!', 'Failed to decode credentials'],
      ['no colon', `Basic ${Buffer.from(ADMIN_KEY).toString('base64')}`, 'Invalid credentials format'],
      ['wrong key', basic('admin', 'wrong'), 'Invalid API key'],
      ['empty password', basic('admin', ''), 'Invalid API key'],
    ];
    it.each(cases)('refuses %s with 401 JSON and the upstream text', async (_name, auth, message) => {
      const res = await api().get('/clients', { auth });
      expectJsonError(res, 401);
      expect(res.body).toEqual({ error: message });
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Restricted"');
    });

    it('ignores the username', async () => {
      expect((await api().get('/clients', { auth: basic('apikey', ADMIN_KEY) })).status).toBe(200);
      expect((await api().get('/clients', { auth: basic('', ADMIN_KEY) })).status).toBe(200);
    });

    it('guards every admin route, before reading ids or bodies', async () => {
      for (const [method, path] of ADMIN_ROUTES) {
        const raw = method === 'GET' ? undefined : '{bad';
        const res = await api().request(method, fill(path, { c: 'x', n: 'x', f: 'x', k: 'x', r: 'x' }), undefined, { auth: null, raw });
        expect(res.status, `${method} ${path}`).toBe(401);
      }
    });
  });

  describe('bad input', () => {
    it('answers malformed JSON on every POST, PUT and PATCH route with 400 JSON', async () => {
      const ids = await realIds(api());
      for (const [method, path] of ADMIN_ROUTES.filter(([m]) => m === 'POST' || m === 'PUT' || m === 'PATCH')) {
        const res = await api().request(method, fill(path, ids), undefined, { raw: '{"name": "x",' });
        expectJsonError(res, 400);
        expect(res.body.error, `${method} ${path}`).toMatch(/^Invalid JSON body: /);
      }
    });

    it('answers a JSON body that is not an object with 400 JSON', async () => {
      const ids = await realIds(api());
      for (const [method, path] of BODY_ROUTES) {
        for (const raw of ['[]', '"text"', '42', 'null']) {
          const res = await api().request(method, fill(path, ids), undefined, { raw });
          expectJsonError(res, 400);
          expect(res.body.error, `${method} ${path} ${raw}`).toBe('Request body must be a JSON object');
        }
      }
    });

    it('answers a body that is not UTF-8 with 400 JSON', async () => {
      const res = await api().request('POST', '/clients', undefined, { raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
      expectJsonError(res, 400);
      expect(res.body.error).toMatch(/UTF-8/);
    });

    it('answers a NUL character in any string with 400 JSON instead of a database error', async () => {
      const ids = await realIds(api());
      for (const [method, path] of BODY_ROUTES) {
        const res = await api().request(method, fill(path, ids), undefined, { raw: '{"name":"a\\u0000b","number":"\\u0000"}' });
        expectJsonError(res, 400);
        expect(res.body.error, `${method} ${path}`).toMatch(/NUL/);
      }
    });

    it('answers a body over 1 MB with 413 JSON and saves nothing', async () => {
      const before = (await api().get('/clients')).body.length;
      const username = api().uniq('huge');
      const raw = JSON.stringify({ username, password: 'pw', address: '192.0.2.1', name: 'x'.repeat(ADMIN_BODY_LIMIT_BYTES) });
      const res = await api().request('POST', '/clients', undefined, { raw });
      expectJsonError(res, 413);
      expect((await api().get('/clients')).body.length).toBe(before);
    });

    it('answers a non-numeric, zero or out-of-range path id with 400 JSON on every route', async () => {
      const ids = await realIds(api());
      for (const [method, path] of ID_ROUTES) {
        for (const placeholder of path.match(/\{(\w)\}/g) ?? []) {
          for (const bad of ['abc', '0', '-1', '1.5', '99999999999']) {
            const target = path.replace(placeholder, bad);
            const res = await api().request(method, fill(target, ids), method === 'GET' || method === 'DELETE' ? undefined : {});
            expectJsonError(res, 400);
            expect(res.body.error, `${method} ${target}`).toMatch(/^Invalid .*ID/);
          }
        }
      }
    });

    it('answers an unknown path with 404 JSON and a wrong method with 405 JSON', async () => {
      expectJsonError(await api().get('/no-such-route'), 404);
      const res = await api().request('PATCH', '/carriers', {});
      expectJsonError(res, 405);
      expect(res.headers.get('allow')).toContain('POST');
    });
  });
}
