import { describe, expect, it } from 'vitest';
import { messageCodec, type Egress, type Message } from '../../proto/message.js';
import { subjects } from '../../proto/subjects.js';
import { UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import type { ClientNumber, MessageRecord, NumberSettings } from '../store/index.js';
import { AutoReplier, replyId } from './auto-replier.js';
import { MemoryAutoReplyState } from './memory-state.js';
import type { AutoReplyState } from './types.js';

const NUMBER = '+15550001000';
const SENDER = '+15557770001';
const names = subjects('t');

function clientNumber(settings: Partial<NumberSettings> | null, over: Partial<ClientNumber> = {}): ClientNumber {
  return {
    id: 10,
    clientId: 1,
    number: NUMBER,
    carrier: 'telnyx',
    tag: '',
    group: '',
    webhook: '',
    ignoreStopCmdSending: false,
    settings:
      settings && ({ autoReplyEnabled: true, autoReplyMessage: 'Closed today', autoReplyCooldownSecs: 60, ...settings } as NumberSettings),
    ...over,
  };
}

function inbound(over: Partial<Message> = {}, egress: Partial<Egress> = {}): Egress {
  const message: Message = {
    v: 1,
    id: 'in-1',
    type: 'sms',
    from: SENDER,
    to: NUMBER,
    text: 'are you open?',
    media: [],
    receivedAt: 0,
    origin: { kind: 'carrier', carrierId: 3, node: 'n1' },
    notice: false,
    ...over,
  };
  return { v: 1, message, route: { kind: 'webhook', clientId: 1, url: 'https://hooks.test/x' }, receiverClientId: 1, ...egress };
}

function setup(number: ClientNumber | undefined, options: { enabled?: boolean; state?: AutoReplyState; failPublish?: boolean } = {}) {
  const published: Array<{ subject: string; message: Message; msgId?: string }> = [];
  const records: MessageRecord[] = [];
  let failPublish = options.failPublish ?? false;
  const replier = new AutoReplier(
    { enabled: options.enabled ?? true, defaultMessage: 'We are closed', nodeId: 'node-a', subjects: names },
    {
      bus: {
        publishDurable: async (subject, data, opts) => {
          if (failPublish) throw new UnavailableError('bus down');
          published.push({ subject, message: messageCodec.decode(data), msgId: opts?.msgId });
          return { stream: 'S', seq: published.length, duplicate: false };
        },
      },
      numberByE164: (e164) => (e164 === number?.number ? number : undefined),
      state: options.state ?? new MemoryAutoReplyState(),
      records: { write: async (...legs) => void records.push(...legs) },
      legs: { serverId: 'node-a', clientType: () => 'web', logPrivacy: () => false },
      logger: silentLogger(),
      now: () => 5_000,
    },
  );
  return {
    replier,
    published,
    records,
    heal: () => {
      failPublish = false;
    },
  };
}

describe('AutoReplier', () => {
  it("answers the first message with an SMS from the number, sent on its owner's behalf, and keeps the inbound", async () => {
    const { replier, published } = setup(clientNumber({}));
    expect(
      await replier.intercept(inbound({ type: 'mms', media: [{ url: 'https://x/1.jpg', contentType: 'image/jpeg', filename: '' }] })),
    ).toBe(true);
    expect(published).toEqual([
      {
        subject: names.msgIn('system'),
        msgId: 'in-1.ar',
        message: {
          v: 1,
          id: 'in-1.ar',
          type: 'sms',
          from: NUMBER,
          to: SENDER,
          text: 'Closed today',
          media: [],
          origin: { kind: 'system', clientId: 1, node: 'node-a' },
          receivedAt: 5_000,
          notice: true,
        },
      },
    ]);
  });

  it('suppresses later messages from that sender within the cooldown without answering them', async () => {
    const { replier, published } = setup(clientNumber({}));
    expect(await replier.intercept(inbound({ id: 'in-1' }))).toBe(true);
    expect(await replier.intercept(inbound({ id: 'in-2' }))).toBe(true);
    expect(await replier.intercept(inbound({ id: 'in-3', from: '+15557770002' }))).toBe(true);
    expect(published.map((p) => p.message.to)).toEqual([SENDER, '+15557770002']);
  });

  it('falls back to AUTO_REPLY_DEFAULT_MESSAGE', async () => {
    const { replier, published } = setup(clientNumber({ autoReplyMessage: '' }));
    await replier.intercept(inbound());
    expect(published[0]?.message.text).toBe('We are closed');
  });

  it.each([
    ['the master switch is off', clientNumber({}), { enabled: false }],
    ['the number has no settings', clientNumber(null), {}],
    ["the number's flag is off", clientNumber({ autoReplyEnabled: false }), {}],
    ['the number ignores STOP commands (ignore_stop_cmd_sending)', clientNumber({}, { ignoreStopCmdSending: true }), {}],
  ])('delivers normally, unanswered, when %s', async (_why, number, options) => {
    const { replier, published } = setup(number, options);
    expect(await replier.intercept(inbound())).toBe(false);
    expect(published).toEqual([]);
  });

  it('never answers a gateway notice or reply, a message to itself, or one leaving through a carrier', async () => {
    const { replier, published } = setup(clientNumber({}));
    expect(await replier.intercept(inbound({ notice: true }))).toBe(false);
    expect(await replier.intercept(inbound({ origin: { kind: 'system', clientId: 2, node: 'n' } }))).toBe(false);
    expect(await replier.intercept(inbound({ from: NUMBER }))).toBe(false);
    expect(
      await replier.intercept(inbound({}, { receiverClientId: undefined, route: { kind: 'carrier', carrierId: 3, carrierName: 'c' } })),
    ).toBe(false);
    expect(published).toEqual([]);
  });

  it('delivers STOP unanswered and answers that sender no more until START', async () => {
    const { replier, published } = setup(clientNumber({ autoReplyCooldownSecs: 1 }));
    expect(await replier.intercept(inbound({ id: 's1', text: 'STOP' }))).toBe(false);
    expect(await replier.intercept(inbound({ id: 's2', text: 'hello?' }))).toBe(false);
    expect(await replier.intercept(inbound({ id: 's3', text: 'HELP' }))).toBe(false);
    expect(published).toEqual([]);
    expect(await replier.intercept(inbound({ id: 's4', text: 'Start' }))).toBe(false);
    expect(await replier.intercept(inbound({ id: 's5', text: 'hello again' }))).toBe(true);
    expect(published.map((p) => p.message.id)).toEqual(['s5.ar']);
  });

  it('answers a redelivered message again after its reply failed to publish (same reply id, deduplicated)', async () => {
    const { replier, published, heal } = setup(clientNumber({}), { failPublish: true });
    await expect(replier.intercept(inbound())).rejects.toBeInstanceOf(UnavailableError);
    heal();
    expect(await replier.intercept(inbound())).toBe(true);
    expect(published.map((p) => p.msgId)).toEqual(['in-1.ar']);
  });

  it('delivers normally when its state store is down', async () => {
    const down: AutoReplyState = {
      claimCooldown: async () => {
        throw new UnavailableError('redis down');
      },
      setOptOut: async () => {
        throw new UnavailableError('redis down');
      },
      isOptedOut: async () => {
        throw new UnavailableError('redis down');
      },
    };
    const { replier, published } = setup(clientNumber({}), { state: down });
    expect(await replier.intercept(inbound())).toBe(false);
    expect(await replier.intercept(inbound({ text: 'stop' }))).toBe(false);
    expect(published).toEqual([]);
  });

  it("records a client sender's leg as delivered and gives the receiving client none", async () => {
    const { replier, records } = setup(clientNumber({}));
    await replier.intercept(inbound({ origin: { kind: 'web', clientId: 2, node: 'n' } }, { senderClientId: 2 }));
    await Promise.resolve();
    expect(records).toEqual([expect.objectContaining({ clientId: 2, direction: 'outbound', status: 'delivered', internal: true })]);
  });
});

describe('replyId', () => {
  it('suffixes the inbound id, and digests one too long to suffix', () => {
    expect(replyId('abc')).toBe('abc.ar');
    const long = replyId('x'.repeat(64));
    expect(long).toHaveLength(64);
    expect(long.endsWith('.ar')).toBe(true);
    expect(replyId('x'.repeat(64))).toBe(long);
  });
});
