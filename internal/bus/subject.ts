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
