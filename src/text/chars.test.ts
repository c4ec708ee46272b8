// Grapheme clusters: what a reader counts as one character is one token.
import { describe, expect, it } from "vitest";
import { graphemes } from "./chars.js";

describe("graphemes", () => {
  it("keeps emoji sequences, flags and combining accents whole", () => {
    const text = "👍🏽 👨\u200d👩\u200d👧 🇫🇷 e\u0301";
    expect(graphemes(text)).toEqual(["👍🏽", " ", "👨\u200d👩\u200d👧", " ", "🇫🇷", " ", "e\u0301"]);
  });

  it("keeps spaces and gives one token per Chinese character", () => {
    expect(graphemes("a 机器")).toEqual(["a", " ", "机", "器"]);
  });

  it("keeps CRLF as one cluster and joins back to the input", () => {
    const text = "x\r\ny\u00a0\u3000z";
    expect(graphemes(text)).toContain("\r\n");
    expect(graphemes(text).join("")).toBe(text);
  });
});
