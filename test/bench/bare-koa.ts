/**
 * The baseline for bench:rest: a bare Koa server on this machine that reads a JSON body and
 * answers 202 — what Node and Koa cost before the gateway does anything.
 */
import Koa from 'koa';
import { randomUUID } from 'node:crypto';

const port = Number(process.argv[2] ?? 0);
const app = new Koa();
app.use(async (ctx) => {
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
  JSON.parse(Buffer.concat(chunks).toString('utf8'));
  ctx.status = 202;
  ctx.body = { status: 'queued', id: randomUUID() };
});
const server = app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
