/**
 * Webhook signing as the real carriers do it, written independently of the drivers so that the
 * tests check the drivers against the published schemes rather than against themselves.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/**
 * X-Twilio-Signature: base64 HMAC-SHA1 under the auth token of the URL followed by every POST
 * parameter's name and value, names in sorted order (twilio.com/docs/usage/security).
 */
export function signTwilio(url: string, form: Record<string, string>, authToken: string): string {
  const data = Object.keys(form)
    .sort()
    .reduce((acc, name) => acc + name + form[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export interface TelnyxKeys {
  /** The carrier row's `publicKey`: the raw 32-byte Ed25519 key in base64 (as Mission Control shows it). */
  publicKeyBase64: string;
  privateKey: KeyObject;
}

export function generateTelnyxKeys(): TelnyxKeys {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  // The last 32 bytes of an Ed25519 SPKI are the raw key (RFC 8410).
  return { publicKeyBase64: spki.subarray(spki.length - 32).toString('base64'), privateKey };
}

export interface TelnyxSignature {
  signature: string;
  timestamp: string;
  headers: Record<string, string>;
}

/** telnyx-signature-ed25519 over `${timestamp}|${body}`; timestamp in unix seconds (default now). */
export function signTelnyx(body: string | Buffer, privateKey: KeyObject, timestampSec = Math.floor(Date.now() / 1000)): TelnyxSignature {
  const timestamp = String(timestampSec);
  const signed = Buffer.concat([Buffer.from(`${timestamp}|`), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
  const signature = sign(null, signed, privateKey).toString('base64');
  return {
    signature,
    timestamp,
    headers: { 'telnyx-signature-ed25519': signature, 'telnyx-timestamp': timestamp },
  };
}

/** A Telnyx v2 webhook envelope around a message payload. */
export function telnyxEvent(eventType: string, payload: Record<string, unknown>): Record<string, unknown> {
  return {
    data: {
      event_type: eventType,
      id: crypto.randomUUID(),
      occurred_at: new Date().toISOString(),
      payload: { record_type: 'message', ...payload },
      record_type: 'event',
    },
    meta: { attempt: 1, delivered_to: 'https://gw.example.test/inbound/x' },
  };
}
