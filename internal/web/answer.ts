import type { ServerResponse } from 'node:http';
import type { Context } from 'koa';

/**
 * An HTTP answer as data: what the send route decides, written either through Koa (ctx) or
 * straight to node:http (the send fast path, send-fast-path.ts), so both write the same thing.
 */
export interface WebAnswer {
  status: number;
  /** Sent as JSON. */
  body: unknown;
  headers?: Record<string, string>;
}

/** Koa's Content-Type for a JSON body, kept so both ways answer byte for byte alike. */
const JSON_TYPE = 'application/json; charset=utf-8';

/** Gives `answer` to Koa, which writes it. */
export function applyAnswer(ctx: Context, answer: WebAnswer): void {
  for (const [name, value] of Object.entries(answer.headers ?? {})) ctx.set(name, value);
  ctx.status = answer.status;
  ctx.body = answer.body;
}

/** Writes `answer` on a plain node:http response, with the headers Koa would have sent. */
export function writeAnswer(res: ServerResponse, answer: WebAnswer): void {
  const text = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...answer.headers,
    'Content-Type': JSON_TYPE,
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
