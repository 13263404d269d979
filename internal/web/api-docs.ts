import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { errorView, statusErrorView } from './views.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'head';

/**
 * Who may call a route: the admin key (Basic, any username), a web client (Basic or Bearer
 * user:pass, or a `gw_live_` API key), or anyone (health, media tokens, carrier webhooks, these docs).
 */
export type RouteAuth = 'admin' | 'client' | 'public';

/** One answer of a route: its JSON schema (views.ts), or another content type without one. */
export interface ResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Default application/json (with `schema`). */
  contentType?: string;
}

/**
 * What the API document says of one route. `params`, `query` and `body` are the very schemas the
 * route validates with, so the document cannot say one thing while the route checks another.
 */
export interface RouteDoc {
  method: HttpMethod;
  /** OpenAPI spelling: `/clients/{id}`, where the Koa route says `/clients/:id`. */
  path: string;
  tag: string;
  summary: string;
  description?: string;
  auth: RouteAuth;
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
  /** The JSON request body's schema. */
  body?: z.ZodType;
  /**
   * A multipart/form-data body, beside or instead of `body`: its parts, a file part as a string
   * with `format: 'binary'`. The route reads it by hand (streamed), so this schema only describes.
   */
  form?: z.ZodObject;
  /** A body that is not JSON-with-a-schema (carrier webhooks): its content types. */
  rawBody?: { description: string; contentTypes: readonly string[] };
  responses: Record<number, ResponseDoc>;
}

const SECURITY: Record<RouteAuth, RouteConfig['security']> = {
  admin: [{ adminKey: [] }],
  client: [{ clientBasic: [] }, { clientBearer: [] }],
  public: [],
};

const clientError = z.union([errorView, statusErrorView]);

/** Client routes answer some errors in upstream's `{"status":"error",...}` shape; the rest `{"error":...}`. */
const errorOf = (doc: RouteDoc) => (doc.auth === 'client' ? clientError : errorView);

/** The errors every route of its kind may answer, added under the route's own responses. */
function commonErrors(doc: RouteDoc): Record<number, ResponseDoc> {
  const errors: Record<number, ResponseDoc> = {};
  const error = errorOf(doc);
  if (doc.params || doc.query || doc.body || doc.form) errors[400] = { description: 'Invalid input', schema: error };
  if (doc.auth !== 'public') {
    errors[401] = { description: 'Missing or wrong credentials (WWW-Authenticate: Basic realm="Restricted")', schema: error };
    errors[429] = { description: 'Too many failed logins from this source (Retry-After)', schema: error };
  }
  if (doc.params) errors[404] = { description: 'No such object', schema: error };
  if (doc.body || doc.form) errors[413] = { description: 'Body too large', schema: error };
  return errors;
}

/** The route's own responses, its errors given the error body when they name no content. */
function withErrorSchema(doc: RouteDoc): Record<number, ResponseDoc> {
  const error = errorOf(doc);
  return Object.fromEntries(
    Object.entries(doc.responses).map(([status, response]) => [
      status,
      Number(status) >= 400 && !response.schema && !response.contentType ? { ...response, schema: error } : response,
    ]),
  );
}

function responseConfig({ description, schema, contentType }: ResponseDoc): ResponseConfig {
  if (!schema && !contentType) return { description };
  return { description, content: { [contentType ?? 'application/json']: { schema: schema ?? z.string() } } };
}

/** The content types of a route's JSON and form bodies, each with its schema. */
function requestContent(doc: RouteDoc): Record<string, { schema: z.ZodType }> {
  return {
    ...(doc.body ? { 'application/json': { schema: doc.body } } : {}),
    ...(doc.form ? { 'multipart/form-data': { schema: doc.form } } : {}),
  };
}

/**
 * The API document as the route files describe their routes (each exports a `document…Routes`
 * beside its `register…Routes`; openapi.ts calls them all). Keeps the routes it was told of, so
 * tests can find the body schema of a method and path.
 */
export class ApiDocs {
  readonly #registry = new OpenAPIRegistry();
  readonly #routes: RouteDoc[] = [];

  constructor() {
    this.#registry.registerComponent('securitySchemes', 'adminKey', {
      type: 'http',
      scheme: 'basic',
      description: 'Admin routes: any username, the password is API_KEY',
    });
    this.#registry.registerComponent('securitySchemes', 'clientBasic', {
      type: 'http',
      scheme: 'basic',
      description: "A web client's username and password",
    });
    this.#registry.registerComponent('securitySchemes', 'clientBearer', {
      type: 'http',
      scheme: 'bearer',
      description: 'A tenant API key (gw_live_…), or base64(username:password) as gomsggw accepted it',
    });
  }

  route(doc: RouteDoc): void {
    this.#routes.push(doc);
    const responses = { ...commonErrors(doc), ...withErrorSchema(doc) };
    this.#registry.registerPath({
      method: doc.method,
      path: doc.path,
      tags: [doc.tag],
      summary: doc.summary,
      ...(doc.description ? { description: doc.description } : {}),
      security: SECURITY[doc.auth],
      request: {
        ...(doc.params ? { params: doc.params } : {}),
        ...(doc.query ? { query: doc.query } : {}),
        ...(doc.headers ? { headers: doc.headers } : {}),
        ...(doc.body || doc.form ? { body: { content: requestContent(doc) } } : {}),
        ...(doc.rawBody
          ? {
              body: {
                description: doc.rawBody.description,
                content: Object.fromEntries(doc.rawBody.contentTypes.map((type) => [type, { schema: z.string() }])),
              },
            }
          : {}),
      },
      responses: Object.fromEntries(Object.entries(responses).map(([status, response]) => [status, responseConfig(response)])),
    });
  }

  /** Every route described so far. */
  routes(): readonly RouteDoc[] {
    return this.#routes;
  }

  /** The OpenAPI 3.1 document. */
  document(info: { title: string; version: string; description: string }): ReturnType<OpenApiGeneratorV31['generateDocument']> {
    return new OpenApiGeneratorV31(this.#registry.definitions).generateDocument({ openapi: '3.1.0', info });
  }
}
