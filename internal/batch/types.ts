/**
 * The batch room's contract: batches of SMS from one number to many recipients (upstream
 * §5.10, §15), run as cluster work. A batch is written to the store, then one bus message names
 * it; whichever node's worker takes that message sends the items through the node's ingress (the
 * path of POST /messages/send), so a batch survives the node that accepted it and can be
 * cancelled from any node.
 */
import type { Message } from '../../proto/message.js';
import type { IngressKind, Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { Metrics } from '../metrics/index.js';
import type { QuotaUsage } from '../quota/index.js';
import type { BatchRepo, ClientDetails, TenantApiKey } from '../store/index.js';

/** One recipient of a batch as the caller gave it (a JSON `messages` entry, or a CSV row). */
export interface BatchRow {
  to: string;
  /** The recipient's own text; '' to use the template. */
  text: string;
  variables: Record<string, string>;
}

/** The job-level fields of a batch request (upstream §5.10), as given. */
export interface BatchFields {
  from: string;
  textTemplate: string;
  webhookUrl: string;
  /** ≤ 0: DEFAULT_THROTTLE_PER_SECOND. */
  throttlePerSecond: number;
  /** ≤ 0: DEFAULT_MAX_RETRY_MINS. */
  maxRetryMins: number;
}

/** Who asks: the client, and the API key it used (its numbers then bind `from`). */
export interface BatchCaller {
  client: ClientDetails;
  apiKey?: TenantApiKey;
}

/**
 * Stores a message the way POST /messages/send does (cmd wires the node's IngressRouter).
 * Rejects with QuotaRefusedError when the sender is over a limit; `repeatable` asks it to look
 * the key up first (an item a dead node may have sent).
 */
export type BatchIngress = (kind: IngressKind, message: Message, dedupKey: string, repeatable: boolean) => Promise<void>;

export interface BatchOptions {
  subjects: Subjects;
  /** This node's id (SERVER_ID), written as the messages' origin. */
  nodeId: string;
  /** Most recipients in one batch. Default DEFAULT_MAX_BATCH_MESSAGES. */
  maxMessages?: number;
  /** Longest item text, in characters (the REST send limit). */
  maxTextChars?: number;
  /** How long a worker may go without a sign of life before its batch goes to another node. Default 30 s. */
  leaseMs?: number;
  /** Batches one node works on at once. Default DEFAULT_BATCH_CONCURRENCY. */
  concurrency?: number;
  /**
   * Publish every unfinished batch again at start: for a bus that forgets its messages when the
   * process ends (the embedded in-process bus). Never with JetStream, where the batch's message
   * is still there and a second one would run the batch twice at once.
   */
  resumeOnStart?: boolean;
}

export interface BatchDeps {
  store: BatchRepo;
  bus: Pick<DurableBus, 'publishDurable' | 'consume'>;
  ingress: BatchIngress;
  /** The node's view of clients (a batch's client may be edited or removed while it runs). */
  client(id: number): ClientDetails | undefined;
  /** Usage for POST /messages/batch/check; without it the check answers 503. */
  usage?: QuotaUsage;
  logger: Logger;
  /** Counts items sent, failed and held (msggw_batch_items_total); none counted without it. */
  metrics?: Pick<Metrics, 'batchItems'>;
  /** Injectable clock, ms since the epoch. */
  now?: () => number;
}
