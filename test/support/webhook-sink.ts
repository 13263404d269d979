/**
 * A web client's webhook receiver for tests: a real HTTP server that records every POST
 * (headers, raw body, parsed JSON) and answers 200, or a status the test sets.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: any;
  at: number;
}

export class WebhookSink {
  readonly received: ReceivedWebhook[] = [];
  /** Answer this status to the next N requests (then 200). */
  private failures: Array<{ remaining: number; status: number }> = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookSink> {
    let sink!: WebhookSink;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = rawBody;
        }
        sink.received.push({ path: req.url ?? '/', headers: req.headers, rawBody, body, at: Date.now() });
        const failure = sink.failures[0];
        if (failure) {
          failure.remaining -= 1;
          if (failure.remaining <= 0) sink.failures.shift();
        }
        res.writeHead(failure?.status ?? 200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    sink = new WebhookSink(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return sink;
  }

  failNext(count: number, status: number): void {
    this.failures.push({ remaining: count, status });
  }

  /** Waits until a webhook matching `match` arrives. */
  async waitFor(match: (w: ReceivedWebhook) => boolean, timeoutMs = 10_000): Promise<ReceivedWebhook> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(match);
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no matching webhook within ${timeoutMs} ms; got ${JSON.stringify(this.received.map((r) => r.body))}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
