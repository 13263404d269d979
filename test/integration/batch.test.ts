/**
 * Batch sending (upstream §5.10, §15) end to end over REST, on the embedded default (PGlite,
 * memory bus) and on real PostgreSQL + nats-server: JSON and CSV batches with template
 * variables reach the test carrier, check prices a batch against the limits, list/items/progress
 * read back, cancel stops a batch, a key with only the `batch` scope may use every route, a
 * quota holds the rest of a batch back, and the completion webhook arrives.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertDocumented } from '../support/api-contract.js';
import { FakeCarrier, registerFakeCarriers } from '../support/fake-carrier.js';
import { basicAuth as basic, nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { WebhookSink } from '../support/webhook-sink.js';
import { waitFor } from '../support/wait.js';

const API_KEY = 'batch-admin-key';
const SENDER = basic('bulk', 'bulk-pass');
const texts = (fake: FakeCarrier) => fake.sent('telnyx').map((r) => (r.body as { text: string }).text);

describe.each(nodeModes('batch'))('batch sending, $name', (mode) => {
  let gw: TestNode;
  let fake: FakeCarrier;
  let sink: WebhookSink;
  let clientId: number;
  let batchKey: string;
  let sendKey: string;
  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  const finished = async (id: string, auth = SENDER, timeoutMs = 20_000) => {
    let body: any;
    await waitFor(async () => {
      body = (await api('GET', `/messages/batch/${id}`, undefined, auth)).body;
      return ['completed', 'failed', 'cancelled'].includes(body.status);
    }, timeoutMs);
    return body;
  };

  async function upload(csv: string, fields: Record<string, string>, fileFirst = true, auth = SENDER) {
    const form = new FormData();
    const file = () => form.append('csv', new Blob([csv], { type: 'text/csv' }), 'batch.csv');
    if (fileFirst) file();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    if (!fileFirst) file();
    const res = await fetch(`${gw.base}/messages/batch`, { method: 'POST', headers: { authorization: auth }, body: form });
    const answer = { status: res.status, body: (await res.json()) as any };
    assertDocumented('POST', '/messages/batch', answer.status, answer.body);
    return answer;
  }

  beforeAll(async () => {
    if (mode.skip) return;
    fake = await FakeCarrier.start();
    sink = await WebhookSink.start();
    gw = await startTestNode({
      serverId: 'batch1',
      apiKey: API_KEY,
      contract: true,
      env: { CARRIER_RETRY_DELAY_SECS: '0', ...(await mode.env()) },
    });
    await registerFakeCarriers(api, fake, ['telnyx']);
    for (const [name, numbers] of [
      ['bulk', ['+15550001000', '+15550001001']],
      ['other', ['+15550003000']],
      ['limited', ['+15550004000']],
    ] as const) {
      const c = await api('POST', '/clients', { username: name, password: `${name}-pass`, type: 'web' });
      expect(c.status).toBe(201);
      if (name === 'bulk') clientId = c.body.id;
      if (name === 'limited') expect((await api('PUT', `/clients/${c.body.id}/settings`, { sms_daily_limit: 5 })).status).toBe(200);
      for (const number of numbers) {
        expect((await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' })).status).toBe(201);
      }
    }
    batchKey = (await api('POST', `/clients/${clientId}/api-keys`, { name: 'batch-only', scopes: 'batch' })).body.key;
    sendKey = (await api('POST', `/clients/${clientId}/api-keys`, { name: 'send-only', scopes: 'send' })).body.key;
  }, 120_000);

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([fake?.close(), sink?.close()]);
  });

  it.skipIf(mode.skip)('sends a JSON batch with template variables and reports it complete', async () => {
    const created = await api(
      'POST',
      '/messages/batch',
      {
        from: '+15550001000',
        text_template: 'Hi {{name}}, code {{code}}',
        throttle_per_second: 100,
        messages: [
          { to: '+15559990001', variables: { name: 'Ann', code: '11' } },
          { to: '15559990002', variables: { name: 'Bob' } },
          { to: '+15559990003', text: 'own text' },
        ],
      },
      SENDER,
    );
    expect(created).toEqual({ status: 202, body: { id: expect.any(String), status: 'pending', total_count: 3 } });
    const job = await finished(created.body.id);
    expect(job).toMatchObject({
      status: 'completed',
      total_count: 3,
      sent_count: 3,
      failed_count: 0,
      queued_count: 0,
      pending_count: 0,
      from_number: '+15550001000',
      throttle_per_second: 100,
      max_retry_mins: 60,
      client_id: clientId,
    });
    expect(job.errors).toBeUndefined();
    await waitFor(() => ['Hi Ann, code 11', 'Hi Bob, code {{code}}', 'own text'].every((t) => texts(fake).includes(t)));
    const items = await api('GET', `/messages/batch/${created.body.id}/messages`, undefined, SENDER);
    expect(items.body.map((i: any) => [i.index, i.to, i.text, i.status])).toEqual([
      [0, '+15559990001', 'Hi Ann, code 11', 'sent'],
      [1, '+15559990002', 'Hi Bob, code {{code}}', 'sent'],
      [2, '+15559990003', 'own text', 'sent'],
    ]);
  });

  it.skipIf(mode.skip)('sends a CSV upload streamed as multipart, its fields before or after the file', async () => {
    const csv = 'Phone, Name ,Body\n+15559991001,Cy,\n,Nobody,\n+15559991002,Di,custom {{Name}}\n';
    for (const fileFirst of [true, false]) {
      const created = await upload(csv, { from: '+15550001001', text_template: `Dear {{Name}} ${fileFirst}` }, fileFirst);
      expect(created).toEqual({ status: 202, body: { id: expect.any(String), status: 'pending', total_count: 2 } });
      expect(await finished(created.body.id)).toMatchObject({ status: 'completed', sent_count: 2 });
      await waitFor(() => texts(fake).includes(`Dear Cy ${fileFirst}`));
    }
    expect(texts(fake)).toContain('custom {{Name}}');
  });

  it.skipIf(mode.skip)('refuses malformed batches with upstream texts', async () => {
    expect(await api('POST', '/messages/batch', { from: '+15550001000', messages: [] }, SENDER)).toEqual({
      status: 400,
      body: { error: 'No messages provided' },
    });
    expect(await api('POST', '/messages/batch', { messages: [{ to: '+15559990001', text: 'x' }] }, SENDER)).toEqual({
      status: 400,
      body: { error: "'from' field is required when client has multiple numbers" },
    });
    expect(await api('POST', '/messages/batch', { from: '+15550003000', messages: [{ to: '+15559990001', text: 'x' }] }, SENDER)).toEqual({
      status: 403,
      body: { error: "Client does not own the specified 'from' number" },
    });
    for (const body of [{ messages: 'x' }, { messages: [{ text: 'no to' }] }, { from: 1, messages: [{ to: '+15559990001' }] }]) {
      expect(await api('POST', '/messages/batch', body, SENDER)).toEqual({ status: 400, body: { error: 'Invalid request body' } });
    }
    expect(await api('GET', '/messages/batch?status=a%00b', undefined, SENDER)).toEqual({
      status: 400,
      body: { error: 'Invalid status filter: it holds a control character' },
    });
    expect((await upload('name\nx\n', { from: '+15550001000' })).body).toEqual({
      error: "CSV must have a 'to' (or 'phone'/'number'/'destination') column",
    });
    const form = new FormData();
    form.append('from', '+15550001000');
    const noFile = await fetch(`${gw.base}/messages/batch`, { method: 'POST', headers: { authorization: SENDER }, body: form });
    expect([noFile.status, await noFile.json()]).toEqual([400, { error: 'CSV file is required for multipart upload' }]);
    expect((await api('GET', '/messages/batch', undefined, SENDER)).body.every((j: any) => j.total_count > 0)).toBe(true);
  });

  it.skipIf(mode.skip)('fails items it cannot send and lists them as errors', async () => {
    const created = await api(
      'POST',
      '/messages/batch',
      {
        from: '+15550001000',
        throttle_per_second: 100,
        messages: [{ to: 'not-a-number', text: 'x' }, { to: '+15559990010' }, { to: '+15559990011', text: 'fine' }],
      },
      SENDER,
    );
    const job = await finished(created.body.id);
    expect(job).toMatchObject({ status: 'completed', sent_count: 1, failed_count: 2 });
    expect(job.errors).toEqual([
      { index: 0, to: 'not-a-number', error: 'invalid destination number: not-a-number', code: 400 },
      { index: 1, to: '+15559990010', error: 'no message text (no per-message text and no template)', code: 400 },
    ]);
    const failed = await api('GET', `/messages/batch/${created.body.id}/messages?status=failed&per_page=1&page=2`, undefined, SENDER);
    expect(failed.body.map((i: any) => i.index)).toEqual([1]);
  });

  it.skipIf(mode.skip)('checks a batch against the limits without sending', async () => {
    const limited = basic('limited', 'limited-pass');
    const ok = await api('POST', '/messages/batch/check', { message_count: 3 }, limited);
    expect(ok.body).toMatchObject({
      allowed: true,
      message_count: 3,
      msg_type: 'sms',
      from: '+15550004000',
      limits: { daily: { current_usage: 0, limit: 5, remaining: 5 }, burst: { remaining: null } },
      number_limit: { number: '+15550004000', limit: 5, remaining: 5 },
    });
    const over = await api('POST', '/messages/batch/check', { message_count: 10 }, limited);
    expect(over.body).toMatchObject({ allowed: false, reason: 'number daily limit would be exceeded (5 remaining, 10 requested)' });
    expect(await api('POST', '/messages/batch/check', { message_count: 0 }, limited)).toEqual({
      status: 400,
      body: { error: "'message_count' must be greater than 0" },
    });
  });

  it.skipIf(mode.skip)('holds the rest of a batch back when a quota refuses, instead of failing it', async () => {
    const limited = basic('limited', 'limited-pass');
    const created = await api(
      'POST',
      '/messages/batch',
      {
        text_template: 'quota',
        throttle_per_second: 100,
        messages: Array.from({ length: 8 }, (_, i) => ({ to: `+1555998${String(i).padStart(4, '0')}` })),
      },
      limited,
    );
    let job: any;
    await waitFor(async () => {
      job = (await api('GET', `/messages/batch/${created.body.id}`, undefined, limited)).body;
      return job.status === 'partially_queued';
    });
    expect(job).toMatchObject({ sent_count: 5, queued_count: 3, failed_count: 0 });
    const queued = await api('GET', `/messages/batch/${created.body.id}/messages?status=queued`, undefined, limited);
    expect(queued.body[0]).toMatchObject({ status: 'queued', error_code: 429, error: 'SMS daily limit exceeded (5/5)' });
    const cancel = await api('POST', `/messages/batch/${created.body.id}/cancel`, undefined, limited);
    expect(cancel.body).toEqual({
      message: 'Batch job cancelled',
      job_id: created.body.id,
      status: 'cancelled',
      cancelled_count: 3,
      sent_count: 5,
    });
  });

  it.skipIf(mode.skip)('cancels a running batch and single items, and refuses to cancel twice', async () => {
    const created = await api(
      'POST',
      '/messages/batch',
      {
        from: '+15550001000',
        text_template: 'slow',
        throttle_per_second: 2,
        messages: Array.from({ length: 20 }, (_, i) => ({ to: `+1555997${String(i).padStart(4, '0')}` })),
      },
      SENDER,
    );
    const id = created.body.id;
    const items = (await api('GET', `/messages/batch/${id}/messages?per_page=500`, undefined, SENDER)).body;
    const last = items[19].id;
    expect(await api('DELETE', `/messages/batch/${id}/messages/${last}`, undefined, SENDER)).toEqual({
      status: 200,
      body: { message: 'Message cancelled', message_id: last, status: 'cancelled' },
    });
    expect((await api('DELETE', `/messages/batch/${id}/messages/${last}`, undefined, SENDER)).body).toEqual({
      error: 'Message cannot be cancelled',
      status: 'cancelled',
      detail: "Message is already 'cancelled'",
    });
    await waitFor(async () => (await api('GET', `/messages/batch/${id}`, undefined, SENDER)).body.sent_count >= 1);
    const cancel = await api('POST', `/messages/batch/${id}/cancel`, undefined, SENDER);
    expect(cancel.status).toBe(200);
    expect(cancel.body.cancelled_count).toBeGreaterThan(10);
    await new Promise((r) => setTimeout(r, 1_500));
    const job = (await api('GET', `/messages/batch/${id}`, undefined, SENDER)).body;
    expect(job.status).toBe('cancelled');
    // At most the chunk under way when the cancel came (a second of the pace) is still sent.
    expect(job.sent_count).toBeLessThanOrEqual(cancel.body.sent_count + 2);
    expect(job.failed_count + job.sent_count).toBe(20);
    await new Promise((r) => setTimeout(r, 300));
    expect(texts(fake).filter((t) => t === 'slow')).toHaveLength(job.sent_count);
    expect((await api('POST', `/messages/batch/${id}/cancel`, undefined, SENDER)).body).toEqual({
      error: 'Batch job cannot be cancelled',
      status: 'cancelled',
      detail: "Job is already 'cancelled'",
    });
  });

  it.skipIf(mode.skip)('lets a key with only the batch scope use every batch route, and nothing else', async () => {
    const key = `Bearer ${batchKey}`;
    const created = await api('POST', '/messages/batch', { from: '+15550001000', messages: [{ to: '+15559996000', text: 'by key' }] }, key);
    expect(created.status).toBe(202);
    expect(await finished(created.body.id, key)).toMatchObject({ status: 'completed', api_key_id: expect.any(Number) });
    expect((await api('GET', '/messages/batch?per_page=1', undefined, key)).body).toHaveLength(1);
    expect((await api('GET', `/messages/batch/${created.body.id}/messages`, undefined, key)).status).toBe(200);
    expect((await api('POST', '/messages/batch/check', { from: '+15550001000', message_count: 1 }, key)).body.allowed).toBe(true);
    expect(await api('POST', '/messages/send', { from: '+15550001000', to: '+15559996001', text: 'x' }, key)).toEqual({
      status: 403,
      body: { error: "API key does not have 'send' scope" },
    });
    expect(await api('GET', '/messages/batch', undefined, `Bearer ${sendKey}`)).toEqual({
      status: 403,
      body: { error: "API key does not have 'batch' scope" },
    });
  });

  it.skipIf(mode.skip)('holds a key limited to some numbers to those numbers', async () => {
    const numbers = (await api('GET', `/clients/${clientId}/numbers`)).body as Array<{ id: number; number: string }>;
    const second = numbers.find((n) => n.number === '+15550001001')!;
    const limited = await api('POST', `/clients/${clientId}/api-keys`, {
      name: 'one-number',
      scopes: 'batch',
      allowed_number_ids: [second.id],
    });
    const key = `Bearer ${limited.body.key}`;
    const body = (from: string) => ({ from, messages: [{ to: '+15559996100', text: 'scoped' }] });
    expect(await api('POST', '/messages/batch', body('+15550001000'), key)).toEqual({
      status: 403,
      body: { error: 'API key is not authorized to send from this number' },
    });
    expect((await api('POST', '/messages/batch/check', { from: '+15550001000', message_count: 1 }, key)).status).toBe(403);
    expect((await api('POST', '/messages/batch', body('+15550001001'), key)).status).toBe(202);
  });

  it.skipIf(mode.skip)("lists only the caller's batches, newest first, and hides other clients' jobs", async () => {
    const list = await api('GET', '/messages/batch?per_page=2', undefined, SENDER);
    expect(list.body).toHaveLength(2);
    const all = await api('GET', '/messages/batch?per_page=100&from=15550001001', undefined, SENDER);
    expect(all.body.length).toBeGreaterThanOrEqual(2);
    expect(all.body.every((j: any) => j.from_number === '+15550001001')).toBe(true);
    expect(Date.parse(list.body[0].created_at)).toBeGreaterThanOrEqual(Date.parse(list.body[1].created_at));
    const other = basic('other', 'other-pass');
    expect(await api('GET', `/messages/batch/${list.body[0].id}`, undefined, other)).toEqual({
      status: 404,
      body: { error: 'Batch job not found' },
    });
    expect((await api('GET', '/messages/batch', undefined, other)).body).toEqual([]);
  });

  it.skipIf(mode.skip)('posts the completion webhook with the job status, signed and without credentials', async () => {
    const created = await api(
      'POST',
      '/messages/batch',
      {
        from: '+15550001000',
        webhook_url: `${sink.url}/batch-done`,
        messages: [
          { to: '+15559995000', text: 'hook' },
          { to: 'bad', text: 'hook' },
        ],
      },
      SENDER,
    );
    const hook = await sink.waitFor((w) => w.path === '/batch-done' && w.body.id === created.body.id, 20_000);
    expect(hook.body).toMatchObject({
      status: 'completed',
      total_count: 2,
      sent_count: 1,
      failed_count: 1,
      webhook_url: `${sink.url}/batch-done`,
      errors: [{ index: 1, to: 'bad', code: 400 }],
    });
    expect(hook.headers.authorization).toBeUndefined();
    expect(hook.headers['x-msggw-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });
});

describe('batch sending, embedded default restarted mid-batch', () => {
  it('goes on with an unfinished batch when the node starts again on the same data', async () => {
    const fake = await FakeCarrier.start();
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dataDir = await mkdtemp(join(tmpdir(), 'msggw-batch-restart-'));
    const start = () => startTestNode({ serverId: 'batch-restart', apiKey: API_KEY, dataDir, contract: true });
    let gw = await start();
    try {
      await registerFakeCarriers(gw.api, fake, ['telnyx']);
      const c = await gw.api('POST', '/clients', { username: 'bulk', password: 'bulk-pass', type: 'web' });
      expect((await gw.api('POST', `/clients/${c.body.id}/numbers`, { number: '+15550001000', carrier: 'telnyx-main' })).status).toBe(201);
      const created = await gw.api(
        'POST',
        '/messages/batch',
        {
          throttle_per_second: 10,
          messages: Array.from({ length: 40 }, (_, i) => ({ to: `+1555996${String(i).padStart(4, '0')}`, text: `restart-${i}` })),
        },
        SENDER,
      );
      const id = created.body.id;
      await waitFor(async () => (await gw.api('GET', `/messages/batch/${id}`, undefined, SENDER)).body.sent_count >= 10);
      await gw.node.stop();
      const before = fake.sent('telnyx').length;
      expect(before).toBeLessThan(40);
      gw = await start();
      let job: any;
      await waitFor(async () => {
        job = (await gw.api('GET', `/messages/batch/${id}`, undefined, SENDER)).body;
        return job.status === 'completed';
      }, 30_000);
      expect(job).toMatchObject({ sent_count: 40, failed_count: 0 });
      await waitFor(() => fake.sent('telnyx').length >= 40);
      const counts = fake.countBy((r) => (r.body as { text?: string }).text).counts;
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(counts.size).toBe(40);
    } finally {
      await gw.stop();
      await fake.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
