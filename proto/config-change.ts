import { z } from 'zod';

/**
 * cfg.changed, version 1: something in the configuration tables changed. Receivers reload the
 * named entity from the store (the event carries no data, so a stale or duplicated event is
 * harmless). Changes to numbers, settings and failovers are announced as their client's change.
 */
export const ConfigChangeKind = {
  CLIENT: 'client',
  CARRIER: 'carrier',
  API_KEY: 'api_key',
  /** Reload everything (the reload endpoints). */
  ALL: 'all',
} as const;
export type ConfigChangeKind = (typeof ConfigChangeKind)[keyof typeof ConfigChangeKind];

export const configChangeSchema = z.object({
  v: z.literal(1),
  kind: z.enum(['client', 'carrier', 'api_key', 'all']),
  /** Entity id; absent for `all`. */
  id: z.number().int().positive().optional(),
  /** Node that made the change (it has already applied it). */
  origin: z.string(),
  /** Milliseconds since the epoch. */
  at: z.number(),
});
export type ConfigChange = z.infer<typeof configChangeSchema>;

const enc = new TextEncoder();
const dec = new TextDecoder();

export function encodeConfigChange(change: ConfigChange): Uint8Array {
  return enc.encode(JSON.stringify(configChangeSchema.parse(change)));
}

/** Throws a ZodError for anything that is not a valid v1 change. */
export function decodeConfigChange(data: Uint8Array): ConfigChange {
  return configChangeSchema.parse(JSON.parse(dec.decode(data)));
}
