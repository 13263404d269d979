/**
 * The API document as a contract for tests: the documented route a concrete request falls under,
 * and whether an answer fits the schema the document gives for its status.
 */
import { apiDocs, type RouteDoc } from '../../internal/web/index.js';

const ROUTES = apiDocs().routes();

const pattern = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}/?$`);

/** The documented route of `method` and a concrete `path` (`/clients/1`; literal segments win over parameters). */
export function documentedRoute(method: string, path: string): RouteDoc | undefined {
  const bare = path.split('?')[0]!;
  return ROUTES.filter((r) => r.method.toUpperCase() === method.toUpperCase() && pattern(r.path).test(bare)).sort(
    (a, b) => a.path.split('{').length - b.path.split('{').length,
  )[0];
}

/**
 * Why a successful JSON answer does not fit the document, or undefined when it fits (or the
 * document gives no schema for it: errors, non-JSON answers).
 */
export function answerProblem(method: string, path: string, status: number, body: unknown): string | undefined {
  if (status < 200 || status >= 300) return undefined;
  const route = documentedRoute(method, path);
  if (!route) return `${method} ${path}: not in the API document`;
  const schema = route.responses[status]?.schema;
  if (!schema) return route.responses[status] ? undefined : `${method} ${path}: status ${status} is not documented`;
  const result = schema.safeParse(body);
  if (result.success) return undefined;
  return `${method} ${path} ${status}: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
}

/** Throws when a successful JSON answer does not fit the document (answerProblem), for suites that call the API themselves. */
export function assertDocumented(method: string, path: string, status: number, body: unknown): void {
  const problem = answerProblem(method, path, status, body);
  if (problem !== undefined) throw new Error(`answer not as the API document says: ${problem}`);
}
