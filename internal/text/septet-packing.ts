/**
 * GSM 7-bit packing (3GPP TS 23.038 §6.1.2.1.1): septets are laid into octets LSB first, so
 * eight septets fill seven octets. When a User Data Header precedes the text, the text starts on
 * the next septet boundary after it: the gap is `fillBits` zero bits (3GPP TS 23.040 §9.2.3.24).
 * Pure bit arithmetic; the alphabet lives in gsm7-codec.ts.
 */

/** The septet carriage return used to pad a trailing 7-bit gap (3GPP TS 23.038 §6.1.2.3.1). */
export const CR_SEPTET = 0x0d;

/**
 * Fill bits between a UDH of `udhOctets` octets (UDHL octet included) and the first septet of
 * text: 6 octets (8-bit concat) → 1, 7 octets (16-bit concat) → 0, 0 (no UDH) → 0.
 */
export function udhFillBits(udhOctets: number): number {
  return (7 - ((udhOctets * 8) % 7)) % 7;
}

/** Octets needed for `septets` septets after `fillBits` fill bits. */
export function packedLength(septets: number, fillBits = 0): number {
  return Math.ceil((fillBits + septets * 7) / 8);
}

/** Septets that fit in `octets` octets after `fillBits` fill bits (the maximum; see unpackSeptets). */
export function septetCapacity(octets: number, fillBits = 0): number {
  return Math.max(0, Math.floor((octets * 8 - fillBits) / 7));
}

/**
 * Pack septets (values 0–127, one per element) into octets, after `fillBits` (0–6) zero bits.
 * Spare bits at the end are zero, except that with `padWithCr` 7 spare bits hold a CR septet
 * (3GPP TS 23.038 §6.1.2.3.1) so a reader without a septet count does not see an '@'.
 */
export function packSeptets(septets: ArrayLike<number>, fillBits = 0, padWithCr = false): Buffer {
  checkFill(fillBits);
  const length = packedLength(septets.length, fillBits);
  if (padWithCr && length * 8 - fillBits - septets.length * 7 === 7) {
    return packSeptets([...Array.from(septets), CR_SEPTET], fillBits);
  }
  const out = Buffer.alloc(length);
  let bit = fillBits;
  for (let i = 0; i < septets.length; i++) {
    const septet = septets[i] & 0x7f;
    const index = bit >> 3;
    const shift = bit & 7;
    out[index] |= (septet << shift) & 0xff;
    if (shift > 1) out[index + 1] |= septet >> (8 - shift);
    bit += 7;
  }
  return out;
}

/**
 * Unpack octets into septets, skipping `fillBits` leading fill bits. `count` defaults to every
 * whole septet present, which after an octet-aligned end includes a trailing padding septet
 * (CR or zero); decodeGsm7Packed deals with that. Throws RangeError when `count` does not fit.
 */
export function unpackSeptets(octets: Uint8Array, fillBits = 0, count?: number): Buffer {
  checkFill(fillBits);
  const capacity = septetCapacity(octets.length, fillBits);
  const n = count ?? capacity;
  if (!Number.isInteger(n) || n < 0 || n > capacity) {
    throw new RangeError(`${n} septets do not fit in ${octets.length} octets after ${fillBits} fill bits`);
  }
  const out = Buffer.alloc(n);
  let bit = fillBits;
  for (let i = 0; i < n; i++) {
    const index = bit >> 3;
    const shift = bit & 7;
    let value = octets[index] >> shift;
    if (shift > 1) value |= octets[index + 1] << (8 - shift);
    out[i] = value & 0x7f;
    bit += 7;
  }
  return out;
}

/**
 * True when the packed text ends exactly on a septet boundary with room for one more septet
 * than the sender may have meant: the last septet is then either text or the 7 spare bits of
 * 3GPP TS 23.038 §6.1.2.3.1 (which a compliant sender fills with CR).
 */
export function endsWithSpareSeptet(octets: number, fillBits = 0): boolean {
  return octets > 0 && (octets * 8 - fillBits) % 7 === 0;
}

function checkFill(fillBits: number): void {
  if (!Number.isInteger(fillBits) || fillBits < 0 || fillBits > 6) {
    throw new RangeError(`fill bits must be 0..6, got ${fillBits}`);
  }
}
