import { PayloadTooLargeError, ValidationError } from '../errors/index.js';

/** One part of a multipart/form-data body; its `body` must be read (or left) before the next part. */
export interface FormPart {
  name: string;
  /** Set for a file field. */
  filename?: string;
  body: AsyncIterable<Buffer>;
}

/** A part's headers are a line or two; more is not a form. */
const MAX_HEADER_BYTES = 16 * 1024;
const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/** The boundary of a multipart/form-data Content-Type, or undefined when it is not one. */
export function formBoundary(contentType: string): string | undefined {
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * The parts of a multipart/form-data body (RFC 7578) as it streams in: a file is passed on in
 * pieces, never held whole, so a large CSV upload costs a few chunks of memory. A part's body
 * left unread is skipped when the next part is asked for. Throws ValidationError for a body
 * that is not well-formed.
 */
export async function* formParts(source: AsyncIterable<Buffer>, boundary: string): AsyncGenerator<FormPart> {
  const reader = new PartReader(source, boundary);
  await reader.skipPreamble();
  while (await reader.nextHeaders()) {
    const headers = reader.headers;
    yield { ...disposition(headers), body: reader.body() };
    await reader.drain();
  }
}

class PartReader {
  // A leading CRLF lets the first delimiter be found like every other one.
  #buf: Buffer = CRLF;
  #done = false;
  #inPart = false;
  readonly #iterator: AsyncIterator<Buffer>;
  readonly #delimiter: Buffer;
  headers = '';

  constructor(source: AsyncIterable<Buffer>, boundary: string) {
    this.#iterator = source[Symbol.asyncIterator]();
    this.#delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  async skipPreamble(): Promise<void> {
    for (;;) {
      const at = this.#buf.indexOf(this.#delimiter);
      if (at >= 0) {
        this.#buf = this.#buf.subarray(at + this.#delimiter.length);
        return;
      }
      this.#buf = this.#buf.subarray(Math.max(0, this.#buf.length - this.#delimiter.length));
      if (!(await this.more())) throw malformed('no boundary found');
    }
  }

  /** After a delimiter: reads the next part's headers; false at the closing delimiter. */
  async nextHeaders(): Promise<boolean> {
    while (this.#buf.length < 2) if (!(await this.more())) throw malformed('it ends inside a boundary');
    if (this.#buf[0] === 0x2d && this.#buf[1] === 0x2d) return false;
    for (;;) {
      const end = this.#buf.indexOf(HEADER_END);
      if (end >= 0) {
        this.headers = this.#buf.subarray(0, end).toString('utf8');
        this.#buf = this.#buf.subarray(end + HEADER_END.length);
        this.#inPart = true;
        return true;
      }
      if (this.#buf.length > MAX_HEADER_BYTES) throw malformed('a part has too long a header');
      if (!(await this.more())) throw malformed('it ends inside part headers');
    }
  }

  /** The current part's bytes, up to its delimiter. */
  async *body(): AsyncGenerator<Buffer> {
    for (let chunk = await this.chunk(); chunk !== null; chunk = await this.chunk()) yield chunk;
  }

  /** Skips what is left of the current part. */
  async drain(): Promise<void> {
    while ((await this.chunk()) !== null);
  }

  /** The next piece of the current part; null once its delimiter is reached. */
  private async chunk(): Promise<Buffer | null> {
    while (this.#inPart) {
      const at = this.#buf.indexOf(this.#delimiter);
      if (at >= 0) {
        const piece = this.#buf.subarray(0, at);
        this.#buf = this.#buf.subarray(at + this.#delimiter.length);
        this.#inPart = false;
        if (piece.length > 0) return piece;
        break;
      }
      // Keep a tail that may be the start of the delimiter.
      const safe = this.#buf.length - (this.#delimiter.length - 1);
      if (safe > 0) {
        const piece = this.#buf.subarray(0, safe);
        this.#buf = this.#buf.subarray(safe);
        return piece;
      }
      if (!(await this.more())) throw malformed('it ends inside a part');
    }
    return null;
  }

  private async more(): Promise<boolean> {
    if (this.#done) return false;
    const next = await this.#iterator.next();
    if (next.done) {
      this.#done = true;
      return false;
    }
    this.#buf = this.#buf.length === 0 ? next.value : Buffer.concat([this.#buf, next.value]);
    return true;
  }
}

/** name and filename of a part's Content-Disposition. */
function disposition(headers: string): { name: string; filename?: string } {
  const line = headers.split('\r\n').find((h) => /^content-disposition\s*:/i.test(h));
  if (!line) throw malformed('a part has no Content-Disposition');
  const param = (key: string) => new RegExp(`;\\s*${key}="([^"]*)"|;\\s*${key}=([^;\\s]+)`, 'i').exec(line);
  const name = param('name');
  if (!name) throw malformed('a part has no name');
  const filename = param('filename');
  return { name: name[1] ?? name[2] ?? '', ...(filename ? { filename: filename[1] ?? filename[2] ?? '' } : {}) };
}

/** A form field's value as text, refused past `limitBytes`. */
export async function fieldText(body: AsyncIterable<Buffer>, name: string, limitBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limitBytes) throw new PayloadTooLargeError(`form field '${name}' is larger than ${limitBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** `source`, refused with a 413 once it passes `limitBytes`. */
export async function* limited(source: AsyncIterable<Buffer>, limitBytes: number): AsyncGenerator<Buffer> {
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > limitBytes) throw new PayloadTooLargeError(`Request body is larger than ${limitBytes} bytes`);
    yield chunk;
  }
}

function malformed(why: string): ValidationError {
  return new ValidationError(`Invalid multipart body: ${why}`);
}
