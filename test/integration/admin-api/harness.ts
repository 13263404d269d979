/**
 * One admin app over a real store, listening on 127.0.0.1:0 and driven with fetch. Each driver's
 * suite owns one store (one fresh database); tests keep apart by unique names and numbers.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect } from 'vitest';
import { subjects } from '../../../proto/subjects.js';
import { createBus, type Bus } from '../../../internal/bus/index.js';
import { createSecretBox } from '../../../internal/crypto/index.js';
import { createDirectory, LocalConfigChanges, type MemoryDirectory } from '../../../internal/directory/index.js';
import { createLogger, type Logger } from '../../../internal/log/index.js';
import type { Store } from '../../../internal/store/index.js';
import { createApp, WebServer, type AutoReplyDefaults } from '../../../internal/web/index.js';
import { answerProblem } from '../../support/api-contract.js';
import { registryWebhooks } from '../../support/carrier-webhooks.js';
import { msgInIngress } from '../../support/msg-in-ingress.js';

export const ADMIN_KEY = 'test-admin-key-0123456789';
export const SERVER_ADDRESS = 'https://gw.example.test/';
export const AUTO_REPLY: AutoReplyDefaults = { enabled: true, defaultMessage: 'We are closed' };
const ENCRYPTION_KEY = 'admin-api-test-encryption-key-32b';

export type MakeStore = () => Promise<Store>;

/** Opens a store for `cfg` with the test encryption key (not yet migrated). */
export function storeDeps() {
  return { secretBox: createSecretBox(ENCRYPTION_KEY) };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON; the raw text when the body is not JSON. */
  body: any;
  text: string;
}

export interface RequestOptions {
  /** A raw body sent as is (for malformed JSON); otherwise `body` is JSON-encoded. */
  raw?: string | Uint8Array;
  /** Authorization header; defaults to admin Basic auth, null sends none. */
  auth?: string | null;
  headers?: Record<string, string>;
}

export const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A line the app logged at warn level or above, as pino wrote it. */
export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A logger whose warnings and errors are kept in `lines` (nothing is printed). */
function keptLogger(lines: LogLine[]): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as LogLine);
      done();
    },
  });
  return createLogger({ level: 'warn', serverId: 'test-node', destination });
}

export class AdminApi {
  #next = 0;
  constructor(
    readonly base: string,
    readonly store: Store,
    readonly directory: MemoryDirectory,
    readonly ready: { value: boolean },
    /** What the app logged at warn level or above. */
    readonly logs: LogLine[],
  ) {}

  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth === undefined ? basic('admin', ADMIN_KEY) : options.auth;
    if (auth !== null) headers.Authorization = auth;
    let payload: string | Uint8Array | undefined = options.raw;
    if (payload === undefined && body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['Content-Type'] ??= 'application/json';
    const res = await fetch(this.base + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text, tests assert on content-type where it matters
    }
    // Every success answer must be what /openapi.json says it is.
    expect(answerProblem(method, path, res.status, parsed)).toBeUndefined();
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get = (path: string, options?: RequestOptions) => this.request('GET', path, undefined, options);
  post = (path: string, body?: unknown, options?: RequestOptions) => this.request('POST', path, body, options);
  put = (path: string, body?: unknown, options?: RequestOptions) => this.request('PUT', path, body, options);
  patch = (path: string, body?: unknown, options?: RequestOptions) => this.request('PATCH', path, body, options);
  delete = (path: string, options?: RequestOptions) => this.request('DELETE', path, undefined, options);

  /** A name no other test uses. */
  uniq(prefix: string): string {
    this.#next += 1;
    return `${prefix}${this.#next}`;
  }

  /** A fresh E.164 number (+1 555 01x xxxx, never repeated in one suite). */
  number(): string {
    this.#next += 1;
    return `+1555${String(1_000_000 + this.#next).padStart(7, '0')}`;
  }

  async carrier(overrides: Record<string, unknown> = {}): Promise<any> {
    const body = { name: this.uniq('carrier'), type: 'telnyx', username: 'user', password: 'secret', ...overrides };
    return this.created(await this.post('/carriers', body));
  }

  async client(overrides: Record<string, unknown> = {}): Promise<any> {
    const body = { username: this.uniq('client'), password: 'pw', type: 'legacy', address: '192.0.2.10', ...overrides };
    return this.created(await this.post('/clients', body));
  }

  async addNumber(clientId: number, overrides: Record<string, unknown> = {}): Promise<any> {
    const carrier = overrides.carrier ?? (await this.carrier()).name;
    const body = { number: this.number(), ...overrides, carrier };
    return this.created(await this.post(`/clients/${clientId}/numbers`, body));
  }

  private created(res: ApiResponse): any {
    expect(res.status, res.text).toBe(201);
    return res.body;
  }
}

/** Starts a store, directory and app before the suite and closes them after it. */
export function useAdminApi(makeStore: MakeStore): () => AdminApi {
  let api: AdminApi | undefined;
  let server: WebServer | undefined;
  let store: Store | undefined;
  let directory: MemoryDirectory | undefined;
  let bus: Bus | undefined;

  beforeAll(async () => {
    // The admin routes never publish; the messaging routes are tested in messages-api.test.ts.
    bus = createBus({ kind: 'memory' }, { nodeId: 'test-node' });
    await bus.start();
    store = await makeStore();
    await store.migrate();
    directory = createDirectory(store, { fullReloadMs: 0 });
    await directory.start();
    const ready = { value: true };
    const logs: LogLine[] = [];
    const app = createApp({
      store,
      directory,
      changes: new LocalConfigChanges(directory),
      apiKey: ADMIN_KEY,
      serverAddress: SERVER_ADDRESS,
      serverId: 'test-node',
      logger: keptLogger(logs),
      ready: () => ready.value,
      autoReply: AUTO_REPLY,
      bus,
      subjects: subjects(),
      carrierWebhooks: registryWebhooks(),
      ingress: msgInIngress(bus, subjects()),
    });
    server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app });
    await server.start();
    api = new AdminApi(server.url(), store, directory, ready, logs);
  });

  afterAll(async () => {
    await server?.stop();
    await directory?.stop();
    await bus?.stop();
    await store?.close();
  });

  return () => {
    if (!api) throw new Error('the admin API suite has not started');
    return api;
  };
}
