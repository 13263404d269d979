/**
 * A gateway to drive with SMPP peers in acceptance tests: one node (in this process, or a child
 * process), a fake Telnyx carrier for outbound messages, and helpers to create legacy clients
 * and their numbers over the admin API and to post signed carrier webhooks (inbound messages,
 * status callbacks) as the carrier would.
 *
 *   const gw = await SmppGateway.start();                  // embedded: PGlite, memory bus
 *   await gw.legacyClient('pbx', 'pbx-pw', ['+15550001000']);
 *   const esme = await NetSmpp.connect({ host: '127.0.0.1', port: gw.smppPort });
 *   await gw.inbound({ from: '+15557770000', to: '+15550001000', text: 'hi' });
 *   await gw.carrierText('hello');                         // waits until the carrier got it
 *   await gw.stop();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayNode } from '../../cmd/gateway/node.js';
import { loadConfig } from '../../internal/config/index.js';
import { silentLogger } from '../../internal/log/index.js';
import type { StoredRecord } from '../../internal/store/index.js';
import { FakeCarrier, registerFakeCarriers, telnyxEvent, type RecordedRequest } from './fake-carrier.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { freePort } from './process.js';

export const API_KEY = 'smpp-acceptance-admin-key-0123456789';
const ENCRYPTION_KEY = 'smpp-acceptance-encryption-key-0123456789';
const CARRIER = 'telnyx-main';
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export interface SmppGatewayOptions {
  /** Run `node bin/msggw.js` as a child process (a crash is then visible) instead of in this process. */
  process?: boolean;
  /** More gateway settings (env names), e.g. { SMPP_WINDOW: '100' } or cluster URLs. */
  env?: Record<string, string>;
  /** Reuse a fake carrier (cluster tests share one between nodes). */
  fake?: FakeCarrier;
  serverId?: string;
}

/** What the fake carrier received for one send: the Telnyx JSON body. */
export interface CarrierSend {
  from: string;
  to: string;
  text: string;
  request: RecordedRequest;
}

export class SmppGateway {
  private constructor(
    readonly fake: FakeCarrier,
    private readonly ownsFake: boolean,
    readonly base: string,
    readonly smppPort: number,
    private readonly node: GatewayNode | undefined,
    readonly child: GatewayProcess | undefined,
    private readonly dataDir: string | undefined,
  ) {}

  static async start(opts: SmppGatewayOptions = {}): Promise<SmppGateway> {
    const fake = opts.fake ?? (await FakeCarrier.start());
    const [web, smpp] = [await freePort(), await freePort()];
    const serverId = opts.serverId ?? `acc${web}`;
    const base = `http://127.0.0.1:${web}`;
    const env: Record<string, string> = {
      WEB_LISTEN: `127.0.0.1:${web}`,
      SMPP_LISTEN: `127.0.0.1:${smpp}`,
      MM4_LISTEN: '127.0.0.1:0',
      SERVER_ADDRESS: base,
      SERVER_ID: serverId,
      ENCRYPTION_KEY,
      API_KEY,
      CARRIER_RETRY_DELAY_SECS: '0',
      NOTIFY_SENDER_ON_FAILURE: 'false',
      ...opts.env,
    };
    if (opts.process) {
      // startGatewayProcess picks the web port itself (and polls /ready there).
      const { WEB_LISTEN: _web, ...rest } = env;
      const child = await startGatewayProcess(serverId, { ...rest, LOG_LEVEL: 'warn' });
      return new SmppGateway(fake, !opts.fake, child.url, smpp, undefined, child, undefined);
    }
    const dataDir = await mkdtemp(join(tmpdir(), 'msggw-smpp-acc-'));
    const config = await loadConfig({ ...env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, { cwd: dataDir });
    const node = new GatewayNode(config, silentLogger());
    await node.start();
    return new SmppGateway(fake, !opts.fake, base, smpp, node, undefined, dataDir);
  }

  /** Admin API call (basic auth as admin); JSON in and out. */
  async api(method: string, path: string, body?: unknown, auth = basic('admin', API_KEY)): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }

  /** The Telnyx carrier row pointing at the fake carrier (once per gateway database): CARRIER. */
  async addCarrier(): Promise<void> {
    await registerFakeCarriers((method, path, body) => this.api(method, path, body), this.fake, ['telnyx'], { maxRps: 100_000 });
  }

  /** A legacy (SMPP) client allowed from `address` (default 127.0.0.1), owning `numbers` (E.164 with +). */
  async legacyClient(
    username: string,
    password: string,
    numbers: string[],
    settings: Record<string, unknown> = {},
    address = '127.0.0.1',
  ): Promise<number> {
    const c = await this.api('POST', '/clients', { username, password, type: 'legacy', address });
    if (c.status !== 201) throw new Error(`POST /clients: ${c.status} ${JSON.stringify(c.body)}`);
    if (Object.keys(settings).length > 0) {
      const s = await this.api('PUT', `/clients/${c.body.id}/settings`, settings);
      if (s.status !== 200) throw new Error(`PUT settings: ${s.status} ${JSON.stringify(s.body)}`);
    }
    for (const number of numbers) await this.addNumber(c.body.id, number);
    return c.body.id as number;
  }

  /** A web (REST) client owning `numbers`. */
  async webClient(username: string, password: string, numbers: string[]): Promise<number> {
    const c = await this.api('POST', '/clients', { username, password, type: 'web' });
    if (c.status !== 201) throw new Error(`POST /clients: ${c.status} ${JSON.stringify(c.body)}`);
    for (const number of numbers) await this.addNumber(c.body.id, number);
    return c.body.id as number;
  }

  async addNumber(clientId: number, number: string): Promise<void> {
    const n = await this.api('POST', `/clients/${clientId}/numbers`, { number, carrier: CARRIER });
    if (n.status !== 201) throw new Error(`POST numbers ${number}: ${n.status} ${JSON.stringify(n.body)}`);
  }

  /** The carrier's webhook URL (/inbound/{uuid}) on this node. */
  async inboundUrl(): Promise<string> {
    const carriers = (await this.api('GET', '/carriers')).body as Array<{ name: string; webhook_url: string }>;
    const url = carriers.find((c) => c.name === CARRIER)?.webhook_url;
    if (!url) throw new Error('no carrier row: call addCarrier() first');
    // SERVER_ADDRESS may name another node in a cluster: post to this node.
    return `${this.base}${new URL(url).pathname}`;
  }

  /** The carrier posts a signed message.received webhook (an inbound SMS) to this node. */
  async inbound(m: { from: string; to: string; text: string; id?: string }): Promise<void> {
    const event = telnyxEvent('message.received', {
      id: m.id ?? `in-${crypto.randomUUID()}`,
      direction: 'inbound',
      text: m.text,
      from: { phone_number: m.from },
      to: [{ phone_number: m.to }],
      media: [],
    });
    const res = await this.fake.postTelnyxWebhook(await this.inboundUrl(), event);
    if (res.status !== 200) throw new Error(`inbound webhook answered ${res.status}: ${await res.text()}`);
  }

  /** The carrier posts a signed message.finalized status callback for one of its message ids. */
  async statusCallback(m: { carrierMsgId: string; from: string; to: string; status: 'delivered' | 'delivery_failed' }): Promise<void> {
    const event = telnyxEvent('message.finalized', {
      id: m.carrierMsgId,
      direction: 'outbound',
      from: { phone_number: m.from },
      to: [{ phone_number: m.to, status: m.status }],
    });
    // The send may still be on its way into the ledger: retry until the node takes it.
    await until(
      async () => (await this.fake.postTelnyxWebhook(await this.inboundUrl(), event)).status === 200,
      15_000,
      `status callback for ${m.carrierMsgId} accepted`,
    );
  }

  /** Accepted sends at the fake carrier. */
  carrierSends(): CarrierSend[] {
    return this.fake.sent('telnyx').map((request) => {
      const body = request.body as { from: string; to: string; text: string };
      return { from: body.from, to: body.to, text: body.text, request };
    });
  }

  /** Waits until the carrier received a send matching `match`; fails listing what did arrive. */
  async carrierSend(match: (s: CarrierSend) => boolean, timeoutMs = 15_000, what = 'a carrier send'): Promise<CarrierSend> {
    let found: CarrierSend | undefined;
    await until(
      () => (found = this.carrierSends().find(match)) !== undefined,
      timeoutMs,
      () =>
        `${what}; the carrier got: ${JSON.stringify(
          this.carrierSends()
            .slice(-10)
            .map((s) => [s.from, s.to, s.text]),
        )}`,
    );
    return found!;
  }

  /** Waits for a send with exactly this text. */
  carrierText(text: string, timeoutMs = 15_000): Promise<CarrierSend> {
    return this.carrierSend((s) => s.text === text, timeoutMs, `the carrier to receive ${JSON.stringify(text)}`);
  }

  /** /stats smpp_clients for a username. */
  async binds(username: string): Promise<Array<{ server_id: string; bind_mode: string }>> {
    const stats = await this.api('GET', '/stats');
    return (stats.body?.smpp_clients ?? []).filter((c: { username: string }) => c.username === username);
  }

  /** The ledger legs of one message (in-process nodes only: read through the node's store). */
  async ledger(messageId: string): Promise<StoredRecord[]> {
    if (!this.node?.store) throw new Error('ledger(): only for a gateway running in this process');
    return this.node.store.records.byMessageId(messageId);
  }

  /** Waits until the cluster's registry shows a receiving bind of `clientId` (in-process nodes only). */
  async receiving(clientId: number, expected = true, timeoutMs = 10_000): Promise<void> {
    const receivers = this.node?.receivers;
    if (!receivers) throw new Error('receiving(): only for a gateway running in this process');
    await until(
      async () => (await receivers.receiverNodes(clientId)).length > 0 === expected,
      timeoutMs,
      `client ${clientId} to be ${expected ? '' : 'no longer '}receiving in the cluster's registry`,
    );
  }

  /** True while the gateway process (or node) runs. */
  alive(): boolean {
    if (!this.child) return true;
    try {
      process.kill(this.child.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  async stop(): Promise<void> {
    await this.node?.stop();
    await this.child?.stop();
    if (this.ownsFake) await this.fake.close();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }
}

/** Polls `check` until true; fails with `what` after `timeoutMs`. */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // a transient error (e.g. connection refused) counts as "not yet"
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The E.164 number without its +, as ESMEs write addresses. */
export const bare = (e164: string): string => e164.replace(/^\+/, '');
