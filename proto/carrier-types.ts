/**
 * The carrier types the gateway talks to (the `type` of a carrier row). The carriers room has
 * one driver per type (its registry test checks the two lists agree); entry points validate
 * against this list without depending on the drivers.
 */
export const CARRIER_TYPES = ['twilio', 'telnyx', 'onevoiceplus'] as const;
export type CarrierType = (typeof CARRIER_TYPES)[number];

/** True when `value` (lowercased) names a supported carrier type. */
export function isCarrierType(value: string): value is CarrierType {
  return (CARRIER_TYPES as readonly string[]).includes(value);
}

/**
 * The admin-API field that holds what each carrier type verifies its inbound webhooks with:
 * Twilio's auth token is its `password`; Telnyx's Ed25519 key and OneVoicePlus's shared token
 * are `public_key`.
 */
export const WEBHOOK_KEY_FIELD = {
  twilio: 'password',
  telnyx: 'public_key',
  onevoiceplus: 'public_key',
} as const satisfies Record<CarrierType, string>;

/** What the unsigned-webhook rule reads of a carrier row (store `Carrier`). */
export interface WebhookTrustRow {
  type: string;
  verifyWebhooks: boolean;
  password: string;
  publicKey: string;
}

/**
 * Why a carrier takes its inbound webhooks unsigned, naming the field to set; undefined when it
 * verifies them. gomsggw verified none, so a carrier created as its README shows (a Telnyx row
 * without `public_key`) must work: it is accepted, unsigned, and this sentence says so in the
 * admin answer and the logs. An unknown type verifies nothing and is never called unsigned
 * here (its webhooks are refused before parsing).
 */
export function unsignedWebhooksWarning(carrier: WebhookTrustRow): string | undefined {
  const type = carrier.type.trim().toLowerCase();
  if (!isCarrierType(type)) return undefined;
  if (!carrier.verifyWebhooks) {
    return 'verify_webhooks is false: inbound webhooks for this carrier are accepted unsigned';
  }
  const field = WEBHOOK_KEY_FIELD[type];
  const key = field === 'password' ? carrier.password : carrier.publicKey;
  if (key.trim() !== '') return undefined;
  return `${field} is empty: inbound webhooks for this carrier are accepted unsigned; set ${field} to verify them`;
}

/** True when the carrier takes its inbound webhooks unsigned (unsignedWebhooksWarning says why). */
export function takesUnsignedWebhooks(carrier: WebhookTrustRow): boolean {
  return unsignedWebhooksWarning(carrier) !== undefined;
}
