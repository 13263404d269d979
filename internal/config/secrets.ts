import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { GENERATED_SECRET_BYTES, MIN_STRONG_SECRET_CHARS, SECRETS_FILE_NAME } from './defaults.js';
import { ConfigError } from './errors.js';
import type { SecretsConfig } from './types.js';

export interface GivenSecrets {
  encryptionKey?: string;
  apiKey?: string;
}

export interface ResolvedSecrets {
  secrets: SecretsConfig;
  warnings: string[];
}

const storedSchema = z.object({
  encryptionKey: z.string().min(1).optional(),
  apiKey: z.string().min(1).optional(),
});
type Stored = z.infer<typeof storedSchema>;

const OWNER_ONLY_FILE = 0o600;
const OWNER_ONLY_DIR = 0o700;
const GROUP_OR_OTHER_BITS = 0o077;

/** Problems with secrets that only cluster mode has: every node must hold the same keys. */
export function clusterSecretProblems(given: GivenSecrets): string[] {
  const why = 'required when PostgreSQL, NATS or Redis is configured: every node must share the same value';
  const out: string[] = [];
  if (given.encryptionKey === undefined) out.push(`ENCRYPTION_KEY is unset: ${why} (it encrypts passwords at rest)`);
  if (given.apiKey === undefined) out.push(`API_KEY is unset: ${why} (it is the admin password)`);
  return out;
}

/** Warnings for weak secrets given in the environment (generated ones are always strong). */
export function weakSecretWarnings(given: GivenSecrets): string[] {
  const named: [string, string | undefined][] = [
    ['ENCRYPTION_KEY', given.encryptionKey],
    ['API_KEY', given.apiKey],
  ];
  return named
    .filter(([, value]) => value !== undefined && value.length < MIN_STRONG_SECRET_CHARS)
    .map(([name]) => `${name} is shorter than ${MIN_STRONG_SECRET_CHARS} characters; prefer e.g. \`openssl rand -base64 32\``);
}

/**
 * Embedded mode: fills in missing secrets from `<dataDir>/secrets.json`, generating and saving
 * them (mode 0600) the first time, so a single node needs no setup and keeps its keys across
 * restarts. Secrets from the environment are used as given and never written to the file.
 */
export async function resolveEmbeddedSecrets(given: GivenSecrets, dataDir: string): Promise<ResolvedSecrets> {
  if (given.encryptionKey !== undefined && given.apiKey !== undefined) {
    const { encryptionKey, apiKey } = given;
    return { secrets: { encryptionKey, apiKey, apiKeyGenerated: false, encryptionKeyGenerated: false }, warnings: [] };
  }
  const file = join(dataDir, SECRETS_FILE_NAME);
  const stored = await readStored(file);
  const next: Stored = { ...stored };
  if (given.encryptionKey === undefined) next.encryptionKey ??= randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
  // base64url, not hex: `admin:<key>` must stay within one line of `base64` (76 characters), as
  // the curl examples build the admin header with `echo -n admin:$API_KEY | base64`.
  if (given.apiKey === undefined) next.apiKey ??= randomBytes(GENERATED_SECRET_BYTES).toString('base64url');
  const encryptionKeyGenerated = next.encryptionKey !== stored.encryptionKey;
  const apiKeyGenerated = next.apiKey !== stored.apiKey;
  if (encryptionKeyGenerated || apiKeyGenerated) await writeStored(dataDir, file, next);
  const secrets: SecretsConfig = {
    encryptionKey: given.encryptionKey ?? (next.encryptionKey as string),
    apiKey: given.apiKey ?? (next.apiKey as string),
    apiKeyGenerated,
    encryptionKeyGenerated,
    secretsFile: file,
  };
  return { secrets, warnings: await permissionWarnings(file) };
}

async function readStored(file: string): Promise<Stored> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`${file}: cannot read (${(err as Error).message})`], { cause: err });
  }
  try {
    return storedSchema.parse(JSON.parse(content));
  } catch (err) {
    // Regenerating would silently change ENCRYPTION_KEY and make stored passwords unreadable.
    throw new ConfigError([`${file}: not a valid secrets file; restore it from a backup, or set ENCRYPTION_KEY and API_KEY`], {
      cause: err,
    });
  }
}

async function writeStored(dataDir: string, file: string, stored: Stored): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: OWNER_ONLY_DIR });
  // Write then rename, so a crash never leaves a half-written file that would lose the key.
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(stored, null, 2)}\n`, { mode: OWNER_ONLY_FILE });
  await chmod(tmp, OWNER_ONLY_FILE); // the mode option is masked by umask; chmod is not
  await rename(tmp, file);
}

async function permissionWarnings(file: string): Promise<string[]> {
  if (process.platform === 'win32') return [];
  const { mode } = await stat(file);
  if ((mode & GROUP_OR_OTHER_BITS) === 0) return [];
  return [`${file} is readable by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it`];
}
