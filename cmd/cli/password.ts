import { randomInt } from 'node:crypto';

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const ALL = LOWER + UPPER + DIGITS;

/**
 * SMPP 3.4 §4.1.1 lets a bind's password be 8 octets, which Kannel cuts longer ones to
 * (docs/admin-api.md); web clients get gomsggw's admin script's 24.
 */
export const LEGACY_PASSWORD_LENGTH = 8;
export const WEB_PASSWORD_LENGTH = 24;

/**
 * A random password of letters and digits with at least one lower, one upper and one digit, as
 * gomsggw's admin script made them; look-alike characters (l, I, O, 0, 1) are left out.
 */
export function generatePassword(length: number): string {
  for (;;) {
    const chars = Array.from({ length }, () => ALL[randomInt(ALL.length)]);
    const password = chars.join('');
    if (/[a-z]/.test(password) && /[A-Z]/.test(password) && /\d/.test(password)) return password;
  }
}
