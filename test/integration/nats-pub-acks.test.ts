import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PubAcks } from '../../internal/bus/nats-pub-acks.js';
import { UnavailableError } from '../../internal/errors/index.js';
import { requireServices, uniquePrefix } from '../support/env.js';

const svc = requireServices(['nats']);

/** PubAcks (the bus's JetStream publish) against a real nats-server, answers and failures. */
describe.skipIf(svc.skip)(svc.title('PubAcks'), () => {
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
    const acks = new PubAcks(nc);
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
    const acks = new PubAcks(nc);
    try {
      const started = Date.now();
      const err = await acks.publish(`${stream}-nowhere.x`, new Uint8Array(), 'x', 5_000).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      acks.close();
    }
  });

  it('rejects with the error JetStream answers, and when no answer comes in time', async () => {
    const refusing = other.subscribe(`${stream}-refuse.x`, { callback: (_e, m) => {
      m.respond(JSON.stringify({ error: { code: 503, err_code: 10077, description: 'maximum messages exceeded' } }));
    } });
    const silent = other.subscribe(`${stream}-silent.x`, { callback: () => undefined });
    await other.flush();
    const acks = new PubAcks(nc);
    try {
      await expect(acks.publish(`${stream}-refuse.x`, new Uint8Array(), 'r', 2_000)).rejects.toSatisfy((e: unknown) =>
        e instanceof UnavailableError && /maximum messages exceeded \(10077\)/.test(String((e as Error).cause)));
      const started = Date.now();
      await expect(acks.publish(`${stream}-silent.x`, new Uint8Array(), 's', 300)).rejects.toBeInstanceOf(UnavailableError);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      expect(Date.now() - started).toBeLessThan(800);
    } finally {
      refusing.unsubscribe();
      silent.unsubscribe();
      acks.close();
    }
  });

  it('rejects what is waiting when the connection closes, and every publish after', async () => {
    const own = await connect({ servers: svc.urls.nats });
    const silent = other.subscribe(`${stream}-held.x`, { callback: () => undefined });
    await other.flush();
    const acks = new PubAcks(own);
    const waiting = acks.publish(`${stream}-held.x`, new Uint8Array(), 'h', 30_000).catch((e: unknown) => e);
    await own.flush();
    await own.close();
    expect(await waiting).toBeInstanceOf(UnavailableError);
    await expect(acks.publish(subject, new Uint8Array(), 'after', 1_000)).rejects.toBeInstanceOf(UnavailableError);
    silent.unsubscribe();
  });
});
