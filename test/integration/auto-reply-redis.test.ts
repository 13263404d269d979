/**
 * Auto-reply state in a real redis-server: the AutoReplyState contract, and two "nodes" (two
 * ioredis clients, two AutoRepliers) sharing one cooldown, so a sender gets one reply per
 * cooldown whichever nodes its messages land on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoReplier, RedisAutoReplyState } from '../../internal/autoreply/index.js';
import { closeRedis, connectRedis, type Redis } from '../../internal/redis/index.js';
import { silentLogger } from '../../internal/log/index.js';
import type { ClientNumber, NumberSettings } from '../../internal/store/index.js';
import { messageCodec, type Egress, type Message } from '../../proto/message.js';
import { subjects } from '../../proto/subjects.js';
import { describeAutoReplyState } from '../conformance/auto-reply-state.js';
import { requireServices, uniquePrefix } from '../support/env.js';

const svc = requireServices(['redis']);
const logger = silentLogger();
const NUMBER = '+15550001000';

async function dropPrefix(redis: Redis, prefix: string): Promise<void> {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
}

describe.skipIf(svc.skip)(svc.title('auto-reply on redis'), () => {
  let nodeA: Redis;
  let nodeB: Redis;

  beforeAll(async () => {
    nodeA = await connectRedis(svc.urls.redis, { logger, connectionName: 'autoreply-a' });
    nodeB = await connectRedis(svc.urls.redis, { logger, connectionName: 'autoreply-b' });
  });

  afterAll(async () => {
    await Promise.all([closeRedis(nodeA), closeRedis(nodeB)]);
  });

  describeAutoReplyState('RedisAutoReplyState', () => {
    const keyPrefix = `${uniquePrefix('ar')}:`;
    let turn = 0;
    return {
      // Alternate clients: each state plays another node on the same Redis.
      newState: () => new RedisAutoReplyState({ keyPrefix }, { redis: turn++ % 2 === 0 ? nodeA : nodeB }),
      close: () => dropPrefix(nodeA, keyPrefix),
    };
  });

  describe('two nodes', () => {
    const number: ClientNumber = {
      id: 1,
      clientId: 1,
      number: NUMBER,
      carrier: 'telnyx',
      tag: '',
      group: '',
      webhook: '',
      ignoreStopCmdSending: false,
      settings: { autoReplyEnabled: true, autoReplyMessage: 'Closed', autoReplyCooldownSecs: 1 } as NumberSettings,
    };
    const names = subjects('t');

    function nodes(keyPrefix: string) {
      const replies: Message[] = [];
      const make = (redis: Redis, nodeId: string) =>
        new AutoReplier(
          { enabled: true, defaultMessage: '', nodeId, subjects: names },
          {
            bus: {
              publishDurable: async (_s, data) => (replies.push(messageCodec.decode(data)), { stream: 's', seq: 1, duplicate: false }),
            },
            numberByE164: (e164) => (e164 === NUMBER ? number : undefined),
            state: new RedisAutoReplyState({ keyPrefix }, { redis }),
            records: { write: async () => undefined },
            legs: { serverId: nodeId, clientType: () => 'web', logPrivacy: () => false },
            logger,
          },
        );
      return { a: make(nodeA, 'node-a'), b: make(nodeB, 'node-b'), replies };
    }

    const inbound = (id: string, from = '+15557770001'): Egress => ({
      v: 1,
      route: { kind: 'webhook', clientId: 1, url: 'https://hooks.test/x' },
      receiverClientId: 1,
      message: {
        v: 1,
        id,
        type: 'sms',
        from,
        to: NUMBER,
        text: 'open?',
        media: [],
        receivedAt: 0,
        notice: false,
        origin: { kind: 'carrier', carrierId: 1, node: 'n' },
      },
    });

    it('answers a sender once per cooldown across both nodes, under concurrent messages, then again after it', async () => {
      const keyPrefix = `${uniquePrefix('ar')}:`;
      const { a, b, replies } = nodes(keyPrefix);
      const answered = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).intercept(inbound(`m${i}`))));
      expect(answered.every(Boolean)).toBe(true);
      expect(replies).toHaveLength(1);
      expect(replies[0]).toMatchObject({ from: NUMBER, to: '+15557770001', text: 'Closed', notice: true });

      await a.intercept(inbound('other-sender', '+15557770002'));
      expect(replies.map((r) => r.to)).toEqual(['+15557770001', '+15557770002']);

      await new Promise((r) => setTimeout(r, 1_100));
      await b.intercept(inbound('later'));
      expect(replies.map((r) => r.id)).toEqual([replies[0]!.id, 'other-sender.ar', 'later.ar']);
      await dropPrefix(nodeA, keyPrefix);
    });

    it('keeps a STOP seen on one node on the other', async () => {
      const keyPrefix = `${uniquePrefix('ar')}:`;
      const { a, b, replies } = nodes(keyPrefix);
      expect(await a.intercept({ ...inbound('s1'), message: { ...inbound('s1').message, text: 'STOP' } })).toBe(false);
      expect(await b.intercept(inbound('s2'))).toBe(false);
      expect(replies).toEqual([]);
      expect(await nodeA.keys(`${keyPrefix}*`)).toEqual([`${keyPrefix}optout:${NUMBER}:+15557770001`]);
      await dropPrefix(nodeA, keyPrefix);
    });
  });
});
