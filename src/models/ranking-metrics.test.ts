// Oracles: hand arithmetic, written beside each expectation, from the definitions in the doc
// comment of rankingMetrics (those of Microsoft Recommenders' python_evaluation and implicit).
import { describe, expect, it } from "vitest";
import { rankingMetrics, ratingMetrics } from "./ranking-metrics.js";

const DIGITS = 12;
const LOG2_3 = Math.log2(3); // discount of rank 2 is 1 / log2(3) ≈ 0.6309
const LOG2_5 = Math.log2(5); // discount of rank 4 is 1 / log2(5) ≈ 0.4307

describe("rankingMetrics", () => {
  it("matches the definitions on two users by hand, skipping a user with nothing relevant", () => {
    const recommended = [[5, 2, 9, 7, 1], [3, 4], [8, 6]];
    const relevant = [new Set([2, 7, 8]), new Set([3]), new Set<number>()];
    const m = rankingMetrics(recommended, relevant, 5);
    // User 0: hits at ranks 2 and 4 (items 2, 7); R = 3.
    //   precision = 2/5; recall = 2/3;
    //   DCG = 1/log2(3) + 1/log2(5); IDCG over min(3, 5) = 3 ranks = 1 + 1/log2(3) + 1/log2(4) = 1 + 1/log2(3) + 0.5;
    //   MAP = (1/3)(1/2 + 2/4) = 1/3.
    // User 1: 2 items for k = 5, hit at rank 1; R = 1.
    //   precision = 1/5 (divides by k); recall = 1; NDCG = 1/1 = 1; MAP = (1/1)(1/1) = 1.
    // User 2: no relevant item, skipped.
    const ndcg0 = (1 / LOG2_3 + 1 / LOG2_5) / (1 + 1 / LOG2_3 + 0.5);
    expect(m.users).toBe(2);
    expect(m.precision).toBeCloseTo((2 / 5 + 1 / 5) / 2, DIGITS); // 0.3
    expect(m.recall).toBeCloseTo((2 / 3 + 1) / 2, DIGITS); // 5/6
    expect(m.ndcg).toBeCloseTo((ndcg0 + 1) / 2, DIGITS);
    expect(ndcg0).toBeCloseTo(0.498189, 6); // 1.0616064 / 2.1309298
    expect(m.map).toBeCloseTo((1 / 3 + 1) / 2, DIGITS); // 2/3
  });

  it("counts only the first k recommendations", () => {
    // k = 2 of [5, 2, 9, 7]: one hit (item 2) at rank 2; item 7 at rank 4 is past k. R = 2.
    // precision = 1/2, recall = 1/2, NDCG = (1/log2 3) / (1 + 1/log2 3), MAP = (1/2)(1/2) = 1/4.
    const m = rankingMetrics([[5, 2, 9, 7]], [new Set([2, 7])], 2);
    expect(m.precision).toBeCloseTo(0.5, DIGITS);
    expect(m.recall).toBeCloseTo(0.5, DIGITS);
    expect(m.ndcg).toBeCloseTo(1 / LOG2_3 / (1 + 1 / LOG2_3), DIGITS);
    expect(m.map).toBeCloseTo(0.25, DIGITS);
  });

  it("gives NDCG 1 and MAP 1 when every recommendation is relevant, even with more relevant items than k", () => {
    const all = rankingMetrics([Int32Array.from([1, 2, 3])], [new Set([3, 2, 1])], 3);
    expect(all).toEqual({ precision: 1, recall: 1, ndcg: 1, map: 1, users: 1 });
    // R = 5 > k = 3: IDCG and the MAP denominator stop at min(5, 3) = 3; recall = 3/5.
    const more = rankingMetrics([[1, 2, 3]], [new Set([1, 2, 3, 4, 5])], 3);
    expect(more.ndcg).toBeCloseTo(1, DIGITS);
    expect(more.map).toBeCloseTo(1, DIGITS);
    expect(more.recall).toBeCloseTo(0.6, DIGITS);
  });

  it("handles k larger than the list: precision divides by k, NDCG and MAP by the ideal", () => {
    // k = 10, list [4, 9] with a hit at rank 2, R = 2: precision = 1/10; recall = 1/2;
    // NDCG = (1/log2 3) / (1 + 1/log2 3); MAP = (1/2)(1/2) = 1/4.
    const m = rankingMetrics([[4, 9]], [new Set([9, 12])], 10);
    expect(m.precision).toBeCloseTo(0.1, DIGITS);
    expect(m.recall).toBeCloseTo(0.5, DIGITS);
    expect(m.ndcg).toBeCloseTo(1 / LOG2_3 / (1 + 1 / LOG2_3), DIGITS);
    expect(m.map).toBeCloseTo(0.25, DIGITS);
  });

  it("gives zeros without hits, and NaN with no user to evaluate", () => {
    expect(rankingMetrics([[1, 2], []], [new Set([3]), new Set([4])], 2)).toEqual({ precision: 0, recall: 0, ndcg: 0, map: 0, users: 2 });
    const none = rankingMetrics([[1]], [new Set<number>()], 1);
    expect(none.users).toBe(0);
    expect(none.ndcg).toBeNaN();
  });

  it("rejects mismatched inputs and a k that is not a positive integer", () => {
    expect(() => rankingMetrics([[1]], [], 1)).toThrow("rankingMetrics: 1 recommendation lists for 0 relevant sets");
    for (const k of [0, -1, 1.5]) expect(() => rankingMetrics([[1]], [new Set([1])], k)).toThrow(/positive integer k/);
  });
});

describe("ratingMetrics", () => {
  it("gives RMSE and MAE by hand", () => {
    // errors 1, 0, -2: RMSE = √((1 + 0 + 4)/3) = √(5/3); MAE = 3/3 = 1
    const m = ratingMetrics([4, 2, 3], [3, 2, 5]);
    expect(m.rmse).toBeCloseTo(Math.sqrt(5 / 3), DIGITS);
    expect(m.mae).toBeCloseTo(1, DIGITS);
    expect(Object.keys(m).sort()).toEqual(["mae", "rmse"]);
  });
});
