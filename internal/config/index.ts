/**
 * The config room: the only place that reads the environment. cmd calls `loadConfig(process.env)`
 * once and passes each room its section (`cfg.smpp` to smpp, `cfg.bus` to bus, …).
 */
export type {
  Config,
  Env,
  LoadConfigOptions,
  ListenAddress,
  NodeConfig,
  ShutdownConfig,
  WebConfig,
  MetricsConfig,
  SmppConfig,
  SmppTlsConfig,
  LockoutConfig,
  Mm4Config,
  WebhookConfig,
  CarrierEgressConfig,
  StoreConfig,
  BusConfig,
  QuotaConfig,
  SecretsConfig,
  LogConfig,
  MediaConfig,
  AutoReplyConfig,
} from './types.js';
export { LogLevel } from './types.js';
export { loadConfig } from './load.js';
export { ConfigError } from './errors.js';
export { redactConfig, redactUrlCredentials } from './redact.js';
