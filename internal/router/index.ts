/**
 * The router room: decides where each message goes (decide.ts), runs the shared router workers
 * (router.ts), readdresses SMPP messages of an unreachable client to its failover (failover.ts),
 * reports failures to senders (failures.ts) and turns delivery status events into receipts and
 * status webhooks for the client that sent the message (status-router.ts).
 */
export { decide, canonicalNumber, carrierFor } from './decide.js';
export type { Decision, RoutingView } from './decide.js';
export { MsgInRouter, DEFAULT_ROUTER_CONCURRENCY } from './msg-in-router.js';
export { IngressRouter } from './ingress.js';
export { kvIngressMemory } from './ingress-memory.js';
export type { IngressMemory } from './ingress-memory.js';
export type { IngressRouterOptions, IngressRouterDeps } from './ingress.js';
export { publishEgress } from './egress-publish.js';
export { FailoverRouting, chooseReceiver, failoverOrder } from './failover.js';
export type { FailoverRoutingDeps, ReceiverChoice } from './failover.js';
export type { EgressPublishDeps, EgressInterceptor } from './egress-publish.js';
export type { MsgInRouterOptions, MsgInRouterDeps } from './msg-in-router.js';
export { FailureReporter, NOTICE_TEXT } from './failures.js';
export { reportDelivered } from './delivered.js';
export { forwardStatus, statusWebhookUrl } from './status-forward.js';
export { publishStatus, statusDedupKey } from './status-publish.js';
export { SentRecorder, DEFAULT_MAX_REMEMBERED, REMEMBERED_RETRY_MS } from './sent-recorder.js';
export type { SentRecord, SentRecorderOptions, SentRecorderDeps, RecordSentDeps } from './sent-recorder.js';
export { LedgerRepair } from './ledger-repair.js';
export type { LedgerRepairOptions, LedgerRepairDeps } from './ledger-repair.js';
export type { Failure, FailureOptions, FailureDeps } from './failures.js';
export { StatusRouter } from './status-router.js';
export { DeadLetterReporter } from './dead-letter-reporter.js';
export type { DeadLetterReporterOptions, DeadLetterReporterDeps } from './dead-letter-reporter.js';
export type { StatusRouterOptions, StatusRouterDeps } from './status-router.js';
