import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors/index.js';
import { checkMime, parseMm4 } from './parse.js';
import { statusFromMmStatus, statusFromRequestStatus, mmStatusFor } from './status-map.js';
import { toSmtpReply } from './smtp-reply.js';
import { ForbiddenError, GatewayError, QuotaExceededError, UnavailableError } from '../errors/index.js';

const HEAD = [
  'X-Mms-3GPP-MMS-Version: 6.10.0',
  'X-Mms-Message-Type: MM4_forward.REQ',
  'X-Mms-Message-ID: <m1@pbx>',
  'X-Mms-Transaction-ID: m1',
  'From: +15550001111/TYPE=PLMN',
  'To: +15550002222/TYPE=PLMN',
  'MIME-Version: 1.0',
];

function mail(contentType: string, body: string[]): Buffer {
  return Buffer.from([...HEAD, `Content-Type: ${contentType}`, '', ...body].join('\r\n'));
}

describe('parseMm4', () => {
  it('reads a multipart/mixed body as swaks builds it: text and an attachment', async () => {
    const m = await parseMm4(
      mail('multipart/mixed; boundary="b1"', [
        '--b1',
        'Content-Type: text/plain',
        '',
        'Hello MMS',
        '--b1',
        'Content-Type: image/png; name="dot.png"',
        'Content-Disposition: attachment; filename="dot.png"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('PNGDATA').toString('base64'),
        '--b1--',
        '',
      ]),
    );
    expect(m.text).toBe('Hello MMS');
    expect(m.parts).toEqual([{ contentType: 'image/png', filename: 'dot.png', bytes: Buffer.from('PNGDATA') }]);
  });

  it('drops SMIL and names parts by Content-Location in multipart/related', async () => {
    const m = await parseMm4(
      mail('multipart/related; boundary=zz; type="application/smil"', [
        '--zz',
        'Content-Type: application/smil',
        'Content-Id: <0.smil>',
        '',
        '<smil/>',
        '--zz',
        'Content-Type: image/gif',
        'Content-Location: anim.gif',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('GIF89a').toString('base64'),
        '--zz--',
      ]),
    );
    expect(m.parts.map((p) => [p.contentType, p.filename])).toEqual([['image/gif', 'anim.gif']]);
  });

  it('takes a single-part body as the message text', async () => {
    expect((await parseMm4(mail('text/plain; charset=utf-8', ['just text']))).text).toBe('just text');
  });

  it('cleans the text parts and filenames: NUL removed, controls gone from names', async () => {
    const m = await parseMm4(
      mail('multipart/mixed; boundary="b1"', [
        '--b1',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        'Hel=00lo=09MMS',
        '--b1',
        'Content-Type: text/plain; charset=utf-16be',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from([0, 0x41, 0xd8, 0x3d, 0, 0x42]).toString('base64'),
        '--b1',
        'Content-Type: image/png',
        'Content-Location: do\u0000t.png',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('PNG').toString('base64'),
        '--b1--',
        '',
      ]),
    );
    expect(m.text).toBe('Hello\tMMS\nA\uFFFDB');
    expect(m.parts.map((p) => p.filename)).toEqual(['dot.png']);
  });

  it('cleans a single-part body with a NUL byte', async () => {
    expect((await parseMm4(mail('text/plain; charset=iso-8859-1', ['a\u0000b']))).text).toBe('ab');
  });

  it('refuses an empty body', async () => {
    await expect(parseMm4(Buffer.from('\r\n'))).rejects.toThrow('empty message body');
  });
});

describe('parseMm4 on hostile MIME: a final 554 naming the fault, never a 451 the peer retries forever', () => {
  const refusal = (raw: Buffer) =>
    parseMm4(raw).then(
      () => undefined,
      (e: unknown) => e,
    );

  it('refuses more parts than the MIME reader keeps', async () => {
    const parts = Array.from({ length: 2_000 }, () => '--c\r\nContent-Type: image/png\r\n\r\nP').join('\r\n');
    const err = await refusal(mail('multipart/mixed; boundary="c"', [parts, '--c--', '']));
    expect(toSmtpReply(err)).toEqual({
      code: 554,
      message: 'malformed MIME: the mail could not be decoded: max allowed child nodes exceeded',
    });
  });

  it('refuses a part whose headers never end', async () => {
    const err = await refusal(
      mail('multipart/mixed; boundary="d"', ['--d', 'X-A: b\r\n'.repeat(300_000) + 'Content-Type: image/png', '', 'P', '--d--']),
    );
    expect(toSmtpReply(err)).toMatchObject({ code: 554, message: expect.stringMatching(/^malformed MIME: .*max header size/) });
  });

  it('refuses multiparts nested deeper than an MMS needs, without recursing into them', async () => {
    // Part i of the mail's multipart is a multipart with boundary b{i+1}, 5,000 deep.
    let body = 'x';
    for (let i = 5_000; i >= 0; i--) body = `--b${i}\r\nContent-Type: multipart/mixed; boundary="b${i + 1}"\r\n\r\n${body}\r\n--b${i}--`;
    const err = await refusal(mail('multipart/mixed; boundary="b0"', [body]));
    expect(toSmtpReply(err)).toEqual({ code: 554, message: 'malformed MIME: multipart nested more than 8 deep' });
  });

  it('refuses bad base64 in a nested part too, naming it', async () => {
    const err = await refusal(
      mail('multipart/mixed; boundary="e"', [
        '--e',
        'Content-Type: multipart/related; boundary="f"',
        '',
        '--f',
        'Content-Type: image/png',
        'Content-Transfer-Encoding: base64',
        '',
        '!!!not*base64###',
        '--f--',
        '--e--',
        '',
      ]),
    );
    expect(toSmtpReply(err)).toEqual({ code: 554, message: 'malformed MIME: part 1.1 is not valid base64' });
  });

  it('tells an inner boundary that starts like the outer one from it', async () => {
    const m = await parseMm4(
      mail('multipart/mixed; boundary="b"', [
        '--b',
        'Content-Type: multipart/related; boundary="b1"',
        '',
        '--b1',
        'Content-Type: image/png',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('PNG').toString('base64'),
        '--b1--',
        '--b',
        'Content-Type: text/plain',
        '',
        'hello',
        '--b--',
        '',
      ]),
    );
    expect(m.parts.map((p) => p.bytes.toString())).toEqual(['PNG']);
    expect(m.text).toBe('hello');
  });
});

describe('checkMime', () => {
  const raw = (contentType: string, body: string[]) => mail(contentType, body).toString('latin1');

  it('refuses a multipart type without a boundary', () => {
    expect(() => checkMime(raw('multipart/mixed', ['x']))).toThrow(/without a boundary/);
  });

  it('refuses a multipart body that never closes its boundary', () => {
    expect(() => checkMime(raw('multipart/mixed; boundary=b', ['--b', 'Content-Type: text/plain', '', 'x']))).toThrow(/does not end/);
  });

  it('refuses a base64 part that is not base64', () => {
    expect(() =>
      checkMime(
        raw('multipart/mixed; boundary=b', [
          '--b',
          'Content-Type: image/png',
          'Content-Transfer-Encoding: base64',
          '',
          '%%% not base64 %%%',
          '--b--',
        ]),
      ),
    ).toThrow(ValidationError);
  });

  it('reads a mail without Content-Type as text/plain (RFC 2045 §5.2)', async () => {
    expect(() => checkMime('From: x\r\n\r\nbody')).not.toThrow();
    expect((await parseMm4(Buffer.from([...HEAD, '', 'plain body'].join('\r\n')))).text).toBe('plain body');
  });
});

describe('status mapping', () => {
  it('maps MM4_forward.RES request status codes', () => {
    expect(statusFromRequestStatus('Ok')).toBe('delivered');
    expect(statusFromRequestStatus('Error-content-not-accepted')).toBe('rejected');
    expect(statusFromRequestStatus('Error-network-problem')).toBe('failed');
  });

  it('maps MM status codes both ways', () => {
    expect(statusFromMmStatus('Retrieved')).toBe('delivered');
    expect(statusFromMmStatus('Expired')).toBe('expired');
    expect(statusFromMmStatus('Deferred')).toBe('sent');
    expect(statusFromMmStatus('whatever')).toBe('unknown');
    expect(mmStatusFor('delivered')).toBe('Retrieved');
    expect(mmStatusFor('failed')).toBe('Rejected');
    expect(mmStatusFor('sent')).toBeUndefined();
  });
});

describe('toSmtpReply', () => {
  it('uses the error table and hides unknown errors', () => {
    expect(toSmtpReply(new ValidationError('missing required header: From'))).toEqual({
      code: 554,
      message: 'missing required header: From',
    });
    expect(toSmtpReply(new ForbiddenError('not yours'))).toMatchObject({ code: 550 });
    expect(toSmtpReply(new QuotaExceededError('MMS daily limit exceeded (5/5)'))).toMatchObject({ code: 452 });
    expect(toSmtpReply(new UnavailableError('bus down'))).toMatchObject({ code: 451 });
    expect(toSmtpReply(new Error('secret detail'))).toEqual({ code: 451, message: 'Internal server error' });
    expect(toSmtpReply(new GatewayError('INTERNAL', 'secret'))).toEqual({ code: 451, message: 'Internal server error' });
  });
});
