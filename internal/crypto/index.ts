/**
 * The crypto room: secrets at rest (v2 AES-256-GCM, reading upstream AES-256-CFB), the key
 * check that catches a changed ENCRYPTION_KEY at start-up, and shared hashing/id helpers.
 */
export type { SecretBox, ObjectIdDeps } from './types.js';
export { SecretErrorReason } from './types.js';
export { SecretError } from './errors.js';
export { createSecretBox } from './secret-box.js';
export { encryptLegacy, decryptLegacy } from './legacy.js';
export { decodeBase64Strict } from './base64.js';
export { createKeyCheck, verifyKeyCheck } from './key-check.js';
export { constantTimeEqual, sha256Hex, hmacSha256Hex, randomToken } from './hash.js';
export { generateObjectId, createObjectIdGenerator } from './object-id.js';
