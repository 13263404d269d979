import type { Router } from '@koa/router';
import { z } from 'zod';
import { randomToken, sha256Hex } from '../../crypto/index.js';
import { NotFoundError, ValidationError } from '../../errors/index.js';
import type { NewApiKey, Store } from '../../store/index.js';
import type { ApiDocs } from '../api-docs.js';
import { apiKeyDto } from '../dto.js';
import type { WebDeps } from '../types.js';
import { count, parseBody, parseId, pathIds, rowId } from '../validation.js';
import { apiKeyView } from '../views.js';

/** Raw keys are `gw_live_` + 64 hex chars (32 random bytes); upstream §4.3. */
export const API_KEY_PREFIX = 'gw_live_';
const API_KEY_RANDOM_BYTES = 32;
/** `gw_live_` + 8 hex: enough to recognise a key in a list without revealing it. */
const KEY_PREFIX_LENGTH = 16;
export const API_KEY_SCOPES = ['send', 'batch', 'usage'] as const;
export const DEFAULT_API_KEY_SCOPES = API_KEY_SCOPES.join(',');
const DEFAULT_KEY_NAME = 'API Key';
const DAY_MS = 86_400_000;

const newApiKeySchema = z
  .object({
    name: z.string().trim(),
    scopes: z.union([z.string(), z.array(z.string())]),
    rate_limit: count,
    /** 0 = never expires; a century is the longest that means anything. */
    expires_in_days: z.number().int().min(0).max(36_500),
    allowed_number_ids: z.array(rowId),
  })
  .partial()
  .meta({ id: 'ApiKeyInput', description: 'scopes: a comma list or an array of send, batch, usage (default all three)' });

/** A comma list of known scopes (deduplicated), the default when none is given. */
export function normalizeScopes(raw: string | string[] | undefined): string {
  const list = (Array.isArray(raw) ? raw : (raw ?? '').split(','))
    .map((scope) => scope.trim().toLowerCase())
    .filter((scope) => scope !== '');
  if (list.length === 0) return DEFAULT_API_KEY_SCOPES;
  const unknown = list.find((scope) => !(API_KEY_SCOPES as readonly string[]).includes(scope));
  if (unknown !== undefined) {
    throw new ValidationError(`Unknown scope "${unknown}": allowed scopes are ${API_KEY_SCOPES.join(', ')}`);
  }
  return [...new Set(list)].join(',');
}

export interface IssuedKey {
  /** Shown once, in the create response; only its SHA-256 is stored. */
  rawKey: string;
  input: NewApiKey;
}

/** POST /clients/{id}/api-keys body → a fresh raw key and what the store keeps of it. */
export function issueApiKey(clientId: number, body: unknown, now: Date = new Date()): IssuedKey {
  const input = parseBody(newApiKeySchema, body);
  const rawKey = API_KEY_PREFIX + randomToken(API_KEY_RANDOM_BYTES);
  const days = input.expires_in_days ?? 0;
  return {
    rawKey,
    input: {
      clientId,
      name: input.name || DEFAULT_KEY_NAME,
      keyHash: sha256Hex(rawKey),
      keyPrefix: rawKey.slice(0, KEY_PREFIX_LENGTH),
      scopes: normalizeScopes(input.scopes),
      rateLimit: input.rate_limit ?? 0,
      expiresAt: days > 0 ? new Date(now.getTime() + days * DAY_MS) : null,
      allowedNumberIds: [...new Set(input.allowed_number_ids ?? [])],
    },
  };
}

/** Every allowed number must be one of the client's own (upstream's 400 text, §5.8). */
async function assertOwnNumbers(store: Store, clientId: number, numberIds: number[]): Promise<void> {
  if (numberIds.length === 0) return;
  const own = new Set((await store.numbers.listByClient(clientId)).map((n) => n.id));
  const foreign = numberIds.find((id) => !own.has(id));
  if (foreign !== undefined) throw new ValidationError(`number ID ${foreign} not found on client ${clientId}`);
}

/** GET/POST /clients/{id}/api-keys, DELETE /clients/{id}/api-keys/{key_id} (upstream §5.8). */
export function registerApiKeyRoutes(router: Router, deps: WebDeps): void {
  const { store, directory, changes } = deps;

  router.get('/clients/:id/api-keys', async (ctx) => {
    const clientId = parseId(ctx.params.id, 'Invalid client ID');
    if (!directory.client(clientId)) throw new NotFoundError('Client not found');
    ctx.body = (await store.apiKeys.listByClient(clientId)).map(apiKeyDto);
  });

  router.post('/clients/:id/api-keys', async (ctx) => {
    const { rawKey, input } = issueApiKey(parseId(ctx.params.id, 'Invalid client ID'), ctx.request.body);
    if (!(await store.clients.get(input.clientId))) throw new NotFoundError('Client not found');
    await assertOwnNumbers(store, input.clientId, input.allowedNumberIds);
    const key = await store.apiKeys.create(input);
    await changes.announce({ kind: 'api_key', id: key.id });
    ctx.status = 201;
    ctx.body = { key: rawKey, ...apiKeyDto(key) } satisfies z.input<typeof issuedKeyView>;
  });

  router.delete('/clients/:id/api-keys/:key_id', async (ctx) => {
    const clientId = parseId(ctx.params.id, 'Invalid client ID');
    const keyId = parseId(ctx.params.key_id, 'Invalid API key ID');
    if (!(await store.apiKeys.revoke(clientId, keyId))) throw new NotFoundError('API key not found');
    await changes.announce({ kind: 'api_key', id: keyId });
    ctx.body = { message: 'API key revoked', key_id: keyId } satisfies z.input<typeof revokedKeyView>;
  });
}

const issuedKeyView = apiKeyView.extend({ key: z.string().meta({ description: 'The raw gw_live_ key, shown only here' }) });
const revokedKeyView = z.object({ message: z.string(), key_id: z.number().int() });

/** The API document's entries for registerApiKeyRoutes. */
export function documentApiKeyRoutes(api: ApiDocs): void {
  const base = { tag: 'API keys', auth: 'admin' } as const;
  api.route({
    ...base,
    method: 'get',
    path: '/clients/{id}/api-keys',
    summary: "List a client's API keys (revoked ones too)",
    params: pathIds('id'),
    responses: { 200: { description: 'The keys, without their hashes', schema: z.array(apiKeyView) } },
  });
  api.route({
    ...base,
    method: 'post',
    path: '/clients/{id}/api-keys',
    summary: 'Issue an API key',
    params: pathIds('id'),
    body: newApiKeySchema,
    responses: { 201: { description: 'The key, with the raw key', schema: issuedKeyView } },
  });
  api.route({
    ...base,
    method: 'delete',
    path: '/clients/{id}/api-keys/{key_id}',
    summary: 'Revoke an API key',
    params: pathIds('id', 'key_id'),
    responses: { 200: { description: 'Revoked', schema: revokedKeyView } },
  });
}
