/**
 * The MM4 room's contract (3GPP TS 23.140 §8.4, MMSC ⇄ MMSC over SMTP): message types, the
 * header block read from a request, and the small read interfaces the room needs.
 */
import type { ClientDetails, ClientNumber } from '../store/index.js';

/** X-Mms-Message-Type values (TS 23.140 §8.4); protocol spellings kept. */
export const Mm4MessageType = {
  FORWARD_REQ: 'MM4_forward.REQ',
  FORWARD_RES: 'MM4_forward.RES',
  DELIVERY_REPORT_REQ: 'MM4_delivery_report.REQ',
  DELIVERY_REPORT_RES: 'MM4_delivery_report.RES',
  READ_REPLY_REPORT_REQ: 'MM4_read_reply_report.REQ',
  READ_REPLY_REPORT_RES: 'MM4_read_reply_report.RES',
} as const;
export type Mm4MessageType = (typeof Mm4MessageType)[keyof typeof Mm4MessageType];

/** X-Mms-3GPP-MMS-Version the gateway sends (gomsggw's value, §9.4). */
export const MM4_VERSION = '6.10.0';

/** An MM4 address: `+15551234567/TYPE=PLMN`, optionally `@domain` (an envelope form). */
export interface Mm4Address {
  /** As written, without `@domain`. */
  raw: string;
  /** The address part before `/TYPE=`: a number (`+1555…`) or an e-mail style address. */
  value: string;
  /** `PLMN`, `IPv4`, … ; '' when absent. */
  type: string;
}

/** The MM4 header block of one request or response, names per TS 23.140 §8.4. */
export interface Mm4Headers {
  messageType: string;
  version: string;
  /** X-Mms-Transaction-ID, quotes trimmed. */
  transactionId: string;
  /** X-Mms-Message-ID (or Message-ID when a peer only sends that), quotes trimmed. */
  messageId: string;
  from?: Mm4Address;
  /** To, then Cc (Bcc never reaches MM4). */
  recipients: Mm4Address[];
  ackRequested: boolean;
  deliveryReportRequested: boolean;
  /** X-Mms-Originator-System, else Sender: where a response goes. */
  originatorSystem: string;
  /** X-Mms-Request-Status-Code (responses). */
  requestStatus: string;
  /** X-Mms-MM-Status-Code (delivery reports). */
  mmStatus: string;
  statusText: string;
  subject: string;
}

/** A media part of an inbound MMS, decoded. */
export interface Mm4Part {
  contentType: string;
  filename: string;
  bytes: Buffer;
}

/** An inbound MM4 message: its headers and, for a forward request, its content. */
export interface Mm4Mail {
  headers: Mm4Headers;
  /** text/plain parts, joined with newlines. */
  text: string;
  /** Media parts; SMIL is dropped (the gateway builds its own on the way out). */
  parts: Mm4Part[];
}

/** The directory lookups the room reads (the node's in-memory directory). */
export interface Mm4Directory {
  clients(): ClientDetails[];
  client(id: number): ClientDetails | undefined;
  numberByE164(e164: string): ClientNumber | undefined;
}

/**
 * What the gateway remembers of a request that asked for delivery reports
 * (X-Mms-Delivery-Report: Yes), so the report names the client's own message id. Kept in a KV
 * bucket keyed by the gateway's message id.
 */
export interface ReportRequest {
  clientId: number;
  /** The client's X-Mms-Message-ID. */
  mm4MessageId: string;
  /** The original sender and recipient as the client wrote them. */
  from: string;
  to: string;
}
