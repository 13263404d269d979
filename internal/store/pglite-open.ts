import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/**
 * PostgreSQL's buffer cache inside PGlite, in MB. PGlite's own default (160 MB) is touched at
 * start-up and held for the life of the node; an embedded node's tables are small and the
 * kernel's page cache holds their files anyway, so 16 MB keeps an idle node small.
 */
export const DEFAULT_PGLITE_SHARED_BUFFERS_MB = 16;

/**
 * V8 compiles WebAssembly with its baseline compiler (Liftoff), then recompiles hot functions
 * with TurboFan in the background. For PGlite's large module the optimised code and its compile
 * cost memory and CPU that an embedded node's small queries never earn back (docs/decisions.md).
 * The flag is the process's, so wasm compiled later (undici's HTTP parser) is baseline too:
 * acceptable on the embedded default, the only node that opens PGlite.
 */
const BASELINE_WASM_ONLY = '--liftoff-only';

/** initdb on a fresh data dir takes a few seconds; this long means it is stuck. */
const INITDB_TIMEOUT_MS = 120_000;

export interface PGliteOpenOptions {
  /** undefined = in memory (tests). */
  dataDir?: string;
  sharedBuffersMb?: number;
  parsers?: PGliteOptions['parsers'];
}

/**
 * Opens PGlite with the embedded store's server settings, its WebAssembly compiled to baseline
 * code only. A data dir without a database is first initialised by a short-lived child process:
 * initdb runs a second PostgreSQL instance whose WebAssembly memory the process that ran it
 * never gets back.
 */
export async function openPGlite(opts: PGliteOpenOptions): Promise<PGlite> {
  const startParams = pgliteStartParams(opts.sharedBuffersMb ?? DEFAULT_PGLITE_SHARED_BUFFERS_MB);
  if (opts.dataDir) {
    await mkdir(opts.dataDir, { recursive: true });
    if (!existsSync(join(opts.dataDir, 'PG_VERSION'))) await initDataDir(opts.dataDir, startParams);
  }
  setFlagsFromString(BASELINE_WASM_ONLY);
  // Loaded only here: PGlite's WebAssembly build adds ~38 MB to a node that never uses it.
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = new PGlite(opts.dataDir, { parsers: opts.parsers, startParams: [...PGlite.defaultStartParams, ...startParams] });
  await pglite.waitReady;
  return pglite;
}

/** `-c` settings added to PGlite's default start parameters. */
export function pgliteStartParams(sharedBuffersMb: number): string[] {
  return ['-c', `shared_buffers=${sharedBuffersMb}MB`];
}

// Plain CommonJS so the child needs no TypeScript loader, whichever way the parent was started.
const INITDB_SCRIPT = `
const { PGlite } = require(process.argv[1]);
(async () => {
  const pglite = new PGlite(process.argv[2], { startParams: [...PGlite.defaultStartParams, ...JSON.parse(process.argv[3])] });
  await pglite.waitReady;
  await pglite.close();
})().catch((err) => { process.stderr.write(String(err && err.stack || err)); process.exit(1); });
`;

async function initDataDir(dataDir: string, startParams: string[]): Promise<void> {
  const pgliteEntry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  const child = spawn(process.execPath, [BASELINE_WASM_ONLY, '-e', INITDB_SCRIPT, pgliteEntry, dataDir, JSON.stringify(startParams)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: INITDB_TIMEOUT_MS,
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (exitCode) => resolve(exitCode));
  });
  if (code !== 0) throw new Error(`PGlite could not initialise ${dataDir} (exit ${code}): ${stderr.trim()}`);
}
