/**
 * The media room of a node: the media store every node shares, the detour that sends
 * routed MMS needing fetch or transcoding to media.transcode, the transcode workers, and the
 * leader-elected cleanup of expired files. The store and detour exist before the message core
 * (it routes through the detour); the workers start after it (they publish with its records).
 */
import { mkdir } from 'node:fs/promises';
import { findDriver } from '../../internal/carriers/index.js';
import {
  createMediaUrlGuard,
  MediaCleanup,
  MediaDetour,
  MediaPreparer,
  PostgresMediaStore,
  TranscodeWorker,
} from '../../internal/media/index.js';
import { publishEgress } from '../../internal/router/index.js';
import type { MessageCore } from './message-core.js';
import type { NodeContext, Stoppable } from './context.js';

export interface NodeMedia {
  store: PostgresMediaStore;
  detour: MediaDetour;
  /** The transcode workers and the cleanup, started once the message core runs. */
  components(core: Pick<MessageCore, 'records' | 'legs' | 'failures'>): Stoppable[];
}

export function buildMedia(p: NodeContext): NodeMedia {
  const { config, subjects, bus, directory } = p;
  const logger = p.logger.child({ room: 'media' });
  const m = config.media;
  const store = new PostgresMediaStore(
    { serverAddress: config.node.serverAddress, ttlMs: m.ttlMs, maxBytes: m.maxMediaBytes },
    { repo: p.store.media },
  );
  const detour = new MediaDetour({ subjects, carrierLimits: m.carrierLimits }, { bus, carrier: (id) => directory.carrier(id) });
  // Clients' media URLs reach only public addresses and MEDIA_FETCH_ALLOW (server-side request forgery).
  const guard = createMediaUrlGuard(m.fetchAllow);
  const preparer = new MediaPreparer(
    { maxBytes: m.maxMediaBytes, fetchTimeoutMs: m.fetchTimeoutMs, tempDir: m.transcodeTempPath, serverAddress: config.node.serverAddress },
    {
      media: store,
      fetch: guard.fetch,
      mediaAuth: (id, url) => {
        const carrier = directory.carrier(id);
        return (carrier && findDriver(carrier.type)?.mediaAuth(carrier, url)) ?? {};
      },
    },
  );
  const components = (core: Pick<MessageCore, 'records' | 'legs' | 'failures'>): Stoppable[] => {
    const worker = new TranscodeWorker(
      {
        subjects,
        concurrency: m.transcodeConcurrency,
        timeoutMs: m.transcodeTimeoutMs,
        fetchTimeoutMs: m.fetchTimeoutMs,
        maxDeliver: p.config.durable.maxDeliver,
      },
      {
        bus,
        preparer,
        detour,
        logger,
        metrics: p.metrics,
        // Without divertMedia or autoReply: the message was asked about both before it came here.
        publish: async (egress, dedupKey) =>
          void (await publishEgress(egress, subjects, { bus, records: core.records, legs: core.legs, logger }, dedupKey)),
        fail: (f) =>
          core.failures.report({
            egress: f.egress,
            message: f.egress.message,
            senderClientId: f.egress.senderClientId,
            code: f.code,
            reason: f.reason,
          }),
      },
    );
    const cleanup = new MediaCleanup(
      { subjects, nodeId: config.node.serverId, intervalMs: m.cleanupIntervalMs },
      { bus, media: store, logger },
    );
    return [
      {
        name: 'transcode workers',
        start: async () => {
          await mkdir(m.transcodeTempPath, { recursive: true });
          await worker.start();
        },
        stop: () => worker.stop(),
      },
      { name: 'media cleanup', start: () => cleanup.start(), stop: () => cleanup.stop() },
      { name: 'media fetch pool', start: async () => undefined, stop: () => guard.close() },
    ];
  };
  return { store, detour, components };
}
