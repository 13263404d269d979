/**
 * skipSettledRequestErrors (internal/bus/nats-request-cleanup.ts) against a real nats-server:
 * with the patch in place, requests still resolve with their replies, and a request nobody
 * answers still fails with a timeout, and one to a subject without responders still fails.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipSettledRequestErrors } from '../../internal/bus/nats-request-cleanup.js';
import { requireServices, uniquePrefix } from '../support/env.js';

const svc = requireServices(['nats']);

describe.skipIf(svc.skip)(svc.title('NATS requests with settled-request errors skipped'), () => {
  let nc: NatsConnection;
  const prefix = uniquePrefix('reqpatch');

  beforeAll(async () => {
    expect(skipSettledRequestErrors()).toBe(true);
    expect(skipSettledRequestErrors()).toBe(true); // idempotent
    nc = await connect({ servers: svc.urls.nats, noAsyncTraces: true });
    nc.subscribe(`${prefix}.echo`, { callback: (_err, msg) => void msg.respond(msg.data) });
    nc.subscribe(`${prefix}.silent`, { callback: () => undefined });
    await nc.flush();
  });
  afterAll(async () => {
    await nc?.close();
  });

  it('resolves every request with its own reply', async () => {
    const replies = await Promise.all(Array.from({ length: 200 }, (_, i) =>
      nc.request(`${prefix}.echo`, `m${i}`, { timeout: 5_000 }).then((m) => m.string())));
    expect(replies).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });

  it('still times out a request nobody answers, and fails one to a subject without responders', async () => {
    const started = Date.now();
    const timedOut = await nc.request(`${prefix}.silent`, 'x', { timeout: 300 }).catch((e: Error) => e);
    expect(timedOut).toBeInstanceOf(Error);
    expect(`${(timedOut as Error).name} ${(timedOut as Error).message}`).toMatch(/timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    const none = await nc.request(`${prefix}.nobody`, 'x', { timeout: 2_000 }).catch((e: Error) => e);
    expect(none).toBeInstanceOf(Error);
    expect(`${(none as Error).name} ${(none as Error).message} ${String((none as Error).cause ?? '')}`).toMatch(/no responders|503/i);
  });
});
