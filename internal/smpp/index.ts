/**
 * The SMPP room (the legacy entry point): the server (server.ts: listeners, sessions, binds,
 * submit_sm, query_sm; its LocalBinds feeds the deliver_sm egress), reassembly of concatenated
 * submits, and its I/O-free pieces: reading submit_sm text by data_coding (data-coding.ts), UDH and
 * SAR concatenation info (udh.ts), splitting outbound texts into deliver_sm parts (split.ts) and
 * delivery receipt texts (receipt.ts). Parts and TLVs use the npm `smpp` library's field names;
 * always send data_coding with them.
 */
export type { SmppPart, SmppTlvs } from './types.js';
export { EsmClass, DataCoding } from './types.js';
export type { Alphabet, DataCodingInfo, DecodedShortMessage, PackedMode, ShortMessageEncoding, ShortMessageInput } from './data-coding.js';
export { describeDataCoding, decodeShortMessage, ShortMessageError } from './data-coding.js';
export type { ConcatInfo, InformationElement, ParsedUdh, SarResult, SarTlvs, UdhParseResult } from './udh.js';
export {
  IEI_CONCAT_8,
  IEI_CONCAT_16,
  parseUdh,
  buildUdh,
  concatElement,
  concatUdh,
  validateConcat,
  concatFromSar,
  sarTlvs,
} from './udh.js';
export type { SplitMethod, SplitOptions } from './split.js';
export { MAX_PARTS, splitForSmpp, joinPartTexts } from './split.js';
export type { ParsedReceipt, Receipt, ReceiptFields, ReceiptInput } from './receipt.js';
export {
  RECEIPT_TEXT_CHARS,
  buildReceipt,
  formatReceipt,
  parseReceipt,
  receiptErrorCode,
  formatReceiptDate,
  parseReceiptDate,
  deliveryStatusFromStat,
} from './receipt.js';
export type {
  AddOptions,
  BindMode,
  BoundSession,
  ConcatPart,
  DeliverAddresses,
  DeliverResult,
  ExpiredSet,
  Reassembler,
  ReassemblyLimits,
  LocalBinds,
  LocalBindsEvents,
} from './ports.js';
export { ReassemblyFullError } from './concat-part.js';
export { SmppSessionClosedError, SmppTimeoutError } from './ports.js';
export type { MemoryReassemblerOptions } from './reassembly-memory.js';
export { MemoryReassembler } from './reassembly-memory.js';
export type { RedisReassemblerOptions, RedisReassemblerDeps } from './reassembly-redis.js';
export { RedisReassembler } from './reassembly-redis.js';
export { SmppEgress, DEFAULT_SMPP_RETRY_DELAY_MS, DEFAULT_THROTTLE_MAX_WAIT_MS } from './egress.js';
export type { SmppEgressOptions, SmppEgressDeps } from './egress.js';
export { SmppServer, DEFAULT_DRAIN_MS, DEFAULT_BIND_TIMEOUT_MS, DEFAULT_MAX_IN_FLIGHT } from './server.js';
export type { SmppServerOptions, SmppServerDeps, SmppDirectory, SmppBindStats } from './server.js';
export { ReassemblyExpiry } from './expiry.js';
export type { ReassemblyExpiryOptions, ReassemblyExpiryDeps } from './expiry.js';
export type { Ingress } from './submit.js';
export { STOP_FOOTER } from './submit.js';
export { toCommandStatus, SmppStatus, SmppStatusError } from './command-status.js';
