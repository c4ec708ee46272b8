import { describe, expect, it } from "vitest";
import { Random } from "../engine/random.js";
import { MaasError } from "../errors.js";
import { kFolds, leaveLastOut, perUserHoldout, randomHoldout } from "./interaction-splits.js";
import type { InteractionSplit } from "./interaction-splits.js";
import { interactionsFromArrays, readInteractions } from "./interactions.js";
import { tableFromRows } from "./table.js";

/** User u{j} has j + 1 interactions (j = 0..9), with distinct items: 55 in all, users interleaved. */
function sample() {
  const users: string[] = [];
  const items: string[] = [];
  for (let round = 0; round < 10; round++) {
    for (let j = round; j < 10; j++) {
      users.push(`u${j}`);
      items.push(`i${round}`);
    }
  }
  return interactionsFromArrays("s.csv", users, items);
}

/** train and test are ascending, disjoint, and together every index below n. */
function expectPartition(s: InteractionSplit, n: number): void {
  const all = [...s.train, ...s.test].sort((a, b) => a - b);
  expect(all).toEqual(Array.from({ length: n }, (_v, i) => i));
  for (const side of [s.train, s.test]) for (let j = 1; j < side.length; j++) expect(side[j]).toBeGreaterThan(side[j - 1]);
}

describe("randomHoldout", () => {
  const x = sample();

  it("holds out round(N × fraction) interactions, the same ones for the same seed", () => {
    const s = randomHoldout(x, 0.2, new Random(7));
    expect(s.test.length).toBe(11); // round(55 × 0.2)
    expectPartition(s, 55);
    expect(randomHoldout(x, 0.2, new Random(7))).toEqual(s);
    expect(randomHoldout(x, 0.2, new Random(8)).test).not.toEqual(s.test);
  });

  it("rejects a fraction outside (0, 1)", () => {
    for (const f of [0, 1, -0.1, NaN]) expect(() => randomHoldout(x, f, new Random(1))).toThrow(MaasError);
    expect(() => randomHoldout(x, 1, new Random(1))).toThrow("the test fraction must be between 0 and 1 (exclusive); got 1");
  });
});

describe("kFolds", () => {
  it("splits 0..count-1 into k folds of near-equal size, the same for the same seed", () => {
    const folds = kFolds(10, 3, new Random(3));
    expect(folds.map((f) => f.length)).toEqual([3, 3, 4]); // ⌊10i/3⌋ = 0, 3, 6, 10
    expect([...folds.flatMap((f) => [...f])].sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_v, i) => i));
    for (const f of folds) expect([...f]).toEqual([...f].sort((a, b) => a - b));
    expect(kFolds(10, 3, new Random(3))).toEqual(folds);
    expect(kFolds(5, 5, new Random(1)).every((f) => f.length === 1)).toBe(true);
  });

  it("rejects k below 2, above the count, or fractional", () => {
    for (const k of [1, 11, 2.5]) expect(() => kFolds(10, k, new Random(1))).toThrow(MaasError);
    expect(() => kFolds(10, 11, new Random(1))).toThrow("k-fold cross-validation needs an integer k from 2 to the number of interactions (10); got 11");
  });
});

describe("perUserHoldout", () => {
  const x = sample();

  it("holds out round(m × fraction) of each user's m interactions, at least 1 and at most m - 1", () => {
    const s = perUserHoldout(x, 0.25, new Random(5));
    expectPartition(s, 55);
    const perUser = (side: Int32Array, u: number): number => side.filter((i) => x.user[i] === u).length;
    for (let u = 0; u < x.users.length; u++) {
      const m = Number(x.users[u].slice(1)) + 1;
      // m = 1 -> 0; m = 2 -> round(0.5) = 1; m = 3 -> 1; m = 4 -> 1; ...; m = 10 -> round(2.5) = 3
      const expected = m === 1 ? 0 : Math.min(Math.max(Math.round(m * 0.25), 1), m - 1);
      expect(perUser(s.test, u), `user ${x.users[u]}`).toBe(expected);
      expect(perUser(s.train, u)).toBe(m - expected);
    }
  });

  it("keeps every user in train and never holds out all of a user's interactions", () => {
    const s = perUserHoldout(x, 0.9, new Random(2));
    const trainUsers = new Set(Array.from(s.train, (i) => x.user[i]));
    expect(trainUsers.size).toBe(10);
    expect(s.test.length).toBe(55 - 10); // every user keeps exactly one
  });

  it("is the same for the same seed and differs for another", () => {
    const s = perUserHoldout(x, 0.3, new Random(11));
    expect(perUserHoldout(x, 0.3, new Random(11))).toEqual(s);
    expect(perUserHoldout(x, 0.3, new Random(12)).test).not.toEqual(s.test);
  });
});

describe("leaveLastOut", () => {
  it("holds out each user's latest interaction by time, a tie going to the last in the file", () => {
    const rows = [
      ["ann", "a", "50"],
      ["bob", "a", "10"],
      ["ann", "b", "70"], // ann's latest
      ["ann", "c", "20"],
      ["bob", "b", "10"], // bob's tie at 10: the last in the file
      ["cid", "a", "99"], // cid's only interaction: stays in train
    ];
    const x = readInteractions(tableFromRows("t.csv", ["u", "i", "t"], rows), { user: "u", item: "i", timestamp: "t" });
    const s = leaveLastOut(x);
    expect(Array.from(s.test)).toEqual([2, 4]);
    expect(Array.from(s.train)).toEqual([0, 1, 3, 5]);
  });

  it("without time, holds out each user's last interaction in the file order", () => {
    const x = interactionsFromArrays("f.csv", ["a", "b", "a", "c", "a", "b"], ["1", "1", "2", "1", "3", "2"]);
    const s = leaveLastOut(x);
    expect(Array.from(s.test)).toEqual([4, 5]);
    expectPartition(s, 6);
  });

  it("keeps an item seen only in test", () => {
    const x = interactionsFromArrays("f.csv", ["a", "a"], ["1", "new"]);
    const s = leaveLastOut(x);
    expect(x.items[x.item[s.test[0]]]).toBe("new");
    expect(Array.from(s.train, (i) => x.items[x.item[i]])).toEqual(["1"]);
  });
});
