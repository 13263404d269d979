import { describe, expect, it } from 'vitest';
import { takesUnsignedWebhooks, unsignedWebhooksWarning } from './carrier-types.js';

const row = (type: string, fields: Partial<{ verifyWebhooks: boolean; password: string; publicKey: string }> = {}) => ({
  type,
  verifyWebhooks: true,
  password: 'secret',
  publicKey: '',
  ...fields,
});

describe('unsignedWebhooksWarning', () => {
  it('names public_key for a Telnyx or OneVoicePlus carrier without one (gomsggw verified nothing)', () => {
    for (const type of ['telnyx', 'onevoiceplus', 'Telnyx']) {
      expect(unsignedWebhooksWarning(row(type))).toBe(
        'public_key is empty: inbound webhooks for this carrier are accepted unsigned; set public_key to verify them',
      );
      expect(takesUnsignedWebhooks(row(type, { publicKey: '   ' }))).toBe(true);
    }
  });

  it('names password for a Twilio carrier without its auth token', () => {
    expect(unsignedWebhooksWarning(row('twilio', { password: '' }))).toContain('set password to verify them');
  });

  it('says verify_webhooks is false when verification was turned off, key or not', () => {
    expect(unsignedWebhooksWarning(row('telnyx', { publicKey: 'k', verifyWebhooks: false }))).toBe(
      'verify_webhooks is false: inbound webhooks for this carrier are accepted unsigned',
    );
  });

  it('is undefined for a carrier that verifies, and for an unknown type (never verified, never unsigned)', () => {
    expect(unsignedWebhooksWarning(row('telnyx', { publicKey: 'k' }))).toBeUndefined();
    expect(unsignedWebhooksWarning(row('twilio'))).toBeUndefined();
    expect(unsignedWebhooksWarning(row('bandwidth'))).toBeUndefined();
    expect(takesUnsignedWebhooks(row('onevoiceplus', { publicKey: 'token' }))).toBe(false);
  });
});
