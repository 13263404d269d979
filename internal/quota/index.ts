/**
 * The quota room: burst, daily and monthly limits for SMS and MMS per client and per number,
 * counted cluster-wide (Redis) or in-process (embedded), in calendar periods of the client's
 * time zone; the usage report of GET /messages/usage; and the per-minute limit of tenant API
 * keys. The router room's IngressRouter calls `gate.admit` for every entry point (REST, SMPP, MM4,
 * carrier webhooks) before a message is stored, and the router workers for msg.in; a refusal
 * becomes QuotaRefusedError: HTTP 429, SMPP ESME_RTHROTTLED, SMTP 452.
 */
export { createQuota, DEFAULT_QUOTA_KEY_PREFIX } from './create.js';
export type { Quota, QuotaOptions, QuotaDeps } from './create.js';
export { createCounters } from './counters.js';
export type { Counters, CounterBackend, CounterValue, CounterLimit, AddWithinResult } from './counters.js';
export { CounterQuotaGate } from './gate.js';
export type { CounterQuotaGateDeps } from './gate.js';
export { CounterQuotaUsage } from './usage.js';
export type { CounterQuotaUsageDeps } from './usage.js';
export { createApiKeyLimit, API_KEY_WINDOW_SECS } from './api-key-limit.js';
export { QuotaRefusedError, limitExceededError, apiKeyRateError, RATE_LIMIT_EXCEEDED } from './errors.js';
export { quotaUnits } from './units.js';
export {
  Period,
  PERIODS,
  BURST_WINDOW_MS,
  PeriodCalendar,
  resolveZone,
  dayWindow,
  monthWindow,
  burstWindow,
  formatInZone,
} from './periods.js';
export type { PeriodWindow, PeriodWindows, LocalDate } from './periods.js';
export type {
  QuotaGate,
  QuotaRequest,
  QuotaDecision,
  QuotaRefusal,
  Admission,
  QuotaMessageType,
  QuotaDirection,
  LimitLevel,
  QuotaUsage,
  UsageReport,
  PeriodUsage,
  NumberUsage,
  ApiKeyLimit,
  QuotaView,
} from './types.js';
