import type { Selectable } from 'kysely';
import type {
  Carrier,
  Client,
  ClientFailover,
  ClientNumber,
  ClientSettings,
  NumberSettings,
  TenantApiKey,
  ApiKeyNumber,
  ClientType,
  ApiFormat,
  AuthMethod,
  SplitMethod,
} from '../types.js';
import type {
  CarriersTable,
  ClientFailoversTable,
  ClientNumbersTable,
  ClientSettingsTable,
  ClientsTable,
  NumberSettingsTable,
  TenantApiKeysTable,
  ApiKeyNumbersTable,
} from '../schema.js';
import { carrierPasswordBinding, clientPasswordBinding, type SecretCodec } from '../secrets.js';

/** Row → domain mappers, one place so every repo shapes objects the same way. */

const toDate = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const toDateOrNull = (v: Date | string | null): Date | null => (v === null ? null : toDate(v));

export function toClient(row: Selectable<ClientsTable>, codec: SecretCodec): Client {
  return {
    id: row.id,
    username: row.username,
    password: codec.decrypt(row.password, clientPasswordBinding(row.id)),
    address: row.address,
    name: row.name,
    type: row.type as ClientType,
    timezone: row.timezone,
    logPrivacy: row.logPrivacy,
    createdAt: toDate(row.createdAt),
    updatedAt: toDate(row.updatedAt),
  };
}

/** disable_message_splitting is read from split_method: a gomsggw row may hold a stale true. */
export function toClientSettings(row: Selectable<ClientSettingsTable>): ClientSettings {
  const splitMethod = row.splitMethod as SplitMethod;
  return {
    ...row,
    authMethod: row.authMethod as AuthMethod | null,
    apiFormat: row.apiFormat as ApiFormat,
    splitMethod,
    disableMessageSplitting: splitMethod === 'payload',
  };
}

export function toNumberSettings(row: Selectable<NumberSettingsTable>): NumberSettings {
  return { ...row };
}

export function toNumber(row: Selectable<ClientNumbersTable>, settings: NumberSettings | null): ClientNumber {
  return {
    id: row.id,
    clientId: row.clientId,
    number: row.number,
    carrier: row.carrier,
    tag: row.tag,
    group: row.group,
    webhook: row.webHook,
    ignoreStopCmdSending: row.ignoreStopCmdSending,
    settings,
  };
}

export function toFailover(row: Selectable<ClientFailoversTable>): ClientFailover {
  return { ...row };
}

export function toCarrier(row: Selectable<CarriersTable>, codec: SecretCodec): Carrier {
  return {
    ...row,
    password: row.password === '' ? '' : codec.decrypt(row.password, carrierPasswordBinding(row.id)),
    createdAt: toDate(row.createdAt),
    updatedAt: toDate(row.updatedAt),
  };
}

export function toApiKey(row: Selectable<TenantApiKeysTable>, numbers: Selectable<ApiKeyNumbersTable>[]): TenantApiKey {
  return {
    ...row,
    expiresAt: toDateOrNull(row.expiresAt),
    lastUsedAt: toDateOrNull(row.lastUsedAt),
    createdAt: toDate(row.createdAt),
    allowedNumbers: numbers.map((n): ApiKeyNumber => ({ ...n })),
  };
}
