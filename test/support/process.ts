/**
 * Child-process plumbing for the test services: free ports, binary lookup, readiness polling,
 * and the last-resort cleanup that keeps a Ctrl-C'd or killed run from leaving servers behind.
 *
 * Every service runs in its own temp dir named `msggw-test-<service>-*`, which holds an `owner`
 * file (the pid of the process that started it) and the service's `service.pid`. A later run
 * sweeps dirs whose owner is gone (see sweepStaleServices).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export const TEMP_PREFIX = 'msggw-test-';

/** A service binary is not installed: locally the suites that need it skip; under CI it fails. */
export class MissingBinaryError extends Error {
  override name = 'MissingBinaryError';
  constructor(
    readonly binary: string,
    hint: string,
  ) {
    super(`${binary} not found (${hint}; run scripts/test-deps.sh as root to install it)`);
  }
}

/** A port the kernel just handed out on 127.0.0.1 (free at the time of the call). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Debian installs nats-server and runuser in sbin, which a non-root PATH usually lacks. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

/** First executable named `name` on PATH, then in `extraDirs`, then the sbin dirs; null if none. */
export function findBinary(name: string, extraDirs: readonly string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs, ...SBIN_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The temp root for service dirs. As root it must be /tmp: postgres must be able to reach it. */
export function serviceTempRoot(): string {
  return process.getuid?.() === 0 ? '/tmp' : tmpdir();
}

/** A fresh service dir, stamped with this process as its owner. */
export async function makeServiceDir(service: string): Promise<string> {
  const dir = await mkdtemp(join(serviceTempRoot(), `${TEMP_PREFIX}${service}-`));
  writeFileSync(join(dir, 'owner'), String(process.pid));
  return dir;
}

/** Records the pid (and binary name, checked before a sweep kills it) of a dir's service. */
export function recordServicePid(dir: string, pid: number, binary: string): void {
  writeFileSync(join(dir, 'service.pid'), `${pid}\n${binary}\n`);
}

/** Starts `cmd` with stdout and stderr appended to `logFile`. */
export function spawnLogged(cmd: string, args: readonly string[], logFile: string, cwd: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    return spawn(cmd, args, { cwd, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
}

/** The last `lines` lines of a log file, for error messages. */
export async function logTail(file: string, lines = 20): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  /** Fail at once if this child exits while we wait. */
  child?: ChildProcess;
  logFile?: string;
}

/** Polls `ready` every 25 ms until it returns true; rejects on timeout or when `child` exits. */
export async function waitUntil(ready: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.child && opts.child.exitCode !== null) {
      throw new Error(`${opts.what} exited with ${opts.child.exitCode} before it was ready:\n${await tailOf(opts)}`);
    }
    if (opts.child?.signalCode) {
      throw new Error(`${opts.what} died (${opts.child.signalCode}) before it was ready:\n${await tailOf(opts)}`);
    }
    if (await ready().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`${opts.what} not ready after ${opts.timeoutMs} ms:\n${await tailOf(opts)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function tailOf(opts: WaitOptions): Promise<string> {
  return opts.logFile ? logTail(opts.logFile) : Promise.resolve('(no log)');
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export async function terminate(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Retries `attempt` (which picks a fresh port each time) when a start loses a port race. */
export async function withRetries<T>(times: number, attempt: () => Promise<T>): Promise<T> {
  let last: unknown;
  for (let i = 0; i < times; i++) {
    try {
      return await attempt();
    } catch (err) {
      if (err instanceof MissingBinaryError) throw err;
      last = err;
    }
  }
  throw last;
}

// ---- Last-resort cleanup ------------------------------------------------------------------------
// Process-wide by nature: signals and 'exit' belong to the process. This is the one piece of
// module state in the harness. Callbacks must be synchronous ('exit' runs no async work).

const emergency = new Set<() => void>();
let hooked = false;

/** Registers a synchronous kill-and-remove for process exit and SIGINT/SIGTERM; returns its remover. */
export function onEmergencyExit(fn: () => void): () => void {
  hookProcess();
  emergency.add(fn);
  return () => emergency.delete(fn);
}

function runEmergency(): void {
  for (const fn of [...emergency]) {
    emergency.delete(fn);
    try {
      fn();
    } catch {
      // best effort: keep cleaning the others
    }
  }
}

function hookProcess(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', runEmergency);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      runEmergency();
      process.off(signal, onSignal);
      // vitest installs its own handler and exits; if nobody else listens, behave like the default.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/** Kills `pid` if it is still the process of `binary` (guards against pid reuse). */
export function killIfBinary(pid: number, binary: string, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (cmdline.includes(binary)) process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes service dirs left by runs that died without cleaning up (SIGKILL, OOM), killing their
 * servers first. Dirs whose owner is still alive (a concurrent run) are left alone.
 * Returns the dirs it removed.
 */
export function sweepStaleServices(): string[] {
  const root = serviceTempRoot();
  const removed: string[] = [];
  for (const name of readdirSync(root)) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = join(root, name);
    const owner = Number(readText(join(dir, 'owner')));
    if (!owner || alive(owner)) continue;
    const [pid, binary] = readText(join(dir, 'service.pid')).split('\n');
    if (Number(pid) && binary) killIfBinary(Number(pid), binary);
    stopStalePostgres(dir);
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

function stopStalePostgres(dir: string): void {
  const pidFile = join(dir, 'data', 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readText(pidFile).split('\n')[0]);
  if (pid) killIfBinary(pid, 'postgres', 'SIGQUIT');
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** Runs a command synchronously (for emergency cleanup only). */
export function runSync(cmd: string, args: readonly string[], cwd: string): void {
  spawnSync(cmd, args, { cwd, stdio: 'ignore', timeout: 10_000 });
}
