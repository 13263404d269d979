import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { baseType, servedInline } from '../../media/index.js';
import type { ApiDocs } from '../api-docs.js';
import type { WebDeps } from '../types.js';
import { LogEvent } from '../../log/index.js';

/** What newMediaToken makes (internal/media/tokens.ts), or a gomsggw UUIDv4 token. */
const TOKEN = /^(?:[A-Za-z0-9_-]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
/** Upstream's text (§5.12); handsets and carriers fetch this URL, so plain text, not JSON. */
const NOT_FOUND_TEXT = 'media file not found';

/** The token of `{token}` or `{token}.{ext}`: as upstream, everything from the first '.' is ignored. */
export function mediaToken(segment: string): string | undefined {
  const dot = segment.indexOf('.');
  const token = dot < 0 ? segment : segment.slice(0, dot);
  return TOKEN.test(token) ? token : undefined;
}

function notFound(ctx: Context): void {
  ctx.status = 404;
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = NOT_FOUND_TEXT;
}

/**
 * Every answer is a sandboxed document (no script, an origin of its own) and its type is never
 * sniffed: a tenant's file must not run script on the origin whose Basic credentials admins'
 * browsers hold.
 */
const SANDBOX = 'sandbox';

/**
 * Inline for the types a browser may show (servedInline), else attachment; the filename safe
 * inside a quoted parameter, plus its RFC 5987 form.
 */
function disposition(filename: string, contentType: string): string {
  const kind = servedInline(contentType) ? 'inline' : 'attachment';
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  // RFC 5987 attr-chars: encodeURIComponent leaves ' ( ) * ! as they are.
  const encoded = encodeURIComponent(filename).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * GET (and HEAD) /media/{token}[.{ext}] (upstream §5.12): public, the token is the capability.
 * Serves the stored bytes with their Content-Type and Content-Length (Twilio HEADs the URL and
 * checks the type), cacheable until the file expires since a token's content never changes;
 * 404 for an unknown or expired token. Types that could run script are attachments, and every
 * answer carries a sandbox CSP and nosniff.
 */
export function registerMediaRoutes(router: Router, deps: WebDeps): void {
  router.get('/media/:file', async (ctx) => {
    const token = mediaToken(String(ctx.params.file));
    const file = token && deps.media ? await deps.media.get(token) : undefined;
    if (!file) return notFound(ctx);
    const maxAge = Math.max(0, Math.floor((file.expiresAt.getTime() - Date.now()) / 1000));
    ctx.status = 200;
    // A row stored before types were checked at the entry point still gets a well-formed header.
    ctx.type = baseType(file.contentType);
    ctx.set('Cache-Control', `public, max-age=${maxAge}, immutable`);
    ctx.set('Expires', file.expiresAt.toUTCString());
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', SANDBOX);
    ctx.set('Content-Disposition', disposition(file.filename, file.contentType));
    ctx.body = file.bytes;
    ctx.length = file.bytes.length;
    // The token is a capability: log only enough of it to correlate.
    deps.logger.debug(
      { event: LogEvent.MediaAccessed, token: `${token!.slice(0, 6)}…`, size: file.bytes.length, ua: ctx.get('User-Agent') },
      'media served',
    );
  });
}

/** The API document's entries for registerMediaRoutes (Koa answers HEAD on every GET route). */
export function documentMediaRoutes(api: ApiDocs): void {
  const params = z.object({ file: z.string().meta({ description: '{token} or {token}.{ext}; everything from the first . is ignored' }) });
  for (const method of ['get', 'head'] as const) {
    api.route({
      tag: 'Media',
      auth: 'public',
      method,
      path: '/media/{file}',
      params,
      summary: method === 'get' ? 'A stored media file (the token is the capability)' : "A media file's headers",
      responses: {
        200: {
          description: 'The file, with Content-Type, Content-Length, cache headers and a sandbox CSP',
          contentType: 'application/octet-stream',
        },
        404: { description: 'media file not found', contentType: 'text/plain' },
      },
    });
  }
}
