/**
 * The egress room: workers that deliver routed messages out of the gateway — carrier sends
 * (leader-elected per carrier) and webhooks to web clients (shared by every node). SMPP and MM4
 * egress live with their protocols.
 */
export { CarrierEgress } from './carrier-egress.js';
export type { CarrierEgressOptions, CarrierEgressDeps } from './carrier-egress.js';
export { CarrierWorker } from './carrier-worker.js';
export { WebhookWorker } from './webhook-worker.js';
export type { WebhookWorkerOptions, WebhookWorkerDeps } from './webhook-worker.js';
export { TokenBucket } from './token-bucket.js';
export { IngressFirst } from './ingress-first.js';
export type { IngressFirstOptions } from './ingress-first.js';
export { messagePayload, statusPayload } from './webhook-payloads.js';
export type { InlineMedia } from './webhook-media.js';
export { postWebhook } from './webhook-sender.js';
