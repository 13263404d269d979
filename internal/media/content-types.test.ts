import { describe, expect, it } from 'vitest';
import { baseType, filenameFor, MAX_FILENAME_CHARS, servedInline, sniffContentType } from './content-types.js';

describe('content types', () => {
  it('keeps a well-formed type and turns anything that could break a header into octet-stream', () => {
    expect(baseType(' Image/JPEG; name="a.jpg"')).toBe('image/jpeg');
    expect(baseType('application/vnd.wap.multipart.related')).toBe('application/vnd.wap.multipart.related');
    for (const bad of [
      '',
      'html',
      'text/html\r\nSet-Cookie: a=b',
      'text/ html',
      'a/b/c',
      `image/${'x'.repeat(130)}`,
      'tëxt/plain',
      '/png',
    ]) {
      expect(baseType(bad), bad).toBe('application/octet-stream');
    }
  });

  it('shows only pictures, sound and plain text inline', () => {
    for (const type of [
      'image/jpeg',
      'image/png',
      'image/gif',
      'video/mp4',
      'video/3gpp',
      'audio/amr',
      'audio/mpeg',
      'text/plain; charset=utf-8',
    ]) {
      expect(servedInline(type), type).toBe(true);
    }
    for (const type of [
      'image/svg+xml',
      'text/html',
      'application/xhtml+xml',
      'text/xml',
      'application/xml',
      'application/pdf',
      'text/vcard',
      'application/smil',
      'application/octet-stream',
      'multipart/x-mixed-replace',
      'text/javascript',
      '',
    ]) {
      expect(servedInline(type), type).toBe(false);
    }
  });

  it('knows the audio and video containers ffmpeg is allowed to read by their bytes', () => {
    const at4 = (tag: string) => Buffer.concat([Buffer.from([0, 0, 0, 8]), Buffer.from(tag)]);
    expect(sniffContentType(Buffer.from([0xff, 0xf1, 0x50, 0x80]))).toBe('audio/aac');
    expect(sniffContentType(Buffer.from([0xff, 0xfa, 0x90, 0x00]))).toBe('audio/mpeg');
    expect(sniffContentType(Buffer.from('RIFF\0\0\0\0AVI LIST'))).toBe('video/x-msvideo');
    expect(sniffContentType(at4('moov'))).toBe('video/quicktime');
    for (const text of ['#EXTM3U\n#EXTINF:1,\n/etc/passwd\n', 'ffconcat version 1.0\nfile a.mp4\n', '<svg/>']) {
      expect(sniffContentType(Buffer.from(text)), text).toBeUndefined();
    }
  });
});

describe('filenameFor', () => {
  it("cuts a sender's endless name to MAX_FILENAME_CHARS, keeping the extension, and drops control characters", () => {
    const long = filenameFor(`${'a'.repeat(500_000)}.jpg`, 'image/jpeg');
    expect(long).toHaveLength(MAX_FILENAME_CHARS);
    expect(long.endsWith('aaa.jpg')).toBe(true);
    expect(filenameFor('x'.repeat(300), 'image/png')).toBe(`${'x'.repeat(MAX_FILENAME_CHARS)}.png`);
    expect(filenameFor('a\r\nb\0c.png', 'image/png')).toBe('abc.png');
    expect(filenameFor('dir/sub\\x.png', 'image/png')).toBe('dir_sub_x.png');
  });
});
