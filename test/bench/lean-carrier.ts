/**
 * A lean fake Telnyx for benchmarks: POST /v2/messages on a raw TCP server, answered at once with
 * a Telnyx-shaped body and a fresh id, nothing recorded but the count of sends.
 *
 * Why: the test FakeCarrier (test/support/fake-carrier.ts) is a node:http server that records
 * every request (headers, parsed body) for tests to inspect; in a benchmark it shares the
 * machine's two cores with the gateway, and its cost per send is the harness's, not the gateway's.
 * A carrier's API runs elsewhere in production; field-notes.md measured Kannel against an SMSC
 * that acknowledges at once. This one still checks what matters for the count: the method and
 * path, the API key, a JSON body with from and to; anything else gets an error answer and is not
 * counted (the gateway then does not deliver it, and the bench's wait for deliveries fails). Keep-alive, Content-Length bodies (what the gateway's client sends); pipelined
 * requests are answered in order.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

const API_KEY = 'KEYfake_telnyx_api_key';
const HEAD_END = Buffer.from('\r\n\r\n');

export class LeanCarrier {
  /** Sends answered 200. */
  sentCount = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #url = '';

  private constructor() {
    this.#server = createServer((socket) => this.#serve(socket));
  }

  static async start(): Promise<LeanCarrier> {
    const carrier = new LeanCarrier();
    await new Promise<void>((resolve) => carrier.#server.listen(0, '127.0.0.1', resolve));
    carrier.#url = `http://127.0.0.1:${(carrier.#server.address() as AddressInfo).port}`;
    return carrier;
  }

  get url(): string {
    return this.#url;
  }

  /** The carrier row's API key for POST /carriers (as FakeCarrier.carrierRow gives it). */
  carrierRow(_type: 'telnyx'): { password: string } {
    return { password: API_KEY };
  }

  reset(): void {
    this.sentCount = 0;
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise((r) => this.#server.close(r));
  }

  #serve(socket: Socket): void {
    this.#sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      let data = pending ? Buffer.concat([pending, chunk]) : chunk;
      pending = undefined;
      socket.cork();
      for (;;) {
        const end = data.indexOf(HEAD_END);
        if (end < 0) break;
        const head = data.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (data.length < end + 4 + length) break;
        socket.write(this.#answer(head, data.toString('utf8', end + 4, end + 4 + length)));
        data = data.subarray(end + 4 + length);
      }
      if (data.length > 0) pending = Buffer.from(data);
      socket.uncork();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  /** The whole HTTP answer to one request. */
  #answer(head: string, body: string): string {
    if (!head.startsWith('POST /v2/messages ')) return reply(404, { errors: [{ code: '10005', title: 'Resource not found' }] });
    if (!head.toLowerCase().includes(`\r\nauthorization: bearer ${API_KEY.toLowerCase()}`)) {
      return reply(401, { errors: [{ code: '10009', title: 'Authentication failed' }] });
    }
    let msg: { from?: unknown; to?: unknown; text?: unknown };
    try {
      msg = JSON.parse(body) as typeof msg;
    } catch {
      return reply(400, { errors: [{ code: '10015', title: 'Invalid JSON' }] });
    }
    if (typeof msg.from !== 'string' || typeof msg.to !== 'string')
      return reply(400, { errors: [{ code: '10015', title: 'Invalid parameter' }] });
    this.sentCount += 1;
    const id = randomUUID();
    return reply(200, {
      data: {
        record_type: 'message',
        direction: 'outbound',
        id,
        type: 'SMS',
        messaging_profile_id: null,
        from: { phone_number: msg.from, carrier: 'Telnyx', line_type: 'Wireless' },
        to: [{ phone_number: msg.to, status: 'queued', carrier: 'T-Mobile USA', line_type: 'Wireless' }],
        text: msg.text ?? '',
        subject: null,
        media: [],
        encoding: 'GSM-7',
        parts: 1,
        tags: [],
        cost: null,
        errors: [],
        received_at: new Date().toISOString(),
        sent_at: null,
        completed_at: null,
      },
    });
  }
}

function reply(status: number, body: unknown): string {
  const text = JSON.stringify(body);
  return `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`;
}
