import { describe, expect, it } from 'vitest';
import type { Carrier } from '../../store/index.js';
import { carrierMessage, carrierStatus } from './inbound.js';

const carrier = { id: 7 } as Carrier;
const origin = { carrier, node: 'n1', sourceIp: '192.0.2.1', now: 1_000 };

describe('carrierMessage', () => {
  it('cleans the text: NUL removed, a lone surrogate replaced, other characters kept', () => {
    const { message } = carrierMessage({ from: '+15557770000', to: '+15550001000', text: 'a\u0000b\ud800\tc😀', media: [] }, origin);
    expect(message.text).toBe('ab\uFFFD\tc😀');
  });

  it('keeps a spelling that is no number for the record, a control character marked so it stays no number', () => {
    const { message } = carrierMessage({ from: 'ACME', to: '+1555\u00000001000', text: 'x', media: [] }, origin);
    expect(message.from).toBe('ACME');
    expect(message.to).toBe('+1555\uFFFD0001000');
  });

  it("keys the message by the carrier's id, unless that id holds a control character", () => {
    const m = { from: '+15557770000', to: '+15550001000', text: 'x', media: [] };
    expect(carrierMessage({ ...m, carrierMsgId: 'SM1' }, origin).msgId).toBe('carrier:7:SM1');
    const bad = carrierMessage({ ...m, carrierMsgId: 'SM1\r\nX-Evil: 1' }, origin);
    expect(bad.msgId).toBe(bad.message.id);
  });
});

describe('carrierStatus', () => {
  it('cleans the error text and code', () => {
    const event = carrierStatus(
      { carrierMsgId: 'SM1', status: 'undelivered', errorCode: '30\u00003', errorText: 'no\u0000pe' },
      carrier,
      'msg-1',
      5,
    );
    expect(event).toMatchObject({ messageId: 'msg-1', carrierMsgId: 'SM1', errorCode: '303', errorText: 'nope' });
  });

  it('is undefined when an id it names holds a control character', () => {
    expect(carrierStatus({ carrierMsgId: 'SM\u00001', status: 'delivered' }, carrier, 'msg-1', 5)).toBeUndefined();
    expect(carrierStatus({ carrierMsgId: 'SM1', status: 'delivered', messageId: 'm\n1' }, carrier, '', 5)).toBeUndefined();
  });
});
