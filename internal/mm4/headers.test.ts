import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { envelopeAddress, gatewayIdOf, headerBlock, parseAddress, parseAddressList, plmnAddress, readMm4Headers } from './headers.js';

const REQUEST = [
  'X-Mms-3GPP-MMS-Version: 6.10.0',
  'X-MMS-MESSAGE-TYPE: MM4_forward.REQ',
  'X-Mms-Message-ID: "<abc123@mms.pbx.example>"',
  'X-Mms-Transaction-ID: "T-42"',
  'From: +15550001111/TYPE=PLMN',
  'To: +15550002222/TYPE=PLMN,\r\n "Bob" <+15550003333/TYPE=PLMN@mms.example>',
  'Cc: 15550004444',
  'X-Mms-Ack-Request: Yes',
  'X-Mms-Delivery-Report: yes',
  'X-Mms-Originator-System: system@pbx.example',
];

describe('parseAddress', () => {
  it('reads the number and type of the +N/TYPE=PLMN form', () => {
    expect(parseAddress('+15551234567/TYPE=PLMN')).toEqual({ raw: '+15551234567/TYPE=PLMN', value: '+15551234567', type: 'PLMN' });
  });

  it('drops an envelope @domain and display names', () => {
    expect(parseAddress('"Alice" <+15551234567/TYPE=PLMN@mms.example.com>')).toMatchObject({ value: '+15551234567', type: 'PLMN' });
    expect(parseAddress('+15551234567/type=plmn@x')).toMatchObject({ value: '+15551234567', type: 'plmn' });
  });

  it('keeps e-mail style addresses and bare numbers whole', () => {
    expect(parseAddress('system@pbx.example')).toEqual({ raw: 'system@pbx.example', value: 'system@pbx.example', type: '' });
    expect(parseAddress(' 15551234567 ')).toMatchObject({ value: '15551234567', type: '' });
    expect(parseAddress('  ')).toBeUndefined();
  });
});

describe('parseAddressList', () => {
  it('splits on commas outside quotes and brackets', () => {
    const list = parseAddressList(['"Doe, J" <+15550000001/TYPE=PLMN>, +15550000002/TYPE=PLMN', '+15550000003']);
    expect(list.map((a) => a.value)).toEqual(['+15550000001', '+15550000002', '+15550000003']);
  });
});

describe('plmnAddress', () => {
  it('adds /TYPE=PLMN once', () => {
    expect(plmnAddress('+15550000001')).toBe('+15550000001/TYPE=PLMN');
    expect(plmnAddress('+15550000001/TYPE=PLMN')).toBe('+15550000001/TYPE=PLMN');
  });
});

describe('readMm4Headers', () => {
  it('reads a forward request case-insensitively, quotes trimmed', () => {
    const h = readMm4Headers(headerBlock(REQUEST));
    expect(h).toMatchObject({
      messageType: 'MM4_forward.REQ',
      version: '6.10.0',
      transactionId: 'T-42',
      messageId: 'abc123@mms.pbx.example',
      ackRequested: true,
      deliveryReportRequested: true,
      originatorSystem: 'system@pbx.example',
    });
    expect(h.from?.value).toBe('+15550001111');
    expect(h.recipients.map((r) => r.value)).toEqual(['+15550002222', '+15550003333', '15550004444']);
  });

  it.each([
    ['From', 'From: +1555000\u00001111/TYPE=PLMN'],
    ['To', 'To: +15550002222/TYPE=PLMN, +1555000\u00003333/TYPE=PLMN'],
    ['X-Mms-Message-ID', 'X-Mms-Message-ID: <abc\r123@pbx>'],
    ['X-Mms-Transaction-ID', 'X-Mms-Transaction-ID: T\u0000-42'],
    ['X-Mms-Message-Type', 'X-Mms-Message-Type: MM4_forward.REQ\u0000'],
  ])('refuses %s holding a control character, naming the header only', (name, line) => {
    const lines = [...REQUEST.filter((l) => !l.toLowerCase().startsWith(`${name.toLowerCase()}:`)), line];
    expect(() => readMm4Headers(headerBlock(lines))).toThrow(new ValidationError(`header ${name} holds a control character`));
  });

  it('cleans the free-text Subject and X-Mms-Status-Text', () => {
    const h = readMm4Headers(headerBlock([...REQUEST, 'Subject: hi\u0000 there', 'X-Mms-Status-Text: o\u0000k']));
    expect([h.subject, h.statusText]).toEqual(['hi there', 'ok']);
  });

  it.each(['X-Mms-Transaction-ID', 'From', 'To', 'X-Mms-3GPP-MMS-Version'])('names a missing %s as upstream did', (name) => {
    const lines = REQUEST.filter((l) => !l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    expect(() => readMm4Headers(headerBlock(lines))).toThrow(ValidationError);
    expect(() => readMm4Headers(headerBlock(lines))).toThrow(/^missing required header: /);
  });

  it('accepts Message-ID when X-Mms-Message-ID is absent', () => {
    const lines = REQUEST.filter((l) => !l.startsWith('X-Mms-Message-ID')).concat('Message-ID: <m1@peer>');
    expect(readMm4Headers(headerBlock(lines)).messageId).toBe('m1@peer');
  });

  it('falls back to Sender for the originator system', () => {
    const lines = REQUEST.filter((l) => !l.startsWith('X-Mms-Originator-System')).concat('Sender: mms@peer.example');
    expect(readMm4Headers(headerBlock(lines)).originatorSystem).toBe('mms@peer.example');
  });
});

describe('gatewayIdOf', () => {
  it('takes the id from <id@host>, else the transaction id', () => {
    const h = readMm4Headers(headerBlock(REQUEST));
    expect(gatewayIdOf(h)).toBe('abc123');
    expect(gatewayIdOf({ ...h, messageId: '' })).toBe('T-42');
  });
});

describe('envelopeAddress', () => {
  it('writes +N/TYPE=PLMN@domain, IPs as address literals', () => {
    expect(envelopeAddress('+15550000001', 'mms.example')).toBe('+15550000001/TYPE=PLMN@mms.example');
    expect(envelopeAddress('+15550000001', '10.0.0.5')).toBe('+15550000001/TYPE=PLMN@[10.0.0.5]');
    expect(envelopeAddress('+15550000001', '2001:db8::1')).toBe('+15550000001/TYPE=PLMN@[IPv6:2001:db8::1]');
  });
});
