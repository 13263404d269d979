import { describe, expect, it } from 'vitest';
import { batchRunCodec } from '../../proto/batch.js';
import type { Message } from '../../proto/message.js';
import { subjects } from '../../proto/subjects.js';
import type { DurableMsg } from '../bus/index.js';
import { UnavailableError } from '../errors/index.js';
import { silentLogger } from '../log/index.js';
import { limitExceededError } from '../quota/index.js';
import type { BatchItem, BatchItemOutcome, BatchJob, BatchRepo, ClientDetails } from '../store/index.js';
import type { BatchIngress } from './types.js';
import { BatchWorker } from './worker.js';

/** The part of the store the worker uses, in memory. */
class FakeRepo {
  constructor(
    public job: BatchJob,
    public items: BatchItem[],
  ) {}
  begin = async () => {
    if (this.job.status === 'pending') this.job.status = 'processing';
    return { ...this.job };
  };
  get = async () => ({ ...this.job });
  claim = async (_id: string, after: number, limit: number) => {
    const open = this.items.filter((i) => (i.status === 'pending' || i.status === 'queued') && i.index > after).slice(0, limit);
    return open.map((i) => ({ ...i, attempts: i.attempts++ }));
  };
  settle = async (_id: string, outcomes: BatchItemOutcome[]) => {
    for (const o of outcomes)
      Object.assign(
        this.items.find((i) => i.id === o.id)!,
        { status: o.status, error: o.error },
      );
  };
  holdBack = async (_id: string, error: string) => {
    for (const i of this.items) if (i.status === 'pending') Object.assign(i, { status: 'queued', error });
    this.job.status = 'partially_queued';
  };
  expire = async () => undefined;
  finish = async () => {
    this.job.status = this.items.some((i) => i.status === 'sent') ? 'completed' : 'failed';
    return { ...this.job };
  };
}

const client = { id: 7, numbers: [] } as unknown as ClientDetails;

function setup(count: number, ingress: BatchIngress, attempts: (i: number) => number = () => 0) {
  const job: BatchJob = {
    id: 'job-1',
    clientId: 7,
    apiKeyId: null,
    status: 'pending',
    totalCount: count,
    sentCount: 0,
    failedCount: 0,
    queuedCount: 0,
    fromNumber: '+15550001000',
    webhookUrl: '',
    throttleRps: 1000,
    maxRetryMins: 60,
    textTemplate: 'Hi {{name}}',
    retryUntil: null,
    createdAt: new Date(),
    updatedAt: new Date(),
    completedAt: null,
  };
  const items: BatchItem[] = Array.from({ length: count }, (_, i) => ({
    id: `item-${i}`,
    batchJobId: 'job-1',
    index: i,
    to: `+1555000${String(2000 + i)}`,
    text: '',
    variables: { name: `n${i}` },
    status: 'pending',
    error: '',
    errorCode: 0,
    attempts: attempts(i),
    queuedAt: null,
    sentAt: null,
    createdAt: new Date(),
  }));
  const repo = new FakeRepo(job, items);
  const published: string[] = [];
  const counted: Record<string, number> = {};
  const batchItems = {
    inc: (labels: { result: string }, n = 1) => {
      counted[labels.result] = (counted[labels.result] ?? 0) + n;
    },
  };
  const worker = new BatchWorker(
    { subjects: subjects(), nodeId: 'n1', leaseMs: 3_000 },
    {
      store: repo as unknown as BatchRepo,
      ingress,
      client: () => client,
      logger: silentLogger(),
      metrics: { batchItems } as never,
      bus: {
        publishDurable: async (subject) => {
          published.push(subject);
          return { stream: 's', seq: 1, duplicate: false };
        },
        consume: async () => ({ stop: async () => undefined }),
      },
    },
  );
  const msg: DurableMsg = {
    subject: 'batch.run',
    data: batchRunCodec.encode({ v: 1, batchId: 'job-1' }),
    deliveryCount: 1,
    seq: 1,
    working: () => undefined,
  };
  return { repo, worker, msg, published, counted };
}

describe('BatchWorker', () => {
  it('sends every item in order with its text, and looks up only items a node tried before', async () => {
    const sent: Array<[Message, boolean]> = [];
    const { repo, worker, msg } = setup(
      5,
      async (_kind, message, key, repeatable) => {
        expect(key).toBe(message.id);
        sent.push([message, repeatable]);
      },
      (i) => (i === 2 ? 1 : 0),
    );
    expect(await worker.handle(msg)).toEqual({ kind: 'ack' });
    expect(sent.map(([m]) => [m.id, m.text, m.from, m.origin.batchItemId])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`item-${i}`, `Hi n${i}`, '+15550001000', `item-${i}`]),
    );
    expect(sent.map(([, repeatable]) => repeatable)).toEqual([false, false, true, false, false]);
    expect(repo.job.status).toBe('completed');
  });

  it('holds the rest back on a quota refusal and comes back later, instead of failing them', async () => {
    let calls = 0;
    const refusal = {
      period: 'daily',
      type: 'sms',
      level: 'client',
      limitType: 'daily_sms_client',
      limit: 2,
      currentUsage: 2,
      resetsAtMs: 0,
      retryAfterMs: 3_600_000,
      number: '+15550001000',
      message: 'SMS daily limit exceeded (2/2)',
    } as const;
    const { repo, worker, msg, counted } = setup(5, async () => {
      if (++calls > 2) throw limitExceededError(refusal);
    });
    expect(await worker.handle(msg)).toEqual({ kind: 'retry', delayMs: 30_000 });
    expect(counted).toEqual({ sent: 2, held: 1 });
    expect(repo.items.map((i) => i.status)).toEqual(['sent', 'sent', 'queued', 'queued', 'queued']);
    expect(repo.job.status).toBe('partially_queued');
  });

  it('stops at the next chunk once the job is cancelled, and announces it', async () => {
    let calls = 0;
    const { repo, worker, msg, published } = setup(2_000, async () => {
      if (++calls === 10) repo.job.status = 'cancelled';
    });
    repo.job.webhookUrl = 'http://example.test/done';
    expect(await worker.handle(msg)).toEqual({ kind: 'ack' });
    expect(calls).toBeLessThanOrEqual(500);
    expect(repo.items.filter((i) => i.status === 'pending').length).toBeGreaterThan(1_000);
    expect(published).toEqual([subjects().msgOutWebhook(7)]);
  });

  it('records the sends that went before an outage, then lets the bus retry the batch', async () => {
    let calls = 0;
    const { repo, worker, msg } = setup(5, async () => {
      if (++calls === 4) throw new UnavailableError('bus down');
    });
    await expect(worker.handle(msg)).rejects.toThrow('bus down');
    expect(repo.items.filter((i) => i.status === 'sent').length).toBeGreaterThanOrEqual(3);
    expect(repo.items[3]!.status).toBe('pending');
    expect(repo.items[3]!.attempts).toBe(1);
  });

  it('fails items that cannot be messages with upstream texts', async () => {
    const { repo, worker, msg, counted } = setup(2, async () => undefined);
    repo.job.textTemplate = '';
    repo.items[1]!.text = 'own';
    repo.items[1]!.to = 'nope';
    await worker.handle(msg);
    expect(repo.items.map((i) => [i.status, i.error])).toEqual([
      ['failed', 'no message text (no per-message text and no template)'],
      ['failed', 'invalid destination number: nope'],
    ]);
    expect(repo.job.status).toBe('failed');
    expect(counted).toEqual({ failed: 2 });
  });
});
