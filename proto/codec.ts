import type { z } from 'zod';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Encode/decode pair for one versioned schema: nothing goes on the bus except through these. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  /** Throws a ZodError (or SyntaxError) for anything that is not a valid value. */
  decode(data: Uint8Array): T;
}

/**
 * Decoding validates (bus input is untrusted: another version, another node); encoding trusts
 * the type checker, since values are built in code as the schema's output type — a second
 * validation per publish was measurable CPU on the hot path.
 */
export function jsonCodec<S extends z.ZodType>(schema: S): Codec<z.infer<S>> {
  return {
    encode: (value) => enc.encode(JSON.stringify(value)),
    decode: (data) => schema.parse(JSON.parse(dec.decode(data))),
  };
}
