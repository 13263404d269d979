/**
 * Hostile text at every entry point, on the embedded default (PGlite, memory bus) and on real PostgreSQL
 * + nats-server (where one NUL once failed a whole batch of ledger writes and the carrier was sent
 * the same messages again and again). Every message is either delivered exactly once, with its
 * text cleaned (SMPP, MM4, carrier webhooks: the sender cannot fix it), or refused with a clear
 * error and nothing sent (REST: the client can; identifiers anywhere).
 */
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, smppLib, type EsmeSession, type LibPdu } from '../support/smpp-server-harness.js';
import { encodeUcs2 } from '../../internal/text/index.js';
import { FakeCarrier, registerFakeCarriers, telnyxEvent } from '../support/fake-carrier.js';
import { freePort } from '../support/process.js';
import { basicAuth as basic, nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { waitFor } from '../support/wait.js';
import { WebhookSink } from '../support/webhook-sink.js';

const API_KEY = 'hostile-admin-key';
const PBX = '+15550001000';
const WEB = '+15550002000';
const BIC = '+15550003000';
const INBOX = '+15550004000';
const FAR = '+15559990001';
/**
 * A resend comes at the earliest one retry delay after the first send: CARRIER_RETRY_DELAY_SECS
 * and WEBHOOK_RETRY_DELAY_SECS (1 s here) or the bus's first retry of a handler that threw (1 s).
 * Twice that: a resend would have happened by then.
 */
const RESEND_WINDOW_MS = 2_000;

const modes = nodeModes('hostile');

describe.each(modes)('hostile text at the entry points, $name', (mode) => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let smppPort: number;
  let mm4Port: number;
  let esme: EsmeSession;
  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  async function client(username: string, type: 'legacy' | 'web', number: string, settings: object = {}) {
    const c = await api('POST', '/clients', { username, password: `${username}-pass`, type, address: '127.0.0.1' });
    expect(c.status).toBe(201);
    if (Object.keys(settings).length > 0) expect((await api('PUT', `/clients/${c.body.id}/settings`, settings)).status).toBe(200);
    expect((await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' })).status).toBe(201);
  }

  beforeAll(async () => {
    if (mode.skip) return;
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    [smppPort, mm4Port] = [await freePort(), await freePort()];
    gw = await startTestNode({
      serverId: 'hostile1',
      apiKey: API_KEY,
      env: {
        SMPP_LISTEN: `127.0.0.1:${smppPort}`,
        MM4_LISTEN: `127.0.0.1:${mm4Port}`,
        CARRIER_RETRY_DELAY_SECS: '1',
        WEBHOOK_RETRY_DELAY_SECS: '1',
        NOTIFY_SENDER_ON_FAILURE: 'false',
        ...(await mode.env()),
      },
    });
    await registerFakeCarriers(api, fake);
    await client('pbx', 'legacy', PBX);
    await client('web', 'web', WEB);
    await client('bic', 'web', BIC, { api_format: 'bicom' });
    await client('inbox', 'web', INBOX, { default_webhook: `${sink.url}/inbox` });
    esme = await new Promise<EsmeSession>((resolve) => {
      const session = smppLib.connect({ url: `smpp://127.0.0.1:${smppPort}` }, () => resolve(session));
    });
    expect((await call(esme, 'bind_transceiver', { system_id: 'pbx', password: 'pbx-pass' })).command_status).toBe(0);
  }, 120_000);

  afterAll(async () => {
    esme?.destroy();
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  /** Texts the fake carrier accepted, in order of arrival. */
  const carrierTexts = () => fake.sent('telnyx').map((r) => (r.body as { text: string }).text);
  const timesSent = (text: string) => carrierTexts().filter((t) => t === text).length;

  /** Waits until the carrier has each text, then past a resend, and asserts it got each exactly once. */
  async function expectEachSentOnce(texts: string[]) {
    await waitFor(() => texts.every((t) => timesSent(t) > 0), 30_000).catch(() =>
      expect(carrierTexts(), 'the carrier got').toEqual(expect.arrayContaining(texts)),
    );
    await new Promise((r) => setTimeout(r, RESEND_WINDOW_MS));
    expect(texts.map(timesSent), JSON.stringify(texts)).toEqual(texts.map(() => 1));
  }

  /** No accepted send whose text starts with `prefix`, a moment after the refusals. */
  async function expectNothingSent(prefix: string) {
    await new Promise((r) => setTimeout(r, 500));
    expect(carrierTexts().filter((t) => t.startsWith(prefix))).toEqual([]);
  }

  const submit = (fields: object): Promise<LibPdu> =>
    call(esme, 'submit_sm', {
      source_addr_ton: 1,
      source_addr_npi: 1,
      source_addr: PBX.slice(1),
      dest_addr_ton: 1,
      dest_addr_npi: 1,
      destination_addr: FAR.slice(1),
      ...fields,
    });

  describe('SMPP', () => {
    it.skipIf(mode.skip)('sends three Latin-1 messages once each when the middle one holds a NUL (the reproduction)', async () => {
      const texts = ['smpp first', 'smpp mid\u0000dle', 'smpp third'];
      const answers = await Promise.all(texts.map((t) => submit({ data_coding: 3, short_message: Buffer.from(t, 'latin1') })));
      expect(answers.map((a) => a.command_status)).toEqual([0, 0, 0]);
      await expectEachSentOnce(['smpp first', 'smpp middle', 'smpp third']);
    });

    it.skipIf(mode.skip)('cleans UCS-2 with an odd length, a lone surrogate or a NUL, and message_payload', async () => {
      const sent = [
        Buffer.concat([encodeUcs2('ucs2 odd'), Buffer.of(0x00)]),
        Buffer.concat([encodeUcs2('ucs2 lone '), Buffer.of(0xd8, 0x3d), encodeUcs2(' high')]),
        Buffer.concat([encodeUcs2('ucs2 lone '), Buffer.of(0xdc, 0x00), encodeUcs2(' low')]),
        encodeUcs2('ucs2 n\u0000ul 😀'),
      ];
      const answers = await Promise.all(sent.map((short_message) => submit({ data_coding: 8, short_message })));
      answers.push(await submit({ data_coding: 8, short_message: Buffer.alloc(0), message_payload: encodeUcs2('payload n\u0000ul') }));
      answers.push(
        await submit({ data_coding: 3, short_message: Buffer.alloc(0), message_payload: Buffer.from('payload latin\u0000', 'latin1') }),
      );
      expect(answers.map((a) => a.command_status)).toEqual([0, 0, 0, 0, 0, 0]);
      await expectEachSentOnce([
        'ucs2 odd\uFFFD',
        'ucs2 lone \uFFFD high',
        'ucs2 lone \uFFFD low',
        'ucs2 nul 😀',
        'payload nul',
        'payload latin',
      ]);
    });

    it.skipIf(mode.skip)("reads GSM-7 septet 0x00 as '@', not as a NUL", async () => {
      expect(
        (await submit({ data_coding: 0, short_message: Buffer.from([0x67, 0x73, 0x6d, 0x20, 0x00, 0x20, 0x78]) })).command_status,
      ).toBe(0);
      await expectEachSentOnce(['gsm @ x']);
    });

    it.skipIf(mode.skip)('refuses a source or destination address holding a control character', async () => {
      const text = Buffer.from('smpp-bad address');
      expect((await submit({ source_addr: `${PBX.slice(1)}\n`, short_message: text })).command_status).toBe(0x0a);
      expect((await submit({ destination_addr: `${FAR.slice(1, 4)}\t${FAR.slice(4)}`, short_message: text })).command_status).toBe(0x0b);
      await expectNothingSent('smpp-bad');
    });
  });

  describe('REST', () => {
    const send = (user: string, body: string | Buffer) =>
      fetch(`${gw.base}/messages/send`, {
        method: 'POST',
        headers: { authorization: basic(user, `${user}-pass`), 'content-type': 'application/json' },
        body,
      }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, string> }));
    const json = (text: string, from = WEB) => JSON.stringify({ from, to: FAR, text });

    it.skipIf(mode.skip)('refuses a NUL or an unpaired surrogate with a 400 naming the field, and sends nothing', async () => {
      for (const text of ['rest-nul \u0000', 'rest-high \ud800', 'rest-low \udc00 x']) {
        const res = await send('web', json(text));
        expect(res.status, JSON.stringify(text)).toBe(400);
        expect(res.body.error).toMatch(/^Invalid JSON body: 'text' must not contain/);
      }
      const media = await send('web', JSON.stringify({ from: WEB, to: FAR, text: 'rest-media', media: [{ url: 'http://x/\u0000' }] }));
      expect(media).toMatchObject({ status: 400, body: { error: expect.stringContaining("'media[0].url'") } });
      await expectNothingSent('rest-');
    });

    it.skipIf(mode.skip)("answers a bicom client in bicom's error shape", async () => {
      const res = await send('bic', json('rest-bicom \u0000', BIC));
      expect(res).toEqual({
        status: 400,
        body: { status: 'error', message: "Invalid JSON body: 'text' must not contain the NUL character (U+0000)" },
      });
      await expectNothingSent('rest-bicom');
    });

    it.skipIf(mode.skip)('refuses a body that is not UTF-8', async () => {
      const body = Buffer.concat([
        Buffer.from(`{"from":"${WEB}","to":"${FAR}","text":"rest-utf8 `),
        Buffer.of(0xff, 0xc3),
        Buffer.from('"}'),
      ]);
      expect(await send('web', body)).toEqual({ status: 400, body: { error: 'Invalid JSON body: the body is not valid UTF-8' } });
      await expectNothingSent('rest-utf8');
    });

    it.skipIf(mode.skip)('takes escaped surrogate pairs and other control characters, once each', async () => {
      const res = await send('web', `{"from":"${WEB}","to":"${FAR}","text":"rest ok \\ud83d\\ude00\\t\\u0007"}`);
      expect(res.status).toBe(202);
      await expectEachSentOnce(['rest ok 😀\t\u0007']);
    });
  });

  describe('MM4', () => {
    const head = (lines: Record<string, string>) =>
      Object.entries({
        'X-Mms-3GPP-MMS-Version': '6.10.0',
        'X-Mms-Message-Type': 'MM4_forward.REQ',
        'X-Mms-Message-ID': `<${crypto.randomUUID()}@pbx.test>`,
        'X-Mms-Transaction-ID': crypto.randomUUID(),
        From: `${PBX}/TYPE=PLMN`,
        To: `${FAR}/TYPE=PLMN`,
        'MIME-Version': '1.0',
        ...lines,
      }).map(([name, value]) => `${name}: ${value}`);
    /** Sends a raw mail as an MM4 peer; resolves with the SMTP reply code. */
    const mm4 = (raw: Buffer) =>
      createTransport({ host: '127.0.0.1', port: mm4Port, secure: false, ignoreTLS: true })
        .sendMail({ envelope: { from: `${PBX}/TYPE=PLMN@pbx.test`, to: [`${FAR}/TYPE=PLMN@gw.test`] }, raw })
        .then(
          () => 250,
          (err: { responseCode?: number }) => err.responseCode ?? 0,
        );
    const mail = (headers: Record<string, string>, body: Array<string | Buffer>) =>
      Buffer.concat([
        Buffer.from([...head(headers), 'Content-Type: multipart/mixed; boundary="b1"', '', ''].join('\r\n')),
        ...body.map((line) => Buffer.concat([Buffer.isBuffer(line) ? line : Buffer.from(line), Buffer.from('\r\n')])),
      ]);

    it.skipIf(mode.skip)('delivers a text part holding NUL bytes once, cleaned', async () => {
      const code = await mm4(
        mail({}, [
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          '',
          Buffer.from('mm4 n\u0000ul text\u0000'),
          '--b1',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: quoted-printable',
          '',
          'and q=00p',
          '--b1--',
        ]),
      );
      expect(code).toBe(250);
      await expectEachSentOnce(['mm4 nul text\nand qp']);
    });

    it.skipIf(mode.skip)('refuses a To or From header holding a NUL with a 5xx, and sends nothing', async () => {
      const body = ['--b1', 'Content-Type: text/plain', '', 'mm4-refused', '--b1--'];
      expect(await mm4(mail({ To: `+1555999\u00000001/TYPE=PLMN` }, body))).toBe(554);
      expect(await mm4(mail({ From: `+1555000\u00001000/TYPE=PLMN` }, body))).toBe(554);
      await expectNothingSent('mm4-refused');
    });
  });

  describe('carrier webhooks', () => {
    const webhookUrl = async (name: string) => {
      const carriers = (await api('GET', '/carriers')).body as Array<{ name: string; webhook_url: string }>;
      return `${gw.base}${new URL(carriers.find((c) => c.name === name)!.webhook_url).pathname}`;
    };
    const inbound = async (id: string, text: string) => {
      const url = await webhookUrl('telnyx-main');
      const event = telnyxEvent('message.received', {
        id,
        direction: 'inbound',
        text,
        from: { phone_number: FAR },
        to: [{ phone_number: INBOX }],
        media: [],
      });
      return (await fake.postTelnyxWebhook(url, event)).status;
    };
    const hooks = (text: string) => sink.received.filter((w) => w.path === '/inbox' && w.body?.text === text);

    it.skipIf(mode.skip)('takes a text holding a NUL or a lone surrogate (200) and delivers it once, cleaned', async () => {
      expect(await inbound('hook-nul', 'hook n\u0000ul')).toBe(200);
      expect(await inbound('hook-lone', 'hook lone \ud800')).toBe(200);
      await sink.waitFor((w) => w.body?.text === 'hook nul', 15_000);
      await sink.waitFor((w) => w.body?.text === 'hook lone \uFFFD', 15_000);
      await new Promise((r) => setTimeout(r, RESEND_WINDOW_MS));
      expect([hooks('hook nul').length, hooks('hook lone \uFFFD').length]).toEqual([1, 1]);
    });

    it.skipIf(mode.skip)('takes a Twilio form webhook whose Body holds a NUL and delivers it once, cleaned', async () => {
      const form = {
        MessageSid: 'SMhostile1',
        AccountSid: fake.credentials.twilio.accountSid,
        From: FAR,
        To: INBOX,
        Body: 'twilio n\u0000ul',
        NumMedia: '0',
      };
      expect((await fake.postTwilioWebhook(await webhookUrl('twilio-main'), form)).status).toBe(200);
      await sink.waitFor((w) => w.body?.text === 'twilio nul', 15_000);
      await new Promise((r) => setTimeout(r, RESEND_WINDOW_MS));
      expect(hooks('twilio nul')).toHaveLength(1);
    });
  });
});
