import { expect, test } from "vitest";
import { graphemes } from "./chars.js";
import { chunks } from "./chunks.js";
import { words } from "./words.js";

test("a long text is cut at spaces, and segments as it would whole", () => {
  const text = Array.from({ length: 6000 }, (_v, i) => `word${i} 好 👍🏽`).join(" ");
  const pieces = [...chunks(text)];
  expect(pieces.length).toBeGreaterThan(5);
  expect(pieces.join("")).toBe(text);
  for (const p of pieces.slice(0, -1)) expect(p.endsWith(" ")).toBe(true);
  const small = text.slice(0, 30_000); // whole-string segmentation is still fast at this size
  const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
  expect(graphemes(small)).toEqual(Array.from(segmenter.segment(small), (s) => s.segment));
  expect(words(text).length).toBe(6000 * 3);
});
