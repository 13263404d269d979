import { afterEach, describe, expect, it } from 'vitest';
import type { Egress } from '../../proto/message.js';
import type { ClientDetails } from '../store/index.js';
import { decodeGsm7Unpacked } from '../text/index.js';
import { EgressHarness, eventually, legacyClient, RECEIVER, SENDER, type HarnessOptions } from '../../test/support/smpp-egress-harness.js';

const FALLBACK = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clients(): ClientDetails[] {
  const receiver = legacyClient(RECEIVER);
  receiver.failovers = [{ id: 1, primaryClientId: RECEIVER, fallbackClientId: FALLBACK, priority: 0, enabled: true }];
  return [legacyClient(SENDER), receiver, legacyClient(FALLBACK)];
}

describe('failover mover: messages queued for a client with no receiving bind', () => {
  let h: EgressHarness;
  /** The clients with a receiving bind somewhere in the cluster, as the registry would say. */
  let receiving: Set<number>;
  afterEach(async () => {
    await h?.stop();
  });

  function harness(bound: number[], options: Partial<HarnessOptions> = {}): Promise<EgressHarness> {
    receiving = new Set(bound);
    h = new EgressHarness({ clients: clients(), receiving, failoverGraceMs: 0, failoverIntervalMs: 20, ...options });
    return h.start();
  }

  const texts = () => h.delivered.map((d) => decodeGsm7Unpacked(d.part.shortMessage));

  it('move in order to the failover client once it is bound, and the ledger says so', async () => {
    await harness([]);
    const queued: Egress[] = [];
    for (const text of ['one', 'two', 'three']) queued.push(await h.publishMessage({ text }));
    await h.publishStatus({ messageId: 'earlier' }, RECEIVER);
    await sleep(150);
    expect(await h.pending(RECEIVER)).toBe(4); // no failover bound anywhere: nothing moves
    h.bind(FALLBACK);
    receiving.add(FALLBACK);
    await eventually(() => expect(texts()).toEqual(['one', 'two', 'three']));
    // The deliver_sm keeps the client's own number as destination.
    expect(h.delivered.every((d) => d.addresses.destination_addr === '+15550000002')).toBe(true);
    await eventually(async () => expect(await h.pending(RECEIVER)).toBe(1)); // the receipt stays for its client
    await eventually(() => {
      for (const e of queued) {
        expect(h.records.legs.get(`${e.message.id}/${FALLBACK}/inbound`)).toMatchObject({
          status: 'delivered',
          error: `failover from client ${RECEIVER}`,
        });
        expect(h.records.legs.get(`${e.message.id}/${RECEIVER}/inbound`)).toMatchObject({
          status: 'failed',
          error: `moved to failover client ${FALLBACK}: no receiving bind`,
        });
      }
    });
  });

  it('leave the queue alone while the client has a receiving bind somewhere', async () => {
    await harness([RECEIVER, FALLBACK]);
    h.bind(FALLBACK);
    await h.publishMessage({ text: 'for the client' });
    await sleep(200);
    expect(texts()).toEqual([]);
    expect(await h.pending(RECEIVER)).toBe(1);
  });

  it('wait out the grace period before moving anything', async () => {
    await harness([FALLBACK], { failoverGraceMs: 60_000 });
    h.bind(FALLBACK);
    await h.publishMessage({ text: 'the client may be back soon' });
    await sleep(200);
    expect(texts()).toEqual([]);
    expect(await h.pending(RECEIVER)).toBe(1);
  });
});
