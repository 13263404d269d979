/**
 * submit_sm → a Message on the bus (upstream §8.4, with its bugs fixed): the text decoded by
 * data_coding (packed or unpacked GSM-7 as the client sends it, message_payload), the source
 * checked against the client's numbers, max_tps enforced, concatenated parts joined by the
 * reassembler (any node, any order) before routing. The message id is returned only once the
 * message is durably stored; whatever fails becomes an error for toCommandStatus, never an OK.
 */
import { normalizeE164 } from '../../proto/e164.js';
import { newMessage, type Message } from '../../proto/message.js';
import { ErrorCode, GatewayError, UnavailableError } from '../errors/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import { cleanText } from '../text/index.js';
import { clientNumber, type ClientDetails } from '../store/index.js';
import { SmppStatus, SmppStatusError } from './command-status.js';
import { decodeShortMessage, type DecodedShortMessage, type PackedMode } from './data-coding.js';
import type { Pdu } from './pdu.js';
import { ReassemblyFullError } from './concat-part.js';
import type { ConcatPart, Reassembler } from './ports.js';
import { joinPartTexts } from './split.js';
import type { SubmitThrottle } from './throttle.js';

/** gomsggw's STOP footer suppression (upstream §8.4 step 5, kept for Zultys, §22.1). */
export const STOP_FOOTER = 'Reply STOP to end messages.';

/**
 * Stores a message durably (routed at ingress, or on msg.in.smpp); rejects when it could not,
 * with a GatewayError when it refused the message on purpose (QuotaRefusedError: over quota).
 */
export type Ingress = (message: Message) => Promise<void>;

export interface SubmitOptions {
  nodeId: string;
  /** How GSM-7 octets are read: 'auto' takes packed septets when an octet has its top bit set. */
  packed?: PackedMode;
}

export interface SubmitDeps {
  client(id: number): ClientDetails | undefined;
  ingress: Ingress;
  reassembler: Reassembler;
  throttle: SubmitThrottle;
  newId(): string;
  now?: () => number;
  logger: Logger;
}

/** Who sent the submit_sm. */
export interface SubmitSender {
  clientId: number;
  remoteIp: string;
}

/** What a submit_sm carries, read from the library's field names. */
interface SubmitFields {
  sourceAddr: string;
  destinationAddr: string;
  esmClass: number;
  registeredDelivery: number;
  dataCoding: number;
  shortMessage: Buffer;
  messagePayload?: Buffer;
  sar: { sar_msg_ref_num?: number; sar_total_segments?: number; sar_segment_seqnum?: number };
}

export class SubmitHandler {
  constructor(
    private readonly options: SubmitOptions,
    private readonly deps: SubmitDeps,
  ) {}

  /** Handles one submit_sm; resolves with the message id for submit_sm_resp. */
  async submit(sender: SubmitSender, pdu: Pdu): Promise<string> {
    const client = this.deps.client(sender.clientId);
    if (!client) throw new SmppStatusError(SmppStatus.RINVBNDSTS, 'the bound client no longer exists');
    if (!this.deps.throttle.take(client.id, client.settings?.maxTps ?? 0)) {
      throw new SmppStatusError(SmppStatus.RTHROTTLED, `max_tps ${client.settings?.maxTps} exceeded`);
    }
    const fields = readSubmit(pdu);
    const decoded = this.decode(fields);
    const from = ownedSource(client, fields.sourceAddr);
    const to = normalizeE164(fields.destinationAddr);
    if (!to) throw new SmppStatusError(SmppStatus.RINVDSTADR, `destination ${fields.destinationAddr} is not an E.164 number`);
    if (decoded.text === STOP_FOOTER && clientNumber(client, from)?.ignoreStopCmdSending) {
      // Acknowledged and dropped on purpose; upstream sent no response at all here (BUG).
      this.deps.logger.info(
        { event: LogEvent.DroppingSTOPMessagePerClientRule, client: client.username, from },
        'STOP footer dropped (ignore_stop_cmd_sending)',
      );
      return this.deps.newId();
    }
    if (decoded.concat && decoded.concat.total > 1) return this.part(sender, client, fields, decoded, from, to);
    const message = this.message(client.id, sender.remoteIp, { from, to, text: decoded.text, fields });
    await this.store(message);
    return message.id;
  }

  /**
   * The text as it is stored: undecodable octets replaced, U+0000 removed, lone surrogates made
   * U+FFFD (cleanText; the ESME's user cannot fix the octets, and a NUL must never reach the
   * ledger). A part keeps its surrogate halves for the join, which cleans the whole text.
   */
  private decode(fields: SubmitFields): DecodedShortMessage {
    const decoded = decodeShortMessage({
      dataCoding: fields.dataCoding,
      esmClass: fields.esmClass,
      shortMessage: fields.shortMessage,
      messagePayload: fields.messagePayload,
      sar: fields.sar,
      packed: this.options.packed ?? 'auto',
      onUnknown: 'replace',
    });
    const text = cleanText(decoded.text);
    if (text === '') throw new SmppStatusError(SmppStatus.RINVMSGLEN, 'the message has no text');
    return decoded.concat && decoded.concat.total > 1 ? decoded : { ...decoded, text };
  }

  /** One part of a concatenated message: stored for reassembly; the last one sends the whole. */
  private async part(
    sender: SubmitSender,
    client: ClientDetails,
    fields: SubmitFields,
    decoded: DecodedShortMessage,
    from: string,
    to: string,
  ): Promise<string> {
    const concat = decoded.concat!;
    const part: ConcatPart = {
      clientId: client.id,
      from,
      to,
      ref: concat.ref,
      total: concat.total,
      seq: concat.seq,
      text: decoded.text,
      messageId: this.deps.newId(),
      registeredDelivery: fields.registeredDelivery,
      dataCoding: fields.dataCoding,
      receivedAt: this.now(),
      node: this.options.nodeId,
      sourceIp: sender.remoteIp,
    };
    const parts = await this.deps.reassembler.add(part).catch((err: unknown) => {
      if (err instanceof ReassemblyFullError) throw err; // ESME_RMSGQFUL: the client retries later
      throw new UnavailableError('the reassembly store is unavailable', { cause: err });
    });
    if (!parts) return part.messageId;
    const message = joinedMessage(parts, this.options.nodeId);
    try {
      await this.store(message);
    } catch (err) {
      await this.putBack(parts, part);
      throw err;
    }
    return part.messageId;
  }

  /**
   * The set was taken from the reassembler but could not be stored: put the other parts back, so
   * the client's retry of this part (it gets ESME_RSYSERR) completes the set again.
   */
  private async putBack(parts: ConcatPart[], current: ConcatPart): Promise<void> {
    for (const p of parts) {
      if (p.messageId !== current.messageId) await this.deps.reassembler.add(p, { restore: true }).catch(() => null);
    }
  }

  private message(clientId: number, sourceIp: string, m: { from: string; to: string; text: string; fields: SubmitFields }): Message {
    return newMessage({
      id: this.deps.newId(),
      from: m.from,
      to: m.to,
      text: m.text,
      origin: { kind: 'smpp', clientId, sourceIp, node: this.options.nodeId },
      receivedAt: this.now(),
      smpp: { registeredDelivery: m.fields.registeredDelivery, dataCoding: m.fields.dataCoding },
    });
  }

  /**
   * A refusal the ingress decided (over quota: ESME_RTHROTTLED) or an unknown outcome
   * (OutcomeUnknownError: ESME_RSYSERR, its units kept) passes; any other failure means "not stored".
   */
  private async store(message: Message): Promise<void> {
    try {
      await this.deps.ingress(message);
    } catch (err) {
      if (err instanceof GatewayError && err.code !== ErrorCode.INTERNAL) throw err;
      throw new UnavailableError('the message could not be stored', { cause: err });
    }
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}

/** A reassembled message: the first part's id, every part's id for receipts. */
export function joinedMessage(parts: ConcatPart[], nodeId: string): Message {
  const first = parts[0];
  return newMessage({
    id: first.messageId,
    from: first.from,
    to: first.to,
    text: joinPartTexts(parts.map((p) => p.text)),
    origin: { kind: 'smpp', clientId: first.clientId, sourceIp: first.sourceIp, node: nodeId },
    receivedAt: Math.min(...parts.map((p) => p.receivedAt)),
    smpp: { registeredDelivery: first.registeredDelivery, dataCoding: first.dataCoding, partIds: parts.map((p) => p.messageId) },
  });
}

/** The canonical source number, which the client must own (upstream BUG-2). */
function ownedSource(client: ClientDetails, sourceAddr: string): string {
  const from = normalizeE164(sourceAddr);
  if (!from || !clientNumber(client, from)) {
    throw new SmppStatusError(SmppStatus.RINVSRCADR, `the client does not own the source address ${sourceAddr}`);
  }
  return from;
}

function readSubmit(pdu: Pdu): SubmitFields {
  return {
    sourceAddr: text(pdu.source_addr),
    destinationAddr: text(pdu.destination_addr),
    esmClass: int(pdu.esm_class),
    registeredDelivery: int(pdu.registered_delivery),
    dataCoding: int(pdu.data_coding),
    shortMessage: Buffer.isBuffer(pdu.short_message) ? pdu.short_message : Buffer.alloc(0),
    messagePayload: Buffer.isBuffer(pdu.message_payload) ? pdu.message_payload : undefined,
    sar: {
      sar_msg_ref_num: optInt(pdu.sar_msg_ref_num),
      sar_total_segments: optInt(pdu.sar_total_segments),
      sar_segment_seqnum: optInt(pdu.sar_segment_seqnum),
    },
  };
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const int = (v: unknown): number => (typeof v === 'number' && Number.isInteger(v) ? v : 0);
const optInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : undefined);
