// Hashed n-grams against FNV-1a's published test vectors and a direct computation.
import { describe, expect, it } from "vitest";
import { hashNgrams, ngramHash } from "./ngrams.js";

describe("ngramHash", () => {
  it("is 32-bit FNV-1a (published vectors)", () => {
    expect(ngramHash([""])).toBe(0x811c9dc5);
    expect(ngramHash(["a"])).toBe(0xe40c292c);
    expect(ngramHash(["foobar"])).toBe(0xbf9cf968);
  });

  it("is stable for a fixed input, separator and UTF-8 included (values from an independent Python FNV-1a)", () => {
    expect(ngramHash(["new", "york"])).toBe(0x0576f331);
    expect(ngramHash(["机器", "学习"])).toBe(0x489c2fb5);
  });

  it("separates tokens with a byte UTF-8 cannot contain", () => {
    expect(ngramHash(["a b"])).not.toBe(ngramHash(["a", "b"]));
    expect(ngramHash(["ab", "c"])).not.toBe(ngramHash(["a", "bc"]));
  });
});

describe("hashNgrams", () => {
  it("gives the 2..n-grams by position then length, modulo buckets", () => {
    const tokens = ["a", "b", "c", "d"];
    const buckets = 1009;
    const expected = [["a", "b"], ["a", "b", "c"], ["b", "c"], ["b", "c", "d"], ["c", "d"]].map((g) => ngramHash(g) % buckets);
    expect(hashNgrams(tokens, 3, buckets)).toEqual(expected);
  });

  it("gives nothing for n = 1 or fewer than two tokens", () => {
    expect(hashNgrams(["a", "b"], 1, 10)).toEqual([]);
    expect(hashNgrams(["a"], 3, 10)).toEqual([]);
  });

  it("rejects bad n and bucket counts", () => {
    expect(() => hashNgrams(["a"], 0, 10)).toThrow(expect.objectContaining({ code: "bad_input" }));
    expect(() => hashNgrams(["a"], 2, 0)).toThrow(expect.objectContaining({ code: "bad_input" }));
  });
});
