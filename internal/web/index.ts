/**
 * The web room: the Koa app of the admin REST API (upstream-behaviour.md §5) and the HTTP
 * server that owns its listener. createApp builds from deps only, so tests drive it on any port.
 */
export type { WebDeps, WebMetrics, AutoReplyDefaults } from './types.js';
export type { WebServerOptions, WebServerDeps } from './server.js';
export { createApp } from './app.js';
export { WebServer, DEFAULT_SHUTDOWN_GRACE_MS } from './server.js';
export { ADMIN_BODY_LIMIT_BYTES } from './middleware/json-body.js';
