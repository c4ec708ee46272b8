// Byte-level BPE training. Pair counts are kept over the distinct pre-tokenizer pieces weighted by
// their frequency, and updated incrementally after each merge: only pieces containing the merged
// pair are revisited, and only pairs that touch the merged tokens change.
import { MaasError } from "../errors.js";
import { Bpe, MAX_VOCAB, mergePair, pairKey, preTokenize } from "./bpe.js";

/** A pair must occur at least this often (over all pieces) to be merged. */
const MIN_PAIR_COUNT = 2;

/**
 * Learns merges on `texts` until the vocabulary has `vocabSize` ids (256 bytes + merges), or until
 * no pair occurs twice. Deterministic: each step merges the most frequent adjacent pair, ties going
 * to the pair with the smaller first id, then the smaller second id (ids are bytes by value, then
 * merges in creation order), so the result does not depend on iteration order.
 *
 * @example trainBpe(["low lower lowest"], 260).merges // [[108, 111], [256, 119], ...]
 */
export function trainBpe(texts: Iterable<string>, vocabSize: number): Bpe {
  if (!Number.isInteger(vocabSize) || vocabSize < 256 || vocabSize > MAX_VOCAB) {
    throw new MaasError("bad_input", `BPE vocabSize must be an integer in [256, ${MAX_VOCAB}], got ${vocabSize}`);
  }
  const { words, freqs } = distinctPieces(texts);
  const counts = new Map<number, number>();
  const where = new Map<number, Set<number>>();
  words.forEach((symbols, w) => {
    for (let i = 0; i + 1 < symbols.length; i++) {
      const k = pairKey(symbols[i], symbols[i + 1]);
      counts.set(k, (counts.get(k) ?? 0) + freqs[w]);
      addTo(where, k, w);
    }
  });
  const queue = new PairQueue();
  for (const [k, c] of counts) queue.push(c, k);

  const merges: [number, number][] = [];
  while (256 + merges.length < vocabSize) {
    const k = queue.popCurrent(counts);
    if (k === undefined || counts.get(k)! < MIN_PAIR_COUNT) break;
    const a = Math.floor(k / MAX_VOCAB);
    const b = k % MAX_VOCAB;
    const id = 256 + merges.length;
    merges.push([a, b]);
    // Net change of every pair count this merge touches; a pair left intact nets to zero.
    const delta = new Map<number, number>();
    const add = (symbols: readonly number[], sign: number, f: number, touched: (x: number) => boolean, w: number): void => {
      for (let i = 0; i + 1 < symbols.length; i++) {
        if (!touched(symbols[i]) && !touched(symbols[i + 1])) continue;
        const p = pairKey(symbols[i], symbols[i + 1]);
        delta.set(p, (delta.get(p) ?? 0) + sign * f);
        if (sign > 0) addTo(where, p, w);
      }
    };
    for (const w of where.get(k)!) {
      const before = words[w];
      const after = mergePair(before, a, b, id);
      if (after.length === before.length) continue; // the pair left this piece in an earlier merge
      add(before, -1, freqs[w], (x) => x === a || x === b, w);
      add(after, +1, freqs[w], (x) => x === a || x === b || x === id, w);
      words[w] = after;
    }
    where.delete(k);
    for (const [p, d] of delta) {
      if (d === 0) continue;
      const c = (counts.get(p) ?? 0) + d;
      if (c > 0) {
        counts.set(p, c);
        queue.push(c, p);
      } else {
        counts.delete(p);
      }
    }
  }
  return new Bpe(merges);
}

/** The distinct pre-tokenizer pieces of `texts` as UTF-8 byte ids, with their frequencies. */
function distinctPieces(texts: Iterable<string>): { words: number[][]; freqs: number[] } {
  const pieceCounts = new Map<string, number>();
  for (const text of texts) {
    for (const piece of preTokenize(text)) pieceCounts.set(piece, (pieceCounts.get(piece) ?? 0) + 1);
  }
  const utf8 = new TextEncoder();
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [piece, f] of pieceCounts) {
    words.push(Array.from(utf8.encode(piece)));
    freqs.push(f);
  }
  return { words, freqs };
}

function addTo(where: Map<number, Set<number>>, k: number, w: number): void {
  let set = where.get(k);
  if (!set) where.set(k, (set = new Set()));
  set.add(w);
}

/**
 * Max-priority queue of (count, pair key): larger count first, then smaller key. Entries go stale
 * when a count changes; a new entry is pushed instead, and popCurrent skips the stale ones.
 */
class PairQueue {
  private readonly countsHeap: number[] = [];
  private readonly keysHeap: number[] = [];

  push(count: number, key: number): void {
    this.countsHeap.push(count);
    this.keysHeap.push(key);
    let i = this.countsHeap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /** Pops entries until one whose count is still current; undefined when the queue runs out. */
  popCurrent(counts: ReadonlyMap<number, number>): number | undefined {
    while (this.countsHeap.length > 0) {
      const count = this.countsHeap[0];
      const key = this.keysHeap[0];
      this.removeTop();
      if (counts.get(key) === count) return key;
    }
    return undefined;
  }

  private removeTop(): void {
    const last = this.countsHeap.length - 1;
    this.swap(0, last);
    this.countsHeap.pop();
    this.keysHeap.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < last && this.before(l, top)) top = l;
      if (r < last && this.before(r, top)) top = r;
      if (top === i) return;
      this.swap(i, top);
      i = top;
    }
  }

  private before(i: number, j: number): boolean {
    const ci = this.countsHeap[i];
    const cj = this.countsHeap[j];
    return ci > cj || (ci === cj && this.keysHeap[i] < this.keysHeap[j]);
  }

  private swap(i: number, j: number): void {
    [this.countsHeap[i], this.countsHeap[j]] = [this.countsHeap[j], this.countsHeap[i]];
    [this.keysHeap[i], this.keysHeap[j]] = [this.keysHeap[j], this.keysHeap[i]];
  }
}
