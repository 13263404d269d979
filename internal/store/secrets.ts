/**
 * What the store needs from internal/crypto to keep passwords encrypted at rest. decrypt()
 * throws on a wrong key, or a value bound to another row, rather than returning garbage.
 */
export interface SecretCodec {
  /** Encrypts `plain` bound to `binding` (the row it is stored in; see the binding functions). */
  encrypt(plain: string, binding: string): string;
  /** Decrypts a value bound to `binding`, or an older unbound one. */
  decrypt(stored: string, binding: string): string;
  /** False for the older unbound formats, which verifySecrets re-encrypts bound at start-up. */
  isBound(stored: string): boolean;
}

// Each stored secret is bound to its table, column and row id: a value copied into another row
// (by someone who can write the database but lacks ENCRYPTION_KEY) does not decrypt there.
// Row ids come from serial sequences: they never change and are not reused.

/** The binding of clients.password for client `id`. */
export const clientPasswordBinding = (id: number): string => `clients.password#${id}`;

/** The binding of carriers.password for carrier `id`. */
export const carrierPasswordBinding = (id: number): string => `carriers.password#${id}`;

/** The binding of the key-check value in gateway_meta. */
export const KEY_CHECK_BINDING = 'gateway_meta.value#encryption_key_check';
