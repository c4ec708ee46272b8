// BPE training against a direct implementation that recounts every pair at every step.
import { describe, expect, it } from "vitest";
import { Random } from "../engine/random.js";
import { mergePair, preTokenize } from "./bpe.js";
import { trainBpe } from "./bpe-train.js";
import { CORPUS } from "./text-fixtures.js";

/** The corpus, upper-cased and reversed too: enough pairs for a few hundred merges. */
const WIDE = CORPUS.flatMap((t) => [t, t.toUpperCase(), [...t].reverse().join("")]);

/** The specification: recount all pairs, merge the most frequent (ties: smaller ids), repeat. */
function naiveMerges(texts: readonly string[], vocabSize: number): [number, number][] {
  const words = texts.flatMap(preTokenize).map((p) => Array.from(new TextEncoder().encode(p)));
  const merges: [number, number][] = [];
  while (256 + merges.length < vocabSize) {
    const counts = new Map<string, number>();
    for (const w of words) for (let i = 0; i + 1 < w.length; i++) counts.set(`${w[i]},${w[i + 1]}`, (counts.get(`${w[i]},${w[i + 1]}`) ?? 0) + 1);
    let best: [number, number] | undefined;
    let bestCount = 1;
    for (const [key, c] of counts) {
      const [a, b] = key.split(",").map(Number);
      if (c > bestCount || (c === bestCount && best && (a < best[0] || (a === best[0] && b < best[1])))) [best, bestCount] = [[a, b], c];
    }
    if (!best) break;
    merges.push(best);
    for (let i = 0; i < words.length; i++) words[i] = mergePair(words[i], best[0], best[1], 255 + merges.length);
  }
  return merges;
}

describe("trainBpe", () => {
  it("learns the same merges as recounting every pair at every step", () => {
    const expected = naiveMerges(WIDE, 420);
    expect(expected.length).toBeGreaterThan(100);
    expect(trainBpe(WIDE, 420).merges).toEqual(expected);
  });

  it("agrees with recounting on random text with many ties and repeated symbols", () => {
    const random = new Random(11);
    const texts = Array.from({ length: 40 }, () => Array.from({ length: 30 }, () => "aab  c\tdé机"[random.int(10)]).join(""));
    const expected = naiveMerges(texts, 330);
    expect(expected.length).toBe(330 - 256);
    expect(trainBpe(texts, 330).merges).toEqual(expected);
  });

  it("breaks count ties by the smaller first id, then the smaller second id", () => {
    // Pairs ab, bc, cd all occur twice: ab goes first; then cd (99, 100) before (256, 99).
    expect(trainBpe(["abcd abcd"], 259).merges).toEqual([[97, 98], [99, 100], [256, 257]]);
  });

  it("is deterministic and independent of text order", () => {
    const first = trainBpe(CORPUS, 400).toJSON();
    expect(trainBpe(CORPUS, 400).toJSON()).toEqual(first);
    expect(trainBpe([...CORPUS].reverse(), 400).toJSON()).toEqual(first);
  });

  it("stops at vocabSize, or earlier when no pair occurs twice", () => {
    expect(trainBpe(WIDE, 300).vocabSize).toBe(300);
    expect(trainBpe(["abc"], 1000).vocabSize).toBe(256);
    expect(trainBpe(WIDE, 256).merges).toEqual([]);
  });

  it("rejects a vocabSize below the 256 bytes", () => {
    expect(() => trainBpe(CORPUS, 255)).toThrow(expect.objectContaining({ code: "bad_input" }));
  });

  it("reads a one-shot iterable once", () => {
    function* once(): Generator<string> {
      yield* CORPUS;
    }
    expect(trainBpe(once(), 400).merges).toEqual(trainBpe(CORPUS, 400).merges);
  });
});
