// The BPE codec: exact round trips, the merge-by-rank encoder, and its saved form.
import { describe, expect, it } from "vitest";
import { Random } from "../engine/random.js";
import { Bpe, preTokenize } from "./bpe.js";
import { trainBpe } from "./bpe-train.js";
import { CORPUS, HARD_STRINGS } from "./text-fixtures.js";

const bpe = trainBpe(CORPUS, 400);

/** A random string of code points from many scripts, emoji and whitespace. */
function randomText(random: Random): string {
  const ranges: [number, number][] = [[0x0, 0x80], [0x80, 0x800], [0x3000, 0x3100], [0x4e00, 0x4f00], [0x1f300, 0x1f700], [0x2000, 0x2030], [0xfe00, 0xfe10]];
  let s = "";
  for (let i = 0, n = random.int(30); i < n; i++) {
    const [lo, hi] = ranges[random.int(ranges.length)];
    s += String.fromCodePoint(lo + random.int(hi - lo));
  }
  return s;
}

describe("preTokenize", () => {
  it("splits at script and space boundaries, keeping one leading space", () => {
    expect(preTokenize("Hi  there, 42x 机器")).toEqual(["Hi", " ", " there", ",", " 42", "x", " 机器"]);
  });

  it("loses nothing", () => {
    for (const s of HARD_STRINGS) expect(preTokenize(s).join("")).toBe(s);
  });
});

describe("Bpe", () => {
  it("round-trips mixed scripts, emoji and unusual whitespace exactly", () => {
    for (const s of HARD_STRINGS) expect(bpe.decode(bpe.encode(s))).toBe(s);
  });

  it("round-trips random strings", () => {
    const random = new Random(3);
    for (let trial = 0; trial < 500; trial++) {
      const s = randomText(random);
      expect(bpe.decode(bpe.encode(s)), JSON.stringify(s)).toBe(s);
    }
  });

  it("turns unpaired surrogates into U+FFFD, as UTF-8 must", () => {
    expect(bpe.decode(bpe.encode("a\ud800b"))).toBe("a\ufffdb");
  });

  it("uses the merges: fewer ids than bytes on training text", () => {
    const text = CORPUS[0];
    expect(bpe.encode(text).length).toBeLessThan(new TextEncoder().encode(text).length / 2);
  });

  it("encodes like applying every merge in learned order (the training procedure)", () => {
    const text = CORPUS.join(" ");
    const expected: number[] = [];
    for (const piece of preTokenize(text)) {
      let symbols = Array.from(new TextEncoder().encode(piece));
      bpe.merges.forEach(([a, b], r) => {
        const out: number[] = [];
        for (let i = 0; i < symbols.length; i++) {
          if (symbols[i] === a && symbols[i + 1] === b) {
            out.push(256 + r);
            i++;
          } else {
            out.push(symbols[i]);
          }
        }
        symbols = out;
      });
      expected.push(...symbols);
    }
    expect(bpe.encode(text)).toEqual(expected);
  });

  it("survives toJSON and fromJSON", () => {
    const json = JSON.parse(JSON.stringify(bpe.toJSON()));
    expect(json.vocabSize).toBe(256 + json.merges.length);
    const copy = Bpe.fromJSON(json);
    for (const s of [...CORPUS, ...HARD_STRINGS]) expect(copy.encode(s)).toEqual(bpe.encode(s));
  });

  it("rejects merges that use ids not yet defined, a wrong vocabSize and unknown ids", () => {
    const bad = expect.objectContaining({ code: "bad_input" });
    expect(() => Bpe.fromJSON({ merges: [[97, 256]], vocabSize: 257 })).toThrow(bad);
    expect(() => Bpe.fromJSON({ merges: [[97, 98]], vocabSize: 300 })).toThrow(bad);
    expect(() => bpe.decode([bpe.vocabSize])).toThrow(bad);
  });
});
