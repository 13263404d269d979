/** Carrier rows (store `Carrier`) for carrier tests, one per type, with overridable fields. */
import type { Carrier } from '../../internal/store/index.js';

const DEFAULTS: Record<string, Partial<Carrier>> = {
  twilio: { username: 'AC0123456789abcdef0123456789abcdef', password: 'twilio-auth-token' },
  telnyx: { username: 'unused', password: 'KEY0123_telnyx_api_key', profileId: '40017a1b-profile' },
  onevoiceplus: { username: 'ovp-user', password: 'ovp-developer-key' },
};

let nextId = 1;

export function carrierRow(type: 'twilio' | 'telnyx' | 'onevoiceplus', overrides: Partial<Carrier> = {}): Carrier {
  const id = nextId++;
  return {
    id,
    name: type,
    type,
    username: '',
    password: '',
    uuid: id.toString(16).padStart(24, '0'),
    profileId: '',
    apiBaseUrl: '',
    verifyWebhooks: true,
    publicKey: '',
    maxRps: 0,
    createdAt: new Date(0),
    updatedAt: new Date(0),
    ...DEFAULTS[type],
    ...overrides,
  };
}
