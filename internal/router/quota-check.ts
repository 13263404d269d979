import { ErrorCode } from '../../proto/errors.js';
import type { Egress } from '../../proto/message.js';
import { OutcomeUnknownError } from '../errors/index.js';
import { quotaUnits, type Admission, type QuotaGate, type QuotaRefusal, type QuotaRequest } from '../quota/index.js';
import type { FailureReporter } from './failures.js';

export type QuotaOutcome =
  | { kind: 'admitted'; refund(): Promise<void> }
  /** `side`: the sender's outbound quota, or the receiving client's inbound one (limit_both). */
  | { kind: 'refused'; side: 'sender' | 'receiver'; refusal: QuotaRefusal };

const NO_QUOTA: QuotaOutcome = { kind: 'admitted', refund: async () => undefined };

/**
 * Counts a routed message against the quotas of the clients at both ends (upstream §12.4, with
 * BUG-6 fixed): outbound for the client that sent it, from its `from` number; inbound for the
 * client that receives it, on its `to` number, which counts only under limit_both. Messages the
 * gateway generates itself (notices, auto-replies) are not a client's usage and are not counted.
 * When the receiver refuses, the sender's units are given back: the message is not delivered.
 * `dedupKey`: the message's key on the bus when it may come again (QuotaRequest.dedupKey).
 */
export async function checkQuota(egress: Egress, gate: QuotaGate | undefined, dedupKey?: string): Promise<QuotaOutcome> {
  const { message: m, senderClientId, receiverClientId } = egress;
  if (!gate || m.notice || m.origin.kind === 'system') return NO_QUOTA;
  const base = { type: m.type, units: quotaUnits(m), dedupKey };
  const sender =
    senderClientId === undefined
      ? undefined
      : await gate.admit({ ...base, clientId: senderClientId, number: m.from, direction: 'outbound' });
  if (sender && !sender.admitted) return { kind: 'refused', side: 'sender', refusal: sender.refusal };
  const receiver =
    receiverClientId === undefined
      ? undefined
      : await admitAfter(gate, { ...base, clientId: receiverClientId, number: m.to, direction: 'inbound' }, sender);
  if (receiver && !receiver.admitted) {
    await sender?.refund();
    return { kind: 'refused', side: 'receiver', refusal: receiver.refusal };
  }
  return { kind: 'admitted', refund: async () => void (await Promise.all([sender?.refund(), receiver?.refund()])) };
}

/**
 * Publishes an admitted message and settles its units: they go back when it was certainly not
 * stored, or when the bus already held its key (an earlier try was stored and paid); they are
 * kept when the outcome is unknown (OutcomeUnknownError), since it may be stored and delivered.
 */
export async function publishAdmitted(
  quota: Extract<QuotaOutcome, { kind: 'admitted' }>,
  publish: () => Promise<'stored' | 'duplicate'>,
): Promise<void> {
  let stored: 'stored' | 'duplicate';
  try {
    stored = await publish();
  } catch (err) {
    if (!(err instanceof OutcomeUnknownError)) await quota.refund();
    throw err;
  }
  if (stored === 'duplicate') await quota.refund();
}

/** The receiver's admit; if it throws, the sender's units go back before the error does. */
async function admitAfter(gate: QuotaGate, request: QuotaRequest, sender: Admission | undefined) {
  try {
    return await gate.admit(request);
  } catch (err) {
    await sender?.refund();
    throw err;
  }
}

/**
 * A message accepted from its sender that the receiving client's quota refused (or, on msg.in,
 * that the sender's refused after it was accepted): failed legs, a status to the sender and,
 * when configured, a notice; never a silent drop (BUG-7).
 */
export function reportRefusal(failures: Pick<FailureReporter, 'report'>, egress: Egress, refusal: QuotaRefusal): Promise<void> {
  return failures.report({
    egress,
    message: egress.message,
    senderClientId: egress.senderClientId,
    code: ErrorCode.QUOTA_EXCEEDED,
    reason: refusal.message,
    status: 'rejected',
  });
}
