import { describe, expect, it } from 'vitest';
import type { ClientDetails, ClientNumber, ClientSettings, NumberSettings } from '../store/index.js';
import { effectiveLimit, effectiveNumberSettings, effectiveWebhook } from './effective-settings.js';

const limits = {
  smsBurstLimit: 0,
  smsDailyLimit: 0,
  smsMonthlyLimit: 0,
  mmsBurstLimit: 0,
  mmsDailyLimit: 0,
  mmsMonthlyLimit: 0,
  limitBoth: false,
};
const client = (settings: Partial<ClientSettings> | null) =>
  ({ settings: settings && { ...limits, defaultWebhook: '', ...settings } }) as ClientDetails;
const number = (settings: Partial<NumberSettings> | null, webhook = '') =>
  ({ webhook, settings: settings && { ...limits, ...settings } }) as ClientNumber;

describe('effectiveLimit (upstream §12.2, clients_test.go)', () => {
  it("takes the number's limit when above 0, with the number's limit_both", () => {
    expect(effectiveLimit(number({ smsDailyLimit: 5, limitBoth: true }), client({ smsDailyLimit: 100 }), 'sms', 'daily')).toEqual({
      limit: 5,
      source: 'number',
      limitBoth: true,
    });
  });

  it("inherits the client's when the number has 0 or no settings, with the client's limit_both", () => {
    const c = client({ smsDailyLimit: 100, limitBoth: true });
    expect(effectiveLimit(number({ smsDailyLimit: 0, limitBoth: false }), c, 'sms', 'daily')).toEqual({
      limit: 100,
      source: 'client',
      limitBoth: true,
    });
    expect(effectiveLimit(number(null), c, 'sms', 'daily')).toEqual({ limit: 100, source: 'client', limitBoth: true });
  });

  it('is unlimited when neither sets one (or the client has no settings)', () => {
    expect(effectiveLimit(number(null), client(null), 'mms', 'monthly')).toEqual({ limit: 0, source: 'none', limitBoth: false });
    expect(effectiveLimit(number({}), client({ limitBoth: true }), 'sms', 'burst')).toEqual({ limit: 0, source: 'none', limitBoth: true });
  });

  it('resolves each type and period on its own', () => {
    const n = number({ smsMonthlyLimit: 900 });
    const c = client({ smsBurstLimit: 10, smsMonthlyLimit: 5000, mmsDailyLimit: 50 });
    expect(effectiveLimit(n, c, 'sms', 'burst')).toMatchObject({ limit: 10, source: 'client' });
    expect(effectiveLimit(n, c, 'sms', 'monthly')).toMatchObject({ limit: 900, source: 'number' });
    expect(effectiveLimit(n, c, 'mms', 'daily')).toMatchObject({ limit: 50, source: 'client' });
    expect(effectiveLimit(n, c, 'mms', 'burst')).toMatchObject({ limit: 0, source: 'none' });
  });
});

describe('effectiveWebhook (upstream §11.2)', () => {
  it("prefers the number's webhook, then the client's default, else none", () => {
    expect(effectiveWebhook(number(null, 'https://n.test'), client({ defaultWebhook: 'https://c.test' }))).toEqual({
      url: 'https://n.test',
      source: 'number',
    });
    expect(effectiveWebhook(number(null), client({ defaultWebhook: 'https://c.test' }))).toEqual({
      url: 'https://c.test',
      source: 'client',
    });
    expect(effectiveWebhook(number(null), client(null))).toEqual({ url: '', source: 'none' });
  });
});

describe('effectiveNumberSettings', () => {
  it('gathers all six limits and the webhook', () => {
    const view = effectiveNumberSettings(number({ mmsBurstLimit: 2 }, 'https://n.test'), client({ smsDailyLimit: 7 }));
    expect(view.limits.sms.daily).toEqual({ limit: 7, source: 'client', limitBoth: false });
    expect(view.limits.mms.burst).toEqual({ limit: 2, source: 'number', limitBoth: false });
    expect(Object.keys(view.limits.sms)).toEqual(['burst', 'daily', 'monthly']);
    expect(view.webhook.source).toBe('number');
  });
});
