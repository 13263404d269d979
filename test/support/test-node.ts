/**
 * An in-process gateway node (GatewayNode) for end-to-end integration tests, on the embedded
 * default or, with the env of the cluster mode, on real PostgreSQL and nats-server: its own web
 * port and data dir, and a JSON helper for its REST API.
 *
 *   const node = await startTestNode({ serverId: 'flow1', apiKey: API_KEY, env: await mode.env() });
 *   await node.api('POST', '/clients', { ... });             // admin credentials by default
 *   await node.stop();                                       // also removes its data dir
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayNode } from '../../cmd/gateway/node.js';
import { loadConfig } from '../../internal/config/index.js';
import { silentLogger, type Logger } from '../../internal/log/index.js';
import { assertDocumented } from './api-contract.js';
import { createTestDatabase, requireServices, uniquePrefix } from './env.js';
import { freePort } from './process.js';

export const basicAuth = (user: string, pass: string): string => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export interface NodeMode {
  name: string;
  skip: boolean;
  /** Settings the mode adds: none embedded; a fresh database, NATS and a subject prefix in cluster mode. */
  env(): Promise<Record<string, string>>;
}

/** The embedded default and cluster mode (skipped without nats-server and PostgreSQL), `skip` also skipping both. */
export function nodeModes(tag: string, skip = false): NodeMode[] {
  const svc = requireServices(['nats', 'postgres']);
  return [
    { name: 'embedded (PGlite, memory bus)', skip, env: async () => ({}) },
    {
      name: 'cluster (PostgreSQL, nats-server)',
      skip: skip || svc.skip,
      env: async () => ({ DATABASE_URL: await createTestDatabase(tag), NATS_URL: svc.urls.nats, BUS_SUBJECT_PREFIX: uniquePrefix(tag) }),
    },
  ];
}

export interface ApiReply {
  status: number;
  body: any;
}

export interface TestNode {
  node: GatewayNode;
  /** http://127.0.0.1:<web port>: the REST base URL and SERVER_ADDRESS. */
  base: string;
  dataDir: string;
  /** A JSON call to the node's REST API, with the admin credentials unless `auth` is given. */
  api(method: string, path: string, body?: unknown, auth?: string): Promise<ApiReply>;
  /** Stops the node and removes its data dir. */
  stop(): Promise<void>;
}

export interface TestNodeOptions {
  serverId: string;
  apiKey: string;
  /** Settings on top of the defaults (web port, data dir, SMPP and MM4 on free ports, silent logs). */
  env?: Record<string, string>;
  /** A data dir the caller made (e.g. for fixtures); default a new temp dir. Removed on stop. */
  dataDir?: string;
  /** The node's logger (e.g. one writing to a stream the test reads); default silent. */
  logger?: Logger;
  /** `api` throws for a success answer that does not fit the API document (api-contract.ts). */
  contract?: boolean;
  /** Bus options no setting reaches (e.g. a short handlerRetryMs), on top of the loaded config's. */
  bus?: { handlerRetryMs?: number };
}

export async function startTestNode(opts: TestNodeOptions): Promise<TestNode> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), `msggw-${opts.serverId}-`)));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = await loadConfig(
    {
      WEB_LISTEN: `127.0.0.1:${port}`,
      SMPP_LISTEN: '127.0.0.1:0',
      MM4_LISTEN: '127.0.0.1:0',
      DATA_DIR: dataDir,
      SERVER_ADDRESS: base,
      SERVER_ID: opts.serverId,
      ENCRYPTION_KEY: `${opts.serverId}-encryption-key-0123456789`,
      API_KEY: opts.apiKey,
      LOG_LEVEL: 'silent',
      // The tests' media servers are on loopback, which media URLs may not reach by default.
      MEDIA_FETCH_ALLOW: '127.0.0.0/8,::1',
      ...opts.env,
    },
    { cwd: dataDir },
  );
  Object.assign(config.bus, opts.bus);
  const node = new GatewayNode(config, opts.logger ?? silentLogger());
  await node.start();
  const admin = basicAuth('admin', opts.apiKey);
  return {
    node,
    base,
    dataDir,
    api: async (method, path, body, auth = admin) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const reply = { status: res.status, body: text ? JSON.parse(text) : undefined };
      if (opts.contract) assertDocumented(method, path, reply.status, reply.body);
      return reply;
    },
    stop: async () => {
      await node.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
