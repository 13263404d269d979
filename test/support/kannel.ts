/**
 * Kannel 1.4.5 (bearerbox + smsbox) as an independent SMPP ESME for acceptance tests.
 *
 *   const kannel = await Kannel.start({ smppHost: '127.0.0.1', smppPort, systemId: 'k1', password: 'pw' });
 *   await kannel.bound();                                   // the smsc shows "online"
 *   const { tag } = await kannel.send({ from: '15550001', to: '15550002', text: 'hi', dlrMask: 31 });
 *   await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.DELIVERED);
 *   await kannel.waitForMo((m) => m.text === 'hello');
 *   await kannel.stop();
 *
 * Each instance writes its own kannel.conf into a temp dir (msggw-test-kannel-*), runs bearerbox
 * and smsbox as child processes on free loopback ports, and runs an HTTP sink in the test process
 * that smsbox calls for every MO message (sms-service get-url) and every DLR (the dlr-url that
 * send() passes). Logs stay in the temp dir; errors carry their last lines.
 * Kannel quirks found on the way are in docs/testing-peers.md.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as tcpConnect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Inbox, type Predicate } from './inbox.js';
import { kannelConf, type KannelOptions, type KannelPorts, type KannelSecrets } from './kannel-conf.js';

export type { KannelBindMode, KannelOptions } from './kannel-conf.js';
import {
  findBinary,
  freePort,
  killIfBinary,
  logTail,
  makeServiceDir,
  MissingBinaryError,
  onEmergencyExit,
  recordServicePid,
  spawnLogged,
  terminate,
  waitUntil,
  withRetries,
} from './process.js';

/**
 * Why a Kannel test skips here (said on stderr), or undefined when bearerbox and smsbox are
 * installed. Never skips under CI, where the peers must be installed (scripts/test-deps.sh).
 */
export function kannelMissing(): string | undefined {
  if (process.env.CI || (findBinary('bearerbox') && findBinary('smsbox'))) return undefined;
  const reason = 'Kannel (bearerbox, smsbox) is not installed';
  process.stderr.write(`[skip] ${reason}; run scripts/test-deps.sh as root to install it\n`);
  return reason;
}

/** Kannel's DLR types (the dlr-mask bits, and the `%d` value a dlr-url receives). */
export const DLR = { DELIVERED: 1, UNDELIVERABLE: 2, BUFFERED: 4, SMSC_ACK: 8, SMSC_NACK: 16, ALL: 31 } as const;

/** Kannel's message coding (sendsms `coding`, get-url `%c`): GSM 7-bit, 8-bit binary, UCS-2. */
export const CODING = { GSM: 0, BINARY: 1, UCS2: 2 } as const;
export type Coding = (typeof CODING)[keyof typeof CODING];

export interface SendOptions {
  from: string;
  to: string;
  /** Text; sent as UTF-8 with charset=UTF-8 unless `charset` says otherwise. */
  text?: string;
  /** Raw message bytes instead of `text` (e.g. 8-bit data, or UCS-2 already encoded). */
  bytes?: Buffer;
  /** 0 GSM (default), 1 8-bit, 2 UCS-2. */
  coding?: Coding;
  charset?: string;
  /** A UDH to send with the message (sendsms `udh`); Kannel sets the UDHI bit. */
  udh?: Buffer;
  /** dlr-mask bits (see DLR); when set, a dlr-url pointing at the sink is added. */
  dlrMask?: number;
  /** Message class 0–3 (sendsms `mclass`). */
  mclass?: number;
  /** Validity in minutes. */
  validityMin?: number;
  /** Any other sendsms parameters, passed as they are. */
  extra?: Record<string, string>;
}

export interface SendResult {
  /** Our tag for this send: every DLR for it carries the same `tag`. */
  tag: string;
  httpStatus: number;
  body: string;
  /** Kannel queued it because the SMPP link is down; it goes out once the link is back. */
  queued: boolean;
}

/** An MO message as smsbox passed it to the get-url. */
export interface MoMessage {
  from: string;
  to: string;
  /** Message bytes as Kannel holds them (after its GSM → UTF-8 conversion for coding 0). */
  bytes: Buffer;
  /** `bytes` decoded: UTF-8 for coding 0, UTF-16BE for coding 2, latin1 for coding 1. */
  text: string;
  coding: number;
  charset: string;
  udh: Buffer;
  smscId: string;
  meta: string;
  receivedAt: number;
}

/** One dlr-url call. */
export interface DlrReport {
  tag: string;
  /** DLR type (see DLR): 8 SMSC ack, 1 delivered, 2 undeliverable, ... */
  status: number;
  /** `%A`: the SMSC's reply, e.g. the receipt text `id:… stat:DELIVRD …`, or `ACK/` for an ack. */
  reply: string;
  /** `%F`: the SMSC's message id, as its submit_sm_resp returned it. */
  smscMessageId: string;
  /** `%I`: Kannel's own id for the message. */
  kannelId: string;
  from: string;
  to: string;
  smscId: string;
  receivedAt: number;
}

/** Port races: a port freePort() returned may be taken before Kannel binds it. */
const START_ATTEMPTS = 3;
/** Generous: two shared cores. A healthy start takes ~0.3 s. */
const START_TIMEOUT_MS = 30_000;
const DEFAULT_WAIT_MS = 10_000;
/** bearerbox and smsbox need ~2.5 s to shut down cleanly (smsbox follows bearerbox). */
const STOP_GRACE_MS = 8_000;
const HTTP_TIMEOUT_MS = 10_000;

export class Kannel {
  private readonly moInbox: Inbox<MoMessage>;
  private readonly dlrInbox: Inbox<DlrReport>;
  private bearerbox: ChildProcess | undefined;
  private smsbox: ChildProcess | undefined;
  private removeEmergencyHook: () => void = () => undefined;
  private stopping: Promise<void> | undefined;
  private sendCount = 0;

  private constructor(
    readonly dir: string,
    private readonly opts: KannelOptions,
    private readonly sink: Server,
    private readonly ports: KannelPorts,
    private readonly secrets: KannelSecrets,
  ) {
    const logs = (): Promise<string> => this.logs();
    this.moInbox = new Inbox('Kannel MO (get-url)', describeMo, logs);
    this.dlrInbox = new Inbox('Kannel DLR (dlr-url)', describeDlr, logs);
    sink.on('request', (req, res) => this.onSinkRequest(req, res));
  }

  /**
   * Writes kannel.conf and starts bearerbox, then smsbox (which panics if bearerbox is not yet
   * listening). Resolves when sendsms answers; it does not wait for the SMPP bind: see bound().
   * Rejects with MissingBinaryError when bearerbox or smsbox is not installed.
   */
  static start(opts: KannelOptions): Promise<Kannel> {
    const bearerbox = findBinary('bearerbox');
    const smsbox = findBinary('smsbox');
    if (!bearerbox || !smsbox) {
      return Promise.reject(new MissingBinaryError(bearerbox ? 'smsbox' : 'bearerbox', 'package kannel'));
    }
    return withRetries(START_ATTEMPTS, () => Kannel.startOnce(opts, bearerbox, smsbox));
  }

  private static async startOnce(opts: KannelOptions, bearerboxBin: string, smsboxBin: string): Promise<Kannel> {
    const sink = await listenSink();
    const dir = await makeServiceDir('kannel');
    const ports = { admin: await freePort(), smsbox: await freePort(), sendsms: await freePort() };
    const secrets = { admin: token(), status: token(), user: 'tester', password: token() };
    const kannel = new Kannel(dir, opts, sink, ports, secrets);
    try {
      await kannel.launch(bearerboxBin, smsboxBin);
    } catch (err) {
      await kannel.stop().catch(() => undefined);
      throw err;
    }
    return kannel;
  }

  /** http://127.0.0.1:<port> of the sink that receives get-url and dlr-url calls. */
  get sinkUrl(): string {
    return `http://127.0.0.1:${(this.sink.address() as AddressInfo).port}`;
  }

  /** The sendsms user's credentials, for callers that build their own sendsms requests (benchmarks). */
  get sendsmsUser(): { username: string; password: string } {
    return { username: this.secrets.user, password: this.secrets.password };
  }

  /** bearerbox's and smsbox's process ids (for CPU and memory figures). */
  get pids(): number[] {
    return [this.bearerbox?.pid, this.smsbox?.pid].filter((p): p is number => p !== undefined);
  }

  /** smsbox's sendsms endpoint. */
  get sendsmsUrl(): string {
    return `http://127.0.0.1:${this.ports.sendsms}/cgi-bin/sendsms`;
  }

  /** Waits until bearerbox's status page shows every SMPP bind of the smsc online. */
  bound(timeoutMs = 15_000): Promise<void> {
    return this.untilStates(`bound to ${this.opts.smppHost}:${this.opts.smppPort}`, (s) => s === 'online', timeoutMs);
  }

  /**
   * The state of each SMPP bind on bearerbox's status page (two for 'transmitter+receiver'):
   * online, connecting, re-connecting, dead, ... An empty list while bearerbox is not answering.
   */
  async smscStates(): Promise<string[]> {
    const res = await fetch(`${this.adminUrl}/status.txt?password=${this.secrets.status}`, {
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    // e.g. "    gw[gw]    SMPP:127.0.0.1:2775/0:k1: (online 12s, rcvd: sms 0 ..."
    const lines = (await res.text()).split('\n').filter((l) => l.trimStart().startsWith(`${this.smscId}[`));
    return lines.map((l) => l.match(/\((\S+?)[ ,)]/)?.[1] ?? 'unknown');
  }

  /**
   * Drops the SMPP link (admin stop-smsc): Kannel unbinds and stays down until startSmsc().
   * Resolves once the smsc is "dead": start-smsc is refused while it is still "disconnected".
   */
  async stopSmsc(timeoutMs = 15_000): Promise<void> {
    await this.admin(`stop-smsc?smsc=${encodeURIComponent(this.smscId)}`);
    await this.untilStates('stopped', (s) => s === 'dead', timeoutMs);
  }

  /** Brings the SMPP link back after stopSmsc(). */
  async startSmsc(): Promise<void> {
    await this.admin(`start-smsc?smsc=${encodeURIComponent(this.smscId)}`);
  }

  /**
   * Submits a message through sendsms. Kannel splits long texts itself (UDH, up to 10 parts).
   * Rejects unless smsbox accepted or queued it.
   */
  async send(msg: SendOptions): Promise<SendResult> {
    const tag = `${process.pid}-${++this.sendCount}-${randomBytes(3).toString('hex')}`;
    const params: Array<[string, string]> = [
      ['username', enc(this.secrets.user)],
      ['password', enc(this.secrets.password)],
      ['from', enc(msg.from)],
      ['to', enc(msg.to)],
      ['text', msg.bytes ? percentBytes(msg.bytes) : enc(msg.text ?? '')],
    ];
    const charset = msg.charset ?? (msg.bytes ? undefined : 'UTF-8');
    if (charset) params.push(['charset', enc(charset)]);
    if (msg.coding !== undefined) params.push(['coding', String(msg.coding)]);
    if (msg.udh) params.push(['udh', percentBytes(msg.udh)]);
    if (msg.mclass !== undefined) params.push(['mclass', String(msg.mclass)]);
    if (msg.validityMin !== undefined) params.push(['validity', String(msg.validityMin)]);
    if (msg.dlrMask) {
      params.push(['dlr-mask', String(msg.dlrMask)], ['dlr-url', enc(this.dlrUrl(tag))]);
    }
    for (const [k, v] of Object.entries(msg.extra ?? {})) params.push([k, enc(v)]);
    const url = `${this.sendsmsUrl}?${params.map(([k, v]) => `${k}=${v}`).join('&')}`;
    const res = await fetch(url, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
    const body = (await res.text()).trim();
    // "0: Accepted for delivery", or "3: Queued for later delivery" while the link is down.
    if (!res.ok || !/^[03]:/.test(body)) {
      throw new Error(`Kannel sendsms refused (${res.status} ${body})\n${await this.logs()}`);
    }
    return { tag, httpStatus: res.status, body, queued: body.startsWith('3:') };
  }

  /** MO messages received so far. */
  mos(): MoMessage[] {
    return this.moInbox.all();
  }

  /** DLR calls received so far. */
  dlrs(): DlrReport[] {
    return this.dlrInbox.all();
  }

  waitForMo(matches: Predicate<MoMessage> = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<MoMessage> {
    return this.moInbox.wait(matches, timeoutMs);
  }

  waitForMos(count: number, matches: Predicate<MoMessage> = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<MoMessage[]> {
    return this.moInbox.waitCount(count, matches, timeoutMs);
  }

  waitForDlr(matches: Predicate<DlrReport> = () => true, timeoutMs = DEFAULT_WAIT_MS): Promise<DlrReport> {
    return this.dlrInbox.wait(matches, timeoutMs);
  }

  /** The last lines of each box's log, for error messages. */
  async logs(lines = 25): Promise<string> {
    const files = ['bearerbox.log', 'smsc.log', 'smsbox.log', 'bearerbox.out', 'smsbox.out'];
    const tails = await Promise.all(files.map(async (f) => `--- ${f}\n${await logTail(join(this.dir, f), lines)}`));
    return `Kannel logs in ${this.dir}:\n${tails.join('\n')}`;
  }

  /**
   * Stops smsbox and bearerbox (SIGTERM: Kannel unbinds first; SIGKILL after a grace period),
   * closes the sink and removes the temp dir (unless keepDir). Idempotent.
   */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      const errors: unknown[] = [];
      const attempt = async (step: () => Promise<unknown>): Promise<void> => {
        try {
          await step();
        } catch (err) {
          errors.push(err);
        }
      };
      await Promise.all([this.smsbox, this.bearerbox].map((c) => attempt(async () => c && terminate(c, STOP_GRACE_MS))));
      await attempt(() => closeServer(this.sink));
      this.removeEmergencyHook();
      if (!this.opts.keepDir) await attempt(() => rm(this.dir, { recursive: true, force: true }));
      if (errors.length) throw new AggregateError(errors, 'stopping Kannel failed');
    })());
  }

  // ---- start-up ---------------------------------------------------------------------------------

  private get smscId(): string {
    return this.opts.smscId ?? 'gw';
  }

  /** Polls the status page until every bind's state passes `ok`; the error has states and logs. */
  private async untilStates(what: string, ok: (state: string) => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let states: string[] = [];
    for (;;) {
      states = await this.smscStates().catch(() => []);
      if (states.length > 0 && states.every(ok)) return;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `Kannel smsc ${this.smscId} not ${what} after ${timeoutMs} ms (status: ${states.join(', ') || 'none'})\n${await this.logs()}`,
    );
  }

  private get adminUrl(): string {
    return `http://127.0.0.1:${this.ports.admin}`;
  }

  private async launch(bearerboxBin: string, smsboxBin: string): Promise<void> {
    const conf = join(this.dir, 'kannel.conf');
    writeFileSync(conf, kannelConf(this.opts, this.dir, this.ports, this.secrets, this.sinkUrl));
    if (this.opts.store === 'spool') mkdirSync(join(this.dir, 'spool')); // bearerbox does not create it
    this.removeEmergencyHook = onEmergencyExit(() => {
      if (this.smsbox?.pid) killIfBinary(this.smsbox.pid, 'smsbox');
      if (this.bearerbox?.pid) killIfBinary(this.bearerbox.pid, 'bearerbox');
      rmSync(this.dir, { recursive: true, force: true });
    });
    // -v 2: only warnings and worse on the console (.out files); the full log is in log-file.
    this.bearerbox = spawnLogged(bearerboxBin, ['-v', '2', conf], join(this.dir, 'bearerbox.out'), this.dir);
    recordServicePid(this.dir, this.bearerbox.pid ?? 0, 'bearerbox');
    // smsbox PANICs ("Couldn't connect to the bearerbox") if it starts before this port listens.
    await waitUntil(() => portOpen(this.ports.smsbox), {
      what: 'Kannel bearerbox',
      timeoutMs: START_TIMEOUT_MS,
      child: this.bearerbox,
      logFile: join(this.dir, 'bearerbox.log'),
    });
    this.smsbox = spawnLogged(smsboxBin, ['-v', '2', conf], join(this.dir, 'smsbox.out'), this.dir);
    await waitUntil(() => portOpen(this.ports.sendsms), {
      what: 'Kannel smsbox',
      timeoutMs: START_TIMEOUT_MS,
      child: this.smsbox,
      logFile: join(this.dir, 'smsbox.log'),
    });
  }

  private async admin(command: string): Promise<void> {
    const sep = command.includes('?') ? '&' : '?';
    const res = await fetch(`${this.adminUrl}/${command}${sep}password=${this.secrets.admin}`, {
      signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
    });
    const body = await res.text();
    if (!res.ok) throw new Error(`Kannel admin ${command} failed: ${res.status} ${body}`);
  }

  private dlrUrl(tag: string): string {
    // %d type, %A SMSC reply, %F SMSC message id, %I Kannel id, %p/%P from/to, %i smsc-id.
    return `${this.sinkUrl}/dlr?tag=${tag}&status=%d&reply=%A&smscid=%F&kid=%I&from=%p&to=%P&smsc=%i`;
  }

  // ---- sink -------------------------------------------------------------------------------------

  private onSinkRequest(req: IncomingMessage, res: ServerResponse): void {
    const [path, query = ''] = (req.url ?? '/').split('?', 2);
    const q = parseRawQuery(query);
    const str = (k: string): string => (q.get(k) ?? Buffer.alloc(0)).toString('utf8');
    if (path === '/mo') {
      const bytes = q.get('text') ?? Buffer.alloc(0);
      const coding = Number(str('coding') || '0');
      this.moInbox.push({
        from: str('from'),
        to: str('to'),
        bytes,
        text: decodeText(bytes, coding),
        coding,
        charset: str('charset'),
        udh: q.get('udh') ?? Buffer.alloc(0),
        smscId: str('smsc'),
        meta: str('meta'),
        receivedAt: Date.now(),
      });
    } else if (path === '/dlr') {
      this.dlrInbox.push({
        tag: str('tag'),
        status: Number(str('status')),
        reply: str('reply'),
        smscMessageId: str('smscid'),
        kannelId: str('kid'),
        from: str('from'),
        to: str('to'),
        smscId: str('smsc'),
        receivedAt: Date.now(),
      });
    } else {
      res.writeHead(404).end();
      return;
    }
    // An empty 200: with max-messages = 0 smsbox sends no reply SMS for it.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '0' }).end();
  }
}

// ---- helpers ----------------------------------------------------------------------------------------

function token(): string {
  return randomBytes(8).toString('hex');
}

const enc = encodeURIComponent;

/** Every byte as %XX: how sendsms takes binary text and UDH. */
function percentBytes(bytes: Buffer): string {
  return [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
}

/** A query string's values as bytes: Kannel percent-encodes raw message bytes, not UTF-8 text. */
export function parseRawQuery(query: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = percentDecode(eq < 0 ? part : part.slice(0, eq)).toString('utf8');
    out.set(key, percentDecode(eq < 0 ? '' : part.slice(eq + 1)));
  }
  return out;
}

function percentDecode(s: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '+') {
      bytes.push(0x20);
    } else {
      bytes.push(...Buffer.from(ch, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

function decodeText(bytes: Buffer, coding: number): string {
  if (coding === CODING.UCS2) return utf16be(bytes);
  if (coding === CODING.BINARY) return bytes.toString('latin1');
  return bytes.toString('utf8');
}

/** UTF-16BE → string (an odd trailing byte is dropped). */
export function utf16be(bytes: Buffer): string {
  const even = Buffer.from(bytes.subarray(0, bytes.length - (bytes.length % 2)));
  return even.swap16().toString('utf16le');
}

function describeMo(m: MoMessage): string {
  return `from=${m.from} to=${m.to} coding=${m.coding} udh=${m.udh.toString('hex')} text=${JSON.stringify(m.text)}`;
}

function describeDlr(d: DlrReport): string {
  return `tag=${d.tag} status=${d.status} smscid=${d.smscMessageId} reply=${JSON.stringify(d.reply)}`;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tcpConnect(port, '127.0.0.1');
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => done(true));
  });
}

function listenSink(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.keepAliveTimeout = 1_000;
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}
