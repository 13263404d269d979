import { ApiDocs } from './api-docs.js';
import { documentApiKeyRoutes } from './routes/api-keys.js';
import { documentBatchRoutes } from './routes/batch.js';
import { documentCarrierRoutes } from './routes/carriers.js';
import { documentClientRoutes } from './routes/clients.js';
import { documentDeadLetterRoutes } from './routes/dead-letters.js';
import { documentFailoverRoutes } from './routes/failovers.js';
import { documentHealthRoutes } from './routes/health.js';
import { documentHistoryRoutes } from './routes/history.js';
import { documentInboundRoutes } from './routes/inbound.js';
import { documentMediaRoutes } from './routes/media.js';
import { documentMessageRoutes } from './routes/messages.js';
import { documentNumberLookupRoutes } from './routes/number-lookup.js';
import { documentNumberSettingsRoutes } from './routes/number-settings.js';
import { documentNumberRoutes } from './routes/numbers.js';
import { documentOpenApiRoutes } from './routes/openapi.js';
import { documentSettingsRoutes } from './routes/settings.js';
import { documentUsageRoutes } from './routes/usage.js';

/** The version of the API the document describes (info.version), not of the package. */
export const API_VERSION = '1';

/**
 * Each route file's `document…Routes`. A route file's routes are registered in app.ts and
 * described here; openapi.test.ts fails for a registered route the document lacks.
 */
const DOCUMENTED: ReadonlyArray<(api: ApiDocs) => void> = [
  documentHealthRoutes,
  documentOpenApiRoutes,
  documentInboundRoutes,
  documentMediaRoutes,
  documentMessageRoutes,
  documentHistoryRoutes,
  documentBatchRoutes,
  documentUsageRoutes,
  documentCarrierRoutes,
  documentClientRoutes,
  documentNumberRoutes,
  documentSettingsRoutes,
  documentFailoverRoutes,
  documentApiKeyRoutes,
  documentNumberSettingsRoutes,
  documentNumberLookupRoutes,
  documentDeadLetterRoutes,
];

/** Every route of the API, described from the schemas the routes validate with. */
export function apiDocs(): ApiDocs {
  const api = new ApiDocs();
  for (const document of DOCUMENTED) document(api);
  return api;
}

export type OpenApiDocument = ReturnType<ApiDocs['document']>;

/** The OpenAPI 3.1 document served at GET /openapi.json. */
export function openApiDocument(api: ApiDocs = apiDocs()): OpenApiDocument {
  return api.document({
    title: 'msggw',
    version: API_VERSION,
    description: 'Admin API (docs/admin-api.md) and web client API (docs/web-api.md) of the msggw SMS/MMS gateway.',
  });
}
