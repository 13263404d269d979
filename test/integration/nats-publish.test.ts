import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishAck } from '../../internal/bus/durable-types.js';
import { PubAcks } from '../../internal/bus/nats-pub-acks.js';
import { OutcomeUnknownError, UnavailableError } from '../../internal/errors/index.js';
import { requireServices, uniquePrefix } from '../support/env.js';
import { startNats, type RunningNats } from '../support/services.js';

const svc = requireServices(['nats']);

/** The bus's JetStream publish (PubAcks) on `nc`, called as the tests read it. */
function publisher(nc: NatsConnection): {
  publish: (subject: string, data: Uint8Array, msgId: string, timeoutMs: number) => Promise<PublishAck>;
  close(): void;
} {
  const pubAcks = new PubAcks(nc);
  return { publish: (subject, data, msgId, timeoutMs) => pubAcks.publish(subject, data, msgId, timeoutMs), close: () => pubAcks.close() };
}

/** PubAcks (the bus's JetStream publish) against a real nats-server, answers and failures. */
describe.skipIf(svc.skip)(svc.title('JetStream publish'), () => {
  let nc: NatsConnection;
  let other: NatsConnection;
  const stream = uniquePrefix('pubacks').replace(/[^A-Za-z0-9_-]/g, '_');
  const subject = `${stream}.in`;

  beforeAll(async () => {
    nc = await connect({ servers: svc.urls.nats });
    other = await connect({ servers: svc.urls.nats });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.in`], duplicate_window: 60_000_000_000 });
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete(stream).catch(() => undefined);
    await other.close();
    await nc.close();
  });

  it('stores a message, says a repeat of its id is a duplicate, and numbers what it stores', async () => {
    const acks = publisher(nc);
    try {
      const first = await acks.publish(subject, new TextEncoder().encode('a'), 'id-1', 2_000);
      const again = await acks.publish(subject, new TextEncoder().encode('a'), 'id-1', 2_000);
      const next = await acks.publish(subject, new TextEncoder().encode('b'), 'id-2', 2_000);
      expect(first).toMatchObject({ stream, duplicate: false });
      expect(again).toEqual({ stream, seq: first.seq, duplicate: true });
      expect(next).toEqual({ stream, seq: first.seq + 1, duplicate: false });
      // Many at once, answers matched to their own publishes.
      const many = await Promise.all(Array.from({ length: 200 }, (_, i) => acks.publish(subject, new Uint8Array([i]), `m-${i}`, 2_000)));
      expect(new Set(many.map((a) => a.seq)).size).toBe(200);
    } finally {
      acks.close();
    }
  });

  it('rejects with UnavailableError when no stream takes the subject', async () => {
    const acks = publisher(nc);
    try {
      const started = Date.now();
      const err = await acks.publish(`${stream}-nowhere.x`, new Uint8Array(), 'x', 5_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      acks.close();
    }
  });

  it('says "not stored" for the error JetStream answers, "unknown" when no answer comes in time', async () => {
    const refusing = other.subscribe(`${stream}-refuse.x`, {
      callback: (_e, m) => {
        m.respond(JSON.stringify({ error: { code: 503, err_code: 10077, description: 'maximum messages exceeded' } }));
      },
    });
    const silent = other.subscribe(`${stream}-silent.x`, { callback: () => undefined });
    await other.flush();
    const acks = publisher(nc);
    try {
      await expect(acks.publish(`${stream}-refuse.x`, new Uint8Array(), 'r', 2_000)).rejects.toSatisfy(
        (e: unknown) => e instanceof UnavailableError && /maximum messages exceeded \(10077\)/.test(String((e as Error).cause)),
      );
      const started = Date.now();
      // The responder got the message and never answered: it may hold it.
      await expect(acks.publish(`${stream}-silent.x`, new Uint8Array(), 's', 300)).rejects.toBeInstanceOf(OutcomeUnknownError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(800);
    } finally {
      refusing.unsubscribe();
      silent.unsubscribe();
      acks.close();
    }
  });

  it('says "unknown" for what is waiting when the connection closes, "not stored" for every publish after', async () => {
    const own = await connect({ servers: svc.urls.nats });
    const silent = other.subscribe(`${stream}-held.x`, { callback: () => undefined });
    await other.flush();
    const acks = publisher(own);
    const waiting = acks.publish(`${stream}-held.x`, new Uint8Array(), 'h', 30_000).catch((e: unknown) => e);
    await own.flush();
    await own.close();
    expect(await waiting).toBeInstanceOf(OutcomeUnknownError);
    const after = await acks.publish(subject, new Uint8Array(), 'after', 1_000).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(UnavailableError);
    expect(after).not.toBeInstanceOf(OutcomeUnknownError);
    silent.unsubscribe();
  });
});

/** A real stream on a nats-server of this test's own, paused with SIGSTOP: no other test sees it. */
describe.skipIf(svc.skip)(svc.title('JetStream publish against a paused nats-server'), () => {
  let server: RunningNats;
  let nc: NatsConnection;
  const stream = 'PAUSED';

  beforeAll(async () => {
    server = await startNats();
    nc = await connect({ servers: server.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: stream, subjects: ['paused.>'], duplicate_window: 60_000_000_000 });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  it('says "unknown" for a publish the server took and had not acknowledged in time, which it did store', async () => {
    const acks = publisher(nc);
    try {
      await acks.publish('paused.in', new TextEncoder().encode('before'), 'p-0', 5_000);
      await server.signal('SIGSTOP');
      const err = await acks.publish('paused.in', new TextEncoder().encode('held'), 'p-1', 300).catch((e: unknown) => e);
      await server.signal('SIGCONT');
      expect(err).toBeInstanceOf(OutcomeUnknownError);
      // "Not stored" would have been wrong: the server stores it once it runs again, and the
      // caller's resend with the same id is then a duplicate.
      const again = await acks.publish('paused.in', new TextEncoder().encode('held'), 'p-1', 5_000);
      expect(again).toMatchObject({ stream, seq: 2, duplicate: true });
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info(stream)).state.messages).toBe(2);
    } finally {
      await server.signal('SIGCONT');
      acks.close();
    }
  });
});
