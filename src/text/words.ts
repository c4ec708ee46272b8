// Word tokens by Unicode word segmentation (UAX #29, and ICU's dictionaries for Chinese, Japanese,
// Thai, Khmer, ...): "我喜欢机器学习" splits into dictionary words, not one token per character.
import { MaasError } from "../errors.js";
import { chunks } from "./chunks.js";

/** Emoji, including ZWJ sequences and flags, which the segmenter marks as not word-like. */
const PICTOGRAPHIC = /\p{Extended_Pictographic}|\p{Regional_Indicator}/u;

/** One segmenter per locale: constructing one costs far more than a call to segment(). */
const segmenters = new Map<string, Intl.Segmenter>();

function wordSegmenter(locale: string | undefined): Intl.Segmenter {
  const key = locale ?? "";
  let segmenter = segmenters.get(key);
  if (!segmenter) {
    try {
      segmenter = new Intl.Segmenter(locale, { granularity: "word" });
    } catch (e) {
      throw new MaasError("bad_input", `invalid locale '${locale}': ${(e as Error).message}`);
    }
    segmenters.set(key, segmenter);
  }
  return segmenter;
}

/**
 * The words of `text`: the segments ICU marks word-like (letters, numbers, "don't", "3.14", "1️⃣")
 * and emoji segments (👍🏽, 👨‍👩‍👧, 🇫🇷, ©). Spaces, punctuation and other symbols ("$", "#", "+")
 * are dropped. `locale` (BCP 47) tunes the rules; the default is the runtime's locale. At most
 * `limit` words, the first ones.
 *
 * @example words("Hi, 👍🏽 don't") // ["Hi", "👍🏽", "don't"]
 */
export function words(text: string, locale?: string, limit = Infinity): string[] {
  const out: string[] = [];
  // The segmenter is lazy: stopping at `limit` words leaves the rest of a long text unread.
  const segmenter = wordSegmenter(locale);
  for (const piece of chunks(text)) {
    for (const s of segmenter.segment(piece)) {
      if (out.length >= limit) return out;
      if (s.isWordLike || PICTOGRAPHIC.test(s.segment)) out.push(s.segment);
    }
  }
  return out;
}

/**
 * The ICU and Unicode versions of this runtime, e.g. "ICU 78.2, Unicode 17.0". Segmentation,
 * normalisation and character classes follow them, so a trained tokenizer records this string.
 */
export function icuVersion(): string {
  return `ICU ${process.versions.icu ?? "none"}, Unicode ${process.versions.unicode ?? "unknown"}`;
}
