/**
 * A routed message as deliver_sm parts for the client that receives it (upstream §8.6): GSM-7
 * unpacked (data_coding 0) when every character fits, else UCS-2; a long text cut as the
 * client's split_method says (split.ts), with a per-destination concatenation reference.
 */
import type { Message } from '../../proto/message.js';
import { GOMSGGW_SPLIT_METHOD, type ClientSettings } from '../store/index.js';
import { segmentInfo } from '../text/index.js';
import type { ConcatRefs } from './concat-ref.js';
import type { DeliverAddresses } from './ports.js';
import { splitForSmpp, type SplitMethod } from './split.js';
import type { SmppPart } from './types.js';

/** SMPP 3.4 §5.2.5–6 values we send. */
const TON_UNKNOWN = 0;
const TON_INTERNATIONAL = 1;
const TON_ALPHANUMERIC = 5;
const NPI_UNKNOWN = 0;
const NPI_ISDN = 1;

export interface DeliverPlan {
  addresses: DeliverAddresses;
  parts: SmppPart[];
}

/**
 * How a client's long texts are cut: its split_method (disable_message_splitting is its alias
 * for 'payload', kept in step by the store). A client without a settings row was not made by
 * msggw, so it gets gomsggw's plain parts.
 */
export function splitMethodFor(settings: Pick<ClientSettings, 'splitMethod'> | null): SplitMethod {
  return settings?.splitMethod ?? GOMSGGW_SPLIT_METHOD;
}

/** The parts of `message` for a client with `settings`; a reference is taken only for a long text that shows one. */
export function messagePlan(message: Message, settings: ClientSettings | null, refs: ConcatRefs): DeliverPlan {
  const method = splitMethodFor(settings);
  const referenced = (method === 'udh' || method === 'sar') && segmentInfo(message.text).segments > 1;
  const parts = splitForSmpp(message.text, { method, ref: referenced ? refs.next(message.to) : 0 });
  return { addresses: deliverAddresses(message.from, message.to), parts };
}

/** deliver_sm addresses: numbers in '+E164' form with TON 1 / NPI 1, as gomsggw sent them. */
export function deliverAddresses(source: string, destination: string): DeliverAddresses {
  const src = addressType(source);
  const dst = addressType(destination);
  return {
    source_addr: source,
    source_addr_ton: src.ton,
    source_addr_npi: src.npi,
    destination_addr: destination,
    dest_addr_ton: dst.ton,
    dest_addr_npi: dst.npi,
  };
}

function addressType(address: string): { ton: number; npi: number } {
  if (/^\+\d+$/.test(address)) return { ton: TON_INTERNATIONAL, npi: NPI_ISDN };
  if (/^\d+$/.test(address)) return { ton: TON_UNKNOWN, npi: NPI_ISDN };
  return { ton: TON_ALPHANUMERIC, npi: NPI_UNKNOWN };
}
