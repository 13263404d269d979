import { segmentInfo } from '../text/index.js';
import type { QuotaMessageType } from './types.js';

/**
 * What a message costs against its quota: an SMS counts its billable segments (GSM-7 160/153,
 * UCS-2 70/67, as carriers bill and as the ledger's total_segments records), an MMS counts one.
 * Upstream counted ledger rows, which was one per message on REST but one per part on SMPP
 * (BUG-6); counting segments makes both paths cost the same for the same text.
 */
export function quotaUnits(message: { type: QuotaMessageType; text: string }): number {
  return message.type === 'sms' ? segmentInfo(message.text).segments : 1;
}
