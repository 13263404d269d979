/**
 * Where the CLI finds a node's admin API: flags, then the environment, then a config file, each
 * field on its own (a URL from the file and a key from the environment make one connection).
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from './errors.js';

/** gomsggw's WEB_LISTEN default, seen from the same host. */
export const DEFAULT_URL = 'http://localhost:3000';
/** gomsggw's admin script waited 15 s for an answer. */
export const DEFAULT_TIMEOUT_MS = 15_000;

export interface Connection {
  url: string;
  apiKey: string;
  timeoutMs: number;
  /** What the user should fix (a config file others can read). */
  warnings: string[];
  /** Where each value came from (flag, env name, file path, default), for `msggw config`. */
  sources: { url: string; apiKey: string };
}

export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
  config?: string;
  timeout?: string;
}

/** The config file's fields (`api_key` or `apiKey`). */
export interface ConfigFile {
  url?: string;
  api_key?: string;
  apiKey?: string;
  timeout_ms?: number;
}

type Env = Record<string, string | undefined>;

/**
 * The file's path: --config, else MSGGW_CONFIG, else $XDG_CONFIG_HOME/msggw/config.json
 * (~/.config/msggw/config.json). `explicit` says a missing file is an error.
 */
export function configPath(flags: ConnectionFlags, env: Env): { path: string; explicit: boolean } {
  if (flags.config) return { path: flags.config, explicit: true };
  if (env.MSGGW_CONFIG) return { path: env.MSGGW_CONFIG, explicit: true };
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return { path: join(base, 'msggw', 'config.json'), explicit: false };
}

/** Group or world permission bits: a file holding the admin key should have none (chmod 600). */
const SHARED_BITS = 0o077;

/** A warning when a config file holding a key can be read by other users, as ssh warns of its keys. */
export async function permissionWarning(path: string, file: ConfigFile): Promise<string | undefined> {
  if (!(file.api_key ?? file.apiKey)) return undefined;
  const mode = await stat(path).then(
    (s) => s.mode,
    () => 0,
  );
  return mode & SHARED_BITS ? `warning: ${path} holds the admin API key and other users can read it: chmod 600 it` : undefined;
}

/** Reads the config file; an absent default file is no file at all. */
export async function readConfigFile(path: string, explicit: boolean): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return {};
    throw new UsageError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`config file ${path} must hold a JSON object like {"url": "...", "api_key": "..."}`);
  }
  return parsed as ConfigFile;
}

/** The first value that is set, with the name of where it came from. */
function firstOf(candidates: Array<[string | undefined, string]>): [string, string] | undefined {
  for (const [value, source] of candidates) if (value !== undefined && value !== '') return [value, source];
  return undefined;
}

/**
 * The node's own WEB_LISTEN (`0.0.0.0:3000`) as a URL to reach it from the same host, so the CLI
 * works as is beside a node or in its container.
 */
export function listenUrl(listen: string | undefined): string | undefined {
  if (!listen) return undefined;
  const colon = listen.lastIndexOf(':');
  const host = colon === -1 ? '' : listen.slice(0, colon);
  const port = listen.slice(colon + 1);
  const local = ['', '0.0.0.0', '::', '[::]'].includes(host);
  return `http://${local ? '127.0.0.1' : host}:${port}`;
}

/**
 * Flags > env > file for each field. MSGGW_BASE_URL is gomsggw's admin script's name for the URL;
 * WEB_LISTEN and API_KEY are the gateway's own settings, so the CLI works where the node runs.
 */
export function resolveConnection(flags: ConnectionFlags, env: Env, file: ConfigFile, filePath: string): Connection {
  const url = firstOf([
    [flags.url, '--url'],
    [env.MSGGW_URL, 'MSGGW_URL'],
    [env.MSGGW_BASE_URL, 'MSGGW_BASE_URL'],
    [listenUrl(env.WEB_LISTEN), 'WEB_LISTEN'],
    [file.url, filePath],
  ]) ?? [DEFAULT_URL, 'default'];
  const apiKey = firstOf([
    [flags.apiKey, '--api-key'],
    [env.MSGGW_API_KEY, 'MSGGW_API_KEY'],
    [env.API_KEY, 'API_KEY'],
    [file.api_key ?? file.apiKey, filePath],
  ]);
  const timeoutMs = flags.timeout !== undefined ? Number(flags.timeout) : (file.timeout_ms ?? DEFAULT_TIMEOUT_MS);
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds`);
  return {
    url: normalizeUrl(url[0]),
    apiKey: apiKey?.[0] ?? '',
    timeoutMs,
    warnings: [],
    sources: { url: url[1], apiKey: apiKey?.[1] ?? 'none' },
  };
}

/** `host:3000` and `http://host:3000/` both mean http://host:3000. */
export function normalizeUrl(raw: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`invalid URL "${raw}": use http://host:port`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`invalid URL "${raw}": use http:// or https://`);
  // A key in the URL would be echoed in every error message; it has its own settings.
  if (url.username || url.password)
    throw new UsageError('the URL must not hold credentials: give the key with --api-key, MSGGW_API_KEY or the config file');
  return url.toString().replace(/\/+$/, '');
}

/** Everything above, from the process's flags and environment. */
export async function loadConnection(flags: ConnectionFlags, env: Env): Promise<Connection> {
  const { path, explicit } = configPath(flags, env);
  const file = await readConfigFile(path, explicit);
  const connection = resolveConnection(flags, env, file, path);
  const warning = connection.sources.apiKey === path ? await permissionWarning(path, file) : undefined;
  return warning ? { ...connection, warnings: [warning] } : connection;
}
