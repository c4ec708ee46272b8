// Word segmentation: properties that hold across ICU versions, not one version's exact splits.
import { describe, expect, it } from "vitest";
import { icuVersion, words } from "./words.js";

describe("words", () => {
  it("keeps words and emoji, drops spaces, punctuation and other symbols", () => {
    expect(words("Hi, 👍🏽 and 👨\u200d👩\u200d👧 🇫🇷 — don't pay $5!")).toEqual(["Hi", "👍🏽", "and", "👨\u200d👩\u200d👧", "🇫🇷", "don't", "pay", "5"]);
  });

  for (const [language, text, locale] of [
    ["Chinese", "我喜欢机器学习", "zh"],
    ["Japanese", "私は機械学習が好きです", "ja"],
  ]) {
    it(`splits ${language} into dictionary words: more than one, fewer than characters`, () => {
      const found = words(text, locale);
      expect(found.length).toBeGreaterThan(1);
      expect(found.length).toBeLessThan([...text].length);
      expect(found.join("")).toBe(text);
    });
  }

  it("segments mixed English and Chinese", () => {
    const found = words("I love 机器学习 and NLP");
    expect(found.slice(0, 2)).toEqual(["I", "love"]);
    expect(found.slice(-2)).toEqual(["and", "NLP"]);
    expect(found.slice(2, -2).join("")).toBe("机器学习");
  });

  it("rejects an invalid locale as bad input", () => {
    expect(() => words("x", "not a locale!")).toThrow(expect.objectContaining({ code: "bad_input" }));
  });

  it("names the ICU and Unicode versions", () => {
    expect(icuVersion()).toBe(`ICU ${process.versions.icu}, Unicode ${process.versions.unicode}`);
  });
});
