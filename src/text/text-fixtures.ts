// Text for the BPE and tokenizer tests: several scripts, emoji sequences and unusual whitespace.

/** Strings that must survive encode and decode unchanged. */
export const HARD_STRINGS: readonly string[] = [
  "",
  "Hello, world!",
  "I love 机器学习 and NLP. 我喜欢机器学习。",
  "私は機械学習が好きです",
  "👍🏽 👨\u200d👩\u200d👧 🇫🇷 🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f} ❤\ufe0f 1\ufe0f\u20e3",
  "tabs\tand\u00a0nbsp\u3000ideographic\r\nCRLF\n\n  trailing  ",
  "\ufeffBOM first, e\u0301 combining, ﬁ ligature, ＡＢＣ",
  "\u0000\u0001 control \u200b zwsp \u2028 line sep",
];

/** A small mixed-language corpus with enough repetition for merges to form. */
export const CORPUS: readonly string[] = [
  "the quick brown fox jumps over the lazy dog",
  "the lazy dog sleeps; the quick fox runs",
  "机器学习很有趣，我喜欢机器学习",
  "深度学习是机器学习的一部分",
  "emoji 👍🏽👍🏽 and family 👨\u200d👩\u200d👧 again 👍🏽",
  "lower lowest lowly flower flow slower",
  "\ttabbed\u00a0text\u3000with ideographic  spaces\r\n",
];
