// Vocabularies: ordering, reserved ids, limits and the saved form.
import { describe, expect, it } from "vitest";
import { buildVocabulary, compareCodePoints, PADDING_ID, UNKNOWN_ID, Vocabulary } from "./vocabulary.js";

const docs = [
  ["b", "a", "c", "b"],
  ["c", "b", "d", "a"],
  ["e", "\u{1f600}", "\uff21", "\u{1f600}", "\uff21"],
];

describe("buildVocabulary", () => {
  it("puts padding and unknown first, then tokens by count, ties in code-point order", () => {
    // Counts: b 3; a, c, 😀, Ａ 2; d, e 1. U+FF21 < U+1F600 by code point, although not by UTF-16 unit.
    const v = buildVocabulary(docs, { maxSize: 100, minCount: 1 });
    expect(v.toJSON()).toEqual(["<pad>", "<unk>", "b", "a", "c", "\uff21", "\u{1f600}", "d", "e"]);
    expect([v.id("<pad>"), v.id("<unk>"), v.id("b")]).toEqual([PADDING_ID, UNKNOWN_ID, 2]);
    expect(v.token(0)).toBe("<pad>");
    expect(v.token(2)).toBe("b");
  });

  it("maps unseen tokens to unknown", () => {
    expect(buildVocabulary(docs, { maxSize: 100, minCount: 1 }).id("zzz")).toBe(UNKNOWN_ID);
  });

  it("respects maxSize (reserved ids included) and minCount", () => {
    expect(buildVocabulary(docs, { maxSize: 4, minCount: 1 }).toJSON()).toEqual(["<pad>", "<unk>", "b", "a"]);
    const frequent = buildVocabulary(docs, { maxSize: 100, minCount: 2 });
    expect(frequent.size).toBe(7);
    expect(frequent.id("d")).toBe(UNKNOWN_ID);
  });

  it("does not depend on document order", () => {
    const a = buildVocabulary(docs, { maxSize: 100, minCount: 1 }).toJSON();
    expect(buildVocabulary([...docs].reverse(), { maxSize: 100, minCount: 1 }).toJSON()).toEqual(a);
  });

  it("gives a literal <unk> in the data the reserved id", () => {
    const v = buildVocabulary([["<unk>", "<unk>", "x"]], { maxSize: 10, minCount: 1 });
    expect(v.toJSON()).toEqual(["<pad>", "<unk>", "x"]);
  });

  it("rejects a maxSize without room for the reserved ids", () => {
    expect(() => buildVocabulary(docs, { maxSize: 1, minCount: 1 })).toThrow(expect.objectContaining({ code: "bad_input" }));
  });
});

describe("Vocabulary", () => {
  it("survives toJSON and fromJSON", () => {
    const v = buildVocabulary(docs, { maxSize: 100, minCount: 1 });
    const copy = Vocabulary.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
    for (const t of ["a", "\u{1f600}", "missing"]) expect(copy.id(t)).toBe(v.id(t));
  });

  it("rejects a saved form without the reserved tokens or with duplicates, and ids out of range", () => {
    const bad = expect.objectContaining({ code: "bad_input" });
    expect(() => Vocabulary.fromJSON(["a", "b"])).toThrow(bad);
    expect(() => Vocabulary.fromJSON(["<pad>", "<unk>", "a", "a"])).toThrow(bad);
    expect(() => Vocabulary.fromJSON(["<pad>", "<unk>"]).token(2)).toThrow(bad);
  });
});

describe("compareCodePoints", () => {
  it("orders by code point, shorter prefix first", () => {
    expect(["\u{1f600}", "\uff21", "a", "", "ab"].sort(compareCodePoints)).toEqual(["", "a", "ab", "\uff21", "\u{1f600}"]);
  });
});
