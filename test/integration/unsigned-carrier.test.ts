/**
 * A carrier made the gomsggw way (POST /carriers with name, type, username, password: a Telnyx
 * carrier without `public_key`) works: its unsigned inbound webhooks are accepted and routed,
 * loudly (warnings in the answer, warn lines at creation, at the first unsigned webhook and at
 * each node start, msggw_webhooks_unverified_total). Once its key is set it verifies: unsigned is
 * 403, signed enters. On the embedded default and on PostgreSQL + nats-server.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../internal/log/index.js';
import { generateTelnyxKeys, signTelnyx, telnyxEvent } from '../support/carrier-signing.js';
import { nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { WebhookSink } from '../support/webhook-sink.js';

const API_KEY = 'unsigned-carrier-admin-key';
const NUMBER = '+12505551234';
const UNSIGNED = 'public_key is empty: inbound webhooks for this carrier are accepted unsigned; set public_key to verify them';

interface LogLine {
  level: number;
  msg: string;
  carrier?: string;
}

/** A warn-level logger whose lines the test reads back. */
function capturedLogger(serverId: string) {
  const lines: LogLine[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'warn', serverId, destination }) };
}

const WARN = 40;
const warnings = (lines: LogLine[]) => lines.filter((l) => l.level === WARN && l.msg.includes(UNSIGNED)).map((l) => l.msg);

describe.each(nodeModes('unsigned'))('a carrier without the key to verify its webhooks, $name', (mode) => {
  let gw: TestNode;
  let sink: WebhookSink;
  let env: Record<string, string>;
  let log: ReturnType<typeof capturedLogger>;
  let carrier: { id: number; webhook_url: string };
  const keys = generateTelnyxKeys();

  const postEvent = (id: string, text: string, sign = false) => {
    const event = telnyxEvent('message.received', {
      id,
      direction: 'inbound',
      text,
      from: { phone_number: '+14155559876' },
      to: [{ phone_number: NUMBER }],
      media: [],
    });
    const body = JSON.stringify(event);
    const headers = { 'content-type': 'application/json', ...(sign ? signTelnyx(body, keys.privateKey).headers : {}) };
    return fetch(carrier.webhook_url, { method: 'POST', headers, body });
  };

  const unverifiedCount = async () => {
    const res = await fetch(`${gw.base}/metrics`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${API_KEY}`).toString('base64')}` },
    });
    const line = (await res.text())
      .split('\n')
      .find((l) => l.startsWith('msggw_webhooks_unverified_total{') && l.includes('carrier="telnyx"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    if (mode.skip) return;
    sink = await WebhookSink.start();
    env = await mode.env();
    log = capturedLogger('unsigned1');
    gw = await startTestNode({ serverId: 'unsigned1', apiKey: API_KEY, env, logger: log.logger });
    const client = await gw.api('POST', '/clients', { username: 'bicom', password: 'api_key', type: 'web', name: 'Bicom PBXware' });
    expect(client.status).toBe(201);
    expect((await gw.api('PUT', `/clients/${client.body.id}/settings`, { default_webhook: `${sink.url}/bicom` })).status).toBe(200);
    expect((await gw.api('POST', `/clients/${client.body.id}/numbers`, { number: NUMBER, carrier: 'telnyx' })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await sink?.close();
  });

  it.skipIf(mode.skip)('is created as gomsggw created it, with a warning in the answer and the log', async () => {
    const res = await gw.api('POST', '/carriers', { name: 'telnyx', type: 'telnyx', username: 'telnyx', password: 'KEY0123_telnyx' });
    expect(res.status).toBe(201);
    carrier = res.body;
    expect(res.body).toMatchObject({ name: 'telnyx', type: 'telnyx', verify_webhooks: true, public_key: '', warnings: [UNSIGNED] });
    expect(warnings(log.lines)).toEqual([`carrier created: ${UNSIGNED}`]);
    expect((await gw.api('GET', `/carriers/${carrier.id}`)).body.warnings).toEqual([UNSIGNED]);
  });

  it.skipIf(mode.skip)("accepts an unsigned webhook and routes the message to the number's owner, counting it", async () => {
    const res = await postEvent('tx-unsigned-1', 'hello unsigned');
    expect(res.status, await res.text()).toBe(200);
    const hook = await sink.waitFor((w) => w.path === '/bicom' && w.rawBody.includes('hello unsigned'));
    expect(hook.body).toMatchObject({ from: '+14155559876', to: NUMBER, text: 'hello unsigned' });
    expect((await postEvent('tx-unsigned-2', 'second unsigned')).status).toBe(200);
    expect(await unverifiedCount()).toBe(2);
    // One line at the first unsigned webhook, not one per webhook.
    expect(warnings(log.lines).filter((m) => m.startsWith('carrier webhook accepted unsigned'))).toHaveLength(1);
  });

  it.skipIf(mode.skip)(
    'warns again for each such carrier when a node starts',
    async () => {
      await gw.node.stop();
      log = capturedLogger('unsigned1');
      // The same server id: the test node derives its ENCRYPTION_KEY from it.
      gw = await startTestNode({ serverId: 'unsigned1', apiKey: API_KEY, env, dataDir: gw.dataDir, logger: log.logger });
      expect(warnings(log.lines)).toEqual([`carrier telnyx: ${UNSIGNED}`]);
      carrier = (await gw.api('GET', `/carriers/${carrier.id}`)).body;
    },
    60_000,
  );

  it.skipIf(mode.skip)('verifies once public_key is set: unsigned is 403, signed enters', async () => {
    const res = await gw.api('PUT', `/carriers/${carrier.id}`, { public_key: keys.publicKeyBase64 });
    expect(res.status).toBe(200);
    expect(res.body.carrier.warnings).toEqual([]);
    expect(warnings(log.lines)).toHaveLength(1);
    const before = await unverifiedCount();

    const unsigned = await postEvent('tx-forged', 'forged after the key');
    expect(unsigned.status).toBe(403);
    expect(await unsigned.json()).toEqual({ error: 'Invalid webhook signature' });
    const signed = await postEvent('tx-signed', 'hello signed', true);
    expect(signed.status, await signed.text()).toBe(200);
    await sink.waitFor((w) => w.path === '/bicom' && w.rawBody.includes('hello signed'));
    expect(sink.received.some((w) => w.rawBody.includes('forged after the key'))).toBe(false);
    expect(await unverifiedCount()).toBe(before);
  });
});
