/**
 * The carrier types the gateway talks to (the `type` of a carrier row). The carriers room has
 * one driver per type (its registry test checks the two lists agree); front doors validate
 * against this list without depending on the drivers.
 */
export const CARRIER_TYPES = ['twilio', 'telnyx', 'onevoiceplus'] as const;
export type CarrierType = (typeof CARRIER_TYPES)[number];

/** True when `value` (lowercased) names a supported carrier type. */
export function isCarrierType(value: string): value is CarrierType {
  return (CARRIER_TYPES as readonly string[]).includes(value);
}
