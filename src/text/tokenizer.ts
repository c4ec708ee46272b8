// The text feature's entry point. A TokenizerConfig names the tokenizer; training learns its state
// (a vocabulary for word and char, merges for bpe) from texts; the state, saved as JSON beside the
// config, rebuilds a tokenizer that gives the same ids for the same text:
//
//   const tokenizer = Tokenizer.train(texts, config);            // training time
//   const sequences = texts.map((t) => tokenizer.encode(t));     // ids in [0, tokenizer.size)
//   const state = tokenizer.toJSON();                            // stored in the model file
//   Tokenizer.fromJSON(config, state).encode(text);              // inference time
//
// Every kind shares one id space: 0 = padding, 1 = unknown, tokens from 2. For bpe the id is the
// BPE id + 2, and unknown never occurs (bytes cover every string). Text is normalised first
// (normalize.ts); splitText gives the token strings of word and char tokenizers, e.g. for n-grams.
import { MaasError } from "../errors.js";
import { Bpe } from "./bpe.js";
import { trainBpe } from "./bpe-train.js";
import { graphemes } from "./chars.js";
import { normalizeText } from "./normalize.js";
import { buildVocabulary, RESERVED_TOKENS, Vocabulary } from "./vocabulary.js";
import { icuVersion, words } from "./words.js";

/** How text becomes tokens. */
export type TokenizerKind = "word" | "char" | "bpe";

/** A tokenizer's settings: what the model config stores (the owner adds its zod schema). */
export interface TokenizerConfig {
  /** word: ICU words and emoji; char: grapheme clusters, spaces kept; bpe: byte-level BPE. */
  kind: TokenizerKind;
  /** Lower-case after NFKC normalisation. */
  lowercase: boolean;
  /** BCP 47 locale for word segmentation; the runtime's default when absent. */
  locale?: string;
  /** Most ids, padding and unknown included (bpe: padding, unknown, 256 bytes and the merges). */
  vocabSize: number;
  /** word and char: fewest occurrences in the training texts for a token to get an id. */
  minCount: number;
}

/** Defaults for a word tokenizer. */
export const DEFAULT_TOKENIZER_CONFIG: TokenizerConfig = { kind: "word", lowercase: true, vocabSize: 20_000, minCount: 2 };

/** What training learned, as JSON; `unicode` is icuVersion() at training time. */
export type TokenizerState =
  | { kind: "word" | "char"; unicode: string; tokens: string[] }
  | { kind: "bpe"; unicode: string; merges: [number, number][] };

/** Ids below this are reserved (padding, unknown) in every kind. */
const FIRST_TOKEN_ID = RESERVED_TOKENS.length;

/**
 * The normalised token strings of `text` for a word or char config (the first `limit` of them).
 *
 * @example splitText("Ｈｉ, 👍🏽!", { kind: "word", lowercase: true }) // ["hi", "👍🏽"]
 */
export function splitText(text: string, config: Pick<TokenizerConfig, "kind" | "lowercase" | "locale">, limit = Infinity): string[] {
  const normalized = normalizeText(text, config);
  switch (config.kind) {
    case "word":
      return words(normalized, config.locale, limit);
    case "char":
      return graphemes(normalized, limit);
    case "bpe":
      throw new MaasError("bad_input", "a bpe tokenizer has no token strings: use Tokenizer.encode");
  }
}

/** What a tokenizer learned: a vocabulary (word, char) or BPE merges. */
type Learned = { kind: "word" | "char"; vocabulary: Vocabulary } | { kind: "bpe"; bpe: Bpe };

/** A trained tokenizer: text to ids in [0, size), 0 = padding, 1 = unknown. */
export class Tokenizer {
  private constructor(
    readonly config: TokenizerConfig,
    private readonly learned: Learned,
    /** icuVersion() when it was trained: a loader can compare it with the running one. */
    readonly unicode: string,
  ) {}

  /** Learns the vocabulary or the BPE merges of `texts`, read once. */
  static train(texts: Iterable<string>, config: TokenizerConfig): Tokenizer {
    if (config.kind === "bpe") {
      if (!(config.vocabSize >= FIRST_TOKEN_ID + 256)) {
        throw new MaasError("bad_input", `a bpe vocabSize must be at least ${FIRST_TOKEN_ID + 256} (reserved ids and bytes), got ${config.vocabSize}`);
      }
      const normalized = mapIterable(texts, (t) => normalizeText(t, config));
      return new Tokenizer(config, { kind: "bpe", bpe: trainBpe(normalized, config.vocabSize - FIRST_TOKEN_ID) }, icuVersion());
    }
    const docs = mapIterable(texts, (t) => splitText(t, config));
    const vocabulary = buildVocabulary(docs, { maxSize: config.vocabSize, minCount: config.minCount });
    return new Tokenizer(config, { kind: config.kind, vocabulary }, icuVersion());
  }

  /**
   * A word or char tokenizer whose vocabulary is learnt from token strings already split (with
   * splitText): callers that need the strings too (n-grams) split each text once.
   */
  static fromTokens(docs: Iterable<readonly string[]>, config: TokenizerConfig): Tokenizer {
    if (config.kind === "bpe") throw new MaasError("bad_input", "a bpe tokenizer learns from texts: use Tokenizer.train");
    const vocabulary = buildVocabulary(docs, { maxSize: config.vocabSize, minCount: config.minCount });
    return new Tokenizer(config, { kind: config.kind, vocabulary }, icuVersion());
  }

  /** The ids of token strings split by splitText (word and char tokenizers). */
  idsOf(tokens: readonly string[]): number[] {
    const learned = this.learned;
    if (learned.kind === "bpe") throw new MaasError("bad_input", "a bpe tokenizer has no token strings: use Tokenizer.encode");
    return tokens.map((t) => learned.vocabulary.id(t));
  }

  /** The tokenizer a config and a saved state describe. */
  static fromJSON(config: TokenizerConfig, state: TokenizerState): Tokenizer {
    if (state.kind !== config.kind) {
      throw new MaasError("bad_input", `tokenizer state is for kind '${state.kind}' but the config says '${config.kind}'`);
    }
    const learned: Learned =
      state.kind === "bpe"
        ? { kind: "bpe", bpe: Bpe.fromJSON({ merges: state.merges, vocabSize: 256 + state.merges.length }) }
        : { kind: state.kind, vocabulary: Vocabulary.fromJSON(state.tokens) };
    return new Tokenizer(config, learned, state.unicode);
  }

  /** Number of ids, reserved ones included: the row count of an embedding table. */
  get size(): number {
    return this.learned.kind === "bpe" ? FIRST_TOKEN_ID + this.learned.bpe.vocabSize : this.learned.vocabulary.size;
  }

  /** The ids of `text`, after normalisation. */
  encode(text: string): number[] {
    const learned = this.learned;
    if (learned.kind === "bpe") return learned.bpe.encode(normalizeText(text, this.config)).map((id) => id + FIRST_TOKEN_ID);
    return splitText(text, this.config).map((t) => learned.vocabulary.id(t));
  }

  /**
   * The text of `ids` (padding and unknown ids left out): exact for bpe and char (of the normalised
   * text), words joined by spaces for word.
   */
  decode(ids: readonly number[]): string {
    const learned = this.learned;
    const real = ids.filter((id) => id >= FIRST_TOKEN_ID);
    if (learned.kind === "bpe") return learned.bpe.decode(real.map((id) => id - FIRST_TOKEN_ID));
    const tokens = real.map((id) => learned.vocabulary.token(id));
    return tokens.join(learned.kind === "word" ? " " : "");
  }

  /** The learned state, for the model file. */
  toJSON(): TokenizerState {
    const learned = this.learned;
    if (learned.kind === "bpe") return { kind: "bpe", unicode: this.unicode, merges: learned.bpe.toJSON().merges };
    return { kind: learned.kind, unicode: this.unicode, tokens: learned.vocabulary.toJSON() };
  }
}

/** `items` with `f` applied lazily, so a one-shot iterable is read once. */
function* mapIterable<T, U>(items: Iterable<T>, f: (item: T) => U): Iterable<U> {
  for (const item of items) yield f(item);
}
