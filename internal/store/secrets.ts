/**
 * What the store needs from internal/crypto to keep passwords encrypted at rest. decrypt()
 * throws on a wrong key rather than returning garbage.
 */
export interface SecretCodec {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}
