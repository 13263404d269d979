/**
 * One gateway's web entry point with quotas on a real Redis: the store (PostgreSQL), the
 * directory, the in-process bus with the gateway's streams, the IngressRouter with the quota
 * gate (as cmd/gateway/message-core.ts wires it) and the Koa app, on 127.0.0.1:0. The quota
 * clock is the test's. Fixtures are written to the store directly.
 */
import { randomBytes } from 'node:crypto';
import { createBus, type Bus } from '../../../internal/bus/index.js';
import { ensureStreams } from '../../../internal/cluster/index.js';
import type { Redis } from '../../../internal/redis/index.js';
import { createDirectory, LocalConfigChanges, type MemoryDirectory } from '../../../internal/directory/index.js';
import { silentLogger } from '../../../internal/log/index.js';
import { createMetrics } from '../../../internal/metrics/index.js';
import { createQuota, type Quota } from '../../../internal/quota/index.js';
import { RecordWriter, type LegContext } from '../../../internal/records/index.js';
import { FailureReporter, IngressRouter } from '../../../internal/router/index.js';
import { createStore, type Limits, type Store } from '../../../internal/store/index.js';
import { createApp, WebServer } from '../../../internal/web/index.js';
import { subjects, type Subjects } from '../../../proto/subjects.js';
import { registryWebhooks } from '../../support/carrier-webhooks.js';
import { ADMIN_KEY, basic, storeDeps } from '../admin-api/harness.js';

const NODE = 'quota-node-1';

export interface QuotaApp {
  url: string;
  store: Store;
  bus: Bus;
  names: Subjects;
  directory: MemoryDirectory;
  quota: Quota;
  stop(): Promise<void>;
}

export async function startQuotaApp(dbUrl: string, redis: Redis, keyPrefix: string, now: () => number): Promise<QuotaApp> {
  const store = await createStore({ driver: 'pg', url: dbUrl }, storeDeps());
  await store.migrate();
  const logger = silentLogger();
  const bus = createBus({ kind: 'memory' }, { nodeId: NODE, logger });
  await bus.start();
  const names = subjects('');
  await ensureStreams(bus, names);
  const directory = createDirectory(store, { fullReloadMs: 0 });
  await directory.start();
  const metrics = createMetrics({ serverId: NODE, defaultMetrics: false });
  const quota = createQuota({ kind: 'redis', redis }, { keyPrefix }, { view: directory, logger, now });
  const records = new RecordWriter(store.records);
  const legs: LegContext = { serverId: NODE, clientType: (id) => directory.client(id)?.type ?? 'unknown', logPrivacy: () => false };
  const failures = new FailureReporter({ nodeId: NODE, notifySenderOnFailure: false, subjects: names }, { bus, records, legs });
  const ingress = new IngressRouter(
    { subjects: names },
    { bus, view: directory, records, legs, logger, metrics, quota: quota.gate, failures },
  );
  const app = createApp({
    store,
    directory,
    changes: new LocalConfigChanges(directory),
    apiKey: ADMIN_KEY,
    serverAddress: 'https://gw.example.test',
    serverId: NODE,
    logger,
    ready: () => true,
    bus,
    subjects: names,
    carrierWebhooks: registryWebhooks(),
    ingress: (kind, m, key) => ingress.accept(kind, m, key),
    apiKeyRateLimit: quota.apiKeyLimit,
    usage: quota.usage,
  });
  const server = new WebServer({ listen: { host: '127.0.0.1', port: 0 } }, { app });
  await server.start();
  const stop = async () => {
    await server.stop();
    await records.stop();
    await directory.stop();
    await bus.stop();
    await store.close();
  };
  return { url: server.url(), store, bus, names, directory, quota, stop };
}

export interface Tenant {
  id: number;
  number: string;
  numberId: number;
  auth: string;
  carrierUuid: string;
}

let seq = 0;

/** A web client with `limits`, one number (with its own `numberLimits`), a carrier and a default webhook. */
export async function tenant(
  app: QuotaApp,
  opts: {
    timezone?: string;
    format?: 'generic' | 'bicom';
    limits?: Partial<Limits>;
    numberLimits?: Partial<Limits>;
  } = {},
): Promise<Tenant> {
  seq += 1;
  const carrierName = `twilio-q${seq}-${randomBytes(3).toString('hex')}`;
  const carrier = await app.store.carriers.create({
    name: carrierName,
    type: 'twilio',
    username: 'AC1',
    password: 'token',
    uuid: randomBytes(12).toString('hex'),
    profileId: '',
    apiBaseUrl: 'http://127.0.0.1:9',
    verifyWebhooks: false,
    publicKey: '',
    maxRps: 0,
  });
  const username = `quota${seq}${randomBytes(3).toString('hex')}`;
  const client = await app.store.clients.create({
    username,
    password: 'pw',
    address: '',
    name: '',
    type: 'web',
    timezone: opts.timezone ?? 'UTC',
    logPrivacy: false,
  });
  await app.store.clients.upsertSettings(client.id, {
    apiFormat: opts.format ?? 'generic',
    authMethod: null,
    defaultWebhook: 'https://hooks.example.test/in',
    ...opts.limits,
  });
  const number = `+1604${String(5_500_000 + seq).padStart(7, '0')}`;
  const created = await app.store.numbers.create({
    clientId: client.id,
    number,
    carrier: carrierName,
    tag: 'support',
    group: '',
    webhook: '',
    ignoreStopCmdSending: false,
  });
  if (opts.numberLimits) await app.store.numbers.upsertSettings(created.id, opts.numberLimits);
  await app.directory.reloadAll();
  return { id: client.id, number, numberId: created.id, auth: basic(username, 'pw'), carrierUuid: carrier.uuid };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export async function call(
  app: QuotaApp,
  method: string,
  path: string,
  auth: string | undefined,
  body?: unknown,
  contentType = 'application/json',
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = contentType;
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(app.url + path, { method, headers, body: payload });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // TwiML or empty
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}
