// Hashed word n-grams (the fastText trick): each n-gram maps to one of a fixed number of buckets, so
// a model gets n-gram features without storing an n-gram vocabulary.
import { MaasError } from "../errors.js";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Byte between tokens: 0xFF never occurs in UTF-8, so ["a b"] and ["a", "b"] cannot collide. */
const SEPARATOR = 0xff;

/** One FNV-1a step: h = (h XOR byte) * 16777619 mod 2^32. */
function fnvStep(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME) >>> 0;
}

/**
 * 32-bit FNV-1a of a token sequence: the UTF-8 bytes of the tokens with a 0xFF byte between them.
 * Stable across runs and platforms: a model file stores bucket ids computed with it.
 *
 * @example ngramHash(["new", "york"]) // FNV-1a of the bytes 6e 65 77 ff 79 6f 72 6b
 */
export function ngramHash(tokens: readonly string[]): number {
  const utf8 = new TextEncoder();
  let h = FNV_OFFSET;
  tokens.forEach((token, i) => {
    if (i > 0) h = fnvStep(h, SEPARATOR);
    for (const byte of utf8.encode(token)) h = fnvStep(h, byte);
  });
  return h;
}

/**
 * Bucket ids in [0, buckets) of the word n-grams of length 2..n, ordered by start position, then by
 * length (fastText's order): id = ngramHash(tokens[i..i+k)) mod buckets. n = 1 gives none.
 *
 * @example hashNgrams(["a", "b", "c"], 3, 1000) // buckets of "a b", "a b c", "b c"
 */
export function hashNgrams(tokens: readonly string[], n: number, buckets: number): number[] {
  if (!Number.isInteger(n) || n < 1) throw new MaasError("bad_input", `n-gram length must be an integer >= 1, got ${n}`);
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > 2 ** 32) {
    throw new MaasError("bad_input", `n-gram buckets must be an integer in [1, 2^32], got ${buckets}`);
  }
  const utf8 = new TextEncoder();
  const bytes = tokens.map((t) => utf8.encode(t));
  const ids: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    // FNV-1a is a running hash: extend the hash of tokens[i..j) by one token to get tokens[i..j+1).
    let h = FNV_OFFSET;
    for (const byte of bytes[i]) h = fnvStep(h, byte);
    for (let j = i + 1; j < Math.min(i + n, bytes.length); j++) {
      h = fnvStep(h, SEPARATOR);
      for (const byte of bytes[j]) h = fnvStep(h, byte);
      ids.push(h % buckets);
    }
  }
  return ids;
}
