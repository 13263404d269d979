import { describe, expect, it } from 'vitest';
import { effectiveContentType, extensionFor, filenameFor, mediaKind, sniffContentType } from './content-types.js';
import { newMediaToken, tokenFromPath } from './tokens.js';

describe('media tokens', () => {
  it('are 32 URL-safe characters (192 random bits) and never repeat', () => {
    const tokens = new Set(Array.from({ length: 1000 }, newMediaToken));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('are read from a path with or without an extension; gomsggw UUIDs still work', () => {
    const token = newMediaToken();
    expect(tokenFromPath(token)).toBe(token);
    expect(tokenFromPath(`${token}.jpg`)).toBe(token);
    expect(tokenFromPath('0b1f6a52-3f7c-4e4b-9a8e-6f0d2b1c9e77.png')).toBe('0b1f6a52-3f7c-4e4b-9a8e-6f0d2b1c9e77');
    expect(tokenFromPath('short')).toBeUndefined();
    expect(tokenFromPath('../etc/passwd')).toBeUndefined();
  });
});

describe('content types', () => {
  it('map to the extension a served file gets', () => {
    expect(extensionFor('image/jpeg')).toBe('jpg');
    expect(extensionFor('Video/MP4; codecs="avc1"')).toBe('mp4');
    expect(extensionFor('audio/mp4')).toBe('m4a');
    expect(extensionFor('application/x-unknown')).toBe('bin');
  });

  it('give a file name the extension of its type', () => {
    expect(filenameFor('photo.png', 'image/jpeg')).toBe('photo.jpg');
    expect(filenameFor('photo.jpeg', 'image/jpeg')).toBe('photo.jpeg');
    expect(filenameFor('clip', 'video/mp4')).toBe('clip.mp4');
    expect(filenameFor('', 'image/gif')).toBe('media.gif');
    expect(filenameFor('a/b\\c.txt', 'text/plain')).toBe('a_b_c.txt');
  });

  it('are sniffed from magic numbers when the sender gave none', () => {
    expect(sniffContentType(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('image/jpeg');
    expect(sniffContentType(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'))).toBe('image/png');
    expect(sniffContentType(Buffer.from('GIF89a'))).toBe('image/gif');
    expect(sniffContentType(Buffer.from('\0\0\0\x18ftypisom', 'latin1'))).toBe('video/mp4');
    expect(sniffContentType(Buffer.from('\0\0\0\x18ftyp3gp4', 'latin1'))).toBe('video/3gpp');
    expect(effectiveContentType('application/octet-stream', Buffer.from('GIF89a'))).toBe('image/gif');
    expect(effectiveContentType('image/png', Buffer.from('GIF89a'))).toBe('image/png');
    expect(effectiveContentType('', Buffer.from('hello'))).toBe('application/octet-stream');
  });

  it('choose the transcoder', () => {
    expect(mediaKind('image/webp')).toBe('image');
    expect(mediaKind('image/gif')).toBe('gif');
    expect(mediaKind('video/quicktime')).toBe('video');
    expect(mediaKind('audio/amr')).toBe('audio');
    expect(mediaKind('application/smil')).toBe('smil');
    expect(mediaKind('text/vcard')).toBe('other');
  });
});
