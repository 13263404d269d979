import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { assertKvKey, assertName, assertPublishSubject, assertSubscribeSubject, subjectMatches, subjectsOverlap } from './subject.js';

describe('subjectMatches', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.b', 'a.b.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a', false],
    ['a.*', 'a.b.c', false],
    ['*.b', 'a.b', true],
    ['a.>', 'a.b', true],
    ['a.>', 'a.b.c.d', true],
    ['a.>', 'a', false],
    ['>', 'a', true],
    ['>', 'a.b', true],
    ['a.*.c.>', 'a.x.c.d', true],
    ['a.*.c.>', 'a.x.c', false],
    ['a*', 'ab', false],
    ['a*', 'a*', true],
  ])('%s against %s is %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });
});

describe('subject validation', () => {
  it('refuses wildcards, empty tokens and whitespace when publishing', () => {
    for (const s of ['a.*', '>', 'a..b', '', '.a', 'a.', 'a b', 'a\tb']) {
      expect(() => assertPublishSubject(s), s).toThrow(ValidationError);
    }
    expect(() => assertPublishSubject('msg.out.smpp.42')).not.toThrow();
  });

  it('allows wildcards in subscriptions, with > only last', () => {
    expect(() => assertSubscribeSubject('a.*.>')).not.toThrow();
    expect(() => assertSubscribeSubject('a.>.b')).toThrow(ValidationError);
    expect(() => assertSubscribeSubject('a..b')).toThrow(ValidationError);
  });
});

describe('subjectsOverlap', () => {
  it.each([
    ['a.b', 'a.b', true],
    ['a.b', 'a.c', false],
    ['a.*', 'a.b', true],
    ['a.*', 'a.b.c', false],
    ['a.>', 'a.b.c', true],
    ['a.>', 'a', false],
    ['>', 'x.y', true],
    ['*.b', 'a.*', true],
    ['*.b', 'a.c', false],
    ['a.*.c', 'a.>', true],
  ])('%s and %s: %s', (a, b, expected) => {
    expect(subjectsOverlap(a, b)).toBe(expected);
    expect(subjectsOverlap(b, a)).toBe(expected);
  });
});

describe('names and KV keys', () => {
  it('accepts JetStream names without dots or wildcards', () => {
    expect(() => assertName('MSGGW_IN', 'stream')).not.toThrow();
    for (const n of ['a.b', 'a*', 'a>', 'a b', '']) expect(() => assertName(n, 'stream'), n).toThrow(ValidationError);
  });

  it('accepts KV keys of NATS KV characters in non-empty tokens', () => {
    for (const k of ['carrier-7', 'a.b', 'x/y=z_1']) expect(() => assertKvKey(k), k).not.toThrow();
    for (const k of ['a b', 'a.*', '>', '.a', 'a.', '']) expect(() => assertKvKey(k), k).toThrow(ValidationError);
  });
});
