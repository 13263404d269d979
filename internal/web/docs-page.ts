const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete'] as const;

/** What the page reads of an OpenAPI document. */
export interface DocumentView {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Partial<Record<(typeof METHODS)[number], OperationView>> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}

interface OperationView {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Array<Record<string, string[]>>;
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: unknown;
}

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Inside an element (not an attribute) only &, < and > need escaping; JSON is full of quotes. */
const json = (value: unknown): string => `<pre>${JSON.stringify(value, null, 2).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)}</pre>`;

function authOf(op: OperationView): string {
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  return schemes.length === 0 ? 'none' : schemes.join(' or ');
}

function operationHtml(method: string, path: string, op: OperationView): string {
  const detail = { parameters: op.parameters, requestBody: op.requestBody, responses: op.responses };
  return (
    `<details><summary><code>${method.toUpperCase()} ${escape(path)}</code> ${escape(op.summary ?? '')}` +
    ` <small>(auth: ${escape(authOf(op))})</small></summary>` +
    `${op.description ? `<p>${escape(op.description)}</p>` : ''}${json(detail)}</details>`
  );
}

/** The operations of `doc`, grouped by their first tag in the order the tags first appear. */
function byTag(doc: DocumentView): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'Other';
      groups.set(tag, [...(groups.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  return groups;
}

/**
 * GET /docs: the API document as one static page, every operation with its parameters, body and
 * answers, and the named schemas. No script and nothing fetched, so it works offline and under
 * a CSP of `default-src 'none'`.
 */
export function docsPage(doc: DocumentView): string {
  const sections = [...byTag(doc)].map(([tag, ops]) => `<h2>${escape(tag)}</h2>${ops.join('')}`).join('');
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(([name, schema]) => `<details id="${escape(name)}"><summary><code>${escape(name)}</code></summary>${json(schema)}</details>`)
    .join('');
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)} API</title>` +
    '<style>body{font-family:sans-serif;max-width:60rem;margin:auto;padding:1rem}pre{background:#f4f4f4;padding:.5rem;overflow:auto}' +
    'summary{cursor:pointer;padding:.2rem 0}code{font-weight:bold}</style></head><body>' +
    `<h1>${escape(doc.info.title)} API ${escape(doc.info.version)}</h1><p>${escape(doc.info.description ?? '')}</p>` +
    '<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>' +
    `${sections}<h2>Schemas</h2>${schemas}</body></html>`
  );
}
