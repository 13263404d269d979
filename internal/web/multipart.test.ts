import { describe, expect, it } from 'vitest';
import { fieldText, formBoundary, formParts } from './multipart.js';

async function read(body: string, boundary: string, chunkSize: number) {
  const bytes = Buffer.from(body);
  const source = (async function* () {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  })();
  const parts: Array<{ name: string; filename?: string; text: string }> = [];
  for await (const part of formParts(source, boundary)) {
    parts.push({
      name: part.name,
      ...(part.filename !== undefined ? { filename: part.filename } : {}),
      text: part.name === 'skip' ? '' : await fieldText(part.body, part.name, 1 << 20),
    });
  }
  return parts;
}

const body = [
  'preamble\r\n--XyZ\r\nContent-Disposition: form-data; name="from"\r\n\r\n+15550001000',
  '\r\n--XyZ\r\nContent-Disposition: form-data; name="skip"\r\n\r\nunread --XyZ- almost',
  '\r\n--XyZ\r\nContent-Disposition: form-data; name="csv"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\nto,name\r\n+1555,Ann\r\n',
  '\r\n--XyZ--\r\n',
].join('');

describe('formParts', () => {
  it('finds the boundary of a multipart/form-data type only', () => {
    expect(formBoundary('multipart/form-data; boundary=----abc')).toBe('----abc');
    expect(formBoundary('Multipart/Form-Data; boundary="a b"')).toBe('a b');
    expect(formBoundary('application/json')).toBeUndefined();
  });

  it.each([1, 3, 7, 1024])('reads fields and files in %i-byte chunks, skipping a part left unread', async (size) => {
    expect(await read(body, 'XyZ', size)).toEqual([
      { name: 'from', text: '+15550001000' },
      { name: 'skip', text: '' },
      { name: 'csv', filename: 'a.csv', text: 'to,name\r\n+1555,Ann\r\n' },
    ]);
  });

  it('refuses a body that ends inside a part', async () => {
    await expect(read(body.slice(0, 60), 'XyZ', 16)).rejects.toThrow(/^Invalid multipart body/);
  });
});
