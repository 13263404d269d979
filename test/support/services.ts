/**
 * Real nats-server, redis-server and PostgreSQL for the integration tests, each on a free
 * loopback port with its own temp dir. `stop()` shuts the server down cleanly and removes the
 * dir; if the process exits or is interrupted first, a synchronous emergency hook kills it.
 * A missing binary rejects with MissingBinaryError (global-setup turns that into a skip reason).
 */
import { execFile } from 'node:child_process';
import { chmod, chown, rm } from 'node:fs/promises';
import { readFileSync, rmSync, readdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.js';
import pg from 'pg';
import {
  findBinary,
  freePort,
  killIfBinary,
  logTail,
  makeServiceDir,
  MissingBinaryError,
  onEmergencyExit,
  recordServicePid,
  runSync,
  serviceTempRoot,
  spawnLogged,
  terminate,
  waitUntil,
  withRetries,
} from './process.js';

const run = promisify(execFile);

/** Start attempts per service: a port picked by freePort() can be taken before the server binds. */
const START_ATTEMPTS = 3;
/** Generous: two shared cores, and a cold initdb takes ~0.5 s there. */
const READY_TIMEOUT_MS = 30_000;

export interface RunningService {
  /** Connection URL (nats://, redis://, postgres://) on 127.0.0.1. */
  readonly url: string;
  /** Clean shutdown, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A server that is one child process of ours, for fault tests: each test that stops or pauses
 * one starts its own, so no other test file sees the fault.
 */
export interface ControllableService extends RunningService {
  /**
   * Sends `signal` to the server: SIGSTOP pauses it (connections stay open, nothing answers),
   * SIGCONT resumes it. Resolves once a SIGSTOP has taken effect (kill() returns before the
   * server's threads have stopped, and a request sent in between would still be answered).
   */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Stops the server (SIGTERM), keeping its port and data dir for restart(). */
  halt(): Promise<void>;
  /** Starts it again on the same port with the same data dir; resolves once it is ready. */
  restart(): Promise<void>;
}

export interface RunningNats extends ControllableService {
  /** HTTP monitoring endpoint (/healthz, /jsz, /connz). */
  readonly monitorUrl: string;
}

export interface RunningPostgres extends RunningService {
  /** Creates an empty database and returns its URL. `name`: lowercase letters, digits, `_`. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (pg_ctl stop -m fast: connections are cut), keeping its data dir and port. */
  stopServer(): Promise<void>;
  /** Starts it again on the same data dir and port, after stopServer(). */
  startServer(): Promise<void>;
}

// ---- NATS -------------------------------------------------------------------------------------

export interface NatsOptions {
  /** Client port; default a free one. Fixed ports let a test restart "the same" server. */
  port?: number;
  /** Extra nats-server flags, e.g. ['--user', 'u', '--pass', 'p']. */
  extraArgs?: string[];
}

/** nats-server with JetStream, store in a temp dir. Ready when /healthz?js-enabled-only=true is 200. */
export function startNats(opts: NatsOptions = {}): Promise<RunningNats> {
  const bin = findBinary('nats-server');
  if (!bin) return Promise.reject(new MissingBinaryError('nats-server', 'not on PATH nor in sbin'));
  return withRetries(START_ATTEMPTS, () => startNatsOnce(bin, opts));
}

async function startNatsOnce(bin: string, opts: NatsOptions): Promise<RunningNats> {
  const [port, monitorPort] = [opts.port ?? (await freePort()), await freePort()];
  const dir = await makeServiceDir('nats');
  const logFile = join(dir, 'nats.log');
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-m', String(monitorPort), '-sd', join(dir, 'js'), ...(opts.extraArgs ?? [])];
  const monitorUrl = `http://127.0.0.1:${monitorPort}`;
  const ready = async () => (await fetch(`${monitorUrl}/healthz?js-enabled-only=true`)).ok;
  const svc = childService(`nats://127.0.0.1:${port}`, { bin, args, dir, logFile, binary: 'nats-server', ready });
  try {
    await svc.restart();
  } catch (err) {
    await svc.stop();
    throw err;
  }
  return { ...svc, monitorUrl };
}

// ---- Redis ------------------------------------------------------------------------------------

/** redis-server without persistence. Ready when it answers PING with PONG. */
export function startRedis(): Promise<ControllableService> {
  const bin = findBinary('redis-server');
  if (!bin) return Promise.reject(new MissingBinaryError('redis-server', 'not on PATH nor in sbin'));
  return withRetries(START_ATTEMPTS, () => startRedisOnce(bin));
}

async function startRedisOnce(bin: string): Promise<ControllableService> {
  const port = await freePort();
  const dir = await makeServiceDir('redis');
  const logFile = join(dir, 'redis.log');
  const args = ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir];
  const svc = childService(`redis://127.0.0.1:${port}`, { bin, args, dir, logFile, binary: 'redis-server', ready: () => redisPing(port) });
  try {
    await svc.restart();
  } catch (err) {
    await svc.stop();
    throw err;
  }
  return svc;
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = tcpConnect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(1_000, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

interface ChildSpec {
  bin: string;
  args: string[];
  dir: string;
  logFile: string;
  /** The binary's name, checked before an emergency kill. */
  binary: string;
  ready(): Promise<boolean>;
}

/**
 * A service that is one child process of ours, started by the first restart(): stop = SIGTERM
 * (then SIGKILL) + remove its dir; halt and restart keep the dir, so a restarted server has its
 * data (nats-server's JetStream store) on the same port.
 */
function childService(url: string, spec: ChildSpec): ControllableService {
  let child: ReturnType<typeof spawnLogged> | undefined;
  const removeHook = onEmergencyExit(() => {
    if (child?.pid) killIfBinary(child.pid, spec.binary);
    rmSync(spec.dir, { recursive: true, force: true });
  });
  const halt = async (): Promise<void> => {
    if (!child) return;
    child.kill('SIGCONT'); // a paused server cannot act on SIGTERM
    await terminate(child);
  };
  const restart = async (): Promise<void> => {
    await halt();
    child = spawnLogged(spec.bin, spec.args, spec.logFile, spec.dir);
    recordServicePid(spec.dir, child.pid ?? 0, spec.binary);
    await waitUntil(spec.ready, { what: spec.binary, timeoutMs: READY_TIMEOUT_MS, child, logFile: spec.logFile });
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        await halt();
      } finally {
        removeHook();
        await rm(spec.dir, { recursive: true, force: true });
      }
    })());
  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    if (!child?.pid) return;
    child.kill(sig);
    if (sig === 'SIGSTOP') await stoppedState(child.pid);
  };
  return { url, stop, halt, restart, signal };
}

/** Waits until Linux reports `pid` stopped (state T in /proc/<pid>/stat). */
function stoppedState(pid: number): Promise<void> {
  return waitFor(() => /^\S+ \(.*\) [Tt] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), 2_000);
}

// ---- PostgreSQL -------------------------------------------------------------------------------

const PG_DIRS = (): string[] => {
  try {
    return readdirSync('/usr/lib/postgresql')
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
};

/**
 * A throwaway PostgreSQL cluster (trust auth, user `postgres`, no fsync). initdb refuses to run
 * as root, so as root every server command runs through `runuser -u postgres --`.
 */
export function startPostgres(): Promise<RunningPostgres> {
  const initdb = findBinary('initdb', PG_DIRS());
  const pgCtl = findBinary('pg_ctl', PG_DIRS());
  if (!initdb || !pgCtl) {
    return Promise.reject(new MissingBinaryError(initdb ? 'pg_ctl' : 'initdb', 'not on PATH nor in /usr/lib/postgresql/*/bin'));
  }
  return withRetries(START_ATTEMPTS, () => startPostgresOnce(initdb, pgCtl));
}

async function startPostgresOnce(initdb: string, pgCtl: string): Promise<RunningPostgres> {
  const asRoot = process.getuid?.() === 0;
  const runuser = asRoot ? findBinary('runuser') : 'runuser';
  if (!runuser) throw new MissingBinaryError('runuser', 'needed to run PostgreSQL as the postgres user when root');
  const dir = await makeServiceDir('pg');
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const cmd = (bin: string, args: string[]): [string, string[]] =>
    asRoot ? [runuser, ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const exec = (bin: string, args: string[]) => run(...cmd(bin, args), { cwd: serviceTempRoot(), timeout: READY_TIMEOUT_MS });
  const stopArgs = (mode: string): string[] => ['-D', data, '-m', mode, '-w', 'stop'];

  const removeHook = onEmergencyExit(() => {
    runSync(...cmd(pgCtl, stopArgs('immediate')), serviceTempRoot());
    rmSync(dir, { recursive: true, force: true });
  });
  let started = false;
  let running = false;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        if (started && running) await exec(pgCtl, stopArgs('fast'));
      } finally {
        removeHook();
        await rm(dir, { recursive: true, force: true });
      }
    })());

  try {
    if (asRoot) await ownByPostgres(dir);
    await exec(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    const port = await freePort();
    const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    started = true;
    const startServer = async (): Promise<void> => {
      running = true;
      await exec(pgCtl, ['-D', data, '-l', logFile, '-w', '-t', String(READY_TIMEOUT_MS / 1000), 'start', '-o', opts]).catch(
        async (err: unknown) => {
          throw new Error(`PostgreSQL did not start: ${String(err)}\n${await logTail(logFile)}`);
        },
      );
    };
    const stopServer = async (): Promise<void> => {
      await exec(pgCtl, stopArgs('fast'));
      running = false;
    };
    await startServer();
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    return { url, stop, createDatabase: (name) => createDatabase(url, name), stopServer, startServer };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

async function ownByPostgres(dir: string): Promise<void> {
  const { stdout: uid } = await run('id', ['-u', 'postgres']).catch(() => {
    throw new MissingBinaryError('postgres user', 'initdb cannot run as root and there is no postgres user');
  });
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  await chown(dir, Number(uid), Number(gid));
  await chmod(dir, 0o700);
}

const DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Creates database `name` on the server at `adminUrl` and returns the new database's URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  if (!DB_NAME.test(name)) throw new Error(`invalid database name ${JSON.stringify(name)}`);
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
