import { ValidationError } from '../errors/index.js';

/**
 * NATS subject rules, shared by both implementations so they accept and match the same things:
 * dot-separated non-empty tokens without whitespace; `*` (one token) and a final `>` (one or
 * more tokens) are wildcards only as whole tokens, and only in subscriptions.
 */

const BAD_TOKEN = /[\s]/;

function tokens(subject: string, what: string): string[] {
  const parts = subject.split('.');
  if (!subject || parts.some((t) => t === '' || BAD_TOKEN.test(t))) {
    throw new ValidationError(`invalid ${what} subject ${JSON.stringify(subject)}`);
  }
  return parts;
}

/** Throws ValidationError unless `subject` is a valid subject to publish to (no wildcards). */
export function assertPublishSubject(subject: string): void {
  if (tokens(subject, 'publish').some((t) => t === '*' || t === '>')) {
    throw new ValidationError(`cannot publish to wildcard subject ${JSON.stringify(subject)}`);
  }
}

/** Throws ValidationError unless `pattern` is a valid subscription subject. */
export function assertSubscribeSubject(pattern: string): void {
  const parts = tokens(pattern, 'subscription');
  const gt = parts.indexOf('>');
  if (gt !== -1 && gt !== parts.length - 1) {
    throw new ValidationError(`'>' must be the last token in ${JSON.stringify(pattern)}`);
  }
}

/** Whether a (valid) subscription `pattern` matches a (valid) publish `subject`. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== '*' && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Whether some subject matches both (valid) subscription patterns. */
export function subjectsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === '>' || y[i] === '>') return i < x.length && i < y.length;
    if (x[i] === undefined || y[i] === undefined) return false;
    if (x[i] !== '*' && y[i] !== '*' && x[i] !== y[i]) return false;
  }
  return true;
}

/** JetStream names (streams, durables, KV buckets): no dots, wildcards or whitespace. */
const NAME = /^[A-Za-z0-9_-]+$/;
/** KV keys: NATS KV's own rule (tokens of these characters, no empty token). */
const KV_KEY = /^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$/;

/** Throws ValidationError unless `name` is a valid stream, durable or bucket name. */
export function assertName(name: string, what: string): void {
  if (!NAME.test(name)) throw new ValidationError(`invalid ${what} name ${JSON.stringify(name)}`);
}

/** Throws ValidationError unless `key` is a valid KV key. */
export function assertKvKey(key: string): void {
  if (!KV_KEY.test(key)) throw new ValidationError(`invalid KV key ${JSON.stringify(key)}`);
}
