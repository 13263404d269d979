/**
 * Cuts a TCP byte stream into whole PDUs by command_length (SMPP 3.4 §3.2), however the bytes
 * arrive (one octet at a time or many PDUs per chunk). A command_length outside 16..MAX is broken
 * framing: nothing after it can be trusted, so the framer stops and reports it once.
 */
import { HEADER_LENGTH, MAX_PDU_LENGTH } from './pdu.js';

export interface PduHeader {
  commandLength: number;
  commandId: number;
  commandStatus: number;
  sequenceNumber: number;
}

export type Frame =
  | { kind: 'pdu'; buffer: Buffer; header: PduHeader }
  /** The stream cannot be resynchronised; `header` is what the bad PDU claimed. */
  | { kind: 'broken'; header: PduHeader; reason: string };

export class PduFramer {
  #chunks: Buffer[] = [];
  #buffered = 0;
  #broken = false;

  constructor(private maxLength = MAX_PDU_LENGTH) {}

  /** Changes the longest command_length accepted from the next PDU on (e.g. once a session is bound). */
  limit(maxLength: number): void {
    this.maxLength = maxLength;
  }

  /** Bytes waiting for the rest of their PDU. */
  get buffered(): number {
    return this.#buffered;
  }

  push(chunk: Buffer): void {
    if (this.#broken || chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** The next whole PDU, a broken-framing report (once), or undefined until more bytes arrive. */
  next(): Frame | undefined {
    if (this.#broken || this.#buffered < HEADER_LENGTH) return undefined;
    const header = readHeader(this.#peek(HEADER_LENGTH));
    if (header.commandLength < HEADER_LENGTH || header.commandLength > this.maxLength) {
      this.#broken = true;
      this.#chunks = [];
      this.#buffered = 0;
      return { kind: 'broken', header, reason: `command_length ${header.commandLength} is outside ${HEADER_LENGTH}..${this.maxLength}` };
    }
    if (this.#buffered < header.commandLength) return undefined;
    return { kind: 'pdu', buffer: this.#take(header.commandLength), header };
  }

  /** The first `n` buffered bytes, merging chunks only as far as needed. */
  #peek(n: number): Buffer {
    if (this.#chunks[0].length < n) this.#chunks = [Buffer.concat(this.#chunks)];
    return this.#chunks[0].subarray(0, n);
  }

  #take(n: number): Buffer {
    const head = this.#peek(n);
    const first = this.#chunks[0];
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#buffered -= n;
    // A copy, so a PDU kept by a handler does not pin the whole socket chunk.
    return Buffer.from(head);
  }
}

export function readHeader(buffer: Buffer): PduHeader {
  return {
    commandLength: buffer.readUInt32BE(0),
    commandId: buffer.readUInt32BE(4),
    commandStatus: buffer.readUInt32BE(8),
    sequenceNumber: buffer.readUInt32BE(12),
  };
}
