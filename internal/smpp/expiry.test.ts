import { describe, expect, it } from 'vitest';
import { statusCodec } from '../../proto/status.js';
import { subjects } from '../../proto/subjects.js';
import type { MessageRecord } from '../store/index.js';
import { ReassemblyExpiry } from './expiry.js';
import type { ConcatPart } from './ports.js';
import { MemoryReassembler } from './reassembly-memory.js';

const part = (seq: number, registeredDelivery: number): ConcatPart => ({
  clientId: 3,
  from: '+15550001000',
  to: '+15559990001',
  ref: 9,
  total: 3,
  seq,
  text: `part ${seq}`,
  messageId: `id-${seq}`,
  registeredDelivery,
  dataCoding: 0,
  receivedAt: 1_000,
  node: 'n1',
  sourceIp: '192.0.2.1',
});

function harness() {
  const reassembler = new MemoryReassembler({ ttlMs: 5_000, maxOpenSetsPerClient: 1000, maxOpenBytesPerClient: 8 << 20 });
  const written: MessageRecord[] = [];
  const published: Array<{ subject: string; data: Uint8Array; msgId?: string }> = [];
  const expiry = new ReassemblyExpiry(
    { subjects: subjects('t'), nodeId: 'n1', ttlMs: 5_000 },
    {
      reassembler,
      bus: {
        publishDurable: async (subject, data, opts) => {
          published.push({ subject, data, msgId: opts?.msgId });
          return { stream: 's', seq: published.length, duplicate: false };
        },
      },
      records: { write: async (...records) => void written.push(...records) },
      legs: { serverId: 'n1', clientType: () => 'legacy', logPrivacy: () => false },
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    },
  );
  return { reassembler, written, published, expiry };
}

describe('reassembly expiry', () => {
  it('records every part that arrived as expired and sends a status event when receipts were asked for', async () => {
    const h = harness();
    await h.reassembler.add(part(1, 1));
    await h.reassembler.add(part(3, 1));
    expect(await h.expiry.sweep(2_000)).toBe(0);
    expect(await h.expiry.sweep(7_000)).toBe(1);
    expect(h.written.map((r) => [r.messageId, r.clientId, r.direction, r.status])).toEqual([
      ['id-1', 3, 'outbound', 'expired'],
      ['id-3', 3, 'outbound', 'expired'],
    ]);
    expect(h.written[0].error).toMatch(/only 2 of 3 parts/);
    expect(h.published.map((p) => [p.subject, p.msgId])).toEqual([
      ['t.status.id-1', 'id-1:status:expired'],
      ['t.status.id-3', 'id-3:status:expired'],
    ]);
    expect(statusCodec.decode(h.published[0].data)).toMatchObject({
      messageId: 'id-1',
      status: 'expired',
      clientId: 3,
      from: '+15550001000',
      to: '+15559990001',
      submittedAt: 1_000,
    });
    expect(await h.expiry.sweep(8_000)).toBe(0);
  });

  it('sends no status event when registered_delivery asked for none', async () => {
    const h = harness();
    await h.reassembler.add(part(2, 0));
    await h.expiry.sweep(7_000);
    expect(h.written).toHaveLength(1);
    expect(h.published).toHaveLength(0);
  });
});
