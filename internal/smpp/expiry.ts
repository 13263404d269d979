/**
 * Concatenated submits that never complete (a part lost, a client that gave up) expire after
 * SMPP_REASSEMBLY_TTL_SECS. Every node sweeps the reassembler; each expired set comes back to
 * exactly one of them, which tells the sender about every part it acknowledged: the part's
 * record says expired, and when its registered_delivery asks for failure receipts, a status
 * event 'expired' goes out for the part's message id (the status router turns it into a receipt).
 */
import { newMessage, type Message } from '../../proto/message.js';
import { receiptWanted } from '../../proto/smpp-status.js';
import type { Subjects } from '../../proto/subjects.js';
import type { BusLogger, DurableBus } from '../bus/index.js';
import { unroutedLeg, type LegContext } from '../records/index.js';
import { publishStatus } from '../router/index.js';
import type { MessageRecord } from '../store/index.js';
import type { ConcatPart, ExpiredSet, Reassembler } from './ports.js';

/** Sweep often enough that a set is reported within a few seconds of its TTL. */
const MAX_SWEEP_MS = 5_000;

export interface ReassemblyExpiryOptions {
  subjects: Subjects;
  nodeId: string;
  ttlMs: number;
}

export interface ReassemblyExpiryDeps {
  reassembler: Pick<Reassembler, 'takeExpired'>;
  bus: Pick<DurableBus, 'publishDurable'>;
  records: { write(...records: MessageRecord[]): Promise<void> };
  legs: LegContext;
  logger: BusLogger;
}

export class ReassemblyExpiry {
  #timer?: NodeJS.Timeout;
  #sweeping?: Promise<void>;

  constructor(
    private readonly options: ReassemblyExpiryOptions,
    private readonly deps: ReassemblyExpiryDeps,
  ) {}

  start(): void {
    const every = Math.max(100, Math.min(MAX_SWEEP_MS, Math.floor(this.options.ttlMs / 4)));
    this.#timer = setInterval(() => {
      this.#sweeping ??= this.sweep()
        .then(
          () => undefined,
          (err: unknown) => this.deps.logger.warn({ err }, 'reassembly expiry sweep failed'),
        )
        .finally(() => (this.#sweeping = undefined));
    }, every);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  /** Takes the expired sets and reports each part. A set whose report fails is logged with its ids. */
  async sweep(now = Date.now()): Promise<number> {
    const sets = await this.deps.reassembler.takeExpired(now);
    for (const set of sets) {
      try {
        await this.report(set);
      } catch (err) {
        this.deps.logger.error(
          { err, clientId: set.clientId, ids: set.parts.map((p) => p.messageId) },
          'could not report an expired concatenated message',
        );
      }
    }
    return sets.length;
  }

  private async report(set: ExpiredSet): Promise<void> {
    const reason = `only ${set.parts.length} of ${set.total} parts arrived within ${Math.round(this.options.ttlMs / 1000)} s`;
    const messages = set.parts.map((part) => this.partMessage(part));
    await this.deps.records.write(...messages.map((m) => unroutedLeg(m, set.clientId, this.deps.legs, 'expired', reason)));
    const s = this.options.subjects;
    for (const [i, m] of messages.entries()) {
      if (!receiptWanted('expired', set.parts[i].registeredDelivery)) continue;
      await publishStatus(this.deps.bus, s, {
        v: 1,
        messageId: m.id,
        status: 'expired',
        clientId: set.clientId,
        from: m.from,
        to: m.to,
        errorText: reason,
        at: Date.now(),
        submittedAt: m.receivedAt,
      });
    }
  }

  private partMessage(part: ConcatPart): Message {
    return newMessage({
      id: part.messageId,
      from: part.from,
      to: part.to,
      text: part.text,
      origin: { kind: 'smpp', clientId: part.clientId, sourceIp: part.sourceIp, node: part.node },
      receivedAt: part.receivedAt,
      smpp: { registeredDelivery: part.registeredDelivery, dataCoding: part.dataCoding },
    });
  }
}
