import { z } from 'zod';
import {
  DEFAULT_CARRIER_RETRIES,
  DEFAULT_CARRIER_RETRY_DELAY_SECS,
  DEFAULT_CARRIER_TIMEOUT_SECS,
  DEFAULT_HAPROXY_PROXY_PROTOCOL,
  DEFAULT_MM4_LISTEN,
  DEFAULT_MM4_MAX_CONNECTIONS,
  DEFAULT_MM4_MAX_CONNECTIONS_PER_IP,
  DEFAULT_MM4_SOCKET_TIMEOUT_SECS,
  DEFAULT_MM4_MAX_MESSAGE_BYTES,
  DEFAULT_MM4_RETRIES,
  DEFAULT_MM4_TIMEOUT_SECS,
  DEFAULT_PROMETHEUS_PATH,
  DEFAULT_SMPP_LISTEN,
  DEFAULT_SMPP_MAX_DELIVER,
  DEFAULT_SMPP_BIND_TIMEOUT_SECS,
  DEFAULT_SMPP_MAX_CONNECTIONS,
  DEFAULT_SMPP_MAX_CONNECTIONS_PER_IP,
  DEFAULT_SMPP_ENQUIRE_LINK_SECS,
  DEFAULT_SMPP_INACTIVITY_SECS,
  DEFAULT_SMPP_QUEUE_MAX_AGE_SECS,
  DEFAULT_SMPP_FAILOVER_GRACE_SECS,
  DEFAULT_SMPP_REASSEMBLY_TTL_SECS,
  DEFAULT_SMPP_REASSEMBLY_MAX_SETS,
  DEFAULT_SMPP_REASSEMBLY_MAX_BYTES,
  DEFAULT_SMPP_RETRIES,
  DEFAULT_SMPP_TIMEOUT_SECS,
  DEFAULT_SMPP_WINDOW,
  DEFAULT_TRUSTED_PROXIES,
  DEFAULT_WEBHOOK_MEDIA_BASE64_MAX_BYTES,
  DEFAULT_WEBHOOK_RETRIES,
  DEFAULT_WEBHOOK_RETRY_DELAY_SECS,
  DEFAULT_WEBHOOK_TIMEOUT_SECS,
  DEFAULT_WEB_LISTEN,
  DEFAULT_WEB_MAX_CONNECTIONS,
  DEFAULT_WEB_MAX_CONNECTIONS_PER_IP,
} from './defaults.js';
import {
  field,
  fieldOr,
  parseBaseUrl,
  parseBool,
  parseCidrList,
  parseDefault,
  parseListen,
  parseUrlPath,
  text,
  wholeNumber,
} from './fields.js';
import type { LoadContext } from './sections-node.js';
import type { CarrierEgressConfig, Mm4Config, SmppConfig, WebConfig, WebhookConfig } from './types.js';

const SECOND_MS = 1000;
const count = wholeNumber(0);
// A zero timeout would abort every call at once (upstream silently mapped SMPP 0 to 30 s).
const seconds = wholeNumber(1);
const listen = (fallback: string) => fieldOr(parseListen, parseDefault(parseListen, fallback));
const proxyProtocol = fieldOr(parseBool, DEFAULT_HAPROXY_PROXY_PROTOCOL);
const trustedProxies = fieldOr(parseCidrList, DEFAULT_TRUSTED_PROXIES);

/**
 * HAPROXY_PROXY_PROTOCOL=true with TRUSTED_PROXIES empty would make the SMPP and MM4 listeners
 * refuse every connection (only a trusted peer may send a PROXY header): a start-up error names
 * the cause, where a running node serving nobody would not.
 */
function proxyNeedsTrust(e: { HAPROXY_PROXY_PROTOCOL: boolean; TRUSTED_PROXIES: readonly string[] }, ctx: z.RefinementCtx): void {
  if (e.HAPROXY_PROXY_PROTOCOL && e.TRUSTED_PROXIES.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['HAPROXY_PROXY_PROTOCOL'],
      message:
        "needs TRUSTED_PROXIES (the load balancers' addresses): PROXY headers are accepted only from them, so with none every SMPP and MM4 connection would be refused",
    });
  }
}

export function webSchema() {
  return z
    .object({
      WEB_LISTEN: listen(DEFAULT_WEB_LISTEN),
      PROMETHEUS_LISTEN: field(parseListen),
      PROMETHEUS_PATH: fieldOr(parseUrlPath, DEFAULT_PROMETHEUS_PATH),
      TRUSTED_PROXIES: trustedProxies,
      WEB_MAX_CONNECTIONS: fieldOr(count, DEFAULT_WEB_MAX_CONNECTIONS),
      WEB_MAX_CONNECTIONS_PER_IP: fieldOr(count, DEFAULT_WEB_MAX_CONNECTIONS_PER_IP),
    })
    .transform((e): WebConfig => ({
      listen: e.WEB_LISTEN,
      metrics: { listen: e.PROMETHEUS_LISTEN, path: e.PROMETHEUS_PATH },
      trustedProxies: [...e.TRUSTED_PROXIES], // a copy: the default list is shared
      maxConnections: e.WEB_MAX_CONNECTIONS,
      maxConnectionsPerIp: e.WEB_MAX_CONNECTIONS_PER_IP,
    }));
}

export function smppSchema() {
  return z
    .object({
      SMPP_LISTEN: listen(DEFAULT_SMPP_LISTEN),
      SMPP_RETRIES: fieldOr(count, DEFAULT_SMPP_RETRIES),
      SMPP_TIMEOUT_SECS: fieldOr(seconds, DEFAULT_SMPP_TIMEOUT_SECS),
      HAPROXY_PROXY_PROTOCOL: proxyProtocol,
      TRUSTED_PROXIES: trustedProxies,
      SMPP_WINDOW: fieldOr(wholeNumber(1), DEFAULT_SMPP_WINDOW),
      SMPP_ENQUIRE_LINK_SECS: fieldOr(count, DEFAULT_SMPP_ENQUIRE_LINK_SECS),
      SMPP_INACTIVITY_SECS: fieldOr(count, DEFAULT_SMPP_INACTIVITY_SECS),
      SMPP_TLS_LISTEN: field(parseListen),
      SMPP_TLS_CERT: field(text),
      SMPP_TLS_KEY: field(text),
      SMPP_REASSEMBLY_TTL_SECS: fieldOr(seconds, DEFAULT_SMPP_REASSEMBLY_TTL_SECS),
      SMPP_REASSEMBLY_MAX_SETS: fieldOr(wholeNumber(1), DEFAULT_SMPP_REASSEMBLY_MAX_SETS),
      SMPP_REASSEMBLY_MAX_BYTES: fieldOr(wholeNumber(1024), DEFAULT_SMPP_REASSEMBLY_MAX_BYTES),
      SMPP_QUEUE_MAX_AGE_SECS: fieldOr(seconds, DEFAULT_SMPP_QUEUE_MAX_AGE_SECS),
      SMPP_MAX_DELIVER: fieldOr(wholeNumber(2), DEFAULT_SMPP_MAX_DELIVER),
      SMPP_FAILOVER_GRACE_SECS: fieldOr(count, DEFAULT_SMPP_FAILOVER_GRACE_SECS),
      SMPP_BIND_TIMEOUT_SECS: fieldOr(seconds, DEFAULT_SMPP_BIND_TIMEOUT_SECS),
      SMPP_MAX_CONNECTIONS: fieldOr(count, DEFAULT_SMPP_MAX_CONNECTIONS),
      SMPP_MAX_CONNECTIONS_PER_IP: fieldOr(count, DEFAULT_SMPP_MAX_CONNECTIONS_PER_IP),
    })
    .superRefine((e, ctx) => {
      proxyNeedsTrust(e, ctx);
      if (!e.SMPP_TLS_LISTEN) return;
      for (const name of ['SMPP_TLS_CERT', 'SMPP_TLS_KEY'] as const) {
        if (!e[name]) ctx.addIssue({ code: 'custom', path: [name], message: 'required (a PEM file) when SMPP_TLS_LISTEN is set' });
      }
    })
    .transform((e): SmppConfig => ({
      listen: e.SMPP_LISTEN,
      retries: e.SMPP_RETRIES,
      timeoutMs: e.SMPP_TIMEOUT_SECS * SECOND_MS,
      proxyProtocol: e.HAPROXY_PROXY_PROTOCOL,
      trustedProxies: [...e.TRUSTED_PROXIES],
      windowSize: e.SMPP_WINDOW,
      enquireLinkIntervalMs: e.SMPP_ENQUIRE_LINK_SECS * SECOND_MS,
      inactivityTimeoutMs: e.SMPP_INACTIVITY_SECS * SECOND_MS,
      tls: e.SMPP_TLS_LISTEN
        ? { listen: e.SMPP_TLS_LISTEN, certFile: e.SMPP_TLS_CERT as string, keyFile: e.SMPP_TLS_KEY as string }
        : undefined,
      reassemblyTtlMs: e.SMPP_REASSEMBLY_TTL_SECS * SECOND_MS,
      reassemblyLimits: {
        maxOpenSetsPerClient: e.SMPP_REASSEMBLY_MAX_SETS,
        maxOpenBytesPerClient: e.SMPP_REASSEMBLY_MAX_BYTES,
      },
      queueMaxAgeMs: e.SMPP_QUEUE_MAX_AGE_SECS * SECOND_MS,
      maxDeliver: e.SMPP_MAX_DELIVER,
      failoverGraceMs: e.SMPP_FAILOVER_GRACE_SECS * SECOND_MS,
      bindTimeoutMs: e.SMPP_BIND_TIMEOUT_SECS * SECOND_MS,
      maxConnections: e.SMPP_MAX_CONNECTIONS,
      maxConnectionsPerIp: e.SMPP_MAX_CONNECTIONS_PER_IP,
    }));
}

/** MM4. Reads SERVER_ADDRESS only for MM4_MSG_ID_HOST's default (node reports its errors). */
export function mm4Schema(ctx: LoadContext) {
  return z
    .object({
      MM4_LISTEN: listen(DEFAULT_MM4_LISTEN),
      MM4_RETRIES: fieldOr(count, DEFAULT_MM4_RETRIES),
      MM4_TIMEOUT_SECS: fieldOr(seconds, DEFAULT_MM4_TIMEOUT_SECS),
      MM4_ORIGINATOR_SYSTEM: fieldOr(text, `system@${ctx.hostname}`),
      MM4_MSG_ID_HOST: field(text),
      MM4_MAX_MESSAGE_BYTES: fieldOr(wholeNumber(1024), DEFAULT_MM4_MAX_MESSAGE_BYTES),
      SERVER_ADDRESS: field(parseBaseUrl),
      HAPROXY_PROXY_PROTOCOL: proxyProtocol,
      TRUSTED_PROXIES: trustedProxies,
      MM4_MAX_CONNECTIONS: fieldOr(count, DEFAULT_MM4_MAX_CONNECTIONS),
      MM4_MAX_CONNECTIONS_PER_IP: fieldOr(count, DEFAULT_MM4_MAX_CONNECTIONS_PER_IP),
      MM4_SOCKET_TIMEOUT_SECS: fieldOr(seconds, DEFAULT_MM4_SOCKET_TIMEOUT_SECS),
    })
    .superRefine(proxyNeedsTrust)
    .transform((e): Mm4Config => ({
      listen: e.MM4_LISTEN,
      retries: e.MM4_RETRIES,
      timeoutMs: e.MM4_TIMEOUT_SECS * SECOND_MS,
      originatorSystem: e.MM4_ORIGINATOR_SYSTEM,
      // The default SERVER_ADDRESS is http://localhost:<port>, hence 'localhost'.
      msgIdHost: e.MM4_MSG_ID_HOST ?? (e.SERVER_ADDRESS ? new URL(e.SERVER_ADDRESS).hostname : 'localhost'),
      proxyProtocol: e.HAPROXY_PROXY_PROTOCOL,
      trustedProxies: [...e.TRUSTED_PROXIES],
      maxMessageBytes: e.MM4_MAX_MESSAGE_BYTES,
      maxConnections: e.MM4_MAX_CONNECTIONS,
      maxConnectionsPerIp: e.MM4_MAX_CONNECTIONS_PER_IP,
      socketTimeoutMs: e.MM4_SOCKET_TIMEOUT_SECS * SECOND_MS,
    }));
}

export function webhookSchema() {
  return z
    .object({
      WEBHOOK_RETRIES: fieldOr(count, DEFAULT_WEBHOOK_RETRIES),
      WEBHOOK_TIMEOUT_SECS: fieldOr(seconds, DEFAULT_WEBHOOK_TIMEOUT_SECS),
      WEBHOOK_RETRY_DELAY_SECS: fieldOr(count, DEFAULT_WEBHOOK_RETRY_DELAY_SECS),
      WEBHOOK_MEDIA_BASE64_MAX_BYTES: fieldOr(count, DEFAULT_WEBHOOK_MEDIA_BASE64_MAX_BYTES),
    })
    .transform((e): WebhookConfig => ({
      retries: e.WEBHOOK_RETRIES,
      timeoutMs: e.WEBHOOK_TIMEOUT_SECS * SECOND_MS,
      retryDelayMs: e.WEBHOOK_RETRY_DELAY_SECS * SECOND_MS,
      mediaBase64MaxBytes: e.WEBHOOK_MEDIA_BASE64_MAX_BYTES,
    }));
}

export function carrierSchema() {
  return z
    .object({
      CARRIER_RETRIES: fieldOr(count, DEFAULT_CARRIER_RETRIES),
      CARRIER_TIMEOUT_SECS: fieldOr(seconds, DEFAULT_CARRIER_TIMEOUT_SECS),
      CARRIER_RETRY_DELAY_SECS: fieldOr(count, DEFAULT_CARRIER_RETRY_DELAY_SECS),
    })
    .transform((e): CarrierEgressConfig => ({
      retries: e.CARRIER_RETRIES,
      timeoutMs: e.CARRIER_TIMEOUT_SECS * SECOND_MS,
      retryDelayMs: e.CARRIER_RETRY_DELAY_SECS * SECOND_MS,
    }));
}
