import { describe, expect, it } from 'vitest';
import { jsonForPostgres, withoutNul } from './text-cleaning.js';

describe('jsonForPostgres', () => {
  const clean = (value: unknown) => JSON.parse(jsonForPostgres(JSON.stringify(value))) as unknown;

  it('drops U+0000 and replaces lone surrogates, keeping everything else', () => {
    expect(clean({ a: 'x\u0000y', b: 'lone \ud800 high', c: 'lone \udc00 low', d: '😀 pair' })).toEqual({
      a: 'xy',
      b: 'lone \ufffd high',
      c: 'lone \ufffd low',
      d: '😀 pair',
    });
  });

  it('leaves a literal backslash-u-0000 alone (an escaped backslash is not an escape)', () => {
    const literal = ['\\u0000', '\\\\u0000', '\\ud800', 'a\\\u0000b'];
    expect(clean(literal)).toEqual(['\\u0000', '\\\\u0000', '\\ud800', 'a\\b']);
  });

  it('returns the same text when there is nothing to clean', () => {
    const json = JSON.stringify({ a: 'plain \u0001 text' });
    expect(jsonForPostgres(json)).toBe(json);
  });
});

describe('withoutNul', () => {
  it('cleans strings, arrays and plain objects, and leaves other values as they are', () => {
    const when = new Date(0);
    expect(withoutNul({ 'k\u0000': ['a\u0000', 1, null], s: 'b\u0000c', when })).toEqual({ k: ['a', 1, null], s: 'bc', when });
    expect(withoutNul(when)).toBe(when);
    const buf = Buffer.from([0]);
    expect(withoutNul(buf)).toBe(buf);
  });
});
