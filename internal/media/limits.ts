/**
 * MMS size limits per carrier (all parts of one message together). Defaults from the field
 * notes (§4, §5): Twilio refuses more than 5 MB of media per message; Telnyx's transcoding
 * table caps US long-code MMS at 1 MB (AT&T); anything else gets upstream's 600 KB
 * (614 400 B), which every US/Canadian carrier takes. MEDIA_CARRIER_LIMITS overrides them.
 */
export const DEFAULT_CARRIER_LIMITS: Readonly<Record<string, number>> = {
  twilio: 5 * 1024 * 1024,
  telnyx: 1024 * 1024,
  onevoiceplus: 614_400,
};
/** Upstream's one target for every carrier (§14.1). */
export const FALLBACK_CARRIER_LIMIT = 614_400;

export interface CarrierIdentity {
  name: string;
  type: string;
}

/**
 * The limit for one carrier: by its name in `overrides`, else its type there, else the
 * built-in default of its type, else `overrides.default`, else 600 KB.
 */
export function carrierLimit(carrier: CarrierIdentity, overrides: Readonly<Record<string, number>> = {}): number {
  const name = carrier.name.toLowerCase();
  const type = carrier.type.toLowerCase();
  return overrides[name] ?? overrides[type] ?? DEFAULT_CARRIER_LIMITS[type] ?? overrides.default ?? FALLBACK_CARRIER_LIMIT;
}
