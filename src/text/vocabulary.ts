// Token vocabularies for word and character models: token strings to dense ids and back.
import { MaasError } from "../errors.js";

/** Id 0: fills sequences up to a batch's length. */
export const PADDING_ID = 0;
/** Id 1: any token not in the vocabulary. */
export const UNKNOWN_ID = 1;
/** The strings of the reserved ids, at the start of every vocabulary. */
export const RESERVED_TOKENS: readonly string[] = ["<pad>", "<unk>"];

/** Limits for buildVocabulary. */
export interface VocabularyOptions {
  /** Most ids, reserved ones included (so it is the embedding table's row count). */
  maxSize: number;
  /** Fewest occurrences a token needs to get an id. */
  minCount: number;
}

/** Orders strings by Unicode code point (plain `<` compares UTF-16 units, which differs above U+FFFF). */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return (x.done ? 0 : 1) - (y.done ? 0 : 1);
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/** A bijection between token strings and ids 0..size-1; ids 0 and 1 are padding and unknown. */
export class Vocabulary {
  private readonly ids: Map<string, number>;

  private constructor(private readonly tokens: readonly string[]) {
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /** Number of ids, reserved ones included. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of `token`; UNKNOWN_ID when it has none. */
  id(token: string): number {
    return this.ids.get(token) ?? UNKNOWN_ID;
  }

  /** The token of `id` ("<pad>" and "<unk>" for the reserved ids). */
  token(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.tokens.length) {
      throw new MaasError("bad_input", `token id ${id} is outside [0, ${this.tokens.length})`);
    }
    return this.tokens[id];
  }

  /** The tokens in id order, reserved ones first: what a model file stores. */
  toJSON(): string[] {
    return [...this.tokens];
  }

  /** A vocabulary from toJSON()'s output; checks the reserved entries and that tokens are distinct. */
  static fromJSON(tokens: string[]): Vocabulary {
    if (!Array.isArray(tokens) || RESERVED_TOKENS.some((t, i) => tokens[i] !== t) || tokens.some((t) => typeof t !== "string")) {
      throw new MaasError("bad_input", `a vocabulary must be strings starting with ${JSON.stringify(RESERVED_TOKENS)}`);
    }
    const vocabulary = new Vocabulary(tokens);
    if (vocabulary.ids.size !== tokens.length) throw new MaasError("bad_input", "a vocabulary's tokens must be distinct");
    return vocabulary;
  }
}

/**
 * The vocabulary of tokenised documents: the reserved tokens, then the `maxSize - 2` most frequent
 * tokens that occur at least `minCount` times, ties in count going to the smaller string in
 * code-point order. A literal "<pad>" or "<unk>" in the data maps to the reserved id.
 *
 * @example buildVocabulary([["b", "a", "b"]], { maxSize: 10, minCount: 1 }).toJSON() // ["<pad>", "<unk>", "b", "a"]
 */
export function buildVocabulary(docs: Iterable<readonly string[]>, o: VocabularyOptions): Vocabulary {
  if (!Number.isInteger(o.maxSize) || o.maxSize < RESERVED_TOKENS.length) {
    throw new MaasError("bad_input", `vocabulary maxSize must be an integer >= ${RESERVED_TOKENS.length}, got ${o.maxSize}`);
  }
  const counts = new Map<string, number>();
  for (const doc of docs) for (const t of doc) counts.set(t, (counts.get(t) ?? 0) + 1);
  for (const t of RESERVED_TOKENS) counts.delete(t);
  const kept = [...counts]
    .filter(([, c]) => c >= o.minCount)
    .sort(([ta, ca], [tb, cb]) => cb - ca || compareCodePoints(ta, tb))
    .slice(0, o.maxSize - RESERVED_TOKENS.length)
    .map(([t]) => t);
  return Vocabulary.fromJSON([...RESERVED_TOKENS, ...kept]);
}
