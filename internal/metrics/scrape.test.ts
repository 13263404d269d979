import { describe, expect, it } from 'vitest';
import { carrierErrorCode, createMetrics } from './index.js';
import { ScrapeSource } from './scrape.js';

/** The sample lines of one metric in the exposition, without its HELP and TYPE. */
async function samples(text: Promise<string>, name: string): Promise<string[]> {
  return (await text).split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe('ScrapeSource', () => {
  it('reads once per cache period however many gauges ask, and again after it', async () => {
    let reads = 0;
    const source = new ScrapeSource<number>(1_000);
    source.readFrom(() => ++reads);
    expect(await Promise.all([source.read(0), source.read(10), source.read(999)])).toEqual([1, 1, 1]);
    expect(await source.read(1_000)).toBe(2);
  });

  it('answers undefined without a reader or when the reader fails', async () => {
    const source = new ScrapeSource<number>(0);
    expect(await source.read()).toBeUndefined();
    source.readFrom(() => Promise.reject(new Error('bus down')));
    expect(await source.read()).toBeUndefined();
  });
});

describe('queue metrics', () => {
  it('exports each stream, consumer, client queue and dead-letter stage of the reading', async () => {
    const metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
    metrics.queues.readFrom(() => ({
      streams: [{ stream: 'webhook', messages: 7 }],
      consumers: [{ stream: 'webhook', consumer: 'webhook', pending: 5, ackPending: 2, redelivered: 1, ackFloor: 40 }],
      clients: [{ protocol: 'webhook', client: 'acme', messages: 7 }],
      deadLetters: [{ stream: 'webhook', messages: 3 }],
    }));
    const text = metrics.render();
    expect(await samples(text, 'msggw_stream_messages')).toEqual(['msggw_stream_messages{stream="webhook",server_id="n1"} 7']);
    expect(await samples(text, 'msggw_consumer_pending')).toEqual([
      'msggw_consumer_pending{stream="webhook",consumer="webhook",server_id="n1"} 5',
    ]);
    expect(await samples(text, 'msggw_consumer_ack_pending')).toEqual([
      'msggw_consumer_ack_pending{stream="webhook",consumer="webhook",server_id="n1"} 2',
    ]);
    expect(await samples(text, 'msggw_consumer_ack_floor')).toEqual([
      'msggw_consumer_ack_floor{stream="webhook",consumer="webhook",server_id="n1"} 40',
    ]);
    expect(await samples(text, 'msggw_client_queue_messages')).toEqual([
      'msggw_client_queue_messages{protocol="webhook",client="acme",server_id="n1"} 7',
    ]);
    expect(await samples(text, 'msggw_dead_letters_stored')).toEqual(['msggw_dead_letters_stored{stream="webhook",server_id="n1"} 3']);
    expect(await samples(text, 'msggw_queue_stats_up')).toEqual(['msggw_queue_stats_up{server_id="n1"} 1']);
  });

  it('drops the queue series and says so when the bus cannot be read', async () => {
    const metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
    expect(await samples(metrics.render(), 'msggw_queue_stats_up')).toEqual(['msggw_queue_stats_up{server_id="n1"} 0']);
    metrics.queues.readFrom(() => Promise.reject(new Error('JetStream is unavailable')));
    const text = metrics.render();
    expect(await samples(text, 'msggw_queue_stats_up')).toEqual(['msggw_queue_stats_up{server_id="n1"} 0']);
    expect(await samples(text, 'msggw_consumer_pending')).toEqual([]);
  });
});

describe('MM4 session metrics', () => {
  it('exports the sessions the MM4 server reports, by client', async () => {
    const metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
    metrics.mm4Sessions.readFrom(() => [{ client: 'zultys', sessions: 2 }]);
    expect(await samples(metrics.render(), 'msggw_mm4_sessions')).toEqual(['msggw_mm4_sessions{client="zultys",server_id="n1"} 2']);
    metrics.mm4Sessions.readFrom();
    expect(await samples(metrics.render(), 'msggw_mm4_sessions')).toEqual([]);
  });
});

describe('carrierErrorCode', () => {
  it('keeps common HTTP statuses, folds the rest into their class, and names failures without one', () => {
    expect(carrierErrorCode({ status: 429, retryable: true })).toBe('429');
    expect(carrierErrorCode({ status: 503, retryable: true })).toBe('503');
    expect(carrierErrorCode({ status: 418, retryable: false })).toBe('4xx');
    expect(carrierErrorCode({ status: 599, retryable: true })).toBe('5xx');
    expect(carrierErrorCode({ status: 200, retryable: false })).toBe('2xx');
    expect(carrierErrorCode({ status: 1234, retryable: false })).toBe('other');
    expect(carrierErrorCode({ retryable: true })).toBe('no_answer');
    expect(carrierErrorCode({ retryable: false })).toBe('other');
  });
});
