// Character tokens: extended grapheme clusters (UAX #29), what a reader counts as one character.

import { chunks } from "./chunks.js";

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * The user-perceived characters of `text`, spaces included: 👍🏽, 👨‍👩‍👧, 🇫🇷 and "e" + U+0301 are
 * one token each. Spaces are kept because a character-level model needs word boundaries; on
 * normalised text each whitespace run is already a single " ".
 *
 * @example graphemes("e\u0301 👍🏽") // ["e\u0301", " ", "👍🏽"]
 */
export function graphemes(text: string, limit = Infinity): string[] {
  const out: string[] = [];
  for (const piece of chunks(text)) {
    for (const s of graphemeSegmenter.segment(piece)) {
      if (out.length >= limit) return out;
      out.push(s.segment);
    }
  }
  return out;
}
