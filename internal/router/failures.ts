import type { ErrorCode } from '../../proto/errors.js';
import { newMessage, messageCodec, type Egress, type Message } from '../../proto/message.js';
import type { DeliveryStatus } from '../../proto/status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { Bus } from '../bus/index.js';
import { publishStatus } from './status-publish.js';
import { legsFor, unroutedLeg, type LegContext, type RecordWriter } from '../records/index.js';

/** gomsggw's notice texts (upstream-behaviour.md §7.7), which senders may match on. */
export const NOTICE_TEXT = {
  failure: (id: string) => `An error occurred. Please try again later or contact our support if the issue persists. ID: ${id}`,
  stop: (id: string) => `Blocked due to STOP message. Please try again later or contact our support if the issue persists. ID: ${id}`,
};

export interface FailureOptions {
  nodeId: string;
  notifySenderOnFailure: boolean;
  subjects: Subjects;
}

export interface FailureDeps {
  bus: Bus;
  records: RecordWriter;
  legs: LegContext;
}

export interface Failure {
  /** The routed message when routing got that far, else the message itself. */
  egress?: Egress;
  message: Message;
  senderClientId?: number;
  code: ErrorCode | string;
  reason: string;
  status?: DeliveryStatus;
  /** The destination opted out (STOP): the notice says so. */
  optOut?: boolean;
}

/**
 * How the gateway tells a sender that a message it accepted will not be delivered: the
 * record says failed, a status event goes to the sender (SMPP receipt / status webhook), and,
 * with NOTIFY_SENDER_ON_FAILURE, an SMS notice as gomsggw sent. Every publish is deduplicated
 * by message id, so a redelivered failure reports once.
 */
export class FailureReporter {
  constructor(
    private readonly options: FailureOptions,
    private readonly deps: FailureDeps,
  ) {}

  async report(f: Failure): Promise<void> {
    const status = f.status ?? 'failed';
    const m = f.message;
    if (f.egress) await this.deps.records.write(...legsFor(f.egress, this.deps.legs, status, { error: f.reason }));
    else if (f.senderClientId !== undefined) {
      await this.deps.records.write(unroutedLeg(m, f.senderClientId, this.deps.legs, status, f.reason));
    }
    if (f.senderClientId === undefined || m.notice) return;
    const s = this.options.subjects;
    await publishStatus(this.deps.bus, s, {
      v: 1,
      messageId: m.id,
      status,
      clientId: f.senderClientId,
      from: m.from,
      to: m.to,
      errorCode: String(f.code),
      errorText: f.reason,
      at: Date.now(),
      submittedAt: m.receivedAt,
    });
    if (!this.options.notifySenderOnFailure) return;
    await this.deps.bus.publishDurable(s.msgIn('system'), messageCodec.encode(this.notice(f)), { msgId: `${m.id}.n` });
  }

  /** A notice from the recipient's number back to the sender, like gomsggw's. */
  private notice(f: Failure): Message {
    const m = f.message;
    return newMessage({
      id: `${m.id}.n`,
      from: m.to,
      to: m.from,
      text: f.optOut ? NOTICE_TEXT.stop(m.id) : NOTICE_TEXT.failure(m.id),
      origin: { kind: 'system', node: this.options.nodeId },
      notice: true,
    });
  }
}
