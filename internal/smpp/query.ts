/**
 * query_sm (SMPP 3.4 §4.8), answered from the message records: the state of a message this
 * client submitted, as message_state, with final_date once the state is final. Upstream answered
 * every query_sm with an empty OK (§8.2).
 */
import { smppReceiptStatus } from '../../proto/smpp-status.js';
import type { DeliveryStatus } from '../../proto/status.js';
import type { RecordRepo } from '../store/index.js';
import { SmppStatus, SmppStatusError } from './command-status.js';
import type { Pdu } from './pdu.js';

export interface QueryAnswer {
  message_id: string;
  /** SMPP absolute time (§7.1.1), '' while the message is not final. */
  final_date: string;
  message_state: number;
  /** Network error code; the records keep only text, so 0. */
  error_code: number;
}

/**
 * What a message id of ours can look like (UUIDs, object ids, REST and MM4 ids); anything else,
 * a NUL byte from a broken client included, is no message of ours and never reaches the database.
 */
const MESSAGE_ID = /^[A-Za-z0-9._:-]{1,64}$/;

export class QueryHandler {
  constructor(private readonly records: Pick<RecordRepo, 'byMessageId'>) {}

  async query(clientId: number, pdu: Pdu): Promise<QueryAnswer> {
    const messageId = typeof pdu.message_id === 'string' ? pdu.message_id : '';
    if (!messageId) throw new SmppStatusError(SmppStatus.RINVMSGID, 'query_sm without a message_id');
    if (!MESSAGE_ID.test(messageId)) throw new SmppStatusError(SmppStatus.RINVMSGID, 'query_sm for a malformed message_id');
    const legs = await this.records.byMessageId(messageId);
    const leg = legs.find((l) => l.clientId === clientId && l.direction === 'outbound');
    if (!leg) throw new SmppStatusError(SmppStatus.RINVMSGID, `no message ${messageId} from this client`);
    const state = smppReceiptStatus(leg.status as DeliveryStatus);
    return {
      message_id: messageId,
      final_date: state.final ? smppAbsoluteTime(leg.updatedAt) : '',
      message_state: state.messageState,
      error_code: 0,
    };
  }
}

/** SMPP 3.4 §7.1.1 absolute time in UTC: YYMMDDhhmmsstnnp (t tenths, nn quarter hours, p '+'). */
export function smppAbsoluteTime(at: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(at.getUTCFullYear() % 100)}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}` +
    `${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}` +
    `${Math.floor(at.getUTCMilliseconds() / 100)}00+`
  );
}
