/**
 * Our parts fed to the npm `smpp` library's PDU codec (no sockets): with data_coding always set
 * and short_message given as a Buffer, the library writes our octets unchanged, and its own
 * decoder (an independent reading of the same fields) sees the UDH, text and TLVs we meant.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { buildReceipt } from './receipt.js';
import { splitForSmpp } from './split.js';
import type { SmppPart } from './types.js';

interface LibPdu {
  toBuffer(): Buffer;
  short_message: { udh?: Buffer[]; message: string };
  message_payload?: { message: string };
  esm_class: number;
  data_coding: number;
  [tlv: string]: unknown;
}
const require = createRequire(import.meta.url);
const { PDU } = require('smpp/lib/pdu.js') as { PDU: new (command: string | Buffer, options?: object) => LibPdu };

function wire(part: SmppPart): Buffer {
  return new PDU('deliver_sm', {
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: '+15550001111',
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: '+15550002222',
    esm_class: part.esmClass,
    data_coding: part.dataCoding,
    short_message: part.shortMessage,
    ...part.tlvs,
  }).toBuffer();
}

describe('parts through the smpp library codec', () => {
  it('carries short_message octets unchanged, UDH included', () => {
    for (const part of splitForSmpp('€'.repeat(100) + 'ж', { ref: 0x42, method: 'udh' })) {
      const pdu = wire(part);
      expect(pdu.includes(Buffer.concat([Buffer.of(part.shortMessage.length), part.shortMessage]))).toBe(true);
    }
  });

  it('reads our GSM-7 UDH parts as Kannel-style concatenation (its GSM decoder, extension table included)', () => {
    const text = '{curly} €uro_under @ '.repeat(10);
    const parts = splitForSmpp(text, { ref: 0x42, method: 'udh', encoding: 'gsm7' });
    const decoded = parts.map((part) => new PDU(wire(part)));
    expect(decoded.map((d) => d.esm_class)).toEqual([0x40, 0x40]);
    expect(decoded.map((d) => d.data_coding)).toEqual([0, 0]);
    expect(decoded.map((d) => d.short_message.udh?.[0])).toEqual([Buffer.from('0003420201', 'hex'), Buffer.from('0003420202', 'hex')]);
    expect(decoded.map((d) => d.short_message.message).join('')).toBe(text);
  });

  it('reads our UCS-2 parts, emoji included', () => {
    const text = '😀 привет '.repeat(12);
    const parts = splitForSmpp(text, { ref: 1, method: 'udh' });
    expect(parts.map((part) => new PDU(wire(part)).short_message.message).join('')).toBe(text);
  });

  it('writes SAR and message_payload TLVs it can read back', () => {
    const [first] = splitForSmpp('s'.repeat(200), { ref: 0x0203, method: 'sar' });
    expect(new PDU(wire(first))).toMatchObject({ sar_msg_ref_num: 0x0203, sar_total_segments: 2, sar_segment_seqnum: 1 });
    const [payload] = splitForSmpp('p'.repeat(400), { ref: 0, method: 'payload' });
    expect(new PDU(wire(payload)).message_payload?.message).toBe('p'.repeat(400));
  });

  it('writes a receipt with receipted_message_id and message_state', () => {
    const receipt = buildReceipt({ messageId: '65f1a2b3c4d5e6f708192a3b', status: 'delivered', doneAt: Date.UTC(2026, 0, 1) });
    const back = new PDU(wire(receipt));
    expect(back).toMatchObject({ esm_class: 0x04, receipted_message_id: '65f1a2b3c4d5e6f708192a3b', message_state: 2 });
    expect(back.short_message.message).toBe(receipt.text);
  });
});
