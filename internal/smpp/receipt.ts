/**
 * SMPP delivery receipts (SMPP 3.4 Appendix B; field-notes §5.4; BUG-8): the short_message text
 *
 *   id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:<20 chars>
 *
 * with esm_class 0x04 and the receipted_message_id (0x001E) / message_state (0x0427) TLVs. The
 * status → stat / message_state table lives in carriers/proto/smpp-status.ts (smppReceiptStatus); this
 * file only formats and parses. Dates are UTC.
 *
 * parseReceipt reads receipts as SMSCs and ESMEs really write them: any field order, any key
 * case, `submit date` / `submit_date` / `submitdate`, 10- or 12-digit dates, missing fields, and
 * `text:` (always last) running to the end with its spaces.
 *
 * The text is plain ASCII whose bytes mean the same in GSM-7 (unpacked), IA5 and Latin-1, so any
 * ESME reads the same id whatever it assumes about data_coding 0: characters of the original
 * message that differ between those alphabets become '?' in the `text:` field.
 */
import { smppReceiptStatus, type SmppStat } from '../../proto/smpp-status.js';
import type { DeliveryStatus } from '../../proto/status.js';
import { DataCoding, EsmClass, type SmppPart } from './types.js';

/** Characters of the original message a receipt quotes. */
export const RECEIPT_TEXT_CHARS = 20;

export interface ReceiptInput {
  /** Our message id, exactly as submit_sm_resp returned it. */
  messageId: string;
  status: DeliveryStatus;
  /** When the message was accepted, ms since the epoch. Default: doneAt. */
  submittedAt?: number;
  /** When this status was reached, ms since the epoch. */
  doneAt: number;
  /** Carrier or gateway error code; only a number 1–999 is shown, see receiptErrorCode. */
  errorCode?: string;
  /** The original message text; its first 20 characters are quoted. */
  text?: string;
}

export interface Receipt extends SmppPart {
  /** The receipt text as placed (ASCII) in shortMessage. */
  text: string;
  stat: SmppStat;
  /** False for intermediate states (ENROUTE, ACCEPTD): see receiptWanted. */
  final: boolean;
  tlvs: { receipted_message_id: string; message_state: number };
}

export interface ReceiptFields {
  id: string;
  /** Messages submitted / delivered (3 digits on the wire). */
  sub: number;
  dlvrd: number;
  submitDate: number;
  doneDate: number;
  stat: string;
  err: string;
  text: string;
}

/** The receipt deliver_sm body for a status. Send it only when receiptWanted(...) says so. */
export function buildReceipt(input: ReceiptInput): Receipt {
  const { stat, messageState, final } = smppReceiptStatus(input.status);
  const text = formatReceipt({
    id: input.messageId,
    sub: 1,
    dlvrd: input.status === 'delivered' ? 1 : 0,
    submitDate: input.submittedAt ?? input.doneAt,
    doneDate: input.doneAt,
    stat,
    err: receiptErrorCode(input.status, input.errorCode),
    text: receiptSafe([...(input.text ?? '')].slice(0, RECEIPT_TEXT_CHARS).join('')),
  });
  return {
    text,
    stat,
    final,
    shortMessage: Buffer.from(text, 'latin1'),
    esmClass: EsmClass.DELIVERY_RECEIPT,
    dataCoding: DataCoding.SMSC_DEFAULT,
    tlvs: { receipted_message_id: input.messageId, message_state: messageState },
  };
}

/** The Appendix B text for `fields`, numbers zero-padded to 3 digits. */
export function formatReceipt(fields: ReceiptFields): string {
  return (
    `id:${fields.id} sub:${pad3(fields.sub)} dlvrd:${pad3(fields.dlvrd)}` +
    ` submit date:${formatReceiptDate(fields.submitDate)} done date:${formatReceiptDate(fields.doneDate)}` +
    ` stat:${fields.stat} err:${fields.err} text:${fields.text}`
  );
}

/**
 * The `err:` value: '000' for delivered and intermediate states; a numeric code 1–999 zero-padded;
 * any other failure (a gateway code such as NO_ROUTE, a 5-digit Twilio code) '999'.
 */
export function receiptErrorCode(status: DeliveryStatus, errorCode?: string): string {
  const { stat, final } = smppReceiptStatus(status);
  if (stat === 'DELIVRD' || !final) return '000';
  const n = errorCode !== undefined && /^\d{1,3}$/.test(errorCode.trim()) ? Number(errorCode.trim()) : 0;
  return n >= 1 && n <= 999 ? pad3(n) : '999';
}

/** YYMMDDhhmm in UTC. */
export function formatReceiptDate(ms: number): string {
  const d = new Date(ms);
  return [d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes()]
    .map((n) => String(n).padStart(2, '0'))
    .join('');
}

/** ms since the epoch of YYMMDDhhmm or YYMMDDhhmmss (UTC, years 2000–2099); undefined if invalid. */
export function parseReceiptDate(value: string): number | undefined {
  const m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?$/.exec(value);
  if (!m) return undefined;
  const [yy, mo, dd, hh, mi, ss] = m.slice(1).map((v) => Number(v ?? 0));
  const ms = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  const back = new Date(ms);
  const valid = back.getUTCMonth() === mo - 1 && back.getUTCDate() === dd && hh < 24 && mi < 60 && ss < 60;
  return valid ? ms : undefined;
}

export interface ParsedReceipt {
  id: string;
  stat: string;
  /** The stat word as a DeliveryStatus (deliveryStatusFromStat). */
  status: DeliveryStatus;
  sub?: number;
  dlvrd?: number;
  /** ms since the epoch (UTC). */
  submitDate?: number;
  doneDate?: number;
  err?: string;
  text?: string;
}

const FIELD = /(?:^|\s)(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err)\s*:\s*(\S*)/gi;

/** The fields of a receipt text; undefined when it has no `id:` or no `stat:`. */
export function parseReceipt(receipt: string): ParsedReceipt | undefined {
  const textAt = receipt.search(/(?:^|\s)text\s*:/i);
  const head = textAt >= 0 ? receipt.slice(0, textAt) : receipt;
  const fields = new Map<string, string>();
  for (const [, key, value] of head.matchAll(FIELD)) {
    const name = key.toLowerCase().replace(/[ _]/g, '');
    if (!fields.has(name)) fields.set(name, value);
  }
  const id = fields.get('id');
  const stat = fields.get('stat')?.toUpperCase();
  if (!id || !stat) return undefined;
  const parsed: ParsedReceipt = { id, stat, status: deliveryStatusFromStat(stat) };
  const sub = integer(fields.get('sub'));
  const dlvrd = integer(fields.get('dlvrd'));
  const submitDate = dateOf(fields.get('submitdate'));
  const doneDate = dateOf(fields.get('donedate'));
  if (sub !== undefined) parsed.sub = sub;
  if (dlvrd !== undefined) parsed.dlvrd = dlvrd;
  if (submitDate !== undefined) parsed.submitDate = submitDate;
  if (doneDate !== undefined) parsed.doneDate = doneDate;
  if (fields.has('err')) parsed.err = fields.get('err');
  if (textAt >= 0) parsed.text = receipt.slice(textAt).replace(/^\s*text\s*:/i, '');
  return parsed;
}

const STAT_STATUS: Record<string, DeliveryStatus> = {
  ENROUTE: 'queued',
  ACCEPTD: 'sent',
  ACCEPTED: 'sent',
  DELIVRD: 'delivered',
  DELIVERED: 'delivered',
  UNDELIV: 'undelivered',
  UNDELIVERABLE: 'undelivered',
  EXPIRED: 'expired',
  DELETED: 'failed',
  REJECTD: 'rejected',
  REJECTED: 'rejected',
  UNKNOWN: 'unknown',
};

/** A receipt's stat word (Appendix B, or its long spellings) as a DeliveryStatus; 'unknown' otherwise. */
export function deliveryStatusFromStat(stat: string): DeliveryStatus {
  return STAT_STATUS[stat.trim().toUpperCase()] ?? 'unknown';
}

/** Characters whose code is the same in ASCII and GSM-7: letters, digits, most punctuation. */
function receiptSafe(text: string): string {
  return text.replace(/[^A-Za-z0-9 !"#%&'()*+,\-./:;<=>?]/gu, '?');
}

function pad3(n: number): string {
  return String(n).padStart(3, '0');
}

function integer(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function dateOf(value: string | undefined): number | undefined {
  return value === undefined ? undefined : parseReceiptDate(value);
}
