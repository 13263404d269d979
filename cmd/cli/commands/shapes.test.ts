import { describe, expect, it } from 'vitest';
import { generatePassword, LEGACY_PASSWORD_LENGTH } from '../password.js';
import { sendBody } from './messages.js';
import { splitNumbers, withNanp } from './numbers.js';

describe('splitNumbers', () => {
  it('splits a pasted list on commas, semicolons and lines, keeping spaces inside a number', () => {
    expect(splitNumbers(['+1 250 555 0100, 12505550101;\n+12505550102\r\n', ' ', '12505550103'])).toEqual([
      '+1 250 555 0100',
      '12505550101',
      '+12505550102',
      '12505550103',
    ]);
  });
});

describe('withNanp', () => {
  it('adds the 1 to ten bare digits only when asked', () => {
    expect(withNanp('250 555-1234', true)).toBe('+12505551234');
    expect(withNanp('2505551234', false)).toBe('2505551234');
    expect(withNanp('+2505551234', true)).toBe('+2505551234');
    expect(withNanp('12505551234', true)).toBe('12505551234');
  });
});

describe('sendBody', () => {
  const message = { from: '+12505550100', to: '+14155559876', text: 'hi', mediaUrls: ['https://x/a.png'] };

  it("is shaped for the client's api_format", () => {
    expect(sendBody('generic', message)).toEqual({
      from: '+12505550100',
      to: '+14155559876',
      text: 'hi',
      media: [{ url: 'https://x/a.png' }],
    });
    expect(sendBody('bicom', message)).toEqual({ from: '+12505550100', to: '+14155559876', text: 'hi', media_urls: ['https://x/a.png'] });
    expect(sendBody('telnyx', message)).toEqual({
      data: {
        payload: {
          from: { phone_number: '+12505550100' },
          to: '+14155559876',
          text: 'hi',
          media: [{ url: 'https://x/a.png' }],
        },
      },
    });
  });
});

describe('generatePassword', () => {
  it('mixes lower, upper and digits at the length asked', () => {
    for (let i = 0; i < 50; i++) {
      const password = generatePassword(LEGACY_PASSWORD_LENGTH);
      expect(password).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)[A-Za-z\d]{8}$/);
    }
  });
});
