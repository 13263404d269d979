import { describe, expect, it } from 'vitest';
import { DeliveryStatus } from '../../proto/status.js';
import { decodeShortMessage } from './data-coding.js';
import {
  buildReceipt,
  deliveryStatusFromStat,
  formatReceipt,
  formatReceiptDate,
  parseReceipt,
  parseReceiptDate,
  receiptErrorCode,
} from './receipt.js';

const SUBMITTED = Date.UTC(2026, 10, 28, 9, 5, 59);
const DONE = Date.UTC(2026, 10, 28, 9, 7, 1);

describe('buildReceipt', () => {
  it('writes the SMPP 3.4 Appendix B text with esm_class 0x04 and both TLVs', () => {
    const receipt = buildReceipt({
      messageId: '65f1a2b3c4d5e6f708192a3b',
      status: 'delivered',
      submittedAt: SUBMITTED,
      doneAt: DONE,
      text: 'Hello from the gateway, friend',
    });
    expect(receipt.text).toBe(
      'id:65f1a2b3c4d5e6f708192a3b sub:001 dlvrd:001 submit date:2611280905 done date:2611280907 stat:DELIVRD err:000 text:Hello from the gatew',
    );
    expect(receipt).toMatchObject({
      esmClass: 0x04,
      dataCoding: 0,
      stat: 'DELIVRD',
      final: true,
      tlvs: { receipted_message_id: '65f1a2b3c4d5e6f708192a3b', message_state: 2 },
    });
    expect(receipt.shortMessage.toString('latin1')).toBe(receipt.text);
  });

  it.each([
    ['queued', 'ENROUTE', 1, 0, '000', false],
    ['sent', 'ACCEPTD', 6, 0, '000', false],
    ['delivered', 'DELIVRD', 2, 1, '000', true],
    ['undelivered', 'UNDELIV', 5, 0, '999', true],
    ['failed', 'REJECTD', 8, 0, '999', true],
    ['rejected', 'REJECTD', 8, 0, '999', true],
    ['expired', 'EXPIRED', 3, 0, '999', true],
    ['unknown', 'UNKNOWN', 7, 0, '999', true],
  ] as const)('maps %s to stat %s, message_state %i, dlvrd %i, err %s', (status, stat, state, dlvrd, err, final) => {
    const receipt = buildReceipt({ messageId: '42', status, doneAt: DONE });
    expect(receipt).toMatchObject({ stat, final, tlvs: { message_state: state } });
    expect(receipt.text).toContain(` sub:001 dlvrd:00${dlvrd} `);
    expect(receipt.text).toContain(` stat:${stat} err:${err} text:`);
  });

  it('covers every DeliveryStatus', () => {
    for (const status of Object.values(DeliveryStatus)) expect(buildReceipt({ messageId: '1', status, doneAt: DONE }).stat).toBeTruthy();
  });

  it('uses the done date as submit date when none is known', () => {
    expect(buildReceipt({ messageId: '1', status: 'delivered', doneAt: DONE }).text).toContain(
      'submit date:2611280907 done date:2611280907',
    );
  });

  it('quotes 20 characters, writing ? for those that differ between GSM-7 and ASCII', () => {
    const receipt = buildReceipt({ messageId: '7', status: 'delivered', doneAt: DONE, text: 'Price: $5 @café_😀 {ok} and more' });
    expect(receipt.text.endsWith(' text:Price: ?5 ?caf??? ?o')).toBe(true);
    const asGsm = decodeShortMessage({ dataCoding: 0, esmClass: 0x04, shortMessage: receipt.shortMessage, dollarAt0x24: false });
    expect(asGsm.text).toBe(receipt.text);
  });
});

describe('receiptErrorCode', () => {
  it('passes a 1–3 digit code, zero-padded, and writes 999 for anything else', () => {
    expect(receiptErrorCode('undelivered', '30')).toBe('030');
    expect(receiptErrorCode('undelivered', '999')).toBe('999');
    expect(receiptErrorCode('undelivered', '30003')).toBe('999');
    expect(receiptErrorCode('failed', 'NO_ROUTE')).toBe('999');
    expect(receiptErrorCode('failed', '0')).toBe('999');
    expect(receiptErrorCode('delivered', '30')).toBe('000');
    expect(receiptErrorCode('sent', '30')).toBe('000');
  });
});

describe('receipt dates', () => {
  it('are YYMMDDhhmm in UTC', () => {
    expect(formatReceiptDate(Date.UTC(2009, 0, 2, 3, 4, 59))).toBe('0901020304');
    expect(parseReceiptDate('0901020304')).toBe(Date.UTC(2009, 0, 2, 3, 4));
    expect(parseReceiptDate('090102030455')).toBe(Date.UTC(2009, 0, 2, 3, 4, 55));
  });

  it('reject impossible values', () => {
    for (const bad of ['0913020304', '0902300304', '0901022404', '0901020360', '09010203', 'abcdefghij']) {
      expect(parseReceiptDate(bad)).toBeUndefined();
    }
  });
});

describe('parseReceipt', () => {
  it('round-trips buildReceipt', () => {
    const receipt = buildReceipt({
      messageId: 'abc-123',
      status: 'undelivered',
      submittedAt: SUBMITTED,
      doneAt: DONE,
      errorCode: '21',
      text: 'two words',
    });
    expect(parseReceipt(receipt.text)).toEqual({
      id: 'abc-123',
      stat: 'UNDELIV',
      status: 'undelivered',
      sub: 1,
      dlvrd: 0,
      submitDate: Date.UTC(2026, 10, 28, 9, 5),
      doneDate: Date.UTC(2026, 10, 28, 9, 7),
      err: '021',
      text: 'two words',
    });
  });

  it('reads formatReceipt fields back', () => {
    const text = formatReceipt({ id: '9', sub: 2, dlvrd: 1, submitDate: SUBMITTED, doneDate: DONE, stat: 'DELIVRD', err: '000', text: '' });
    expect(parseReceipt(text)).toMatchObject({ id: '9', sub: 2, dlvrd: 1, stat: 'DELIVRD', text: '' });
  });

  it('reads the variants SMSCs send', () => {
    expect(
      parseReceipt('id:1234567890 sub:001 dlvrd:001 submit date:2611280905 done date:2611280907 stat:DELIVRD err:000 Text:Hi there'),
    ).toMatchObject({
      id: '1234567890',
      status: 'delivered',
      text: 'Hi there',
    });
    expect(parseReceipt('ID:7F stat:EXPIRED err:0 submit_date:261128090512 done_date:261128090713')).toEqual({
      id: '7F',
      stat: 'EXPIRED',
      status: 'expired',
      err: '0',
      submitDate: Date.UTC(2026, 10, 28, 9, 5, 12),
      doneDate: Date.UTC(2026, 10, 28, 9, 7, 13),
    });
    expect(parseReceipt('stat:rejectd id:x submitdate:bad')).toEqual({ id: 'x', stat: 'REJECTD', status: 'rejected' });
    expect(parseReceipt('id:5 stat:DELIVRD text:stat:UNDELIV id:6')).toMatchObject({ id: '5', stat: 'DELIVRD', text: 'stat:UNDELIV id:6' });
  });

  it('returns undefined without an id or a stat', () => {
    expect(parseReceipt('hello world')).toBeUndefined();
    expect(parseReceipt('id:5 dlvrd:001')).toBeUndefined();
    expect(parseReceipt('stat:DELIVRD')).toBeUndefined();
  });
});

describe('deliveryStatusFromStat', () => {
  it('reads every Appendix B stat word and long spellings', () => {
    expect(['ENROUTE', 'DELIVRD', 'EXPIRED', 'DELETED', 'UNDELIV', 'ACCEPTD', 'UNKNOWN', 'REJECTD'].map(deliveryStatusFromStat)).toEqual([
      'queued',
      'delivered',
      'expired',
      'failed',
      'undelivered',
      'sent',
      'unknown',
      'rejected',
    ]);
    expect(deliveryStatusFromStat('delivered')).toBe('delivered');
    expect(deliveryStatusFromStat('WHATEVER')).toBe('unknown');
  });
});
