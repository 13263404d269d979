import { describe, expect, it } from 'vitest';
import { Invalid, isIpOrCidr, parseBaseUrl, parseBool, parseCidrList, parseListen, urlListWith, wholeNumber } from './fields.js';
import { redactUrlCredentials, showValue } from './redact.js';

describe('parseListen', () => {
  it.each([
    ['0.0.0.0:3000', { host: '0.0.0.0', port: 3000 }],
    ['[::]:9550', { host: '::', port: 9550 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['gateway-1.example.com:2566', { host: 'gateway-1.example.com', port: 2566 }],
    [':2550', { host: '0.0.0.0', port: 2550 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
  ])('reads %j', (raw, want) => {
    expect(parseListen(raw)).toEqual(want);
  });

  it.each(['3000', '0.0.0.0:65536', '0.0.0.0:-1', '::1:3000', '[nothost]:80', 'bad host:80', '0.0.0.0:', 'host:3e3'])(
    'rejects %j',
    (raw) => {
      expect(parseListen(raw)).toBeInstanceOf(Invalid);
    },
  );
});

describe('parseBool', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['Yes', true],
    ['false', false],
    ['0', false],
    ['NO', false],
  ])('reads %j as %s', (raw, want) => {
    expect(parseBool(raw)).toBe(want);
  });

  it.each(['maybe', 'on', 'y', '2'])('rejects %j', (raw) => {
    expect(parseBool(raw)).toBeInstanceOf(Invalid);
  });
});

describe('wholeNumber', () => {
  it('accepts digits at or above the minimum', () => {
    expect(wholeNumber(0)('0')).toBe(0);
    expect(wholeNumber(1)('30')).toBe(30);
  });

  it.each(['-1', '1.5', '1e3', 'ten', '', '99999999999999999999'])('rejects %j', (raw) => {
    expect(wholeNumber(0)(raw)).toBeInstanceOf(Invalid);
  });

  it('rejects values below the minimum', () => {
    expect(wholeNumber(1)('0')).toBeInstanceOf(Invalid);
  });
});

describe('trusted proxies', () => {
  it.each(['10.0.0.0/8', '192.168.1.1', 'fc00::/7', '::1', '0.0.0.0/0'])('accepts %j', (s) => {
    expect(isIpOrCidr(s)).toBe(true);
  });

  it.each(['10.0.0.0/33', 'fc00::/129', '10.0.0/8', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x'])('rejects %j', (s) => {
    expect(isIpOrCidr(s)).toBe(false);
  });

  it('trims entries, skips empty ones and understands "none"', () => {
    expect(parseCidrList(' 10.0.0.0/8 , ,fc00::/7,')).toEqual(['10.0.0.0/8', 'fc00::/7']);
    expect(parseCidrList('none')).toEqual([]);
  });

  it('names every bad entry', () => {
    const out = parseCidrList('10.0.0.0/8,bogus,1.2.3.4/40');
    expect(out).toBeInstanceOf(Invalid);
    expect((out as Invalid).expected).toMatch(/"bogus", "1.2.3.4\/40"/);
  });
});

describe('URLs', () => {
  it('trims trailing slashes from SERVER_ADDRESS', () => {
    expect(parseBaseUrl('https://sms.example.com//')).toBe('https://sms.example.com');
    expect(parseBaseUrl('https://sms.example.com/gw/')).toBe('https://sms.example.com/gw');
    expect(parseBaseUrl('ftp://x')).toBeInstanceOf(Invalid);
    expect(parseBaseUrl('sms.example.com')).toBeInstanceOf(Invalid);
  });

  it('reads a NATS seed list', () => {
    const nats = urlListWith(['nats:', 'tls:']);
    expect(nats('nats://a:4222, tls://b:4222')).toEqual(['nats://a:4222', 'tls://b:4222']);
    expect(nats('nats://a:4222,http://b')).toBeInstanceOf(Invalid);
    expect(nats(',')).toBeInstanceOf(Invalid);
  });
});

describe('redaction', () => {
  it('hides URL passwords and bare tokens but keeps user names', () => {
    expect(redactUrlCredentials('postgres://app:s3cr3t@db/x')).toBe('postgres://app:<redacted>@db/x');
    expect(redactUrlCredentials('redis://:pw@r:6379')).toBe('redis://:<redacted>@r:6379');
    expect(redactUrlCredentials('nats://tok@a:4222,nats://u:p@b')).toBe('nats://<redacted>@a:4222,nats://u:<redacted>@b');
    expect(redactUrlCredentials('nats://a:4222')).toBe('nats://a:4222');
  });

  it('never shows secret variables', () => {
    for (const name of ['ENCRYPTION_KEY', 'API_KEY', 'POSTGRES_PASSWORD']) {
      expect(showValue(name, 'hunter2')).toBe('<redacted>');
    }
    expect(showValue('LOG_LEVEL', 'loud')).toBe('"loud"');
  });
});
