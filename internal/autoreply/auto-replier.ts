import { createHash } from 'node:crypto';
import { newMessage, messageCodec, type Egress, type Message } from '../../proto/message.js';
import { legsFor } from '../records/index.js';
import type { ClientNumber } from '../store/index.js';
import { complianceKeyword } from './keywords.js';
import { resolveAutoReply } from './resolve.js';
import { Keyword, type AutoReplierDeps, type AutoReplierOptions, type AutoReplyPlan } from './types.js';
import { LogEvent } from '../log/index.js';

/** Message ids are at most 64 characters (proto/message.ts). */
const MAX_ID_LENGTH = 64;
const REPLY_SUFFIX = '.ar';

/** What happens to an inbound message at an auto-replying number. */
type Outcome = 'deliver' | 'reply' | 'suppress';

/**
 * Per-number auto-reply (upstream-behaviour.md §13.5), asked about every routed message before
 * it is published (router/egress-publish.ts). At a client's number with auto-reply on, a
 * sender's message is answered with the configured text and starts a cooldown during which that
 * sender's messages go unanswered; all of them are kept from the client (upstream suppressed the
 * inbound, §22.1).
 *
 * Beyond upstream: the cooldown holds across nodes and restarts (AutoReplyState); gateway
 * notices and replies are never answered (two auto-replying numbers would answer each other);
 * a STOP/START/HELP keyword is never answered and always delivered, and a sender who sent STOP
 * gets no auto-reply from that number until START (BUG-28).
 */
export class AutoReplier {
  readonly #now: () => number;

  constructor(
    private readonly options: AutoReplierOptions,
    private readonly deps: AutoReplierDeps,
  ) {
    this.#now = deps.now ?? Date.now;
  }

  /**
   * True when auto-reply answered the message: the caller must not deliver it. The reply is
   * stored (msg.in.system) before this resolves, and rejects when it could not be; the caller
   * retries, and the same message reaches the same answer (the cooldown is held by its id).
   * When the state store is down the message is delivered normally, unanswered.
   */
  async intercept(egress: Egress): Promise<boolean> {
    const number = this.answeringNumber(egress);
    if (!number) return false;
    const inbound = egress.message;
    const plan = resolveAutoReply(number, this.options);
    let outcome: Outcome;
    try {
      outcome = await this.outcome(inbound, number, plan);
    } catch (err) {
      this.deps.logger.warn(
        { err, id: inbound.id, number: number.number },
        'auto-reply state unavailable; delivering the message without auto-reply',
      );
      return false;
    }
    if (outcome === 'deliver') return false;
    if (outcome === 'reply') await this.publishReply(inbound, number, plan.message);
    else this.deps.logger.debug({ id: inbound.id, number: number.number }, 'auto-reply cooldown running; inbound suppressed');
    this.recordAnswered(egress);
    return true;
  }

  /** The destination number, when the message is one auto-reply may look at. */
  private answeringNumber(egress: Egress): ClientNumber | undefined {
    const m = egress.message;
    // The master switch off means no Redis round trip for anyone (opt-outs then go unrecorded).
    if (!this.options.enabled || egress.receiverClientId === undefined) return undefined;
    if (m.notice || m.origin.kind === 'system') return undefined;
    // Upstream's loop guard (§13.5 step 1).
    if (m.from === m.to) return undefined;
    return this.deps.numberByE164(m.to);
  }

  private async outcome(m: Message, number: ClientNumber, plan: AutoReplyPlan): Promise<Outcome> {
    const { state } = this.deps;
    const keyword = complianceKeyword(m.text);
    if (keyword !== undefined) {
      // Remembered wherever auto-reply is off too, so turning it on later respects opt-outs.
      if (keyword !== Keyword.HELP) await state.setOptOut(number.number, m.from, keyword === Keyword.STOP);
      return 'deliver';
    }
    if (!plan.enabled) return 'deliver';
    if (await state.isOptedOut(number.number, m.from)) return 'deliver';
    const claimed = await state.claimCooldown(number.number, m.from, m.id, plan.cooldownSecs * 1000);
    return claimed ? 'reply' : 'suppress';
  }

  /**
   * The reply: an SMS (even to an MMS) from the number to the sender (§13.5 step 6), sent on the
   * number owner's behalf (origin.clientId), so the router routes it as that client's message:
   * through the number's carrier, or inside the gateway to a client sender. A notice: if it
   * fails, nobody is sent a failure notice about it.
   */
  private async publishReply(inbound: Message, number: ClientNumber, text: string): Promise<void> {
    const reply = newMessage({
      id: replyId(inbound.id),
      type: 'sms',
      from: number.number,
      to: inbound.from,
      text,
      origin: { kind: 'system', clientId: number.clientId, node: this.options.nodeId },
      receivedAt: this.#now(),
      notice: true,
    });
    await this.deps.bus.publishDurable(this.options.subjects.msgIn('system'), messageCodec.encode(reply), { msgId: reply.id });
    this.deps.logger.info({ event: LogEvent.AutoReplySent, id: inbound.id, reply: reply.id, number: number.number }, 'auto-reply sent');
  }

  /**
   * The answered message reached the number, so a client sender's leg says delivered; the
   * receiving client gets no leg, as it never saw the message (upstream wrote none).
   */
  private recordAnswered(egress: Egress): void {
    if (egress.senderClientId === undefined) return;
    const legs = legsFor(egress, this.deps.legs, 'delivered').filter((leg) => leg.direction === 'outbound');
    this.deps.records
      .write(...legs)
      .catch((err: unknown) => this.deps.logger.warn({ err, id: egress.message.id }, 'could not record an auto-replied message'));
  }
}

/** `<inbound id>.ar`, or a digest of it when that would be too long for a message id. */
export function replyId(inboundId: string): string {
  const id = inboundId + REPLY_SUFFIX;
  if (id.length <= MAX_ID_LENGTH) return id;
  return (
    createHash('sha256')
      .update(inboundId)
      .digest('hex')
      .slice(0, MAX_ID_LENGTH - REPLY_SUFFIX.length) + REPLY_SUFFIX
  );
}
