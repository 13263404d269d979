/**
 * The SMPP room's contract for its I/O-free pieces. TLV keys use the npm `smpp` library's tag names
 * (lib/defs.js), so a part can be spread into `session.deliver_sm({...})` as it is.
 */

/** esm_class bits (SMPP 3.4 §5.2.12). */
export const EsmClass = {
  DEFAULT: 0x00,
  /** Message type "SMSC delivery receipt" (bits 5–2 = 0001). */
  DELIVERY_RECEIPT: 0x04,
  /** UDH indicator: short_message starts with a User Data Header. */
  UDHI: 0x40,
} as const;

/** data_coding values we send (SMPP 3.4 §5.2.19). */
export const DataCoding = {
  SMSC_DEFAULT: 0x00,
  IA5: 0x01,
  LATIN1: 0x03,
  UCS2: 0x08,
} as const;

/** Optional parameters a part may carry (SMPP 3.4 §5.3.2), keyed by the smpp library's names. */
export interface SmppTlvs {
  /** 0x0424: the whole text when short_message is empty. */
  message_payload?: Buffer;
  /** 0x020C: concatenation reference, 16 bits. */
  sar_msg_ref_num?: number;
  /** 0x020E: parts in the set, 1–255. */
  sar_total_segments?: number;
  /** 0x020F: this part's number, 1–255. */
  sar_segment_seqnum?: number;
  /** 0x001E: the message id the receipt is about (as the submit_sm_resp returned it). */
  receipted_message_id?: string;
  /** 0x0427: SMPP message_state (§5.2.28). */
  message_state?: number;
}

/** One deliver_sm worth of body: what the session layer puts in the PDU besides addresses. */
export interface SmppPart {
  /** Octets as they go on the wire, UDH included; data_coding must be sent with them. */
  shortMessage: Buffer;
  esmClass: number;
  dataCoding: number;
  tlvs?: SmppTlvs;
}
