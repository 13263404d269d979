-- The tables of a gomsggw database that `msggw import` reads, as gomsggw's GORM AutoMigrate
-- creates them (upstream-behaviour.md §3): column names, types, defaults and unique keys.
CREATE TABLE carriers (
  id bigserial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  type text NOT NULL,
  username text NOT NULL,
  password text NOT NULL,
  uuid text NOT NULL UNIQUE,
  profile_id text
);

CREATE TABLE clients (
  id bigserial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password text NOT NULL,
  address text,
  name text,
  type text DEFAULT 'legacy',
  timezone text DEFAULT 'UTC',
  log_privacy boolean
);

CREATE TABLE client_settings (
  id bigserial PRIMARY KEY,
  client_id bigint NOT NULL UNIQUE REFERENCES clients(id),
  auth_method text DEFAULT 'basic',
  api_format text DEFAULT 'generic',
  disable_message_splitting boolean DEFAULT false,
  webhook_retries bigint DEFAULT 0,
  webhook_timeout_secs bigint DEFAULT 0,
  include_raw_segments boolean DEFAULT false,
  default_webhook text,
  sms_burst_limit bigint DEFAULT 0,
  sms_daily_limit bigint DEFAULT 0,
  sms_monthly_limit bigint DEFAULT 0,
  mms_burst_limit bigint DEFAULT 0,
  mms_daily_limit bigint DEFAULT 0,
  mms_monthly_limit bigint DEFAULT 0,
  limit_both boolean DEFAULT false
);

CREATE TABLE client_numbers (
  id bigserial PRIMARY KEY,
  client_id bigint NOT NULL REFERENCES clients(id),
  number text NOT NULL UNIQUE,
  carrier text,
  tag text,
  "group" text,
  ignore_stop_cmd_sending boolean NOT NULL DEFAULT false,
  web_hook text
);
CREATE INDEX idx_client_numbers_client_id ON client_numbers (client_id);

CREATE TABLE number_settings (
  id bigserial PRIMARY KEY,
  number_id bigint NOT NULL UNIQUE REFERENCES client_numbers(id),
  sms_burst_limit bigint DEFAULT 0,
  sms_daily_limit bigint DEFAULT 0,
  sms_monthly_limit bigint DEFAULT 0,
  mms_burst_limit bigint DEFAULT 0,
  mms_daily_limit bigint DEFAULT 0,
  mms_monthly_limit bigint DEFAULT 0,
  limit_both boolean DEFAULT false,
  auto_reply_enabled boolean DEFAULT false,
  auto_reply_message text DEFAULT '',
  auto_reply_cooldown_secs bigint DEFAULT 60
);

CREATE TABLE client_failovers (
  id bigserial PRIMARY KEY,
  primary_client_id bigint NOT NULL REFERENCES clients(id),
  fallback_client_id bigint NOT NULL,
  priority bigint NOT NULL DEFAULT 0,
  enabled boolean DEFAULT true
);
CREATE UNIQUE INDEX idx_primary_fallback ON client_failovers (primary_client_id, fallback_client_id);

CREATE TABLE tenant_api_keys (
  id bigserial PRIMARY KEY,
  client_id bigint NOT NULL,
  name text,
  key_hash text,
  key_prefix text,
  scopes text,
  rate_limit bigint,
  active boolean DEFAULT true,
  expires_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz
);
CREATE UNIQUE INDEX idx_tenant_api_keys_key_hash ON tenant_api_keys (key_hash);
CREATE INDEX idx_tenant_api_keys_client_id ON tenant_api_keys (client_id);

CREATE TABLE api_key_numbers (
  id bigserial PRIMARY KEY,
  api_key_id bigint REFERENCES tenant_api_keys(id),
  number_id bigint,
  number text
);

CREATE TABLE media_files (
  id bigserial PRIMARY KEY,
  access_token varchar(36),
  file_name text,
  content_type text,
  base64_data text,
  upload_at timestamptz,
  expires_at timestamptz
);
CREATE UNIQUE INDEX idx_media_files_access_token ON media_files (access_token);
CREATE INDEX idx_media_files_expires_at ON media_files (expires_at);
