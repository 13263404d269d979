/**
 * Runs a real gateway process (`node bin/msggw.js`) for cluster tests: its own ports, env and
 * data dir, ready when /ready answers 200, stopped with SIGTERM (or killed with SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const READY_TIMEOUT_MS = 60_000;
const START_ATTEMPTS = 3;

export interface GatewayProcess {
  readonly url: string;
  readonly serverId: string;
  readonly pid: number;
  /** Everything the process printed, for assertions and failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * `nodeArgs` go before the script (e.g. --cpu-prof for a benchmark profile). `entry` is the
 * script: bin/msggw.js (the TypeScript sources through tsx) or dist/cmd/gateway/main.js (the
 * compiled build production runs; `npm run build` first).
 */
export async function startGatewayProcess(
  serverId: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
  entry = 'bin/msggw.js',
): Promise<GatewayProcess> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(serverId, env, nodeArgs, entry);
    } catch (err) {
      // A port freePort found can be taken before the node listens on it (under load, as the
      // source port of an outgoing connection): start again on fresh ports.
      if (attempt >= START_ATTEMPTS || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startOnce(serverId: string, env: Record<string, string>, nodeArgs: string[], entry: string): Promise<GatewayProcess> {
  const [web, smpp, mm4] = [await freePort(), await freePort(), await freePort()];
  const dataDir = await mkdtemp(join(tmpdir(), `msggw-node-${serverId}-`));
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      SERVER_ID: serverId,
      WEB_LISTEN: `127.0.0.1:${web}`,
      SMPP_LISTEN: `127.0.0.1:${smpp}`,
      MM4_LISTEN: `127.0.0.1:${mm4}`,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // Test media servers are on loopback, which media URLs may not reach by default.
      MEDIA_FETCH_ALLOW: '127.0.0.0/8,::1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = `http://127.0.0.1:${web}`;
  try {
    await waitReady(url, child, () => output);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    serverId,
    pid: child.pid!,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      const code = await stopChild(child, signal);
      await rm(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${output()}`);
    try {
      const res = await fetch(`${url}/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gateway not ready after ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(force);
      resolve(code);
    });
    child.kill(signal);
  });
}
