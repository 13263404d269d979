import { describe, expect, it } from 'vitest';
import { PduFramer } from './framing.js';
import { encodePdu } from './pdu.js';

describe('PduFramer', () => {
  const enquire = encodePdu('enquire_link', 1);
  const submit = encodePdu('submit_sm', 2, {
    source_addr: '15550001111',
    destination_addr: '15550002222',
    short_message: Buffer.from('hi'),
    data_coding: 0,
  });

  it('cuts PDUs however the bytes arrive', () => {
    const framer = new PduFramer();
    const stream = Buffer.concat([enquire, submit, enquire]);
    const frames = [];
    for (const byte of stream) {
      framer.push(Buffer.of(byte));
      for (let f = framer.next(); f; f = framer.next()) frames.push(f);
    }
    expect(frames.map((f) => f.kind === 'pdu' && f.header.sequenceNumber)).toEqual([1, 2, 1]);
    expect(frames[1].kind === 'pdu' && frames[1].buffer.equals(submit)).toBe(true);
    expect(framer.buffered).toBe(0);
  });

  it('reports a command_length below 16 once and then reads nothing more', () => {
    const framer = new PduFramer();
    const bad = Buffer.from(enquire);
    bad.writeUInt32BE(8, 0);
    framer.push(Buffer.concat([bad, enquire]));
    expect(framer.next()).toMatchObject({ kind: 'broken', header: { commandLength: 8, sequenceNumber: 1 } });
    framer.push(enquire);
    expect(framer.next()).toBeUndefined();
  });

  it('reports a command_length above the maximum without waiting for the body', () => {
    const framer = new PduFramer(1024);
    const big = Buffer.from(enquire);
    big.writeUInt32BE(0x7fffffff, 0);
    framer.push(big);
    expect(framer.next()).toMatchObject({ kind: 'broken', header: { commandLength: 0x7fffffff } });
  });
});
