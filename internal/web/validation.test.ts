import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../errors/index.js';
import { canonicalZone, definedOnly, isHttpUrl, isIanaZone, parseBody, parseId, toE164 } from './validation.js';

describe('parseId', () => {
  it('accepts 1 to 2^31-1 in plain digits', () => {
    expect(parseId('1', 'bad')).toBe(1);
    expect(parseId('2147483647', 'bad')).toBe(2_147_483_647);
  });

  it.each([undefined, '', '0', '-1', '1.0', '1e3', ' 1', '0x10', '2147483648', '99999999999'])(
    'refuses %j with the given message',
    (raw) => {
      expect(() => parseId(raw, 'Invalid client ID')).toThrow(new ValidationError('Invalid client ID'));
    },
  );
});

describe('parseBody', () => {
  const schema = z.object({ name: z.string(), count: z.number().int().min(0) }).partial();

  it('treats a missing body as an empty object and drops unknown fields', () => {
    expect(parseBody(schema, undefined)).toEqual({});
    expect(parseBody(schema, { name: 'a', extra: true })).toEqual({ name: 'a' });
  });

  it('refuses non-objects and names the bad field', () => {
    for (const body of [null, [], 'x', 3]) expect(() => parseBody(schema, body)).toThrow('Request body must be a JSON object');
    expect(() => parseBody(schema, { count: -1 })).toThrow(/^count: /);
  });
});

describe('field checks', () => {
  it('knows IANA zones', () => {
    expect(isIanaZone('UTC')).toBe(true);
    expect(isIanaZone('America/Vancouver')).toBe(true);
    expect(isIanaZone('Mars/Olympus')).toBe(false);
    expect(isIanaZone('')).toBe(false);
    expect(canonicalZone('america/vancouver')).toBe('America/Vancouver');
    expect(canonicalZone('Nowhere/Land')).toBeNull();
  });

  it('accepts only http and https URLs with a host', () => {
    expect(isHttpUrl('https://bicom.local/smsservice/connector')).toBe(true);
    expect(isHttpUrl('http://127.0.0.1:8080')).toBe(true);
    for (const bad of ['ftp://x', 'javascript:alert(1)', 'not a url', 'http://', '']) expect(isHttpUrl(bad)).toBe(false);
  });

  it('normalises numbers or names the bad value', () => {
    expect(toE164('+1 250 555 1234')).toBe('+12505551234');
    expect(() => toE164('12ab')).toThrow('Invalid number "12ab": use E.164, e.g. +12505551234');
  });

  it('drops undefined keys only', () => {
    expect(definedOnly({ a: 1, b: undefined, c: null, d: '' })).toEqual({ a: 1, c: null, d: '' });
  });
});
