/**
 * Reading the MM4 header block (TS 23.140 §8.4; field-notes §4): names are case-insensitive,
 * some peers quote values, addresses come as `+15551234567/TYPE=PLMN` (with `@domain` in the
 * envelope), and gomsggw's required set is kept with its error text (upstream §9.2).
 */
import { isIP } from 'node:net';
import { ValidationError } from '../errors/index.js';
import { cleanText, hasControlCharacter } from '../text/index.js';
import type { Mm4Address, Mm4Headers } from './types.js';

/** Header names gomsggw required, spelled as its error text names them (§9.2). */
export const REQUIRED_HEADERS = [
  'X-Mms-3GPP-MMS-Version',
  'X-Mms-message-Type',
  'X-Mms-message-ID',
  'X-Mms-Transaction-ID',
  'From',
  'To',
] as const;

/** A header block as lowercase name → values in order. */
export type HeaderBlock = Map<string, string[]>;

/** Unfolds raw header lines (`Name: value`, continuation lines already joined or not). */
export function headerBlock(lines: readonly string[]): HeaderBlock {
  const block: HeaderBlock = new Map();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line
      .slice(colon + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    const list = block.get(name);
    if (list) list.push(value);
    else block.set(name, [value]);
  }
  return block;
}

/** First value of a header, with surrounding quotes and angle brackets trimmed. */
export function headerValue(block: HeaderBlock, name: string): string {
  const value = block.get(name.toLowerCase())?.[0] ?? '';
  return unquote(value);
}

function unquote(value: string): string {
  return value
    .trim()
    .replace(/^"(.*)"$/s, '$1')
    .trim();
}

/** `<id@host>` → `id@host`; a bare id stays as it is. */
export function stripAngles(value: string): string {
  return unquote(value)
    .replace(/^<(.*)>$/s, '$1')
    .trim();
}

/**
 * One MM4 address. Accepts `+1555…/TYPE=PLMN`, `+1555…/TYPE=PLMN@mms.example`, a display-name
 * form `"x" <+1555…/TYPE=PLMN>` and bare numbers; undefined for an empty value.
 */
export function parseAddress(input: string): Mm4Address | undefined {
  let text = unquote(input);
  const angle = /<([^>]*)>/.exec(text);
  if (angle) text = angle[1]!.trim();
  if (text === '') return undefined;
  const typeAt = text.search(/\/TYPE=/i);
  if (typeAt < 0) {
    // No /TYPE=: an e-mail style address (system@host) or a bare number.
    return { raw: text, value: text, type: '' };
  }
  const value = text.slice(0, typeAt).trim();
  const type = text
    .slice(typeAt + '/TYPE='.length)
    .split('@', 1)[0]!
    .trim();
  return { raw: `${value}/TYPE=${type}`, value, type };
}

/** A comma-separated address list (To, Cc); commas inside quotes or brackets do not split. */
export function parseAddressList(values: readonly string[]): Mm4Address[] {
  const out: Mm4Address[] = [];
  for (const value of values) {
    for (const item of splitList(value)) {
      const address = parseAddress(item);
      if (address) out.push(address);
    }
  }
  return out;
}

function splitList(value: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && ch === ',') {
      items.push(value.slice(start, i));
      start = i + 1;
    }
  }
  items.push(value.slice(start));
  return items.map((s) => s.trim()).filter(Boolean);
}

/** `+15551234567` → `+15551234567/TYPE=PLMN` (the form MM4 peers expect in From/To). */
export function plmnAddress(number: string): string {
  return /\/TYPE=/i.test(number) ? number : `${number}/TYPE=PLMN`;
}

/**
 * An SMTP envelope path for a number: `+15551234567/TYPE=PLMN@domain` (TS 23.140 §8.4; RFC 5321
 * needs the domain, which gomsggw's bare `<+1…>` lacked), IPs written as address literals.
 */
export function envelopeAddress(number: string, domain: string): string {
  const family = isIP(domain);
  const literal = family === 4 ? `[${domain}]` : family === 6 ? `[IPv6:${domain}]` : domain;
  return `${plmnAddress(number)}@${literal}`;
}

const yes = (value: string) => value.trim().toLowerCase() === 'yes';

/**
 * The MM4 headers of a request or response. Rejects with ValidationError naming the first
 * missing required header (`missing required header: X-Mms-Transaction-ID`, upstream's text);
 * responses and reports need no To/From content beyond the header itself. A header the gateway
 * routes, keys or answers by holding a control character (a NUL, a lone CR) is refused; the
 * free-text Subject and X-Mms-Status-Text are cleaned (cleanText).
 */
export function readMm4Headers(block: HeaderBlock): Mm4Headers {
  for (const name of REQUIRED_HEADERS) {
    if (name === 'X-Mms-message-ID' && (block.has('x-mms-message-id') || block.has('message-id'))) continue;
    if (!block.has(name.toLowerCase())) throw new ValidationError(`missing required header: ${name}`);
  }
  const headers = headersOf(block);
  refuseControls(headers);
  return headers;
}

function headersOf(block: HeaderBlock): Mm4Headers {
  const messageId = stripAngles(headerValue(block, 'X-Mms-Message-ID') || headerValue(block, 'Message-ID'));
  return {
    messageType: headerValue(block, 'X-Mms-Message-Type'),
    version: headerValue(block, 'X-Mms-3GPP-MMS-Version'),
    transactionId: headerValue(block, 'X-Mms-Transaction-ID'),
    messageId,
    from: parseAddress(block.get('from')?.[0] ?? ''),
    recipients: parseAddressList([...(block.get('to') ?? []), ...(block.get('cc') ?? [])]),
    ackRequested: yes(headerValue(block, 'X-Mms-Ack-Request')),
    deliveryReportRequested: yes(headerValue(block, 'X-Mms-Delivery-Report')),
    originatorSystem: stripAngles(headerValue(block, 'X-Mms-Originator-System') || headerValue(block, 'Sender')),
    requestStatus: headerValue(block, 'X-Mms-Request-Status-Code'),
    mmStatus: headerValue(block, 'X-Mms-MM-Status-Code'),
    statusText: cleanText(headerValue(block, 'X-Mms-Status-Text')),
    subject: cleanText(headerValue(block, 'Subject')),
  };
}

/** Throws ValidationError (554) naming the first routing header that holds a control character. */
function refuseControls(headers: Mm4Headers): void {
  const values: Array<[string, string | undefined]> = [
    ['X-Mms-Message-Type', headers.messageType],
    ['X-Mms-3GPP-MMS-Version', headers.version],
    ['X-Mms-Transaction-ID', headers.transactionId],
    ['X-Mms-Message-ID', headers.messageId],
    ['From', headers.from?.raw],
    ...headers.recipients.map((r): [string, string] => ['To', r.raw]),
    ['X-Mms-Originator-System', headers.originatorSystem],
    ['X-Mms-Request-Status-Code', headers.requestStatus],
    ['X-Mms-MM-Status-Code', headers.mmStatus],
  ];
  const bad = values.find(([, value]) => value !== undefined && hasControlCharacter(value));
  if (bad) throw new ValidationError(`header ${bad[0]} holds a control character`);
}

/**
 * The gateway's message id in a response or report about an MM4 message the gateway sent: its
 * X-Mms-Message-ID was `<id@host>` and its transaction id was `id` (compose.ts).
 */
export function gatewayIdOf(headers: Mm4Headers): string {
  const fromMessageId = headers.messageId.split('@', 1)[0]!.trim();
  return fromMessageId || headers.transactionId;
}
