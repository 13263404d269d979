/**
 * Reads an SMTP DATA stream while counting its bytes: past `maxBytes` nothing more is kept (the
 * rest is only drained, since SMTP cannot answer before the final dot), so an oversized mail
 * never costs more memory than the limit.
 */
import type { Readable } from 'node:stream';

export type LimitedRead = { ok: true; bytes: Buffer } | { ok: false; receivedBytes: number };

export async function readLimited(stream: Readable, maxBytes: number): Promise<LimitedRead> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    received += buf.length;
    if (received <= maxBytes) chunks.push(buf);
    else if (chunks.length > 0) chunks.length = 0;
  }
  return received <= maxBytes ? { ok: true, bytes: Buffer.concat(chunks, received) } : { ok: false, receivedBytes: received };
}
