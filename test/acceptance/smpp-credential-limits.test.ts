/**
 * The seed README's legacy client (password `smpp_pass`, 9 characters) against Kannel, which
 * keeps to SMPP 3.4's 8-character password: the admin API of a running node (embedded default)
 * accepts the client with a warning, Kannel cannot bind with it, and binds once the password
 * fits (smpp-status then says online).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kannel, kannelMissing } from '../support/kannel.js';
import { SmppGateway, until } from '../support/smpp-gateway.js';

const missing = kannelMissing();
const title = (name: string): string => (missing ? `${name} [skipped: ${missing}]` : name);

describe.skipIf(missing)(title('SMPP credential limits with Kannel'), () => {
  let gw: SmppGateway;
  let kannel: Kannel | undefined;
  let clientId: number;

  beforeAll(async () => {
    // The refused binds must not lock the client out before the password is fixed.
    gw = await SmppGateway.start({ env: { LOGIN_FAILURES_PER_IP: '0', LOGIN_FAILURES_PER_USER: '0', LOGIN_FAILURES_PER_NETWORK: '0' } });
  }, 60_000);

  afterAll(async () => {
    await kannel?.stop();
    await gw?.stop();
  }, 60_000);

  const status = async () => (await gw.api('GET', `/clients/${clientId}/smpp-status`)).body;

  it("creates the README's legacy client, warning that its password is over SMPP's 8 characters", async () => {
    const res = await gw.api('POST', '/clients', {
      username: 'zultys',
      password: 'smpp_pass',
      type: 'legacy',
      name: 'Zultys MX',
      address: '127.0.0.1',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ username: 'zultys', type: 'legacy', name: 'Zultys MX' });
    expect(res.body.warnings).toEqual([expect.stringMatching(/^password: 9 octets is longer than the 8 SMPP 3\.4 allows/)]);
    clientId = res.body.id;
  });

  it('cannot be bound by Kannel with that password, which Kannel cuts to 8 characters', async () => {
    kannel = await Kannel.start({ smppHost: '127.0.0.1', smppPort: gw.smppPort, systemId: 'zultys', password: 'smpp_pass' });
    // Kannel gives the link up after ESME_RINVPASWD: its state turns "dead", never "online".
    await until(async () => (await kannel!.smscStates()).includes('dead'), 15_000, 'Kannel to give up its bind');
    expect(await status()).toMatchObject({ online: false, ip: '' });
  });

  it('binds once the stored password is what Kannel sends, and smpp-status says online', async () => {
    const res = await gw.api('PATCH', `/clients/${clientId}/password`, { new_password: 'smpp_pas' });
    expect(res.body).toEqual({ status: 'Password updated successfully' });
    await kannel!.startSmsc();
    await kannel!.bound(15_000);
    await until(async () => (await status()).online === true, 5_000, 'smpp-status online');
    expect(await status()).toEqual({ client_id: clientId, username: 'zultys', online: true, ip: '127.0.0.1', failovers: [] });
  });
});
