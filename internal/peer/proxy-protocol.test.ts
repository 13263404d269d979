import { describe, expect, it } from 'vitest';
import { parseProxyHeader } from './proxy-protocol.js';

const V2_SIG = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');

function v2(command: number, family: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = family;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2_SIG, head, body]);
}

function v2Inet4(src: number[], srcPort: number): Buffer {
  const body = Buffer.alloc(12);
  Buffer.from(src).copy(body, 0);
  Buffer.from([127, 0, 0, 1]).copy(body, 4);
  body.writeUInt16BE(srcPort, 8);
  body.writeUInt16BE(2775, 10);
  return v2(0x1, 0x11, body);
}

describe('PROXY protocol v1', () => {
  it('reads the client address of a TCP4 line and what follows it', () => {
    const data = Buffer.concat([Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 51000 2775\r\n'), Buffer.from([0, 0, 0, 16])]);
    expect(parseProxyHeader(data)).toEqual({ state: 'done', consumed: 44, source: { ip: '203.0.113.7', port: 51000 } });
  });

  it('reads TCP6 lines', () => {
    const r = parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::7 2001:db8::1 4000 2775\r\n'));
    expect(r).toMatchObject({ state: 'done', source: { ip: '2001:db8::7', port: 4000 } });
  });

  it('keeps the peer address for UNKNOWN', () => {
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ state: 'done', consumed: 15 });
  });

  it('waits for the rest of a line', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4'))).toEqual({ state: 'incomplete' });
    expect(parseProxyHeader(Buffer.from('PRO'))).toEqual({ state: 'incomplete' });
  });

  it('refuses bad lines, overlong lines and connections without a header', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3 10.0.0.1 1 2\r\n')).state).toBe('invalid');
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 ::1 ::1 1 2\r\n')).state).toBe('invalid');
    expect(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`)).state).toBe('invalid');
    expect(parseProxyHeader(Buffer.from([0, 0, 0, 16, 0, 0, 0, 0x15])).state).toBe('invalid');
  });
});

describe('PROXY protocol v2', () => {
  it('reads an IPv4 PROXY header', () => {
    const header = v2Inet4([198, 51, 100, 9], 40000);
    const data = Buffer.concat([header, Buffer.from('rest')]);
    expect(parseProxyHeader(data)).toEqual({ state: 'done', consumed: header.length, source: { ip: '198.51.100.9', port: 40000 } });
  });

  it('reads an IPv6 PROXY header', () => {
    const body = Buffer.alloc(36);
    Buffer.from('20010db8000000000000000000000042', 'hex').copy(body, 0);
    body.writeUInt16BE(1234, 32);
    expect(parseProxyHeader(v2(0x1, 0x21, body))).toMatchObject({ source: { ip: '2001:db8::42', port: 1234 } });
  });

  it('keeps the peer address for LOCAL (balancer health checks)', () => {
    expect(parseProxyHeader(v2(0x0, 0x00, Buffer.alloc(0)))).toEqual({ state: 'done', consumed: 16 });
  });

  it('skips TLVs after the addresses', () => {
    const header = v2Inet4([192, 0, 2, 1], 1);
    const withTlv = v2(0x1, 0x11, Buffer.concat([header.subarray(16), Buffer.from([0x04, 0x00, 0x01, 0x00])]));
    expect(parseProxyHeader(withTlv)).toMatchObject({ state: 'done', consumed: withTlv.length, source: { ip: '192.0.2.1' } });
  });

  it('waits for a partial header and refuses another version', () => {
    const header = v2Inet4([192, 0, 2, 1], 1);
    expect(parseProxyHeader(header.subarray(0, 10))).toEqual({ state: 'incomplete' });
    expect(parseProxyHeader(header.subarray(0, 20))).toEqual({ state: 'incomplete' });
    const v3 = Buffer.from(header);
    v3[12] = 0x31;
    expect(parseProxyHeader(v3).state).toBe('invalid');
  });
});
