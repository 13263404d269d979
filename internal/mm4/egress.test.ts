import { describe, expect, it, vi } from 'vitest';
import { deliveryJobCodec, type DeliveryJob } from '../../proto/delivery.js';
import type { Egress } from '../../proto/message.js';
import { sentRecordCodec } from '../../proto/sent-record.js';
import { subjects } from '../../proto/subjects.js';
import type { DurableMsg, KvEntry } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { createMetrics } from '../metrics/index.js';
import type { LegContext, RecordWriter } from '../records/index.js';
import { SentRecorder, type FailureReporter } from '../router/index.js';
import type { ClientDetails } from '../store/index.js';
import { Mm4Egress } from './egress.js';
import { SmtpSendError, type SendRaw } from './sender.js';

const names = subjects('t');
const client = {
  id: 7,
  username: 'pbx',
  address: '10.0.0.5, 10.0.1.0/24',
  type: 'legacy',
  numbers: [],
  failovers: [],
  settings: { mm4Port: 2525 },
} as unknown as ClientDetails;

/** The web client that sent the MMS, with a status webhook: it hears 'delivered'. */
const sender = {
  id: 3,
  username: 'webapp',
  type: 'web',
  numbers: [],
  failovers: [],
  settings: { defaultWebhook: 'https://app.example/s' },
} as unknown as ClientDetails;

const egress: Egress = {
  v: 1,
  message: {
    v: 1,
    id: 'm1',
    type: 'mms',
    from: '+15550001111',
    to: '+15550002222',
    text: 'hi',
    notice: false,
    receivedAt: 1,
    media: [{ token: 'tok1', contentType: 'image/png', filename: 'a.png' }],
    origin: { kind: 'web', clientId: 3, node: 'n1' },
  },
  route: { kind: 'mm4', clientId: 7 },
  senderClientId: 3,
  receiverClientId: 7,
};

function msg(job: DeliveryJob, deliveryCount = 1): DurableMsg {
  return { subject: names.msgOutMm4(7), data: deliveryJobCodec.encode(job), deliveryCount, seq: 1, working: () => undefined };
}

function setup(send: SendRaw, reports: Record<string, string> = {}) {
  const published: Array<{ subject: string; data: Uint8Array }> = [];
  const deps = {
    bus: {
      publishDurable: vi.fn(async (subject: string, data: Uint8Array) => {
        published.push({ subject, data });
        return { stream: 's', seq: 1, duplicate: false };
      }),
    },
    client: (id: number) => (id === 7 ? client : id === 3 ? sender : undefined),
    media: {
      get: vi.fn(async (token: string) =>
        token === 'tok1'
          ? { token, contentType: 'image/png', filename: 'a.png', sizeBytes: 3, url: 'u', expiresAt: new Date(), bytes: Buffer.from('PNG') }
          : undefined,
      ),
    },
    reports: { get: async (key: string): Promise<KvEntry | null> => (reports[key] ? { value: reports[key]!, revision: 1 } : null) },
    records: { write: vi.fn(async () => undefined) } as unknown as RecordWriter,
    legs: { serverId: 'n1', clientType: () => 'legacy', logPrivacy: () => false } as LegContext,
    failures: { report: vi.fn(async () => undefined) } as unknown as FailureReporter,
    send,
    logger: silentLogger(),
    metrics: createMetrics({ serverId: 'n1' }),
  };
  const sent = new SentRecorder({ subjects: names }, deps);
  const worker = new Mm4Egress(
    {
      subjects: names,
      retries: 2,
      timeoutMs: 1000,
      retryDelayMs: 100,
      originatorSystem: 'system@gw',
      msgIdHost: 'gw.example',
      name: 'gw.example',
    },
    { ...deps, sent } as never,
  );
  return { worker, deps, published };
}

describe('Mm4Egress messages', () => {
  it('sends MM4_forward.REQ to the first host of the address on the client port, then reports delivered', async () => {
    const send = vi.fn<SendRaw>(async () => undefined);
    const { worker, deps, published } = setup(send);
    expect(await worker.handle(msg({ v: 1, kind: 'message', egress }))).toEqual({ kind: 'ack' });
    const [target, mail] = send.mock.calls[0]!;
    expect(target).toEqual({ host: '10.0.0.5', port: 2525 });
    expect(mail.from).toBe('+15550001111/TYPE=PLMN@gw.example');
    expect(mail.to).toBe('+15550002222/TYPE=PLMN@[10.0.0.5]');
    expect(mail.raw).toContain('X-Mms-message-Id: <m1@gw.example>');
    expect(mail.raw).toContain(Buffer.from('PNG').toString('base64'));
    expect(deps.records.write).toHaveBeenCalled();
    expect(published.map((p) => p.subject)).toEqual([names.msgOutWebhook(3)]);
    expect(deliveryJobCodec.decode(published[0]!.data)).toMatchObject({
      kind: 'status',
      clientId: 3,
      event: { messageId: 'm1', status: 'delivered', clientId: 3 },
    });
  });

  it("acks an MMS the client's server took even when its record cannot be written, handing the record over", async () => {
    const send = vi.fn<SendRaw>(async () => undefined);
    const { worker, deps, published } = setup(send);
    vi.mocked(deps.records.write).mockRejectedValue(new UnavailableError('the database is unavailable'));
    expect(await worker.handle(msg({ v: 1, kind: 'message', egress }))).toEqual({ kind: 'ack' });
    expect(send).toHaveBeenCalledTimes(1);
    expect(published.map((p) => p.subject)).toEqual([names.ledgerRepair]);
    expect(sentRecordCodec.decode(published[0]!.data)).toMatchObject({
      status: 'delivered',
      reportDelivered: true,
      egress: { message: { id: 'm1' } },
    });
  });

  it('retries a temporary failure with backoff, then reports the failure to the sender', async () => {
    const send = vi.fn<SendRaw>(async () => {
      throw new SmtpSendError('connection refused', false);
    });
    const { worker, deps } = setup(send);
    const first = await worker.handle(msg({ v: 1, kind: 'message', egress }, 1));
    expect(first.kind).toBe('retry');
    expect(deps.failures.report).not.toHaveBeenCalled();
    expect(await worker.handle(msg({ v: 1, kind: 'message', egress }, 3))).toMatchObject({ kind: 'term' });
    expect(deps.failures.report).toHaveBeenCalledWith(
      expect.objectContaining({ senderClientId: 3, reason: expect.stringContaining('after 3 attempts') }),
    );
  });

  it('gives up at once on a permanent (5xx) refusal or media that is gone', async () => {
    const refused = setup(
      vi.fn<SendRaw>(async () => {
        throw new SmtpSendError('550 no such user', true);
      }),
    );
    expect(await refused.worker.handle(msg({ v: 1, kind: 'message', egress }))).toMatchObject({ kind: 'term' });
    expect(refused.deps.failures.report).toHaveBeenCalledTimes(1);

    const gone = setup(vi.fn<SendRaw>(async () => undefined));
    const noMedia: Egress = {
      ...egress,
      message: { ...egress.message, media: [{ token: 'expired', contentType: 'image/png', filename: '' }] },
    };
    expect(await gone.worker.handle(msg({ v: 1, kind: 'message', egress: noMedia }))).toMatchObject({ kind: 'term' });
    expect(gone.deps.failures.report).toHaveBeenCalledWith(
      expect.objectContaining({ reason: expect.stringContaining('no longer stored') }),
    );
  });
});

describe('Mm4Egress delivery reports', () => {
  const event = {
    v: 1 as const,
    messageId: 'm9',
    status: 'delivered' as const,
    clientId: 7,
    from: '+15550001111',
    to: '+15550003333',
    at: 1,
  };
  const request = JSON.stringify({ clientId: 7, mm4MessageId: 'orig-9@pbx', from: '+15550001111/TYPE=PLMN', to: '+15550003333' });

  it("sends MM4_delivery_report.REQ naming the client's own message id when it asked for reports", async () => {
    const send = vi.fn<SendRaw>(async () => undefined);
    const { worker } = setup(send, { m9: request });
    expect(await worker.handle(msg({ v: 1, kind: 'status', clientId: 7, event }))).toEqual({ kind: 'ack' });
    const [, mail] = send.mock.calls[0]!;
    expect(mail.to).toBe('+15550001111/TYPE=PLMN@[10.0.0.5]');
    expect(mail.raw).toContain('X-Mms-Message-Type: MM4_delivery_report.REQ');
    expect(mail.raw).toContain('X-Mms-Message-ID: orig-9@pbx');
    expect(mail.raw).toContain('X-Mms-MM-Status-Code: Retrieved');
    expect(mail.raw).toContain('From: +15550003333/TYPE=PLMN');
  });

  it('sends nothing when the request did not ask, or the status is not one a report states', async () => {
    const send = vi.fn<SendRaw>(async () => undefined);
    const { worker } = setup(send, { m9: request });
    expect(await worker.handle(msg({ v: 1, kind: 'status', clientId: 7, event: { ...event, messageId: 'other' } }))).toEqual({
      kind: 'ack',
    });
    expect(await worker.handle(msg({ v: 1, kind: 'status', clientId: 7, event: { ...event, status: 'sent' } }))).toEqual({ kind: 'ack' });
    expect(send).not.toHaveBeenCalled();
  });
});
