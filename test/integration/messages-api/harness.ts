/**
 * The web app (client routes, carrier webhooks, admin routes) over a real store and a real bus,
 * listening on 127.0.0.1:0 and driven with fetch. Fixtures are made through the admin API. What
 * the app publishes is read back from the streams with a durable consumer, so each test sees
 * exactly what it caused.
 */
import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import { ack, type Bus } from '../../../internal/bus/index.js';
import { LocalConfigChanges, createDirectory, type MemoryDirectory } from '../../../internal/directory/index.js';
import { silentLogger } from '../../../internal/log/index.js';
import { createMetrics, type Metrics } from '../../../internal/metrics/index.js';
import type { Store } from '../../../internal/store/index.js';
import { WebServer, createApp, type WebDeps } from '../../../internal/web/index.js';
import { messageCodec, type Message } from '../../../proto/message.js';
import { statusCodec, type StatusEvent } from '../../../proto/status.js';
import { subjects, type Subjects } from '../../../proto/subjects.js';
import { answerProblem } from '../../support/api-contract.js';
import { registryWebhooks } from '../../support/carrier-webhooks.js';
import { ADMIN_KEY, type ApiResponse, basic } from '../admin-api/harness.js';
import { msgInIngress } from '../../support/msg-in-ingress.js';

export { basic, type ApiResponse };
/** SERVER_ADDRESS: the public URL carriers sign (the test reaches the app on another URL). */
export const SERVER_ADDRESS = 'https://gw.example.test';
export const NODE_ID = 'web-node-1';
/** The tests connect from loopback, which is trusted so that X-Forwarded-For can be tested. */
export const TRUSTED_PROXIES = ['127.0.0.1/32', '::1/128'];

export interface MessagesEnv {
  store: Store;
  bus: Bus;
  /** Subject prefix ('' for the in-process bus, a unique one on the shared nats-server). */
  prefix: string;
  /** Another started bus on the same backend (to play a bus that goes down). */
  otherBus(): Promise<Bus>;
}

export type MakeEnv = () => Promise<MessagesEnv>;

export const bearer = (user: string, password: string): string => `Bearer ${Buffer.from(`${user}:${password}`).toString('base64')}`;

export interface RequestOptions {
  auth?: string | null;
  headers?: Record<string, string>;
  /** Sent as is instead of JSON. */
  raw?: string | Buffer;
  /** Another base URL (a second app). */
  base?: string;
}

export interface WebClient {
  id: number;
  username: string;
  password: string;
  numbers: string[];
  basic: string;
  bearer: string;
}

export class MessagesApi {
  #next = 0;
  readonly names: Subjects;
  readonly changes: LocalConfigChanges;

  constructor(
    readonly base: string,
    readonly env: MessagesEnv,
    readonly directory: MemoryDirectory,
    readonly metrics: Metrics,
  ) {
    this.names = subjects(env.prefix);
    this.changes = new LocalConfigChanges(directory);
  }

  get store(): Store {
    return this.env.store;
  }

  async request(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.auth) headers.Authorization = options.auth;
    const payload = options.raw ?? (body === undefined ? undefined : JSON.stringify(body));
    if (payload !== undefined) headers['Content-Type'] ??= 'application/json';
    const res = await fetch((options.base ?? this.base) + path, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (TwiML): keep the text
    }
    // Every success answer must be what /openapi.json says it is.
    expect(answerProblem(method, path, res.status, parsed)).toBeUndefined();
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  send(body: unknown, auth: string | null, options: RequestOptions & { path?: string } = {}): Promise<ApiResponse> {
    return this.request('POST', options.path ?? '/messages/send', body, { ...options, auth });
  }

  admin(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return this.request(method, path, body, { auth: basic('admin', ADMIN_KEY) });
  }

  uniq(prefix: string): string {
    this.#next += 1;
    return `${prefix}${this.#next}`;
  }

  /** A fresh E.164 number (+1 604 55x xxxx), never repeated in one suite. */
  number(): string {
    this.#next += 1;
    return `+1604${String(5_000_000 + this.#next).padStart(7, '0')}`;
  }

  /** A client made through the admin API, with its settings and `numbers` fresh numbers. */
  async client(
    options: {
      type?: string;
      format?: string;
      authMethod?: string | null;
      numbers?: number;
      address?: string;
    } = {},
  ): Promise<WebClient> {
    const username = this.uniq('webclient');
    const password = `pw-${username}`;
    const type = options.type ?? 'web';
    const created = await this.admin('POST', '/clients', { username, password, type, address: options.address ?? '192.0.2.1' });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as number;
    const settings = { api_format: options.format ?? 'generic', auth_method: options.authMethod ?? null };
    const put = await this.admin('PUT', `/clients/${id}/settings`, settings);
    expect(put.status, put.text).toBe(200);
    const numbers: string[] = [];
    for (let i = 0; i < (options.numbers ?? 1); i++) numbers.push(await this.addNumber(id));
    return { id, username, password, numbers, basic: basic(username, password), bearer: bearer(username, password) };
  }

  async addNumber(clientId: number, number = this.number()): Promise<string> {
    const res = await this.admin('POST', `/clients/${clientId}/numbers`, { number, carrier: 'telnyx' });
    expect(res.status, res.text).toBe(201);
    return res.body.number as string;
  }

  /** A raw `gw_live_` key for the client. */
  async apiKey(clientId: number, body: Record<string, unknown> = {}): Promise<{ key: string; id: number }> {
    const res = await this.admin('POST', `/clients/${clientId}/api-keys`, body);
    expect(res.status, res.text).toBe(201);
    return { key: res.body.key as string, id: res.body.id as number };
  }

  /** The stream holding `subject` (a msgIn or status subject). */
  private streamOf(subject: string): string {
    const status = this.names.status('x').slice(0, -'x'.length);
    return subject.startsWith(status) ? this.names.streams.status : this.names.streams.in;
  }

  /** Messages stored on `subject`, without taking them. */
  pending(subject: string): Promise<number> {
    return this.env.bus.pending(this.streamOf(subject), subject);
  }

  /** Takes (acks) every message stored on `subject` and returns the payloads. */
  async take(subject: string): Promise<Uint8Array[]> {
    const stream = this.streamOf(subject);
    const expected = await this.env.bus.pending(stream, subject);
    const got: Uint8Array[] = [];
    if (expected === 0) return got;
    const durable = `reader_${subject.replace(/[^A-Za-z0-9]/g, '_')}`;
    const consumer = await this.env.bus.consume({ stream, durable, filterSubject: subject }, async (msg) => {
      got.push(msg.data);
      return ack;
    });
    const deadline = Date.now() + 10_000;
    const pause = () => new Promise((r) => setTimeout(r, 10));
    while (got.length < expected && Date.now() < deadline) await pause();
    // Once the acks are applied (nothing left on the subject), removing the durable while the
    // consumer stops ends its open pull at once; stop() alone waits for it to expire (1 s on nats-server).
    while ((await this.env.bus.pending(stream, subject)) > 0 && Date.now() < deadline) await pause();
    const stopping = consumer.stop();
    await this.env.bus.deleteConsumer(stream, durable);
    await stopping;
    return got;
  }

  async takeMessages(kind: 'web' | 'carrier'): Promise<Message[]> {
    return (await this.take(this.names.msgIn(kind))).map((data) => messageCodec.decode(data));
  }

  async takeStatuses(): Promise<StatusEvent[]> {
    return (await this.take(this.names.statusAll)).map((data) => statusCodec.decode(data));
  }

  /** Nothing is stored on any ingress or status subject. */
  async expectNothingStored(): Promise<void> {
    expect(await this.env.bus.pending(this.names.streams.in)).toBe(0);
    expect(await this.env.bus.pending(this.names.streams.status)).toBe(0);
  }

  /** The deps of this suite's app, to build a second app around another bus. */
  deps(overrides: Partial<WebDeps> = {}): WebDeps {
    return appDeps(this.env, this.directory, this.metrics, overrides);
  }
}

function appDeps(env: MessagesEnv, directory: MemoryDirectory, metrics: Metrics, overrides: Partial<WebDeps>): WebDeps {
  return {
    store: env.store,
    directory,
    changes: new LocalConfigChanges(directory),
    apiKey: ADMIN_KEY,
    serverAddress: SERVER_ADDRESS,
    serverId: NODE_ID,
    logger: silentLogger(),
    ready: () => true,
    metrics: { metrics },
    bus: env.bus,
    subjects: subjects(env.prefix),
    carrierWebhooks: registryWebhooks(),
    trustedProxies: TRUSTED_PROXIES,
    ...overrides,
    ingress: overrides.ingress ?? msgInIngress(overrides.bus ?? env.bus, overrides.subjects ?? subjects(env.prefix)),
  };
}

/** Serves `deps` on 127.0.0.1:0 until `stop()`. */
export async function serve(deps: WebDeps): Promise<{ url: string; stop: () => Promise<void> }> {
  const server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app: createApp(deps) });
  await server.start();
  return { url: server.url(), stop: () => server.stop() };
}

/** Starts the environment, its streams, directory and app before the suite; empties the streams before each test. */
export function useMessagesApi(makeEnv: MakeEnv): () => MessagesApi {
  let api: MessagesApi | undefined;
  let stop: (() => Promise<void>) | undefined;
  let env: MessagesEnv | undefined;
  let directory: MemoryDirectory | undefined;

  beforeAll(async () => {
    env = await makeEnv();
    await env.store.migrate();
    const names = subjects(env.prefix);
    await env.bus.ensureStream({ name: names.streams.in, subjects: [names.msgInAll], retention: 'workqueue' });
    await env.bus.ensureStream({ name: names.streams.status, subjects: [names.statusAll], retention: 'workqueue' });
    directory = createDirectory(env.store, { fullReloadMs: 0 });
    await directory.start();
    const metrics = createMetrics({ serverId: NODE_ID, defaultMetrics: false });
    const served = await serve(appDeps(env, directory, metrics, {}));
    stop = served.stop;
    api = new MessagesApi(served.url, env, directory, metrics);
  });

  beforeEach(async () => {
    if (!api) return;
    await api.take(api.names.msgInAll);
    await api.take(api.names.statusAll);
  });

  afterAll(async () => {
    await stop?.();
    await directory?.stop();
    await env?.bus.stop();
    await env?.store.close();
  });

  return () => {
    if (!api) throw new Error('the messages API suite has not started');
    return api;
  };
}
