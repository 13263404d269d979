import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { ConfigError } from './errors.js';
import type { Env } from './types.js';

const ENV_FILE_NAME = '.env';

/** The `.env` in `cwd` as a record, or an empty one when there is none (as upstream's godotenv). */
export async function readEnvFile(cwd: string): Promise<Record<string, string>> {
  const path = join(cwd, ENV_FILE_NAME);
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigError([`${path}: cannot read (${(err as Error).message})`], { cause: err });
  }
  return withoutUndefined(parseEnv(content));
}

/**
 * The environment the schemas see: `.env` values under the real environment, with empty strings
 * treated as unset (compose files and sample.env write `KEY=` to mean "not set"), so an empty
 * real variable does not hide a value in `.env`.
 */
export function mergeEnv(real: Env, file: Readonly<Record<string, string>>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const source of [file, real]) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined && value !== '') merged[key] = value;
    }
  }
  return merged;
}

function withoutUndefined(dict: NodeJS.Dict<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(dict)) if (value !== undefined) out[key] = value;
  return out;
}
