import type { Router } from '@koa/router';
import { z } from 'zod';
import type { ApiDocs } from '../api-docs.js';
import { docsPage, type DocumentView } from '../docs-page.js';

/** The page runs no script and loads nothing: its own inline styles only. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'";

/**
 * GET /openapi.json (the API document) and GET /docs (the same, as a page), without auth like
 * /health: they describe the routes, and hold no secret. Each is built once, on first use.
 */
export function registerOpenApiRoutes(router: Router, document: () => DocumentView): void {
  let built: DocumentView | undefined;
  let json: string | undefined;
  let page: string | undefined;
  const doc = () => (built ??= document());
  router.get('/openapi.json', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = json ??= JSON.stringify(doc());
  });
  router.get('/docs', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.body = page ??= docsPage(doc());
  });
}

/** The API document's entries for registerOpenApiRoutes. */
export function documentOpenApiRoutes(api: ApiDocs): void {
  const base = { tag: 'Health', auth: 'public', method: 'get' } as const;
  api.route({
    ...base,
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1)',
    responses: { 200: { description: 'The document', schema: z.looseObject({ openapi: z.string() }) } },
  });
  api.route({
    ...base,
    path: '/docs',
    summary: 'This document as a page',
    responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
  });
}
