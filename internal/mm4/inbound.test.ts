import { describe, expect, it, vi } from 'vitest';
import type { Message } from '../../proto/message.js';
import { statusCodec } from '../../proto/status.js';
import { subjects } from '../../proto/subjects.js';
import { OutcomeUnknownError, PayloadTooLargeError, QuotaExceededError, UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import type { MediaInput } from '../media/index.js';
import { createMetrics } from '../metrics/index.js';
import type { ClientDetails } from '../store/index.js';
import { Mm4Inbound, type Responder } from './inbound.js';
import { toSmtpReply } from './smtp-reply.js';

const names = subjects('t');
const clientOf = (id: number, ...numbers: string[]) =>
  ({
    id,
    username: `c${id}`,
    type: 'legacy',
    address: '10.0.0.5',
    numbers: numbers.map((number) => ({ number, clientId: id })),
  }) as unknown as ClientDetails;
const A = clientOf(1, '+15550001111');
const B = clientOf(2, '+15550002222');
const peer = { ip: '10.0.0.5', clients: [A, B] };
/** The fake store's MEDIA_MAX_BYTES; it refuses larger parts as the real one does. */
const MAX_MEDIA_BYTES = 1_000;

function setup(ingress = vi.fn(async (_m: Message) => undefined)) {
  const published: Array<{ subject: string; data: Uint8Array; msgId?: string }> = [];
  const stored: MediaInput[] = [];
  const reports = new Map<string, string>();
  const responder: Responder = { respond: vi.fn() };
  const inbound = new Mm4Inbound(
    { subjects: names, nodeId: 'n1' },
    {
      ingress,
      bus: {
        publishDurable: async (subject, data, opts) => {
          published.push({ subject, data, msgId: opts?.msgId });
          return { stream: 's', seq: 1, duplicate: false };
        },
      },
      reports: { create: async (key, value) => (reports.set(key, value), 1) },
      media: {
        maxBytes: MAX_MEDIA_BYTES,
        put: async (input) => {
          if (input.bytes.length > MAX_MEDIA_BYTES) throw new PayloadTooLargeError('too big');
          stored.push(input);
          return {
            token: `tok${stored.length}`,
            url: `https://gw/media/tok${stored.length}`,
            contentType: input.contentType,
            filename: input.filename ?? 'x',
            sizeBytes: input.bytes.length,
            expiresAt: new Date(),
          };
        },
      },
      responder,
      logger: silentLogger(),
      metrics: createMetrics({ serverId: 'n1' }),
      newId: (() => {
        let n = 0;
        return () => `id${++n}`;
      })(),
    },
  );
  return { inbound, ingress, published, stored, reports, responder };
}

function forwardReq(headers: string[] = [], from = '+15550002222/TYPE=PLMN'): Buffer {
  return Buffer.from(
    [
      'X-Mms-3GPP-MMS-Version: 6.10.0',
      'X-Mms-Message-Type: MM4_forward.REQ',
      'X-Mms-Message-ID: <pbx-1@pbx>',
      'X-Mms-Transaction-ID: pbx-1',
      `From: ${from}`,
      'To: +15559990001/TYPE=PLMN, +15559990002/TYPE=PLMN',
      ...headers,
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      'hello',
      '--b',
      'Content-Type: image/jpeg; name="a.jpg"',
      'Content-Transfer-Encoding: base64',
      '',
      Buffer.from('JPEG').toString('base64'),
      '--b--',
      '',
    ].join('\r\n'),
  );
}

describe('Mm4Inbound MM4_forward.REQ', () => {
  it('stores the media once and hands one message per recipient to the ingress, from the client owning From', async () => {
    const { inbound, ingress, stored, responder } = setup();
    expect(await inbound.receive(forwardReq(), peer)).toBe('Message queued for processing');
    expect(stored).toEqual([{ bytes: Buffer.from('JPEG'), contentType: 'image/jpeg', filename: 'a.jpg' }]);
    const messages = ingress.mock.calls.map((c) => c[0]);
    expect(messages.map((m) => m.to)).toEqual(['+15559990001', '+15559990002']);
    expect(messages[0]).toMatchObject({
      id: 'id1',
      type: 'mms',
      from: '+15550002222',
      text: 'hello',
      origin: { kind: 'mm4', clientId: 2, sourceIp: '10.0.0.5', node: 'n1' },
      media: [{ token: 'tok1', url: 'https://gw/media/tok1', contentType: 'image/jpeg', filename: 'a.jpg', sizeBytes: 4 }],
    });
    expect(responder.respond).not.toHaveBeenCalled();
  });

  it("answers 552 to a part over MEDIA_MAX_BYTES and stores none of the mail's parts", async () => {
    const { inbound, ingress, stored } = setup();
    const raw = Buffer.from(
      forwardReq()
        .toString('latin1')
        .replace(
          '--b--',
          [
            '--b',
            'Content-Type: image/png; name="big.png"',
            'Content-Transfer-Encoding: base64',
            '',
            Buffer.alloc(MAX_MEDIA_BYTES + 1).toString('base64'),
            '--b--',
          ].join('\r\n'),
        ),
      'latin1',
    );
    const err = await inbound.receive(raw, peer).catch((e: unknown) => e);
    expect(stored).toEqual([]);
    expect(toSmtpReply(err)).toMatchObject({ code: 552, message: expect.stringMatching(/big\.png is 1001 bytes; at most 1000/) });
    expect(ingress).not.toHaveBeenCalled();
  });

  it('remembers a delivery-report request and acknowledges when asked', async () => {
    const { inbound, reports, responder } = setup();
    await inbound.receive(forwardReq(['X-Mms-Delivery-Report: Yes', 'X-Mms-Ack-Request: Yes', 'X-Mms-Originator-System: s@pbx']), peer);
    expect(JSON.parse(reports.get('id1')!)).toEqual({
      clientId: 2,
      mm4MessageId: 'pbx-1@pbx',
      from: '+15550002222/TYPE=PLMN',
      to: '+15559990001',
    });
    expect(responder.respond).toHaveBeenCalledWith(B, expect.objectContaining({ transactionId: 'pbx-1' }), 'forward');
  });

  it("refuses a sender number none of the peer's clients owns (550)", async () => {
    const { inbound, ingress } = setup();
    const err = await inbound.receive(forwardReq([], '+15558880000/TYPE=PLMN'), peer).catch((e: unknown) => e);
    expect(toSmtpReply(err)).toEqual({ code: 550, message: 'the sender +15558880000 is not a number of this client' });
    expect(ingress).not.toHaveBeenCalled();
  });

  it('answers what the ingress says: 452 over quota, 451 when the bus is down or its answer is unknown, and acknowledges nothing', async () => {
    for (const [error, code] of [
      [new QuotaExceededError('MMS daily limit exceeded (5/5)'), 452],
      [new UnavailableError('no bus'), 451],
      [new OutcomeUnknownError('no PubAck in time'), 451],
    ] as const) {
      const { inbound, responder } = setup(
        vi.fn(async () => {
          throw error;
        }),
      );
      const err = await inbound.receive(forwardReq(['X-Mms-Ack-Request: Yes']), peer).catch((e: unknown) => e);
      expect(toSmtpReply(err).code).toBe(code);
      // Bus and store errors name internal subjects: never in the reply.
      if (code === 451) expect(toSmtpReply(err).message).toBe('Service temporarily unavailable, try again later');
      expect(responder.respond).not.toHaveBeenCalled();
    }
  });
});

describe('Mm4Inbound responses and reports', () => {
  const head = (type: string, extra: string[]) =>
    Buffer.from(
      [
        'X-Mms-3GPP-MMS-Version: 6.10.0',
        `X-Mms-Message-Type: ${type}`,
        'X-Mms-Message-ID: <gw-42@gw.example>',
        'X-Mms-Transaction-ID: gw-42',
        ...extra,
        '',
        '',
      ].join('\r\n'),
    );

  it('publishes MM4_forward.RES as a status event for the message the gateway sent', async () => {
    const { inbound, published } = setup();
    await inbound.receive(
      head('MM4_forward.RES', [
        'From: system@pbx',
        'To: system@gw',
        'X-Mms-Request-Status-Code: Error-service-denied',
        'X-Mms-Status-Text: no',
      ]),
      peer,
    );
    expect(published[0]!.subject).toBe(names.status('gw-42'));
    expect(statusCodec.decode(published[0]!.data)).toMatchObject({
      messageId: 'gw-42',
      status: 'rejected',
      errorCode: 'Error-service-denied',
      errorText: 'no',
      from: '',
      to: '',
    });
    expect(published[0]!.msgId).toBe('gw-42:status:rejected');
  });

  it('publishes MM4_delivery_report.REQ and answers it from the client that owns its From', async () => {
    const { inbound, published, responder } = setup();
    await inbound.receive(
      head('MM4_delivery_report.REQ', [
        'From: +15550002222/TYPE=PLMN',
        'To: +15557770000/TYPE=PLMN',
        'X-Mms-MM-Status-Code: Retrieved',
        'X-Mms-Ack-Request: Yes',
      ]),
      peer,
    );
    expect(statusCodec.decode(published[0]!.data)).toMatchObject({
      messageId: 'gw-42',
      status: 'delivered',
      from: '+15557770000',
      to: '+15550002222',
    });
    expect(responder.respond).toHaveBeenCalledWith(B, expect.anything(), 'report');
  });

  it('refuses an unknown message type (554)', async () => {
    const { inbound } = setup();
    const err = await inbound.receive(head('MM7_submit.REQ', ['From: a', 'To: b']), peer).catch((e: unknown) => e);
    expect(toSmtpReply(err)).toMatchObject({ code: 554, message: 'unsupported X-Mms-Message-Type: MM7_submit.REQ' });
  });
});
