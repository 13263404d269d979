import { resolve } from 'node:path';
import type { z } from 'zod';
import { hostDefaults } from './defaults.js';
import { mergeEnv, readEnvFile } from './env-file.js';
import { ConfigError } from './errors.js';
import { problem } from './redact.js';
import { clusterSecretProblems, resolveEmbeddedSecrets, weakSecretWarnings, type GivenSecrets, type ResolvedSecrets } from './secrets.js';
import {
  mediaSchema,
  autoReplySchema,
  logSchema,
  nodeSchema,
  notifySchema,
  ingressDedupSchema,
  ingressFirstSchema,
  batchSchema,
  type LoadContext,
} from './sections-node.js';
import { carrierSchema, mm4Schema, smppSchema, webhookSchema, webSchema } from './sections-front.js';
import { lockoutSchema } from './sections-lockout.js';
import { busSchema, durableSchema, quotaSchema, storeSchema, storeWarnings, usesSharedServices } from './sections-services.js';
import type { Config, Env, LoadConfigOptions } from './types.js';

/** Upstream variables msggw no longer reads, and what to do instead (docs/configuration.md). */
const DROPPED: readonly { names: readonly string[]; instead: string }[] = [
  {
    names: ['LOKI_ENABLED', 'LOKI_URL', 'LOKI_USERNAME', 'LOKI_PASSWORD', 'LOKI_JOB'],
    instead: 'logs go to stdout as JSON; ship them with a collector (Promtail, Alloy, Vector)',
  },
  { names: ['DEBUG', 'PPROF_LISTEN'], instead: 'profile with node --inspect' },
  { names: ['MM4_DEBUG'], instead: 'it had no effect upstream either; use LOG_LEVEL=debug' },
  { names: ['SMPP_BIND_FAILURES_PER_MIN'], instead: 'use LOGIN_FAILURES_PER_IP (per LOGIN_FAILURE_WINDOW_SECS, across the cluster)' },
];

function sectionSchemas(ctx: LoadContext) {
  return {
    node: nodeSchema(ctx),
    web: webSchema(),
    smpp: smppSchema(),
    lockout: lockoutSchema(),
    mm4: mm4Schema(ctx),
    webhook: webhookSchema(),
    carrier: carrierSchema(),
    notifySenderOnFailure: notifySchema(),
    ingressDedupMs: ingressDedupSchema(),
    ingressFirst: ingressFirstSchema(),
    store: storeSchema(ctx),
    bus: busSchema(),
    durable: durableSchema(),
    quota: quotaSchema(),
    log: logSchema(),
    media: mediaSchema(ctx),
    autoReply: autoReplySchema(),
    batch: batchSchema(),
  };
}
type Sections = { [K in keyof ReturnType<typeof sectionSchemas>]: z.output<ReturnType<typeof sectionSchemas>[K]> };

/**
 * Loads the configuration once, for cmd: `.env` in `cwd` under the real environment, every
 * variable validated, defaults applied. Throws one ConfigError listing every problem (secret
 * values never shown). In embedded mode, missing ENCRYPTION_KEY / API_KEY are generated once and
 * kept in `<DATA_DIR>/secrets.json`; in cluster mode they are required.
 */
export async function loadConfig(env: Env, opts: LoadConfigOptions = {}): Promise<Config> {
  const ctx: LoadContext = { cwd: resolve(opts.cwd ?? process.cwd()), ...hostDefaults() };
  const merged = mergeEnv(env, await readEnvFile(ctx.cwd));
  const { sections, problems } = parseSections(merged, ctx);
  const cluster = usesSharedServices(merged);
  const given = { encryptionKey: merged.ENCRYPTION_KEY, apiKey: merged.API_KEY };
  if (cluster) problems.push(...clusterSecretProblems(given));
  if (!sections || problems.length > 0) throw new ConfigError(problems);
  // Only now, with everything valid, may the embedded mode write a secrets file.
  const resolved = cluster ? fromEnvOnly(given) : await resolveEmbeddedSecrets(given, sections.node.dataDir);
  const warnings = [...weakSecretWarnings(given), ...resolved.warnings, ...storeWarnings(merged), ...droppedWarnings(merged)];
  return { ...sections, secrets: resolved.secrets, cluster, warnings };
}

function parseSections(env: Record<string, string>, ctx: LoadContext): { sections?: Sections; problems: string[] } {
  const schemas = sectionSchemas(ctx);
  const problems = new Set<string>();
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const result = (schema as z.ZodType).safeParse(env);
    if (result.success) out[name] = result.data;
    // A variable read by two sections (WEB_LISTEN, SERVER_ADDRESS) fails identically in both; the Set keeps one line.
    else for (const issue of result.error.issues) problems.add(describeIssue(env, issue));
  }
  const list = [...problems];
  return list.length > 0 ? { problems: list } : { sections: out as Sections, problems: list };
}

function describeIssue(env: Record<string, string>, issue: z.core.$ZodIssue): string {
  const name = String(issue.path[0] ?? '(environment)');
  return problem(name, env[name], issue.message);
}

function fromEnvOnly(given: GivenSecrets): ResolvedSecrets {
  // clusterSecretProblems has already rejected a missing key.
  const secrets = {
    encryptionKey: given.encryptionKey as string,
    apiKey: given.apiKey as string,
    apiKeyGenerated: false,
    encryptionKeyGenerated: false,
  };
  return { secrets, warnings: [] };
}

function droppedWarnings(env: Record<string, string>): string[] {
  return DROPPED.flatMap(({ names, instead }) => {
    const set = names.filter((n) => env[n] !== undefined);
    return set.length > 0 ? [`${set.join(', ')} ${set.length > 1 ? 'are' : 'is'} not used by msggw: ${instead}`] : [];
  });
}
