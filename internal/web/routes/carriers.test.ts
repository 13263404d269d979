import { describe, expect, it } from 'vitest';
import { toCarrierPatch, toNewCarrier } from './carriers.js';

describe('toNewCarrier / toCarrierPatch', () => {
  it('refuses a name or username holding a control character (it goes into headers and lookups)', () => {
    expect(() => toNewCarrier({ name: 'tw\u0000', type: 'twilio', username: 'AC1', password: 'x' })).toThrow(
      'name: must not contain control characters',
    );
    expect(() => toCarrierPatch({ username: 'AC1\r\nX: y' })).toThrow('username: must not contain control characters');
    expect(toNewCarrier({ name: 'tw', type: 'twilio', username: 'AC1', password: 'x' })).toMatchObject({ name: 'tw', username: 'AC1' });
  });
});
