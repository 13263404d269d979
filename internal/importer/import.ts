import { ConflictError, NotFoundError, ValidationError } from '../errors/index.js';
import { decodeBase64Strict, decryptLegacy, SecretError } from '../crypto/index.js';
import {
  ApiFormat,
  AuthMethod,
  ClientType,
  GOMSGGW_SPLIT_METHOD,
  type ClientSettingsPatch,
  type NumberSettingsPatch,
  type Store,
} from '../store/index.js';
import { normalizeE164 } from '../../proto/e164.js';
import { isCarrierType } from '../../proto/carrier-types.js';
import {
  ImportAction,
  ImportKind,
  type GomsggwApiKey,
  type GomsggwCarrier,
  type GomsggwClient,
  type GomsggwFailover,
  type GomsggwMediaFile,
  type GomsggwNumber,
  type GomsggwSource,
  type ImportEvent,
  type ImportOptions,
  type ImportReport,
} from './types.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** gomsggw treats a cooldown of 0 or less as 60 s at run time (upstream §3.5); msggw is told so. */
const GOMSGGW_AUTO_REPLY_COOLDOWN_SECS = 60;

/** A row that cannot be taken; the message is the reason the report gives. */
class Unimportable extends Error {}

/**
 * Brings a gomsggw database into the store, parents first: carriers, clients with their settings,
 * numbers with theirs, failovers, API keys, media. Rows are matched by gomsggw's natural keys
 * (carrier name, client username, number, the pair of clients, key hash, media token), so a
 * second run creates nothing twice; where a row exists, the gomsggw values it differs in are
 * written over it. A row that cannot be taken is skipped with its reason and the rest go on.
 */
export async function importGomsggw(source: GomsggwSource, store: Store, options: ImportOptions): Promise<ImportReport> {
  const run = new ImportRun(store, options);
  await run.each(
    ImportKind.CARRIER,
    await source.carriers(),
    (c) => c.name,
    (c) => run.carrier(c),
  );
  const clients = await source.clients();
  for (const c of clients) run.usernames.set(c.id, c.username);
  await run.each(
    ImportKind.CLIENT,
    clients,
    (c) => c.username,
    (c) => run.client(c),
  );
  await run.each(
    ImportKind.NUMBER,
    await source.numbers(),
    (n) => n.number,
    (n) => run.number(n),
  );
  await run.each(
    ImportKind.FAILOVER,
    await source.failovers(),
    (f) => run.pairName(f),
    (f) => run.failover(f),
  );
  await run.each(
    ImportKind.API_KEY,
    await source.apiKeys(),
    (k) => k.keyPrefix || `#${k.id}`,
    (k) => run.apiKey(k),
  );
  await run.each(
    ImportKind.MEDIA,
    source.media(),
    (m) => m.token,
    (m) => run.media(m),
  );
  return { dryRun: options.dryRun, events: run.events };
}

/** What a row did: created, or the names of the fields it updated ([] = unchanged). */
type Outcome = { created: true; detail?: string } | { created: false; updated: string[] };

class ImportRun {
  readonly events: ImportEvent[] = [];
  /** gomsggw client id → username, for naming failovers. */
  readonly usernames = new Map<number, string>();
  private readonly carrierNames = new Set<string>();
  /** gomsggw id → msggw id (a negative stand-in in a dry run, for rows not yet written). */
  private readonly clientIds = new Map<number, number>();
  private readonly numberIds = new Map<number, { id: number; clientId: number }>();
  private standIn = 0;

  constructor(
    private readonly store: Store,
    private readonly options: ImportOptions,
  ) {}

  async each<T>(
    kind: ImportKind,
    rows: Iterable<T> | AsyncIterable<T>,
    key: (row: T) => string,
    take: (row: T) => Promise<Outcome>,
  ): Promise<void> {
    const total = Array.isArray(rows) ? rows.length : undefined;
    let done = 0;
    for await (const row of rows) {
      await this.take(kind, key(row), () => take(row));
      this.options.onProgress?.({ kind, done: ++done, total });
    }
  }

  /** One row: its outcome becomes an event; a row the store refuses is skipped, not fatal. */
  private async take(kind: ImportKind, key: string, take: () => Promise<Outcome>): Promise<void> {
    const event = { kind, key };
    try {
      const outcome = await take();
      if (outcome.created) this.events.push({ ...event, action: ImportAction.CREATE, detail: outcome.detail ?? '' });
      else if (outcome.updated.length > 0) this.events.push({ ...event, action: ImportAction.UPDATE, detail: outcome.updated.join(', ') });
      else this.events.push({ ...event, action: ImportAction.UNCHANGED, detail: '' });
    } catch (err) {
      // A duplicate or a missing parent concerns this row only; an unreachable store ends the run.
      if (!(err instanceof Unimportable || err instanceof ConflictError || err instanceof NotFoundError || err instanceof ValidationError))
        throw err;
      this.events.push({ ...event, action: ImportAction.SKIP, detail: err.message });
    }
  }

  pairName(f: GomsggwFailover): string {
    const name = (id: number) => this.usernames.get(id) ?? `#${id}`;
    return `${name(f.primaryClientId)} -> ${name(f.fallbackClientId)}`;
  }

  async carrier(c: GomsggwCarrier): Promise<Outcome> {
    const type = c.type.toLowerCase();
    if (!isCarrierType(type)) throw new Unimportable(`unknown carrier type '${c.type}'`);
    const wanted = { type, username: c.username, password: this.decrypt(c.password), profileId: c.profileId };
    const existing = await this.store.carriers.getByName(c.name);
    this.carrierNames.add(c.name);
    if (existing) {
      const patch = changed(existing, wanted);
      if (patch.length > 0) await this.write(() => this.store.carriers.update(existing.id, pick(wanted, patch)));
      return { created: false, updated: patch };
    }
    const sameUuid = await this.store.carriers.getByUuid(c.uuid);
    if (sameUuid) throw new Unimportable(`uuid ${c.uuid} is already carrier '${sameUuid.name}'`);
    await this.write(() =>
      this.store.carriers.create({
        ...wanted,
        name: c.name,
        uuid: c.uuid,
        apiBaseUrl: '',
        verifyWebhooks: true,
        publicKey: '',
        maxRps: 0,
      }),
    );
    return { created: true, detail: 'no public_key: inbound webhooks unsigned, as gomsggw took them' };
  }

  async client(c: GomsggwClient): Promise<Outcome> {
    if (c.username === '') throw new Unimportable('empty username');
    const type = c.type.toLowerCase() || ClientType.LEGACY;
    if (type !== ClientType.LEGACY && type !== ClientType.WEB) throw new Unimportable(`unknown client type '${c.type}'`);
    const password = this.decrypt(c.password);
    const settings = clientSettings(c);
    const fields = { name: c.name, address: c.address, timezone: c.timezone || 'UTC', logPrivacy: c.logPrivacy };
    const existing = await this.store.clients.getByUsername(c.username);
    if (!existing) {
      const id = await this.write(async () => {
        const created = await this.store.clients.create({ ...fields, username: c.username, password, type });
        // Created through the store, the client got msggw's split method; gomsggw sent plain parts.
        await this.store.clients.upsertSettings(created.id, { ...settings, splitMethod: GOMSGGW_SPLIT_METHOD });
        return created.id;
      });
      this.clientIds.set(c.id, id);
      return { created: true };
    }
    this.clientIds.set(c.id, existing.id);
    const patch = changed(existing, fields);
    const settingsPatch = changed(existing.settings ?? {}, settings);
    const passwordChanged = existing.password !== password;
    await this.write(async () => {
      if (patch.length > 0) await this.store.clients.update(existing.id, pick(fields, patch));
      if (settingsPatch.length > 0) await this.store.clients.upsertSettings(existing.id, pick(settings, settingsPatch));
      if (passwordChanged) await this.store.clients.setPassword(existing.id, password);
    });
    return { created: false, updated: [...patch, ...settingsPatch, ...(passwordChanged ? ['password'] : [])] };
  }

  async number(n: GomsggwNumber): Promise<Outcome> {
    const clientId = this.clientIds.get(n.clientId);
    if (clientId === undefined) throw new Unimportable(`its client #${n.clientId} was not imported`);
    const e164 = normalizeE164(n.number);
    if (!e164) throw new Unimportable(`'${n.number}' is not an E.164 number`);
    if (!this.carrierNames.has(n.carrier)) throw new Unimportable(`carrier '${n.carrier}' was not imported`);
    const fields = { carrier: n.carrier, tag: n.tag, group: n.group, webhook: n.webhook, ignoreStopCmdSending: n.ignoreStopCmdSending };
    const settings = numberSettings(n);
    const existing = await this.store.numbers.getByNumber(e164);
    if (!existing) {
      const id = await this.write(async () => {
        const created = await this.store.numbers.create({ ...fields, clientId, number: e164 });
        if (settings) await this.store.numbers.upsertSettings(created.id, settings);
        return created.id;
      });
      this.numberIds.set(n.id, { id, clientId });
      return { created: true, detail: e164 === `+${n.number}` ? '' : `as ${e164}` };
    }
    if (existing.clientId !== clientId) throw new Unimportable(`${e164} already belongs to another msggw client (#${existing.clientId})`);
    this.numberIds.set(n.id, { id: existing.id, clientId });
    const patch = changed(existing, fields);
    const settingsPatch = settings ? changed(existing.settings ?? {}, settings) : [];
    await this.write(async () => {
      if (patch.length > 0) await this.store.numbers.update(existing.id, pick(fields, patch));
      if (settingsPatch.length > 0) await this.store.numbers.upsertSettings(existing.id, pick(settings!, settingsPatch));
    });
    return { created: false, updated: [...patch, ...settingsPatch] };
  }

  async failover(f: GomsggwFailover): Promise<Outcome> {
    const primaryClientId = this.clientIds.get(f.primaryClientId);
    const fallbackClientId = this.clientIds.get(f.fallbackClientId);
    if (primaryClientId === undefined) throw new Unimportable(`primary client #${f.primaryClientId} was not imported`);
    if (fallbackClientId === undefined) throw new Unimportable(`fallback client #${f.fallbackClientId} was not imported`);
    if (primaryClientId === fallbackClientId) throw new Unimportable('a client cannot fail over to itself');
    const wanted = { priority: f.priority, enabled: f.enabled };
    const existing =
      primaryClientId < 0
        ? undefined
        : (await this.store.failovers.listByPrimary(primaryClientId)).find((e) => e.fallbackClientId === fallbackClientId);
    if (!existing) {
      await this.write(async () => {
        const created = await this.store.failovers.create({ primaryClientId, fallbackClientId, priority: f.priority });
        if (!f.enabled) await this.store.failovers.update(created.id, { enabled: false });
      });
      return { created: true };
    }
    const patch = changed(existing, wanted);
    if (patch.length > 0) await this.write(() => this.store.failovers.update(existing.id, pick(wanted, patch)));
    return { created: false, updated: patch };
  }

  async apiKey(k: GomsggwApiKey): Promise<Outcome> {
    if (!SHA256_HEX.test(k.keyHash)) throw new Unimportable('key_hash is not a SHA-256 hex digest');
    const clientId = this.clientIds.get(k.clientId);
    if (clientId === undefined) throw new Unimportable(`its client #${k.clientId} was not imported`);
    const allowedNumberIds = k.numberIds.map((old) => {
      const number = this.numberIds.get(old);
      // Left out, the number would widen the key to every number of the client.
      if (!number || number.clientId !== clientId) throw new Unimportable(`its allowed number #${old} was not imported`);
      return number.id;
    });
    const existing = await this.store.apiKeys.getByHash(k.keyHash);
    if (existing) {
      if (existing.clientId !== clientId) throw new Unimportable(`the key hash already belongs to msggw client #${existing.clientId}`);
      const revoke = existing.active && !k.active;
      if (revoke) await this.write(() => this.store.apiKeys.revoke(clientId, existing.id));
      return { created: false, updated: revoke ? ['active'] : [] };
    }
    await this.write(async () => {
      const created = await this.store.apiKeys.create({
        clientId,
        name: k.name,
        keyHash: k.keyHash,
        keyPrefix: k.keyPrefix,
        scopes: k.scopes,
        rateLimit: k.rateLimit,
        expiresAt: k.expiresAt,
        allowedNumberIds,
      });
      if (!k.active) await this.store.apiKeys.revoke(clientId, created.id);
      if (k.lastUsedAt) await this.store.apiKeys.touch(created.id, k.lastUsedAt);
    });
    return { created: true };
  }

  async media(m: GomsggwMediaFile): Promise<Outcome> {
    if (m.expiresAt.getTime() <= this.options.now.getTime()) throw new Unimportable('expired');
    const bytes = decodeBase64Strict(m.base64Data);
    if (!bytes) throw new Unimportable('base64_data is not valid base64');
    if (await this.store.media.get(m.token, this.options.now)) return { created: false, updated: [] };
    await this.write(() =>
      this.store.media.insert({
        token: m.token,
        fileName: m.fileName,
        contentType: m.contentType,
        bytes,
        uploadAt: m.uploadAt,
        expiresAt: m.expiresAt,
      }),
    );
    return { created: true };
  }

  private decrypt(stored: string): string {
    try {
      return decryptLegacy(this.options.encryptionKey, stored);
    } catch (err) {
      if (!(err instanceof SecretError)) throw err;
      throw new Unimportable(`password cannot be decrypted with this ENCRYPTION_KEY (${err.message})`);
    }
  }

  /** Runs a write, or in a dry run skips it and gives a stand-in id for the row it would make. */
  private async write<T>(fn: () => Promise<T>): Promise<T | number> {
    if (this.options.dryRun) return --this.standIn;
    return fn();
  }
}

function clientSettings(c: GomsggwClient): ClientSettingsPatch {
  const s = c.settings;
  if (!s) return {};
  const authMethod = s.authMethod.toLowerCase();
  const apiFormat = s.apiFormat.toLowerCase() || ApiFormat.GENERIC;
  if (!Object.values(ApiFormat).includes(apiFormat as ApiFormat)) throw new Unimportable(`unknown api_format '${s.apiFormat}'`);
  // disable_message_splitting is left out: gomsggw stored it without acting on it.
  return {
    authMethod: authMethod === AuthMethod.BASIC || authMethod === AuthMethod.BEARER ? authMethod : null,
    apiFormat: apiFormat as ApiFormat,
    webhookRetries: s.webhookRetries,
    webhookTimeoutSecs: s.webhookTimeoutSecs,
    includeRawSegments: s.includeRawSegments,
    defaultWebhook: s.defaultWebhook,
    smsBurstLimit: s.smsBurstLimit,
    smsDailyLimit: s.smsDailyLimit,
    smsMonthlyLimit: s.smsMonthlyLimit,
    mmsBurstLimit: s.mmsBurstLimit,
    mmsDailyLimit: s.mmsDailyLimit,
    mmsMonthlyLimit: s.mmsMonthlyLimit,
    limitBoth: s.limitBoth,
  };
}

function numberSettings(n: GomsggwNumber): NumberSettingsPatch | undefined {
  const s = n.settings;
  if (!s) return undefined;
  return {
    ...s,
    autoReplyCooldownSecs: s.autoReplyCooldownSecs > 0 ? s.autoReplyCooldownSecs : GOMSGGW_AUTO_REPLY_COOLDOWN_SECS,
  };
}

/** Names of the fields of `wanted` whose values differ in `current`. */
function changed(current: object, wanted: object): string[] {
  const have = current as Record<string, unknown>;
  return Object.entries(wanted)
    .filter(([k, v]) => have[k] !== v)
    .map(([k]) => k);
}

function pick<T extends object>(values: T, keys: string[]): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => keys.includes(k))) as Partial<T>;
}
