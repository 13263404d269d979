/**
 * A test harness for the SMPP server without a gateway node: a memory bus for the bind registry, a
 * directory of legacy clients held in a map, a recording ingress, and the npm `smpp` client as
 * the ESME (promisified). Used by the room's own tests.
 */
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { createBus, MemoryBusHub, type Bus } from '../../internal/bus/index.js';
import { BindRegistry } from '../../internal/cluster/index.js';
import { MemoryLoginLimiter, type LoginLimiter } from '../../internal/lockout/index.js';
import { createMetrics, type Metrics } from '../../internal/metrics/index.js';
import { silentLogger } from '../../internal/log/index.js';
import { captureLogger } from './log-capture.js';
import type { Message } from '../../proto/message.js';
import type { ClientDetails, ClientNumber, ClientSettings, StoredRecord } from '../../internal/store/index.js';
import { MemoryReassembler } from '../../internal/smpp/reassembly-memory.js';
import { SmppServer, type SmppServerOptions } from '../../internal/smpp/server.js';

/** A failed-login limiter of the harness's own: 10 failures per IP in a minute. */
export function defaultLogins(perIp = 10): LoginLimiter {
  return new MemoryLoginLimiter({ limits: { windowMs: 60_000, perIp, perNetwork: 0, perUser: 0 } });
}

const require = createRequire(import.meta.url);
// The npm smpp client has no types (field-notes §3.1); tests use it as an independent ESME.
export const smppLib = require('smpp') as {
  connect(options: object, listener?: () => void): EsmeSession;
  Session: new (options: object) => EsmeSession;
};

/** The npm smpp client session, as far as tests use it. */
export interface EsmeSession {
  on(event: string, listener: (arg: any) => void): void;
  once(event: string, listener: (arg: any) => void): void;
  send(pdu: any): boolean;
  close(): void;
  destroy(): void;
  socket: Socket;
  [command: string]: any;
}

export interface LibPdu {
  command: string;
  command_status: number;
  sequence_number: number;
  [field: string]: any;
  response(options?: object): any;
}

export function legacyClient(
  id: number,
  options: {
    numbers?: string[];
    address?: string;
    password?: string;
    maxBinds?: number;
    maxTps?: number;
    type?: 'legacy' | 'web';
    stopSuppressed?: string[];
  } = {},
): ClientDetails {
  const at = new Date(0);
  const settings = { maxBinds: options.maxBinds ?? 0, maxTps: options.maxTps ?? 0 } as ClientSettings;
  const numbers: ClientNumber[] = (options.numbers ?? []).map((number, i) => ({
    id: id * 100 + i,
    clientId: id,
    number,
    carrier: 'c',
    tag: '',
    group: '',
    webhook: '',
    ignoreStopCmdSending: options.stopSuppressed?.includes(number) ?? false,
    settings: null,
  }));
  return {
    id,
    username: `esme${id}`,
    password: options.password ?? `pw${id}`,
    address: options.address ?? '',
    name: '',
    type: options.type ?? 'legacy',
    timezone: 'UTC',
    logPrivacy: false,
    createdAt: at,
    updatedAt: at,
    settings,
    numbers,
    failovers: [],
  };
}

/** Incomplete concatenated messages a harness client may hold (small, so a test reaches it). */
export const HARNESS_MAX_OPEN_SETS = 5;

export class ServerHarness {
  readonly clients = new Map<number, ClientDetails>();
  readonly stored: Message[] = [];
  readonly records: StoredRecord[] = [];
  readonly reassembler = new MemoryReassembler({
    ttlMs: 60_000,
    maxOpenSetsPerClient: HARNESS_MAX_OPEN_SETS,
    maxOpenBytesPerClient: 8 << 20,
  });
  readonly metrics: Metrics = createMetrics({ serverId: 'h1', defaultMetrics: false });
  /** The server's log lines, debug and up. */
  readonly log = captureLogger();
  /** true: the ingress fails with a plain error; an Error: with that one. */
  ingressFails: boolean | Error = false;
  /** Holds each ingress this long (a slow bus). */
  ingressDelayMs = 0;
  /** Ingresses started (stored or not). */
  ingressCalls = 0;
  server!: SmppServer;
  bus!: Bus;
  registry!: BindRegistry;
  readonly #esmes: EsmeSession[] = [];

  constructor(readonly hub = new MemoryBusHub()) {}

  /** `logins`: the failed-login limiter (default: this harness's own, in memory, 10 per IP). */
  async start(options: Partial<SmppServerOptions> = {}, nodeId = 'h1', logins: LoginLimiter = defaultLogins()): Promise<this> {
    this.bus = createBus({ kind: 'memory', hub: this.hub }, { nodeId });
    await this.bus.start();
    this.registry = new BindRegistry({ bucket: 'binds', nodeId }, { bus: this.bus, logger: silentLogger() });
    await this.registry.start();
    this.server = new SmppServer(
      {
        nodeId,
        listen: { host: '127.0.0.1', port: 0 },
        proxyProtocol: false,
        trustedProxies: ['127.0.0.1'],
        windowSize: 10,
        timeoutMs: 2_000,
        enquireLinkIntervalMs: 0,
        inactivityTimeoutMs: 0,
        loginFailureDelayMs: 0,
        drainMs: 300,
        ...options,
      },
      {
        directory: {
          client: (id) => this.clients.get(id),
          clientByUsername: (name) => [...this.clients.values()].find((c) => c.username === name),
        },
        ingress: async (message) => {
          this.ingressCalls++;
          if (this.ingressDelayMs) await new Promise((r) => setTimeout(r, this.ingressDelayMs));
          if (this.ingressFails) throw this.ingressFails === true ? new Error('bus down') : this.ingressFails;
          this.stored.push(message);
        },
        reassembler: this.reassembler,
        records: { byMessageId: async (id) => this.records.filter((r) => r.messageId === id) },
        binds: this.registry,
        logins,
        metrics: this.metrics,
        logger: this.log.logger,
      },
    );
    await this.server.start();
    return this;
  }

  add(client: ClientDetails): ClientDetails {
    this.clients.set(client.id, client);
    return client;
  }

  /** A connected ESME (not bound yet). */
  async connect(port = this.server.address().port, extra: object = {}): Promise<EsmeSession> {
    const esme = await new Promise<EsmeSession>((resolve, reject) => {
      const s = smppLib.connect({ url: `smpp://127.0.0.1:${port}`, ...extra }, () => resolve(s));
      s.on('error', reject);
    });
    esme.on('error', () => undefined);
    this.#esmes.push(esme);
    return esme;
  }

  async bound(client: ClientDetails, mode = 'bind_transceiver'): Promise<EsmeSession> {
    const esme = await this.connect();
    const resp = await call(esme, mode, { system_id: client.username, password: client.password });
    if (resp.command_status !== 0) throw new Error(`bind failed: ${resp.command_status}`);
    return esme;
  }

  async stop(): Promise<void> {
    for (const esme of this.#esmes) esme.destroy();
    await this.server?.stop();
    await this.registry?.stop();
    await this.bus?.stop();
  }
}

/** Sends `command` and resolves with the response PDU. */
export function call(esme: EsmeSession, command: string, fields: object = {}): Promise<LibPdu> {
  return new Promise((resolve) => esme[command](fields, (pdu: LibPdu) => resolve(pdu)));
}

/** Resolves when `esme` closes. */
export function closed(esme: EsmeSession): Promise<void> {
  return new Promise((resolve) => (esme.socket.destroyed ? resolve() : esme.on('close', () => resolve())));
}

export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
