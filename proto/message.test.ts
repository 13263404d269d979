import { describe, expect, it } from 'vitest';
import { messageSchema, newMessage } from './message.js';

const origin = { kind: 'web' as const, clientId: 1, node: 'n1' };

describe('newMessage', () => {
  it('makes an SMS received now that is no notice, valid against the contract', () => {
    const before = Date.now();
    const m = newMessage({ id: 'a', from: '+12505550100', to: '+12505550101', text: 'hi', origin });
    expect(m).toMatchObject({ v: 1, type: 'sms', media: [], notice: false });
    expect(m.receivedAt).toBeGreaterThanOrEqual(before);
    expect(messageSchema.parse(JSON.parse(JSON.stringify(m)))).toEqual(m);
  });

  it('makes an MMS when it has media, and keeps what the caller says', () => {
    const media = [{ url: 'https://h/a.jpg', contentType: 'image/jpeg', filename: 'a.jpg' }];
    expect(newMessage({ id: 'b', from: 'x', to: 'y', origin, media }).type).toBe('mms');
    expect(newMessage({ id: 'c', from: 'x', to: 'y', origin, type: 'mms', receivedAt: 5, notice: true })).toMatchObject({
      type: 'mms',
      receivedAt: 5,
      notice: true,
      text: '',
    });
  });
});
