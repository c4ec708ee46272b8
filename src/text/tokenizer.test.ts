// The entry point: each kind trains, encodes into the shared id space, and reloads from its state.
import { describe, expect, it } from "vitest";
import { Bpe } from "./bpe.js";
import { CORPUS, HARD_STRINGS } from "./text-fixtures.js";
import { normalizeText } from "./normalize.js";
import type { TokenizerConfig, TokenizerKind } from "./tokenizer.js";
import { DEFAULT_TOKENIZER_CONFIG, splitText, Tokenizer } from "./tokenizer.js";
import { PADDING_ID, UNKNOWN_ID } from "./vocabulary.js";
import { icuVersion } from "./words.js";

const config = (kind: TokenizerKind): TokenizerConfig => ({ ...DEFAULT_TOKENIZER_CONFIG, kind, vocabSize: 400, minCount: 1 });

describe("splitText", () => {
  it("normalises, then splits into words or grapheme clusters", () => {
    expect(splitText("Ｈｉ,\u00a0👍🏽!", { kind: "word", lowercase: true })).toEqual(["hi", "👍🏽"]);
    expect(splitText(" Ａ\u3000\u3000e\u0301 ", { kind: "char", lowercase: false })).toEqual(["A", " ", "\u00e9"]);
  });

  it("has no token strings for bpe", () => {
    expect(() => splitText("x", { kind: "bpe", lowercase: false })).toThrow(expect.objectContaining({ code: "bad_input" }));
  });
});

describe("Tokenizer", () => {
  for (const kind of ["word", "char", "bpe"] as const) {
    it(`${kind}: ids in [2, size) for training text, and the same ids after a JSON round trip`, () => {
      const tokenizer = Tokenizer.train(CORPUS, config(kind));
      const state = JSON.parse(JSON.stringify(tokenizer.toJSON()));
      expect(state.unicode).toBe(icuVersion());
      const reloaded = Tokenizer.fromJSON(config(kind), state);
      expect(reloaded.size).toBe(tokenizer.size);
      for (const text of [...CORPUS, ...HARD_STRINGS]) {
        const ids = tokenizer.encode(text);
        expect(reloaded.encode(text)).toEqual(ids);
        for (const id of ids) expect(id).toBeLessThan(tokenizer.size);
      }
      for (const text of CORPUS) for (const id of tokenizer.encode(text)) expect(id).toBeGreaterThan(UNKNOWN_ID);
    });
  }

  it("word: unseen words are unknown, and vocabSize counts the reserved ids", () => {
    const tokenizer = Tokenizer.train(CORPUS, { ...config("word"), vocabSize: 5 });
    expect(tokenizer.size).toBe(5);
    expect(tokenizer.encode("the zebra")).toEqual([2, UNKNOWN_ID]);
  });

  it("bpe: ids are BPE ids + 2, so decoding them gives the normalised text back", () => {
    const tokenizer = Tokenizer.train(CORPUS, config("bpe"));
    const state = tokenizer.toJSON();
    if (state.kind !== "bpe") throw new Error("expected a bpe state");
    const bpe = new Bpe(state.merges);
    for (const text of HARD_STRINGS) {
      const ids = tokenizer.encode(text);
      expect(ids).not.toContain(PADDING_ID);
      expect(bpe.decode(ids.map((id) => id - 2))).toBe(normalizeText(text, { lowercase: true }));
    }
    expect(tokenizer.size).toBeLessThanOrEqual(400);
  });

  it("rejects a bpe vocabSize without room for the reserved ids and the bytes", () => {
    expect(() => Tokenizer.train(CORPUS, { ...config("bpe"), vocabSize: 257 })).toThrow(expect.objectContaining({ code: "bad_input" }));
  });

  it("rejects a state of another kind", () => {
    const state = Tokenizer.train(CORPUS, config("char")).toJSON();
    expect(() => Tokenizer.fromJSON(config("word"), state)).toThrow(expect.objectContaining({ code: "bad_input" }));
  });
});

describe("decode", () => {
  it("bpe and char give back the normalised text; word joins words with spaces", () => {
    const text = "Call me Ishmael. 我喜欢 whales 🐋";
    for (const kind of ["bpe", "char"] as const) {
      const t = Tokenizer.train([text, "whales whales"], { kind, lowercase: false, vocabSize: 300, minCount: 1 });
      expect(t.decode(t.encode(text))).toBe(text);
    }
    const w = Tokenizer.train([text], { kind: "word", lowercase: true, vocabSize: 100, minCount: 1 });
    expect(w.decode(w.encode("call me ishmael"))).toBe("call me ishmael");
  });
});
