import { readFileSync } from 'node:fs';
import type { Router } from '@koa/router';
import type Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentedRoute } from '../../test/support/api-contract.js';
import { curlExamples, markdownExamples, type RequestExample } from '../../test/support/doc-examples.js';
import { silentLogger } from '../log/index.js';
import type { RouteDoc } from './api-docs.js';
import { createApp } from './app.js';
import { apiDocs } from './openapi.js';
import { SEND_PATHS } from './send-fast-path.js';
import { WebServer } from './server.js';
import type { WebDeps } from './types.js';

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

/** An app whose routes are all registered; nothing it is built from is called by these tests. */
function bareApp(): Koa {
  return createApp({ apiKey: 'openapi-test-key', logger: silentLogger(), ready: () => true } as unknown as WebDeps);
}

/** `METHOD /path` of every route the app's routers register, in OpenAPI spelling (`{id}`). */
function registeredRoutes(app: Koa): string[] {
  // @koa/router's routes() middleware carries its router.
  const routers = app.middleware.flatMap((mw) => (mw as unknown as { router?: Router }).router ?? []);
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) => {
      // Koa's router answers HEAD on every GET route by itself; only a documented HEAD is a route of ours.
      const methods = layer.methods.filter((m) => m !== 'HEAD' || !layer.methods.includes('GET'));
      return methods.map((m) => `${m} ${String(layer.path).replace(/:(\w+)/g, '{$1}')}`);
    }),
  );
}

const documented = (routes: readonly RouteDoc[]) => routes.map((r) => `${r.method.toUpperCase()} ${r.path}`);

describe('the OpenAPI document', () => {
  const api = apiDocs();

  it('has every route the app registers, and the send fast path’s, with the same method and path', () => {
    const registered = registeredRoutes(bareApp());
    expect(registered.length).toBeGreaterThan(40);
    const doc = new Set(documented(api.routes()));
    expect(registered.filter((route) => !doc.has(route))).toEqual([]);
    expect([...SEND_PATHS].map((path) => `POST ${path}`).filter((route) => !doc.has(route))).toEqual([]);
  });

  it('describes no route the app does not register', () => {
    const registered = new Set(registeredRoutes(bareApp()));
    const extra = documented(api.routes()).filter((route) => !registered.has(route) && !route.startsWith('HEAD '));
    expect(extra).toEqual([]);
  });

  it('describes each method and path once', () => {
    const routes = documented(api.routes());
    expect(routes.filter((route, i) => routes.indexOf(route) !== i)).toEqual([]);
  });
});

/** Each example's problems: no such route, no body schema, not JSON, or refused by the route's schema. */
function problems(examples: RequestExample[]): string[] {
  return examples.flatMap((example) => {
    const at = `${example.where} ${example.method} ${example.path}`;
    const route = documentedRoute(example.method, example.path);
    if (!route?.body) return [`${at}: no documented route with a JSON body`];
    let body: unknown;
    try {
      body = JSON.parse(example.body);
    } catch (err) {
      return [`${at}: not JSON (${(err as Error).message})`];
    }
    const result = route.body.safeParse(body);
    return result.success ? [] : [`${at}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`];
  });
}

describe('request examples', () => {
  it('of docs/admin-api.md and docs/web-api.md validate against their route’s schema', () => {
    const examples = ['docs/admin-api.md', 'docs/web-api.md'].flatMap((file) => markdownExamples(read(file), file));
    expect(examples.length).toBeGreaterThanOrEqual(15);
    expect(problems(examples)).toEqual([]);
  });

  it('of the gomsggw README (test/fixtures) and README.md validate too', () => {
    const examples = [
      ...curlExamples(read('test/fixtures/seed-readme-admin.sh'), 'seed-readme-admin.sh'),
      ...curlExamples(read('test/fixtures/seed-readme-send.sh'), 'seed-readme-send.sh'),
      ...markdownExamples(read('README.md'), 'README.md'),
    ];
    expect(examples.length).toBeGreaterThanOrEqual(9);
    expect(problems(examples)).toEqual([]);
  });

  it('are refused when they do not fit the schema', () => {
    const bad: RequestExample[] = [
      { where: 't', method: 'POST', path: '/clients/1/numbers', body: '{"number":"+12505551234","carrier":7}' },
      { where: 't', method: 'PUT', path: '/clients/2/settings', body: '{"api_format":"xml"}' },
      { where: 't', method: 'POST', path: '/nowhere', body: '{}' },
      { where: 't', method: 'POST', path: '/messages/batch', body: '{"messages":[{"text":"no to"}]}' },
      { where: 't', method: 'POST', path: '/messages/batch/check', body: '{"message_count":"9"}' },
    ];
    expect(problems(bad)).toHaveLength(5);
  });
});

describe('GET /openapi.json and GET /docs', () => {
  let server: WebServer;
  beforeAll(async () => {
    server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app: bareApp() });
    await server.start();
  });
  afterAll(() => server.stop());

  it('serve an OpenAPI 3.1 document without credentials', async () => {
    const res = await fetch(`${server.url()}/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await res.json()) as Record<string, any>;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'msggw', version: expect.any(String) });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(30);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Carrier', 'Client', 'Error']));
    expect(Object.keys(doc.components.securitySchemes)).toEqual(['adminKey', 'clientBasic', 'clientBearer']);
    expect(structuralProblems(doc)).toEqual([]);
  });

  it('serve the document as a page that loads nothing', async () => {
    const res = await fetch(`${server.url()}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = await res.text();
    expect(html).toContain('<code>POST /clients/{id}/numbers</code>');
    expect(html).not.toMatch(/<script|src=/);
  });
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** What OpenAPI 3.1 requires of the parts we use: refs resolve, path parameters are declared, responses exist. */
function structuralProblems(doc: Record<string, any>): string[] {
  const problems: string[] = [];
  const refs = JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(\w+)\/([^"]+)"/g);
  for (const [, kind, name] of refs) if (!doc.components?.[kind!]?.[name!]) problems.push(`unresolved $ref ${kind}/${name}`);
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    if (!path.startsWith('/')) problems.push(`${path}: must start with /`);
    const wanted = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [method, op] of Object.entries<any>(item)) {
      if (!METHODS.includes(method)) problems.push(`${path}: unknown operation ${method}`);
      const declared = (op.parameters ?? [])
        .filter((p: any) => p.in === 'path' && p.required === true)
        .map((p: any) => p.name)
        .sort();
      if (JSON.stringify(declared) !== JSON.stringify(wanted)) problems.push(`${method} ${path}: path parameters ${declared} != ${wanted}`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${method} ${path}: no responses`);
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        if (!/^[1-5]\d\d$/.test(status) || typeof response.description !== 'string')
          problems.push(`${method} ${path} ${status}: malformed`);
      }
      for (const name of Object.keys(op.security?.[0] ?? {})) {
        if (!doc.components.securitySchemes[name]) problems.push(`${method} ${path}: unknown security scheme ${name}`);
      }
    }
  }
  return problems;
}
