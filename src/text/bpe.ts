// Byte-level BPE (as in GPT-2): the base vocabulary is the 256 byte values, so any string encodes
// without an unknown token, and each learned merge joins two adjacent tokens into a new one. Id
// k < 256 is the byte k; id 256 + r is the r-th merge. Training is in bpe-train.ts.
import { MaasError } from "../errors.js";

/** Largest vocabulary: pair keys a * MAX_VOCAB + b stay exact in a double. */
export const MAX_VOCAB = 2 ** 24;

/** One number for the adjacent pair (a, b); orders pairs by a, then b. */
export function pairKey(a: number, b: number): number {
  return a * MAX_VOCAB + b;
}

/**
 * The pre-tokenizer: splits text into pieces that merges never cross, GPT-2's pattern without its
 * English contractions. A piece is a run of letters (with their combining marks), of digits, or of
 * other non-space characters, each taking one leading U+0020; whitespace runs give their last
 * space to the next piece. Every character matches some branch, so the pieces concatenate back to
 * the input exactly.
 */
const PIECE = / ?[\p{L}\p{M}]+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The pre-tokenizer's pieces of `text`; joined, they give `text` back. */
export function preTokenize(text: string): string[] {
  return text.match(PIECE) ?? [];
}

/** A saved BPE: its merges in the order learned, and the vocabulary size (256 + merges). */
export interface BpeJson {
  merges: [number, number][];
  vocabSize: number;
}

/** Entries kept by the encoder's word cache before it starts over (bounds a server's memory). */
const CACHE_LIMIT = 100_000;

const utf8 = new TextEncoder();
// ignoreBOM: keep a leading U+FEFF instead of swallowing it, or "\ufeffx" would not round-trip.
const utf8Decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** A trained byte-level BPE: encodes text to ids and decodes ids to text. */
export class Bpe {
  /** Merge rank of each mergeable pair, by pairKey. */
  private readonly ranks = new Map<number, number>();
  /** The bytes each id stands for. */
  private readonly bytes: Uint8Array[] = [];
  private readonly cache = new Map<string, number[]>();

  /** A BPE from its merges in learned order; merge r may use only ids below 256 + r. */
  constructor(readonly merges: readonly (readonly [number, number])[]) {
    for (let b = 0; b < 256; b++) this.bytes.push(Uint8Array.of(b));
    merges.forEach(([a, b], r) => {
      const id = 256 + r;
      if (![a, b].every((x) => Number.isInteger(x) && x >= 0 && x < id) || id >= MAX_VOCAB) {
        throw new MaasError("bad_input", `BPE merge ${r} is [${a}, ${b}]: ids must be integers in [0, ${id})`);
      }
      const joined = new Uint8Array(this.bytes[a].length + this.bytes[b].length);
      joined.set(this.bytes[a]);
      joined.set(this.bytes[b], this.bytes[a].length);
      this.bytes.push(joined);
      this.ranks.set(pairKey(a, b), r);
    });
  }

  /** Number of ids: 256 bytes plus one per merge. */
  get vocabSize(): number {
    return this.bytes.length;
  }

  /**
   * The ids of `text`'s UTF-8 bytes after the merges. decode(encode(t)) === t for every string
   * without unpaired surrogates (those become U+FFFD, as UTF-8 cannot hold them).
   */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of preTokenize(text)) {
      let pieceIds = this.cache.get(piece);
      if (!pieceIds) {
        pieceIds = this.encodePiece(utf8.encode(piece));
        if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
        this.cache.set(piece, pieceIds);
      }
      for (const id of pieceIds) ids.push(id);
    }
    return ids;
  }

  /** The text of `ids`; byte sequences that are not valid UTF-8 decode to U+FFFD. */
  decode(ids: readonly number[]): string {
    let length = 0;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.bytes.length) {
        throw new MaasError("bad_input", `BPE id ${id} is outside [0, ${this.bytes.length})`);
      }
      length += this.bytes[id].length;
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const id of ids) {
      out.set(this.bytes[id], at);
      at += this.bytes[id].length;
    }
    return utf8Decoder.decode(out);
  }

  /** The state a model file stores. */
  toJSON(): BpeJson {
    return { merges: this.merges.map(([a, b]) => [a, b]), vocabSize: this.vocabSize };
  }

  /** A BPE from toJSON()'s output; checks the merges and that vocabSize agrees with them. */
  static fromJSON(j: BpeJson): Bpe {
    if (!Array.isArray(j.merges) || j.vocabSize !== 256 + j.merges.length) {
      throw new MaasError("bad_input", `BPE vocabSize ${j.vocabSize} must be 256 + the number of merges`);
    }
    return new Bpe(j.merges);
  }

  /** Applies merges to one piece's bytes, lowest rank first: the order training learned them. */
  private encodePiece(bytes: Uint8Array): number[] {
    let symbols = Array.from(bytes);
    for (;;) {
      let best = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const r = this.ranks.get(pairKey(symbols[i], symbols[i + 1]));
        if (r !== undefined && (best < 0 || r < best)) best = r;
      }
      if (best < 0) return symbols;
      const [a, b] = this.merges[best];
      symbols = mergePair(symbols, a, b, 256 + best);
    }
  }
}

/** `symbols` with every (a, b), scanned left to right without overlap, replaced by `id`. */
export function mergePair(symbols: readonly number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (symbols[i] === a && i + 1 < symbols.length && symbols[i + 1] === b) {
      out.push(id);
      i++;
    } else {
      out.push(symbols[i]);
    }
  }
  return out;
}
