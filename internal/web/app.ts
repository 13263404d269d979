import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router } from '@koa/router';
import Koa from 'koa';
import { adminAuth } from './middleware/admin-auth.js';
import { ClientAuthenticator, clientAuth } from './middleware/client-auth.js';
import { errorMiddleware } from './middleware/errors.js';
import { ADMIN_BODY_LIMIT_BYTES, jsonBody } from './middleware/json-body.js';
import { httpMetrics, metricsEndpoint } from './middleware/metrics.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerBatchRoutes } from './routes/batch.js';
import { registerCarrierRoutes } from './routes/carriers.js';
import { registerClientRoutes } from './routes/clients.js';
import { registerDeadLetterRoutes } from './routes/dead-letters.js';
import { registerFailoverRoutes } from './routes/failovers.js';
import { registerHealthRoutes, registerStatsRoutes } from './routes/health.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerInboundRoutes } from './routes/inbound.js';
import { registerMediaRoutes } from './routes/media.js';
import { registerMessageRoutes, SendRoute } from './routes/messages.js';
import { SendFastPath } from './send-fast-path.js';
import { registerNumberLookupRoutes } from './routes/number-lookup.js';
import { registerNumberSettingsRoutes } from './routes/number-settings.js';
import { registerNumberRoutes } from './routes/numbers.js';
import { registerOpenApiRoutes } from './routes/openapi.js';
import { openApiDocument } from './openapi.js';
import { registerSettingsRoutes } from './routes/settings.js';
import { registerUsageRoutes } from './routes/usage.js';
import type { WebDeps } from './types.js';

/** Every admin route of upstream §5.13 (plus single-object GET/PUT/DELETE), behind admin auth. */
function adminRouter(deps: WebDeps): Router {
  const router = new Router();
  // Router-level middleware runs only for requests that match one of this router's routes.
  router.use(adminAuth(deps.apiKey, deps), jsonBody({ limitBytes: ADMIN_BODY_LIMIT_BYTES }));
  registerStatsRoutes(router, deps);
  registerCarrierRoutes(router, deps);
  registerClientRoutes(router, deps);
  registerNumberRoutes(router, deps);
  registerSettingsRoutes(router, deps);
  registerFailoverRoutes(router, deps);
  registerApiKeyRoutes(router, deps);
  registerNumberSettingsRoutes(router, deps);
  registerNumberLookupRoutes(router, deps);
  registerDeadLetterRoutes(router, deps);
  return router;
}

/** The web clients' routes (upstream §5.9), behind client auth (§4.2); sends check it themselves. */
function clientRouter(deps: WebDeps, authenticator: ClientAuthenticator): Router {
  const router = new Router();
  router.use(clientAuth(deps, authenticator));
  registerHistoryRoutes(router, deps);
  registerUsageRoutes(router, deps);
  registerBatchRoutes(router, deps);
  return router;
}

/**
 * The Koa app whose request listener lets the send fast path (send-fast-path.ts) take the send
 * routes first, so every server made from callback() (WebServer, app.listen, tests) has it.
 */
class GatewayApp extends Koa {
  #fastPath?: SendFastPath;

  setSendFastPath(fastPath: SendFastPath): void {
    this.#fastPath = fastPath;
  }

  override callback(): ReturnType<Koa['callback']> {
    const koa = super.callback();
    const fastPath = this.#fastPath;
    if (!fastPath) return koa;
    // The gateway serves HTTP/1.1 (web/server.ts); Koa's type also admits HTTP/2 requests.
    return (req, res) => (fastPath.take(req as IncomingMessage, res as ServerResponse) ? Promise.resolve() : koa(req, res));
  }
}

/**
 * Builds the Koa app from its deps alone; it does not listen (web/server.ts does). Every error,
 * from a bad path id to a lost database, leaves as JSON through one catch-all: `{"error": ...}`,
 * or `{"status":"error","message":...}` where upstream's clients expect that shape.
 */
export function createApp(deps: WebDeps): Koa {
  const app = new GatewayApp({ proxy: false });
  // Request errors are answered by the error middleware; what reaches here failed after the
  // response started (e.g. the peer went away). Listening also replaces Koa's stderr printer.
  app.on('error', (err: unknown) => deps.logger.warn({ err }, 'HTTP connection error'));

  const publicRoutes = new Router();
  registerHealthRoutes(publicRoutes, deps);
  // The API document describes the routes and holds no secret, so it is public like /health.
  registerOpenApiRoutes(publicRoutes, () => openApiDocument());
  // Carrier webhooks carry no client credentials: their signatures are checked per carrier.
  registerInboundRoutes(publicRoutes, deps);
  // Media links are capabilities handed to carriers and handsets: no credentials.
  registerMediaRoutes(publicRoutes, deps);
  const authenticator = new ClientAuthenticator(deps);
  const send = new SendRoute(deps, authenticator);
  app.setSendFastPath(new SendFastPath(send, deps.metrics, deps.logger));
  const sends = new Router();
  registerMessageRoutes(sends, send);
  const clients = clientRouter(deps, authenticator);
  const admin = adminRouter(deps);

  if (deps.metrics) app.use(httpMetrics(deps.metrics));
  app.use(errorMiddleware(deps.logger));
  if (deps.metrics?.path) app.use(metricsEndpoint(deps.metrics, deps.apiKey));
  app.use(publicRoutes.routes());
  app.use(publicRoutes.allowedMethods());
  app.use(sends.routes());
  app.use(sends.allowedMethods());
  app.use(clients.routes());
  app.use(clients.allowedMethods());
  app.use(admin.routes());
  app.use(admin.allowedMethods());
  return app;
}
