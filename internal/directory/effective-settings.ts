import type { ClientDetails, ClientNumber, Limits } from '../store/index.js';

export const LimitPeriod = { BURST: 'burst', DAILY: 'daily', MONTHLY: 'monthly' } as const;
export type LimitPeriod = (typeof LimitPeriod)[keyof typeof LimitPeriod];
export type LimitedType = 'sms' | 'mms';

/** Which level a setting came from; 'none' when neither sets it (no limit, no webhook). */
export type SettingSource = 'number' | 'client' | 'none';

export interface EffectiveLimit {
  /** Messages allowed in the period; 0 = unlimited. */
  limit: number;
  source: SettingSource;
  /** Whether inbound counts too: taken from the level that supplied the limit (upstream §13.4). */
  limitBoth: boolean;
}

/** What applies to a number, each value with the level it came from (upstream §13.4). */
export interface EffectiveNumberSettings {
  limits: Record<LimitedType, Record<LimitPeriod, EffectiveLimit>>;
  /** Where web-client deliveries to the number go: its own webhook, else the client's default. */
  webhook: { url: string; source: SettingSource };
}

const LIMIT_FIELDS: Record<LimitedType, Record<LimitPeriod, keyof Omit<Limits, 'limitBoth'>>> = {
  sms: { burst: 'smsBurstLimit', daily: 'smsDailyLimit', monthly: 'smsMonthlyLimit' },
  mms: { burst: 'mmsBurstLimit', daily: 'mmsDailyLimit', monthly: 'mmsMonthlyLimit' },
};

/**
 * Upstream's getEffectiveLimit (§12.2): the number's limit when above 0, with the number's
 * limit_both; else the client's (0 or less = unlimited), with the client's limit_both.
 */
export function effectiveLimit(
  number: Pick<ClientNumber, 'settings'>,
  client: Pick<ClientDetails, 'settings'>,
  type: LimitedType,
  period: LimitPeriod,
): EffectiveLimit {
  const field = LIMIT_FIELDS[type][period];
  const own = number.settings?.[field] ?? 0;
  if (own > 0) return { limit: own, source: 'number', limitBoth: number.settings?.limitBoth ?? false };
  const inherited = client.settings?.[field] ?? 0;
  const limitBoth = client.settings?.limitBoth ?? false;
  return inherited > 0 ? { limit: inherited, source: 'client', limitBoth } : { limit: 0, source: 'none', limitBoth };
}

/** The number's webhook wins over the client's default_webhook (upstream §11.2); decide.ts routes by the same rule. */
export function effectiveWebhook(
  number: Pick<ClientNumber, 'webhook'>,
  client: Pick<ClientDetails, 'settings'>,
): EffectiveNumberSettings['webhook'] {
  if (number.webhook) return { url: number.webhook, source: 'number' };
  const fallback = client.settings?.defaultWebhook ?? '';
  return fallback ? { url: fallback, source: 'client' } : { url: '', source: 'none' };
}

/** Every inherited setting of a number at once (GET /numbers/{id}/effective-settings). */
export function effectiveNumberSettings(number: ClientNumber, client: ClientDetails): EffectiveNumberSettings {
  const periods = (type: LimitedType) => ({
    burst: effectiveLimit(number, client, type, 'burst'),
    daily: effectiveLimit(number, client, type, 'daily'),
    monthly: effectiveLimit(number, client, type, 'monthly'),
  });
  return { limits: { sms: periods('sms'), mms: periods('mms') }, webhook: effectiveWebhook(number, client) };
}
