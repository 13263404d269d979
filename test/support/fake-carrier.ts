/**
 * A fake carrier for tests: a real HTTP server on 127.0.0.1 that speaks the Twilio, Telnyx and
 * OneVoicePlus send APIs at the paths the drivers use (point a carrier row's `apiBaseUrl` at
 * `fake.url`), hosts media for OVP uploads, records every request, fails on demand, and posts
 * signed webhooks back to the gateway.
 *
 *   const fake = await FakeCarrier.start();
 *   const row = fake.carrierRow('telnyx');           // apiBaseUrl, key and publicKey set
 *   fake.failNext(2, { status: 503 });               // then a drop: { drop: true }
 *   fake.countBy((r) => r.json?.text);               // duplicates for the cluster test
 *   await fake.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Carrier } from '../../internal/store/index.js';
import {
  answerMedia,
  answerOvp,
  answerTelnyx,
  answerTwilio,
  apiOf,
  injectedError,
  type ApiAnswer,
  type ApiName,
  type ApiState,
  type Credentials,
  type ParsedRequest,
} from './fake-carrier-apis.js';
import { carrierRow } from './carrier-rows.js';
import { generateTelnyxKeys, signTelnyx, signTwilio, type TelnyxKeys } from './carrier-signing.js';

export { signTelnyx, signTwilio, generateTelnyxKeys, telnyxEvent } from './carrier-signing.js';
export type { ApiName } from './fake-carrier-apis.js';

/** What to do instead of answering normally: an HTTP error, a dropped connection, or a delay. */
export type Failure = { status: number; body?: unknown } | { drop: true } | { delayMs: number };

export interface RecordedRequest {
  api: ApiName;
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** Form → Record (repeated names → arrays); JSON → value; else the text. */
  body: unknown;
  /** Milliseconds since the epoch, when the request arrived. */
  at: number;
  /** accepted: 2xx from the API; refused: the API said no; failed/dropped: an injected failure. */
  outcome: 'accepted' | 'refused' | 'failed' | 'dropped';
  status?: number;
  carrierMsgId?: string;
}

export interface FakeCarrierOptions {
  credentials?: Partial<Credentials>;
  /** Seed for failFraction's choices (default: random). */
  seed?: number;
}

export interface DuplicateCount {
  total: number;
  unique: number;
  /** Requests beyond the first per key. */
  duplicates: number;
  counts: Map<string, number>;
}

const DEFAULT_CREDENTIALS: Credentials = {
  twilio: { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'fake-twilio-token' },
  telnyx: { apiKey: 'KEYfake_telnyx_api_key' },
  ovp: { developerKey: 'fake-ovp-developer-key' },
};

/** A small deterministic PRNG (mulberry32) so fractional failures can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function parseBody(raw: Buffer, contentType: string): unknown {
  const type = contentType.split(';')[0]?.trim().toLowerCase();
  const text = raw.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : [prev, v].flat();
    }
    return out;
  }
  if (type === 'application/json') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** An accepted message send, as sent() counts them. */
function isSend(r: RecordedRequest): boolean {
  return r.outcome === 'accepted' && r.api !== 'media' && r.path !== '/media/assets';
}

export class FakeCarrier {
  readonly requests: RecordedRequest[] = [];
  #sentCount = 0;
  readonly telnyxKeys: TelnyxKeys = generateTelnyxKeys();
  readonly credentials: Credentials;
  private readonly state: ApiState;
  private readonly server: Server;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly random: () => number;
  private nextFailures: Array<{ remaining: number; failure: Failure }> = [];
  private fraction: { share: number; failure: Failure } | undefined;
  private baseUrl = '';

  private constructor(options: FakeCarrierOptions) {
    this.credentials = { ...DEFAULT_CREDENTIALS, ...options.credentials };
    this.state = { credentials: this.credentials, optedOut: new Set(), media: new Map() };
    this.random = options.seed === undefined ? Math.random : prng(options.seed);
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
  }

  static async start(options: FakeCarrierOptions = {}): Promise<FakeCarrier> {
    const fake = new FakeCarrier(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.baseUrl = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** http://127.0.0.1:<port>: the `apiBaseUrl` for every carrier type. */
  get url(): string {
    return this.baseUrl;
  }

  /** A carrier row whose credentials, apiBaseUrl and publicKey match this server. */
  carrierRow(type: 'twilio' | 'telnyx' | 'onevoiceplus', overrides: Partial<Carrier> = {}): Carrier {
    const creds = {
      twilio: { username: this.credentials.twilio.accountSid, password: this.credentials.twilio.authToken },
      telnyx: { password: this.credentials.telnyx.apiKey, publicKey: this.telnyxKeys.publicKeyBase64 },
      onevoiceplus: { username: 'ovp', password: this.credentials.ovp.developerKey },
    }[type];
    return carrierRow(type, { apiBaseUrl: this.baseUrl, ...creds, ...overrides });
  }

  /** The next `count` API requests (not media GETs) fail this way. */
  failNext(count: number, failure: Failure): void {
    this.nextFailures.push({ remaining: count, failure });
  }

  /** From now on, this share (0–1) of API requests fails this way; 0 stops it. */
  failFraction(share: number, failure: Failure): void {
    this.fraction = share > 0 ? { share, failure } : undefined;
  }

  clearFailures(): void {
    this.nextFailures = [];
    this.fraction = undefined;
  }

  /** The carriers refuse messages to this number as opted out (Twilio 21610, Telnyx STOP block). */
  optOut(number: string): void {
    this.state.optedOut.add(number);
  }

  /** Hosts bytes at GET /media/{name}; returns the URL. */
  addMedia(name: string, bytes: Buffer, contentType: string): string {
    this.state.media.set(name, { bytes, contentType });
    return `${this.baseUrl}/media/${encodeURIComponent(name)}`;
  }

  /** Accepted message sends (media uploads and GETs excluded), optionally for one API. */
  sent(api?: 'twilio' | 'telnyx' | 'ovp'): RecordedRequest[] {
    return this.requests.filter((r) => isSend(r) && (api === undefined || r.api === api));
  }

  /** sent().length, without building the list (benchmarks poll it). */
  get sentCount(): number {
    return this.#sentCount;
  }

  /** Counts accepted sends by a caller-chosen key (e.g. the text): how many arrived twice. */
  countBy(key: (r: RecordedRequest) => string | undefined): DuplicateCount {
    const counts = new Map<string, number>();
    for (const r of this.sent()) {
      const k = key(r);
      if (k !== undefined) counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let total = 0;
    for (const n of counts.values()) total += n;
    return { total, unique: counts.size, duplicates: total - counts.size, counts };
  }

  /** Posts a form webhook signed as Twilio does; `signedUrl` defaults to `url` (differs behind proxies). */
  postTwilioWebhook(url: string, form: Record<string, string>, options: { token?: string; signedUrl?: string } = {}): Promise<Response> {
    const signature = signTwilio(options.signedUrl ?? url, form, options.token ?? this.credentials.twilio.authToken);
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Posts a JSON webhook signed with this server's Ed25519 key, as Telnyx does. */
  postTelnyxWebhook(url: string, event: unknown, options: { timestampSec?: number } = {}): Promise<Response> {
    const body = JSON.stringify(event);
    const signed = signTelnyx(body, this.telnyxKeys.privateKey, options.timestampSec);
    return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signed.headers }, body });
  }

  /** Forgets requests, failures, opt-outs and media. */
  reset(): void {
    this.requests.length = 0;
    this.#sentCount = 0;
    this.clearFailures();
    this.state.optedOut.clear();
    this.state.media.clear();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- serving -------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req).catch(() => Buffer.alloc(0));
    const url = new URL(req.url ?? '/', this.baseUrl);
    const method = req.method ?? 'GET';
    const record: RecordedRequest = {
      api: apiOf(method, url.pathname),
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      body: parseBody(rawBody, req.headers['content-type'] ?? ''),
      at: Date.now(),
      outcome: 'refused',
    };
    this.requests.push(record);
    const failure = record.api === 'media' || record.api === 'unknown' ? undefined : this.takeFailure();
    if (failure && 'drop' in failure) {
      record.outcome = 'dropped';
      req.socket.destroy();
      return;
    }
    if (failure && 'delayMs' in failure) await this.sleep(failure.delayMs);
    const answer = failure && 'status' in failure ? this.injected(record, failure) : this.answer(record);
    this.reply(res, answer);
  }

  private takeFailure(): Failure | undefined {
    const next = this.nextFailures[0];
    if (next) {
      if (--next.remaining <= 0) this.nextFailures.shift();
      return next.failure;
    }
    if (this.fraction && this.random() < this.fraction.share) return this.fraction.failure;
    return undefined;
  }

  private injected(record: RecordedRequest, failure: { status: number; body?: unknown }): ApiAnswer {
    record.outcome = 'failed';
    record.status = failure.status;
    return failure.body === undefined ? injectedError(record.api, failure.status) : { status: failure.status, body: failure.body };
  }

  private answer(record: RecordedRequest): ApiAnswer {
    const req: ParsedRequest = { method: record.method, path: record.path, headers: record.headers, body: record.body };
    const handlers = { twilio: answerTwilio, telnyx: answerTelnyx, ovp: answerOvp, media: answerMedia };
    const answer: ApiAnswer =
      record.api === 'unknown'
        ? { status: 404, body: { error: `no fake API at ${record.method} ${record.path}` } }
        : handlers[record.api](req, this.state);
    record.status = answer.status;
    record.outcome = answer.status >= 200 && answer.status < 300 ? 'accepted' : 'refused';
    record.carrierMsgId = answer.carrierMsgId;
    if (isSend(record)) this.#sentCount += 1;
    return answer;
  }

  private reply(res: ServerResponse, answer: ApiAnswer): void {
    if (res.destroyed) return;
    const raw = Buffer.isBuffer(answer.body) || typeof answer.body === 'string';
    const body = raw ? (answer.body as Buffer | string) : JSON.stringify(answer.body);
    res.writeHead(answer.status, { 'content-type': answer.contentType ?? 'application/json' });
    res.end(body);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

/** The admin REST call the tests already make (`gw.api`, a file's own `api`): only what registerFakeCarriers needs of it. */
export type AdminCall = (method: string, path: string, body: unknown) => Promise<{ status: number; body: unknown }>;

/**
 * Registers the fake's Telnyx and/or Twilio as carriers `telnyx-main` / `twilio-main` through the
 * admin API, as an operator would (Telnyx with the fake's public key, so webhooks are verified);
 * throws, naming the carrier and the answer, when one is refused.
 */
export async function registerFakeCarriers(
  api: AdminCall,
  fake: FakeCarrier,
  which: ReadonlyArray<'telnyx' | 'twilio'> = ['telnyx', 'twilio'],
  { maxRps = 1000 }: { maxRps?: number } = {},
): Promise<void> {
  for (const type of which) {
    const row = fake.carrierRow(type);
    const name = `${type}-main`;
    const res = await api('POST', '/carriers', {
      name,
      type,
      username: type === 'telnyx' ? 'x' : row.username,
      password: row.password,
      api_base_url: fake.url,
      ...(type === 'telnyx' ? { public_key: row.publicKey } : {}),
      max_rps: maxRps,
    });
    if (res.status !== 201) throw new Error(`POST /carriers ${name}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}
