// Text normalisation, applied before every tokenizer: Unicode NFKC, optional case folding, invisible
// characters removed, whitespace collapsed. Its output is stable under a second application.

/** Unpaired UTF-16 surrogates: not characters, and not encodable as UTF-8. */
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * Characters removed outright: control characters that are not whitespace (C0, DEL, C1 except
 * tab, LF, VT, FF, CR and NEL), the zero-width space U+200B, the word joiner U+2060, the byte-order
 * mark U+FEFF and the soft hyphen U+00AD. Other format characters are kept on purpose: ZWJ U+200D
 * joins emoji sequences (👨‍👩‍👧), ZWNJ U+200C changes Persian and Indic words, and tag characters
 * spell subdivision flags (🏴󠁧󠁢󠁳󠁣󠁴󠁿).
 */
const INVISIBLE = /(?:(?!\p{White_Space})\p{Cc})|[\u200b\u2060\ufeff\u00ad]/gu;

/** Runs of Unicode White_Space (space, tab, CR, LF, U+00A0, U+3000, U+2028, U+0085, ...). */
const WHITESPACE_RUN = /\p{White_Space}+/gu;

/** How normalizeText treats case. */
export interface NormalizeOptions {
  /** Lower-case after NFKC (String.prototype.toLowerCase: locale-independent, not full case folding). */
  lowercase: boolean;
}

/**
 * Normalises text for tokenisation: lone surrogates become U+FFFD, invisible characters are removed,
 * then NFKC (full-width letters to ASCII, ligatures split, U+00A0 and U+3000 to spaces), then
 * optionally lower case, then each whitespace run becomes one space and the ends are trimmed.
 *
 * Lower-casing is toLowerCase, not Unicode case folding: "ß" stays "ß" (folding would give "ss"),
 * "ẞ" becomes "ß", "İ" becomes "i" + U+0307, and Greek final sigma follows its position.
 * NFKC is applied again after lower-casing so the result is always in NFKC.
 *
 * @example normalizeText(" ＡＢＣ\u00a0\u3000def\r\n", { lowercase: true }) // "abc def"
 */
export function normalizeText(text: string, o: NormalizeOptions): string {
  let s = text.replace(LONE_SURROGATE, "\ufffd").replace(INVISIBLE, "").normalize("NFKC");
  if (o.lowercase) s = s.toLowerCase().normalize("NFKC");
  return s.replace(WHITESPACE_RUN, " ").trim();
}
