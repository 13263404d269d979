/**
 * The web room: the Koa app of the REST API (upstream-behaviour.md §5: admin routes, web client
 * messaging, carrier webhooks) and the HTTP server that owns its listener. createApp builds from
 * deps only, so tests drive it on any port.
 */
export type {
  WebDeps,
  WebMetrics,
  AutoReplyDefaults,
  IngressBus,
  CarrierWebhooks,
  WebhookVerifyRequest,
  WebhookParseRequest,
  WebhookResult,
  ApiKeyRateLimit,
  HeaderMap,
  WebLogins,
  SmppPresence,
  SmppBindView,
  MessageIngress,
} from './types.js';
export type { WebServerOptions, WebServerDeps } from './server.js';
export type { RouteDoc, RouteAuth, ResponseDoc } from './api-docs.js';
export type { OpenApiDocument } from './openapi.js';
export { createApp } from './app.js';
export { apiDocs, openApiDocument } from './openapi.js';
export { WebServer, DEFAULT_SHUTDOWN_GRACE_MS } from './server.js';
export { ADMIN_BODY_LIMIT_BYTES } from './middleware/json-body.js';
export { SEND_BODY_LIMIT_BYTES } from './routes/messages.js';
export { INBOUND_BODY_LIMIT_BYTES } from './routes/inbound.js';
export { HISTORY_DEFAULT_PER_PAGE, HISTORY_MAX_PER_PAGE } from './routes/history.js';
