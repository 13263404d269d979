/**
 * The npm `smpp` library's PDU codec, wrapped: we frame the stream ourselves (framing.ts) and
 * use the library only to read and write PDU bodies.
 *
 * Reading skips the library's decode filters (lib/pdu.js `_filter('decode')`): its
 * short_message filter turns the octets into text by its own rules (no packed GSM-7, its own
 * UDH split, data_coding & 0x0F), and we need the raw octets for decodeShortMessage. So
 * short_message and message_payload stay Buffers, time fields stay their 16-character strings.
 * The library throws RangeError on truncated bodies; decodeBody turns every throw into a
 * PduDecodeError, so nothing a peer sends can escape as an exception.
 */
import { createRequire } from 'node:module';

/** A decoded PDU: header fields, the command's name and its body fields (library names). */
export interface Pdu {
  command_length: number;
  command_id: number;
  command_status: number;
  sequence_number: number;
  /** Library name of the command, 'unknown' when the command_id is not an SMPP one. */
  command: string;
  /** performance.now() when the session read it (for latency metrics). */
  receivedAt?: number;
  [field: string]: unknown;
}

interface LibPdu extends Pdu {
  fromBuffer(buffer: Buffer): void;
  toBuffer(): Buffer;
  _filter(func: 'encode' | 'decode'): void;
}

interface LibCommand {
  id: number;
  params?: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const lib = require('smpp/lib/pdu.js') as {
  PDU: { new (command: string, options?: object): LibPdu; prototype: LibPdu; maxLength: number };
};
const defs = require('smpp/lib/defs.js') as {
  commands: Record<string, LibCommand>;
  errors: Record<string, number>;
};

/** SMPP 3.4 §3.2: the header is four 32-bit fields. */
export const HEADER_LENGTH = 16;
/** Longest PDU we read: the library's own limit (16 KiB, more than any SMS with message_payload). */
export const MAX_PDU_LENGTH = lib.PDU.maxLength;
/**
 * Longest PDU we read before a bind: a bind is at most 98 octets (SMPP 3.4 §4.1.1), and nothing
 * an unbound ESME may send is larger, so an unauthenticated peer cannot make us buffer 16 KiB.
 */
export const UNBOUND_MAX_PDU_LENGTH = 1_024;
/** Bit 31 of command_id marks a response (SMPP 3.4 §5.1.2.1). */
export const RESPONSE_BIT = 0x80000000;
/** Sequence numbers run 1..0x7FFFFFFF (SMPP 3.4 §3.2). */
export const MAX_SEQUENCE = 0x7fffffff;

/** command_id values we dispatch on (SMPP 3.4 §5.1.2.1). */
export const CommandId = {
  GENERIC_NACK: 0x80000000,
  BIND_RECEIVER: 0x00000001,
  BIND_TRANSMITTER: 0x00000002,
  QUERY_SM: 0x00000003,
  SUBMIT_SM: 0x00000004,
  DELIVER_SM: 0x00000005,
  UNBIND: 0x00000006,
  BIND_TRANSCEIVER: 0x00000009,
  ENQUIRE_LINK: 0x00000015,
} as const;

const STATUS_NAMES = new Map(Object.entries(defs.errors).map(([name, code]) => [code, name]));

/** ESME_ROK, ESME_RTHROTTLED, … for logs; hex for codes the library does not name. */
export function statusName(status: number): string {
  return STATUS_NAMES.get(status) ?? `0x${status.toString(16).padStart(8, '0')}`;
}

/** A metric label for a status the library does not name: a peer picks command_status from 2^32 values. */
export const OTHER_STATUS = 'other';

/** ESME_ROK, ESME_RTHROTTLED, … for metrics: a named status or OTHER_STATUS, so the label set stays bounded. */
export function statusLabel(status: number): string {
  return STATUS_NAMES.get(status) ?? OTHER_STATUS;
}

/** A body the library could not read, or one that stops before its mandatory fields end. */
export class PduDecodeError extends Error {
  override name = 'PduDecodeError';
}

/** Reads one whole PDU (exactly command_length octets). Throws PduDecodeError. */
export function decodePdu(buffer: Buffer): Pdu {
  const pdu = Object.create(lib.PDU.prototype) as LibPdu;
  // Keep raw octets: see the file comment. An own property shadows the prototype's _filter.
  pdu._filter = () => undefined;
  try {
    pdu.fromBuffer(buffer);
  } catch (err) {
    throw new PduDecodeError(`undecodable ${describe(buffer)}`, { cause: err });
  }
  // Responses may stop after the header (an error response has no body, SMPP 3.4 §3.3).
  if (pdu.command !== 'unknown' && !isResponse(pdu)) assertComplete(pdu);
  return pdu;
}

/** Whether `pdu` is a response (command_id bit 31). */
export function isResponse(pdu: Pick<Pdu, 'command_id'>): boolean {
  return (pdu.command_id & RESPONSE_BIT) !== 0;
}

/**
 * Encodes `command` with `fields` (library names). A non-zero command_status writes the header
 * only, as SMPP 3.4 §3.3 allows for error responses.
 */
export function encodePdu(command: string, sequenceNumber: number, fields: Record<string, unknown> = {}, commandStatus = 0): Buffer {
  return new lib.PDU(command, { ...fields, sequence_number: sequenceNumber, command_status: commandStatus }).toBuffer();
}

/** The response command for a request command (submit_sm → submit_sm_resp). */
export function responseCommand(command: string): string {
  return `${command}_resp`;
}

/** Whether the library knows `command` (so encodePdu accepts it). */
export function knownCommand(command: string): boolean {
  return command in defs.commands;
}

/**
 * The library stops reading mandatory fields at command_length without complaint, leaving them
 * undefined: a body that ends early is malformed (SMPP 3.4 §3.3: every mandatory field is present).
 */
function assertComplete(pdu: LibPdu): void {
  const params = defs.commands[pdu.command]?.params ?? {};
  for (const key of Object.keys(params)) {
    if (pdu[key] === undefined) throw new PduDecodeError(`${pdu.command} ends before its ${key} field`);
  }
}

function describe(buffer: Buffer): string {
  return buffer.length >= 8 ? `PDU 0x${buffer.readUInt32BE(4).toString(16)} of ${buffer.length} octets` : 'PDU';
}
