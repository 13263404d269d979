import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import {
  CARRIER_TYPES,
  driverFor,
  effectiveMaxRps,
  findDriver,
  isCallbackMessageId,
  isCarrierType,
  receiptWanted,
  smppReceiptStatus,
  statusCallbackPath,
  statusCallbackUrl,
} from './index.js';

describe('carrier registry', () => {
  it('lists every driver by type', () => {
    expect(CARRIER_TYPES).toEqual(['twilio', 'telnyx', 'onevoiceplus']);
    for (const type of CARRIER_TYPES) expect(driverFor(type).type).toBe(type);
    expect(isCarrierType('telnyx')).toBe(true);
    expect(isCarrierType('smpp')).toBe(false);
  });

  it('finds drivers case-insensitively and refuses unknown types', () => {
    expect(findDriver(' Twilio ')?.type).toBe('twilio');
    expect(findDriver('bogus')).toBeUndefined();
    expect(() => driverFor('bogus')).toThrow(ValidationError);
  });

  it('uses max_rps when set, else the carrier default from field-notes', () => {
    expect(effectiveMaxRps({ type: 'telnyx', maxRps: 0 })).toBe(50);
    expect(effectiveMaxRps({ type: 'twilio', maxRps: 0 })).toBe(25);
    expect(effectiveMaxRps({ type: 'onevoiceplus', maxRps: 0 })).toBe(10);
    expect(effectiveMaxRps({ type: 'telnyx', maxRps: 7 })).toBe(7);
  });
});

describe('status callback URL', () => {
  it('is SERVER_ADDRESS/inbound/{uuid}/status/{messageId}', () => {
    expect(statusCallbackUrl('https://gw.example.test/', 'abc123', '65a1f0c2e4b0a1b2c3d4e5f6')).toBe(
      'https://gw.example.test/inbound/abc123/status/65a1f0c2e4b0a1b2c3d4e5f6',
    );
    expect(statusCallbackPath('u', 'm')).toBe('/inbound/u/status/m');
    expect(statusCallbackUrl('', 'u', 'm')).toBe('');
  });

  it('accepts only URL-safe message ids', () => {
    expect(isCallbackMessageId('65a1f0c2e4b0a1b2c3d4e5f6')).toBe(true);
    expect(isCallbackMessageId('a/b')).toBe(false);
    expect(isCallbackMessageId('')).toBe(false);
  });
});

describe('status → SMPP receipt', () => {
  it('follows field-notes §5.4', () => {
    expect(smppReceiptStatus('delivered')).toEqual({ stat: 'DELIVRD', messageState: 2, final: true });
    expect(smppReceiptStatus('undelivered')).toEqual({ stat: 'UNDELIV', messageState: 5, final: true });
    expect(smppReceiptStatus('failed')).toEqual({ stat: 'REJECTD', messageState: 8, final: true });
    expect(smppReceiptStatus('expired')).toEqual({ stat: 'EXPIRED', messageState: 3, final: true });
    expect(smppReceiptStatus('unknown')).toEqual({ stat: 'UNKNOWN', messageState: 7, final: true });
    expect(smppReceiptStatus('sent')).toEqual({ stat: 'ACCEPTD', messageState: 6, final: false });
    expect(smppReceiptStatus('queued')).toEqual({ stat: 'ENROUTE', messageState: 1, final: false });
  });

  it('honours registered_delivery', () => {
    expect(receiptWanted('delivered', 0)).toBe(false);
    expect(receiptWanted('delivered', 1)).toBe(true);
    expect(receiptWanted('delivered', 2)).toBe(false);
    expect(receiptWanted('undelivered', 2)).toBe(true);
    expect(receiptWanted('sent', 1)).toBe(false);
    expect(receiptWanted('sent', 0x11)).toBe(true);
  });
});

describe('the carrier type list of proto', () => {
  it('names exactly the registered drivers, so entry points validate what the carriers room can send', async () => {
    const proto = await import('../../proto/carrier-types.js');
    const registry = await import('./registry.js');
    expect([...proto.CARRIER_TYPES].sort()).toEqual([...registry.CARRIER_TYPES].sort());
  });
});
