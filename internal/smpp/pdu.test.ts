import { describe, expect, it } from 'vitest';
import { CommandId, PduDecodeError, decodePdu, encodePdu, statusLabel, statusName } from './pdu.js';

const submit = (fields: Record<string, unknown>) =>
  encodePdu('submit_sm', 5, {
    source_addr: '15550001111',
    destination_addr: '15550002222',
    data_coding: 0,
    ...fields,
  });

describe('decodePdu', () => {
  it('keeps short_message as the raw octets (packed GSM-7, UDH) instead of the library text', () => {
    const octets = Buffer.from('0500030a0201c8329bfd06', 'hex');
    const pdu = decodePdu(submit({ esm_class: 0x40, short_message: octets }));
    expect(pdu).toMatchObject({ command: 'submit_sm', command_id: CommandId.SUBMIT_SM, sequence_number: 5, esm_class: 0x40 });
    expect(Buffer.isBuffer(pdu.short_message) && pdu.short_message.equals(octets)).toBe(true);
  });

  it('keeps message_payload and reads SAR TLVs', () => {
    const payload = Buffer.from('00480069', 'hex');
    const pdu = decodePdu(
      submit({
        short_message: Buffer.alloc(0),
        message_payload: payload,
        sar_msg_ref_num: 0x1234,
        sar_total_segments: 3,
        sar_segment_seqnum: 2,
        data_coding: 8,
      }),
    );
    expect(Buffer.isBuffer(pdu.message_payload) && pdu.message_payload.equals(payload)).toBe(true);
    expect(pdu).toMatchObject({ sar_msg_ref_num: 0x1234, sar_total_segments: 3, sar_segment_seqnum: 2 });
  });

  it('names unknown command ids instead of throwing', () => {
    const pdu = encodePdu('enquire_link', 9);
    pdu.writeUInt32BE(0x00000099, 4);
    expect(decodePdu(pdu)).toMatchObject({ command: 'unknown', sequence_number: 9 });
  });

  it('refuses a request whose body ends before its mandatory fields', () => {
    const whole = submit({ short_message: Buffer.from('hello') });
    const cut = Buffer.from(whole.subarray(0, 30));
    cut.writeUInt32BE(cut.length, 0);
    expect(() => decodePdu(cut)).toThrow(PduDecodeError);
  });

  it('accepts an error response of header only', () => {
    expect(decodePdu(encodePdu('deliver_sm_resp', 3, {}, 0x58))).toMatchObject({ command: 'deliver_sm_resp', command_status: 0x58 });
  });

  it('throws nothing but PduDecodeError for random bodies of every command', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0x0b, 0x15, 0x21, 0x102, 0x103, 0x111, 0x80000004, 0x80000005, 0x80000000];
    for (let i = 0; i < 20_000; i++) {
      const length = 16 + Math.floor(random() * 80);
      const buffer = Buffer.alloc(length);
      for (let j = 16; j < length; j++) buffer[j] = Math.floor(random() * 256);
      buffer.writeUInt32BE(length, 0);
      buffer.writeUInt32BE(ids[i % ids.length], 4);
      try {
        decodePdu(buffer);
      } catch (err) {
        expect(err).toBeInstanceOf(PduDecodeError);
      }
    }
  });
});

describe('encodePdu', () => {
  it('writes only the header for an error response', () => {
    const buffer = encodePdu('submit_sm_resp', 77, { message_id: 'x' }, 0x58);
    expect(buffer.length).toBe(16);
    expect([buffer.readUInt32BE(4), buffer.readUInt32BE(8), buffer.readUInt32BE(12)]).toEqual([0x80000004, 0x58, 77]);
  });

  it('names statuses for logs', () => {
    expect(statusName(0)).toBe('ESME_ROK');
    expect(statusName(0x58)).toBe('ESME_RTHROTTLED');
    expect(statusName(0x1234)).toBe('0x00001234');
  });

  it('labels statuses for metrics from a bounded set: unnamed codes are all "other"', () => {
    expect(statusLabel(0x58)).toBe('ESME_RTHROTTLED');
    const labels = new Set(Array.from({ length: 10_000 }, (_, i) => statusLabel(i * 429_497)));
    expect(labels.has('other')).toBe(true);
    expect(labels.size).toBeLessThan(200);
  });
});
