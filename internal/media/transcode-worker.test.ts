import { describe, expect, it } from 'vitest';
import { transcodeJobCodec } from '../../proto/media.js';
import { messageSchema, type Egress } from '../../proto/message.js';
import { subjects as makeSubjects } from '../../proto/subjects.js';
import type { Bus, DurableMsg } from '../bus/index.js';
import { PayloadTooLargeError, UnavailableError } from '../errors/index.js';
import { captureLogger, LogLevel } from '../../test/support/log-capture.js';
import { createMetrics } from '../metrics/index.js';
import { TranscodeWorker } from './transcode-worker.js';

const subjects = makeSubjects('tw');
const egress: Egress = {
  v: 1,
  route: { kind: 'carrier', carrierId: 1, carrierName: 'telnyx' },
  senderClientId: 1,
  message: messageSchema.parse({
    v: 1,
    id: 'mms1',
    type: 'mms',
    from: '+15550000001',
    to: '+15550000002',
    text: '',
    media: [{ url: 'https://example.com/a.jpg', contentType: 'image/jpeg' }],
    origin: { kind: 'web', clientId: 1, node: 'n1' },
    receivedAt: 0,
  }),
};
const job = (deliveryCount: number): DurableMsg => ({
  subject: subjects.mediaTranscode,
  data: transcodeJobCodec.encode({ v: 1, egress, dedupKey: 'k1' }),
  deliveryCount,
  seq: 1,
  working: () => undefined,
});

function worker(prepare: () => Promise<Egress['message']['media']>) {
  const metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
  const log = captureLogger();
  const failed: string[] = [];
  const w = new TranscodeWorker(
    { subjects, concurrency: 1, timeoutMs: 5_000, fetchTimeoutMs: 1_000 },
    {
      bus: {} as Bus,
      preparer: { prepare },
      detour: { limitFor: () => 1_000_000 },
      publish: async () => undefined,
      fail: async (f) => {
        failed.push(f.code);
      },
      logger: log.logger,
      metrics,
    },
  );
  return { w, metrics, log, failed };
}

const results = async (metrics: ReturnType<typeof createMetrics>) =>
  Object.fromEntries((await metrics.transcodeJobs.get()).values.map((v) => [v.labels.result, v.value]));

describe('TranscodeWorker', () => {
  it('counts a job that worked, and logs TranscodeSuccess', async () => {
    const { w, metrics, log } = worker(async () => egress.message.media);
    expect(await w.handle(job(1))).toEqual({ kind: 'ack' });
    expect(await results(metrics)).toEqual({ ok: 1 });
    expect((await metrics.transcodeDuration.get()).values.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(1);
    expect(log.event('TranscodeSuccess')).toMatchObject({ level: LogLevel.debug, id: 'mms1' });
  });

  it('counts a retry and a failure by error code, and logs TranscodeError for each', async () => {
    const errors = [new UnavailableError('fetch failed'), new PayloadTooLargeError('the image cannot be made small enough')];
    const { w, metrics, log, failed } = worker(async () => {
      throw errors.shift()!;
    });
    expect((await w.handle(job(1))).kind).toBe('retry');
    expect((await w.handle(job(2))).kind).toBe('term');
    expect(await results(metrics)).toEqual({ retry: 1, failed: 1 });
    expect((await metrics.transcodeFailures.get()).values.map((v) => [v.labels.code, v.value])).toEqual([['PAYLOAD_TOO_LARGE', 1]]);
    expect(failed).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(log.lines.filter((l) => l.event === 'TranscodeError').map((l) => l.level)).toEqual([LogLevel.info, LogLevel.warn]);
  });
});
