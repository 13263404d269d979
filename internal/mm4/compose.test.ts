import { describe, expect, it } from 'vitest';
import { composeDeliveryReport, composeForwardReq, composeResponse, partNames, rfc1123z } from './compose.js';
import { parseMm4 } from './parse.js';
import { buildSmil, smilElement } from './smil.js';

const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Array.from({ length: 200 }, (_, i) => i % 256)]);
const mp4 = Buffer.from('....ftypisom-not-really-a-video');

describe('buildSmil', () => {
  it('gives each image, video and audio part a slide and puts the text on the first', () => {
    const smil = buildSmil([
      { name: 'a.jpg', contentType: 'image/jpeg' },
      { name: 'b.mp4', contentType: 'video/mp4' },
      { name: 'c.m4a', contentType: 'audio/mp4' },
      { name: 'card.vcf', contentType: 'text/vcard' },
      { name: 'text.txt', contentType: 'text/plain' },
    ]);
    expect(smil).toContain('<root-layout width="320px" height="480px"/>');
    expect(smil.match(/<par dur="5000ms">/g)).toHaveLength(3);
    expect(smil).toContain('<par dur="5000ms"><img src="a.jpg" region="Image"/><text src="text.txt" region="Text"/></par>');
    expect(smil).toContain('<video src="b.mp4" region="Image"/>');
    expect(smil).toContain('<audio src="c.m4a"/>');
    expect(smil).not.toContain('card.vcf');
  });

  it('shows a text-only message on one slide and escapes names', () => {
    expect(buildSmil([{ name: 'text.txt', contentType: 'text/plain' }])).toContain(
      '<par dur="5000ms"><text src="text.txt" region="Text"/></par>',
    );
    expect(buildSmil([{ name: 'a"&<.png', contentType: 'image/png' }])).toContain('src="a&quot;&amp;&lt;.png"');
  });

  it('knows which element shows a type', () => {
    expect(smilElement('IMAGE/GIF; name=x')).toBe('img');
    expect(smilElement('application/pdf')).toBeUndefined();
  });
});

describe('composeForwardReq', () => {
  const date = new Date(Date.UTC(2026, 10, 28, 12, 0, 0));
  const raw = composeForwardReq({
    id: 'msg-1',
    msgIdHost: 'gw.example',
    from: '+12505551234',
    to: '+14155550100',
    originatorSystem: 'system@gw.example',
    text: 'Hello ✓',
    parts: [
      { contentType: 'image/jpeg', filename: 'photo.jpg', bytes: jpeg },
      { contentType: 'video/mp4', filename: '', bytes: mp4 },
    ],
    date,
  });

  it("writes gomsggw's header block with its spellings (upstream §9.4)", () => {
    const head = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
    expect(head).toEqual([
      'To: +14155550100',
      'From: +12505551234',
      expect.stringMatching(
        /^Content-Type: multipart\/related; boundary="===============[A-Za-z0-9]{16}"; type="application\/smil"; start="<0.smil>"$/,
      ),
      'MIME-Version: 1.0',
      'X-Mms-3GPP-Mms-Version: 6.10.0',
      'X-Mms-message-Type: MM4_forward.REQ',
      'X-Mms-message-Id: <msg-1@gw.example>',
      'X-Mms-Transaction-Id: msg-1',
      'X-Mms-Ack-Request: Yes',
      'X-Mms-Originator-System: system@gw.example',
      'Date: Sat, 28 Nov 2026 12:00:00 +0000',
    ]);
  });

  it('puts the SMIL first and base64 parts at 76 columns', () => {
    const body = raw.slice(raw.indexOf('\r\n\r\n') + 4);
    expect(body.indexOf('Content-Id: <0.smil>')).toBeLessThan(body.indexOf('photo.jpg"'));
    expect(body).toContain('Content-Type: application/smil; name="0.smil"');
    expect(body).toContain('Content-Location: part2.mp4');
    const lines = body.split('\r\n').filter((l) => /^[A-Za-z0-9+/=]+$/.test(l));
    expect(Math.max(...lines.map((l) => l.length))).toBe(76);
  });

  it('parses back to the same text and media', async () => {
    const mail = await parseMm4(Buffer.from(raw));
    expect(mail.text).toBe('Hello ✓');
    expect(mail.parts.map((p) => [p.contentType, p.filename])).toEqual([
      ['image/jpeg', 'photo.jpg'],
      ['video/mp4', 'part2.mp4'],
    ]);
    expect(mail.parts[0]!.bytes.equals(jpeg)).toBe(true);
    expect(mail.headers).toMatchObject({ messageType: 'MM4_forward.REQ', transactionId: 'msg-1', messageId: 'msg-1@gw.example' });
  });
});

describe('partNames', () => {
  it('names unnamed parts by type and never repeats a name', () => {
    expect(
      partNames([
        { contentType: 'image/png', filename: '' },
        { contentType: 'image/png', filename: 'x.png' },
        { contentType: 'image/png', filename: 'x.png' },
        { contentType: 'application/x-odd', filename: 'a/b\r\n"c' },
      ]),
    ).toEqual(['part1.png', 'x.png', '3-x.png', 'a_b _c']);
  });
});

describe('responses and reports', () => {
  it('echoes the transaction and message ids in MM4_forward.RES', async () => {
    const raw = composeResponse({
      type: 'MM4_forward.RES',
      transactionId: 'T-9',
      messageId: 'm9@peer',
      to: 'system@peer',
      sender: 'system@gw',
      status: 'Ok',
    });
    const mail = await parseMm4(Buffer.from(raw.replace('To: system@peer', 'To: system@peer')));
    expect(mail.headers).toMatchObject({ messageType: 'MM4_forward.RES', transactionId: 'T-9', messageId: 'm9@peer', requestStatus: 'Ok' });
  });

  it('writes an MM4_delivery_report.REQ with the status code', async () => {
    const raw = composeDeliveryReport({
      transactionId: 'd1',
      messageId: 'orig@pbx',
      from: '+15550002222/TYPE=PLMN',
      to: '+15550001111/TYPE=PLMN',
      sender: 'system@gw',
      mmStatus: 'Retrieved',
    });
    const mail = await parseMm4(Buffer.from(raw));
    expect(mail.headers).toMatchObject({ messageType: 'MM4_delivery_report.REQ', messageId: 'orig@pbx', mmStatus: 'Retrieved' });
    expect(mail.headers.from?.value).toBe('+15550002222');
  });

  it('formats dates as RFC 1123 with a numeric zone', () => {
    expect(rfc1123z(new Date(Date.UTC(2026, 0, 2, 3, 4, 5)))).toBe('Fri, 02 Jan 2026 03:04:05 +0000');
  });
});
