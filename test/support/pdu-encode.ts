/**
 * Byte-exact SMPP 3.4 PDU building for tests: the fuzzer's raw material, and a way to hand-make
 * a PDU (right or deliberately wrong) that no client library would send.
 */

/** SMPP 3.4 command ids (§5.1.2.1); a response is the request's id | 0x80000000. */
export const CMD = {
  generic_nack: 0x80000000,
  bind_receiver: 0x01,
  bind_transmitter: 0x02,
  query_sm: 0x03,
  submit_sm: 0x04,
  deliver_sm: 0x05,
  unbind: 0x06,
  replace_sm: 0x07,
  cancel_sm: 0x08,
  bind_transceiver: 0x09,
  outbind: 0x0b,
  enquire_link: 0x15,
  submit_multi: 0x21,
  alert_notification: 0x102,
  data_sm: 0x103,
} as const;

/** The response bit of a command id. */
export const RESPONSE = 0x80000000;
/** command_length, command_id, command_status, sequence_number. */
export const HEADER_LEN = 16;

const NAMES = new Map<number, string>();
for (const [name, id] of Object.entries(CMD)) {
  NAMES.set(id, name);
  if (id !== CMD.generic_nack) NAMES.set((id | RESPONSE) >>> 0, `${name}_resp`);
}

/** The SMPP name of a command id, or unknown_0x…. */
export function commandName(id: number): string {
  return NAMES.get(id >>> 0) ?? `unknown_0x${(id >>> 0).toString(16).padStart(8, '0')}`;
}

/** A whole PDU: header (with the right command_length) + body. */
export function encodePdu(commandId: number, body: Buffer, sequenceNumber: number, commandStatus = 0): Buffer {
  const header = Buffer.alloc(HEADER_LEN);
  header.writeUInt32BE(HEADER_LEN + body.length, 0);
  header.writeUInt32BE(commandId >>> 0, 4);
  header.writeUInt32BE(commandStatus >>> 0, 8);
  header.writeUInt32BE(sequenceNumber >>> 0, 12);
  return Buffer.concat([header, body]);
}

/** A C-Octet String: the bytes and a NUL. */
export function cstr(s: string | Buffer): Buffer {
  return Buffer.concat([typeof s === 'string' ? Buffer.from(s, 'latin1') : s, Buffer.from([0])]);
}

export function tlv(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(tag, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value]);
}

export interface BindFields {
  systemId: string;
  password: string;
  systemType?: string;
  interfaceVersion?: number;
  addrTon?: number;
  addrNpi?: number;
  addressRange?: string;
}

export function bindBody(f: BindFields): Buffer {
  return Buffer.concat([
    cstr(f.systemId),
    cstr(f.password),
    cstr(f.systemType ?? ''),
    Buffer.from([f.interfaceVersion ?? 0x34, f.addrTon ?? 0, f.addrNpi ?? 0]),
    cstr(f.addressRange ?? ''),
  ]);
}

export interface SubmitSmFields {
  serviceType?: string;
  sourceAddrTon?: number;
  sourceAddrNpi?: number;
  sourceAddr?: string;
  destAddrTon?: number;
  destAddrNpi?: number;
  destinationAddr: string;
  esmClass?: number;
  protocolId?: number;
  priorityFlag?: number;
  scheduleDeliveryTime?: string;
  validityPeriod?: string;
  registeredDelivery?: number;
  replaceIfPresentFlag?: number;
  dataCoding?: number;
  smDefaultMsgId?: number;
  /** Raw bytes (packed GSM-7, UDH + text, UCS-2, ...). Default empty (e.g. with message_payload). */
  shortMessage?: Buffer;
  /** Overrides sm_length (a lie, for fuzzing); default the real length. */
  smLength?: number;
  /** Encoded TLVs appended after the mandatory part. */
  tlvs?: Buffer;
}

/** A submit_sm (or deliver_sm: same layout) body. */
export function submitSmBody(f: SubmitSmFields): Buffer {
  const sm = f.shortMessage ?? Buffer.alloc(0);
  return Buffer.concat([
    cstr(f.serviceType ?? ''),
    Buffer.from([f.sourceAddrTon ?? 0, f.sourceAddrNpi ?? 0]),
    cstr(f.sourceAddr ?? ''),
    Buffer.from([f.destAddrTon ?? 1, f.destAddrNpi ?? 1]),
    cstr(f.destinationAddr),
    Buffer.from([f.esmClass ?? 0, f.protocolId ?? 0, f.priorityFlag ?? 0]),
    cstr(f.scheduleDeliveryTime ?? ''),
    cstr(f.validityPeriod ?? ''),
    Buffer.from([
      f.registeredDelivery ?? 0,
      f.replaceIfPresentFlag ?? 0,
      f.dataCoding ?? 0,
      f.smDefaultMsgId ?? 0,
      (f.smLength ?? sm.length) & 0xff,
    ]),
    sm,
    f.tlvs ?? Buffer.alloc(0),
  ]);
}
