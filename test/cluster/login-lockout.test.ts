/**
 * Failed logins on a two-node cluster (one nats-server, redis-server and PostgreSQL, two nodes
 * in this process): every refused bind answers alike to a real ESME (Net::SMPP), a REST login
 * failure says nothing about which part was wrong, and failures spread over both nodes lock
 * the source out of both, for SMPP and REST alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { NetSmpp, netSmppMissing } from '../support/net-smpp.js';
import { SmppGateway, until } from '../support/smpp-gateway.js';
import { basicAuth } from '../support/test-node.js';

const svc = requireServices(['nats', 'postgres', 'redis']);
const perlMissing = netSmppMissing();
const skip = svc.skip || perlMissing !== undefined;
const title = (name: string) => (perlMissing ? `${name} [skipped: ${perlMissing}]` : svc.title(name));

const ESME_RINVPASWD = 0x0e;
const PER_IP = 5;

describe.skipIf(skip)(title('failed logins across a two-node cluster'), () => {
  let fake: FakeCarrier;
  let a: SmppGateway;
  let b: SmppGateway;
  const esmes: NetSmpp[] = [];

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    const env = {
      DATABASE_URL: await createTestDatabase('login_lockout'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      BUS_SUBJECT_PREFIX: uniquePrefix('lockout'),
      // REST callers come through "a proxy" on loopback, so each test names its own source IP.
      TRUSTED_PROXIES: '127.0.0.1',
      LOGIN_FAILURES_PER_IP: String(PER_IP),
      LOGIN_FAILURES_PER_NETWORK: '1000',
      LOGIN_FAILURES_PER_USER: '1000',
    };
    [a, b] = await Promise.all([SmppGateway.start({ fake, env, serverId: 'lockA' }), SmppGateway.start({ fake, env, serverId: 'lockB' })]);
    await a.legacyClient('pbx', 'pbx-password', []);
    const far = await a.api('POST', '/clients', { username: 'far', password: 'far-password', type: 'legacy', address: '192.0.2.1' });
    expect(far.status).toBe(201);
    await a.webClient('webapp', 'webapp-password', []);
    await until(async () => (await b.api('GET', '/clients')).body?.length >= 3, 15_000, 'node B to see the clients');
  }, 180_000);

  afterAll(async () => {
    for (const e of esmes) await e.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await fake?.close();
  }, 60_000);

  async function bindStatus(node: SmppGateway, systemId: string, password: string): Promise<number> {
    const esme = await NetSmpp.connect({ host: '127.0.0.1', port: node.smppPort, label: `${systemId}@${node === a ? 'A' : 'B'}` });
    esmes.push(esme);
    return (await esme.bind({ mode: 'transceiver', systemId, password })).commandStatus;
  }

  async function rest(node: SmppGateway, auth: string, ip: string): Promise<{ status: number; body: unknown; retryAfter: string | null }> {
    const res = await fetch(`${node.base}/messages/usage`, { headers: { authorization: auth, 'x-forwarded-for': ip } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, retryAfter: res.headers.get('retry-after') };
  }

  it('answers REST login failures alike, and locks a source out on both nodes after failures spread over them', async () => {
    const ip = '203.0.113.7';
    const failures = [
      await rest(a, basicAuth('nobody', 'x'), ip),
      await rest(a, basicAuth('webapp', 'wrong'), ip),
      // A legacy client's right password from outside its address list: not the 403 "use SMPP".
      await rest(a, basicAuth('pbx', 'pbx-password'), ip),
    ];
    expect(failures.map((f) => [f.status, f.body])).toEqual(Array(3).fill([401, { error: 'Invalid credentials' }]));
    for (let i = failures.length; i < PER_IP; i++) expect((await rest(b, basicAuth('webapp', `guess${i}`), ip)).status).toBe(401);
    for (const node of [a, b]) {
      const locked = await rest(node, basicAuth('webapp', 'webapp-password'), ip);
      expect(locked).toMatchObject({ status: 429, body: { error: 'Too many failed logins; try again later' } });
      expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    }
    expect((await rest(b, basicAuth('webapp', 'webapp-password'), '203.0.113.8')).status).toBe(200);
  });

  it('answers every refused bind with ESME_RINVPASWD, and locks the IP out on both nodes after failures spread over them', async () => {
    expect(await bindStatus(a, 'pbx', 'pbx-password')).toBe(0);
    const refused = [
      await bindStatus(a, 'nobody', 'pbx-password'),
      await bindStatus(a, 'pbx', 'wrong-password'),
      await bindStatus(a, 'far', 'far-password'), // right password, address not allowed
      await bindStatus(b, 'webapp', 'webapp-password'), // a web client's right password
    ];
    expect(refused).toEqual([ESME_RINVPASWD, ESME_RINVPASWD, ESME_RINVPASWD, ESME_RINVPASWD]);
    for (let i = refused.length; i < PER_IP; i++) expect(await bindStatus(b, 'pbx', `guess${i}`)).toBe(ESME_RINVPASWD);
    // Five failures, on two nodes: the right password is now refused alike on both.
    expect(await bindStatus(a, 'pbx', 'pbx-password')).toBe(ESME_RINVPASWD);
    expect(await bindStatus(b, 'pbx', 'pbx-password')).toBe(ESME_RINVPASWD);
  });
});
