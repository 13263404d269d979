/**
 * A deliver_sm egress on the MemoryBus with fake sessions, records and clients, for the SMPP
 * egress tests: publish jobs to a client's queue, bind and unbind fake sessions, read back
 * records and the status events the sender was told.
 */
import { deliveryJobCodec, type DeliveryJob } from '../../proto/delivery.js';
import type { Egress, MessageInput } from '../../proto/message.js';
import { messageSchema } from '../../proto/message.js';
import { statusCodec, type StatusEvent, type StatusEventInput } from '../../proto/status.js';
import { statusEventSchema } from '../../proto/status.js';
import { subjects as makeSubjects, type Subjects } from '../../proto/subjects.js';
import { ack, createBus, MemoryBusHub, type Bus, type Consumer } from '../../internal/bus/index.js';
import { ensureStreams } from '../../internal/cluster/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { createMetrics, type Metrics } from '../../internal/metrics/index.js';
import { RecordWriter, type LegContext } from '../../internal/records/index.js';
import { FailoverRouting, FailureReporter, LedgerRepair, SentRecorder } from '../../internal/router/index.js';
import { UnavailableError } from '../../internal/errors/index.js';
import type { ClientDetails, ClientSettings, MessageRecord, RecordRepo } from '../../internal/store/index.js';
import { SmppEgress, type SmppEgressOptions } from '../../internal/smpp/egress.js';
import { FakeSession, FakeLocalBinds, type FakeDeliver } from './smpp-fake-sessions.js';
import { captureLogger } from './log-capture.js';

export const SENDER = 1;
export const RECEIVER = 2;

/** Ledger legs by `messageId/clientId/direction`, last write wins. */
export class MemoryRecords implements Pick<RecordRepo, 'upsertMany'> {
  readonly legs = new Map<string, MessageRecord>();
  /** While true every write fails as with the database down. */
  down = false;
  /** While set, every write waits for it (a slow database). */
  hold?: Promise<void>;

  async upsertMany(records: MessageRecord[]): Promise<void> {
    if (this.down) throw new UnavailableError('the database is unavailable');
    await this.hold;
    for (const r of records) this.legs.set(`${r.messageId}/${r.clientId}/${r.direction}`, r);
  }

  status(messageId: string, clientId: number, direction: 'inbound' | 'outbound'): string | undefined {
    return this.legs.get(`${messageId}/${clientId}/${direction}`)?.status;
  }
}

export function legacyClient(id: number, settings: Partial<ClientSettings> = {}): ClientDetails {
  const at = new Date(0);
  return {
    id,
    username: `client${id}`,
    password: 'p',
    address: '',
    name: '',
    type: 'legacy',
    timezone: 'UTC',
    logPrivacy: false,
    createdAt: at,
    updatedAt: at,
    numbers: [],
    failovers: [],
    settings: { disableMessageSplitting: false, splitMethod: 'udh', ...settings } as ClientSettings,
  };
}

export interface HarnessOptions extends Partial<Omit<SmppEgressOptions, 'subjects'>> {
  clients?: ClientDetails[];
  /** Another bus (NatsBus in integration tests); default a MemoryBus of its own. */
  bus?: Bus;
  /** Subject prefix; harnesses with the same prefix and server act as nodes of one cluster. */
  prefix?: string;
  /**
   * The clients with a receiving bind somewhere in the cluster (the test changes it): given, the
   * egress moves queued messages to failover clients (FailoverMover) as this says.
   */
  receiving?: Set<number>;
}

export class EgressHarness {
  readonly hub = new MemoryBusHub();
  readonly subjects: Subjects;
  readonly bus: Bus;
  readonly binds = new FakeLocalBinds();
  readonly records = new MemoryRecords();
  readonly metrics: Metrics = createMetrics({ serverId: 'n1', defaultMetrics: false });
  /** The egress's log lines, debug and up. */
  readonly log = captureLogger();
  /** Every deliver_sm of every session, in call order. */
  readonly delivered: FakeDeliver[] = [];
  readonly clients: ClientDetails[];
  readonly egress: SmppEgress;
  readonly sent: SentRecorder;
  readonly ledgerRepair: LedgerRepair;
  #statusConsumer?: Consumer;
  readonly statusEvents: StatusEvent[] = [];
  #sessions = 0;

  constructor(options: HarnessOptions = {}) {
    this.subjects = makeSubjects(options.prefix ?? `t${Math.random().toString(36).slice(2, 8)}`);
    this.bus = options.bus ?? createBus({ kind: 'memory', hub: this.hub, drainTimeoutMs: 2_000 }, { nodeId: 'n1', logger: quietBus });
    this.clients = options.clients ?? [legacyClient(SENDER), legacyClient(RECEIVER)];
    const writer = new RecordWriter(this.records as unknown as RecordRepo, { flushMs: 1 });
    const legs: LegContext = { serverId: 'n1', clientType: () => 'legacy', logPrivacy: () => false };
    const client = (id: number) => this.clients.find((c) => c.id === id);
    const receiving = options.receiving;
    const receivers = { receiverNodes: async (id: number) => (receiving?.has(id) ? [{ node: 'n1', ip: '' }] : []) };
    const failover = receiving ? { receivers, routing: new FailoverRouting({ receivers, client, logger: silentLogger() }) } : undefined;
    const failures = new FailureReporter(
      { nodeId: 'n1', notifySenderOnFailure: false, subjects: this.subjects },
      { bus: this.bus, records: writer, legs },
    );
    const { clients: _c, bus: _b, prefix: _p, receiving: _r, ...given } = options;
    const egressOptions = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
    this.sent = new SentRecorder({ subjects: this.subjects }, { bus: this.bus, records: writer, legs, client, logger: silentLogger() });
    this.ledgerRepair = new LedgerRepair(
      { subjects: this.subjects },
      { bus: this.bus, records: writer, legs, client, logger: silentLogger() },
    );
    this.egress = new SmppEgress(
      {
        subjects: this.subjects,
        nodeId: 'n1',
        retries: 3,
        timeoutMs: 1_000,
        queueMaxAgeMs: 60_000,
        retryDelayMs: 5,
        leaseTtlMs: 600,
        sweepFirstLookMs: 0,
        ...egressOptions,
      },
      {
        bus: this.bus,
        sessions: this.binds,
        client,
        clients: () => this.clients,
        records: writer,
        sent: this.sent,
        legs,
        failures,
        logger: this.log.logger,
        metrics: this.metrics,
        failover,
      },
    );
  }

  /** Starts the bus and streams, then the egress unless `startEgress` is false (the test starts it). */
  async start({ startEgress = true } = {}): Promise<this> {
    await this.bus.start();
    await ensureStreams(this.bus, this.subjects);
    this.#statusConsumer = await this.bus.consume(
      { stream: this.subjects.streams.status, durable: 'test-status', filterSubject: this.subjects.statusAll },
      async (msg) => {
        this.statusEvents.push(statusCodec.decode(msg.data));
        return ack;
      },
    );
    await this.ledgerRepair.start();
    if (startEgress) await this.egress.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.egress.stop();
    await this.ledgerRepair.stop();
    await this.#statusConsumer?.stop();
    await this.bus.stop();
  }

  bind(clientId = RECEIVER): FakeSession {
    return this.binds.add(new FakeSession(`s${++this.#sessions}`, clientId, this.delivered));
  }

  unbind(session: FakeSession): void {
    this.binds.remove(session);
  }

  /** A routed message from SENDER's number to RECEIVER over SMPP. */
  egressFor(message: Partial<MessageInput> = {}, receiver = RECEIVER): Egress {
    return {
      v: 1,
      message: messageSchema.parse({
        v: 1,
        id: `m${Math.random().toString(36).slice(2, 10)}`,
        type: 'sms',
        from: '+15550000001',
        to: '+15550000002',
        text: 'hello',
        origin: { kind: 'smpp', clientId: SENDER, node: 'n1' },
        receivedAt: Date.now(),
        ...message,
      }),
      route: { kind: 'smpp', clientId: receiver },
      senderClientId: SENDER,
      receiverClientId: receiver,
    };
  }

  async publish(job: DeliveryJob, clientId = RECEIVER): Promise<void> {
    await this.bus.publishDurable(this.subjects.msgOutSmpp(clientId), deliveryJobCodec.encode(job));
  }

  async publishMessage(message: Partial<MessageInput> = {}): Promise<Egress> {
    const egress = this.egressFor(message);
    await this.publish({ v: 1, kind: 'message', egress });
    return egress;
  }

  async publishStatus(event: Partial<StatusEventInput>, clientId = SENDER): Promise<void> {
    const parsed = statusEventSchema.parse({
      v: 1,
      messageId: 'm1',
      status: 'delivered',
      clientId,
      from: '+15550000001',
      to: '+15559999999',
      at: Date.now(),
      ...event,
    });
    await this.publish({ v: 1, kind: 'status', clientId, event: parsed }, clientId);
  }

  pending(clientId = RECEIVER): Promise<number> {
    return this.bus.pending(this.subjects.streams.smpp, this.subjects.msgOutSmpp(clientId));
  }

  async counter(kind: string, result: string, client = `client${RECEIVER}`): Promise<number> {
    const values = (await this.metrics.smppDeliver.get()).values;
    return values
      .filter((v) => v.labels.kind === kind && v.labels.result === result && v.labels.client === client)
      .reduce((sum, v) => sum + v.value, 0);
  }
}

const quietBus = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Polls `check` until it holds (or throws its last failure after `timeoutMs`). */
export async function eventually(check: () => void | Promise<void>, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
