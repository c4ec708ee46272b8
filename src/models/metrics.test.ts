// Oracles: expected numbers were computed with scikit-learn 1.2.1 (Debian python3-sklearn) by the
// call named beside each; `P` is the probability matrix, `pred = P.argmax(axis=1)`, `L = list(range(K))`.
// ROC-AUC is also checked against its definition by brute force over all (positive, negative) pairs.
import { describe, expect, it } from "vitest";
import { Random } from "../engine/random.js";
import { binaryRocAuc, classificationMetrics, regressionMetrics } from "./metrics.js";

/** sklearn's floats and ours may differ in the last bits of the summation. */
const DIGITS = 12;

// ---------------------------------------------------------------------------------------------
// Regression
// ---------------------------------------------------------------------------------------------

describe("regressionMetrics", () => {
  it("matches sklearn on the r2_score docstring example, checked by hand", () => {
    // mean_squared_error, mean_squared_error(squared=False), mean_absolute_error, r2_score
    // By hand: errors 0.5, -0.5, 0, -1 -> SS_res = 1.5, MSE = 1.5/4 = 0.375, MAE = 2/4 = 0.5;
    // ȳ = 11.5/4 = 2.875, SS_tot = 0.125² + 3.375² + 0.875² + 4.125² = 29.1875, R² = 1 - 1.5/29.1875.
    const m = regressionMetrics([3, -0.5, 2, 7], [2.5, 0, 2, 8]);
    expect(m.mse).toBeCloseTo(0.375, DIGITS);
    expect(m.rmse).toBeCloseTo(0.6123724356957945, DIGITS);
    expect(m.mae).toBeCloseTo(0.5, DIGITS);
    expect(m.r2).toBeCloseTo(0.9486081370449679, DIGITS);
    expect(m.r2).toBeCloseTo(1 - 1.5 / 29.1875, DIGITS);
  });

  it("matches sklearn on eight rows", () => {
    // same four sklearn calls
    const m = regressionMetrics([1.2, -0.7, 3.3, 0.0, 5.5, 2.2, -1.1, 4.0], [1.0, -0.2, 2.9, 0.4, 6.1, 2.2, -1.5, 3.1]);
    expect(m.mse).toBeCloseTo(0.2424999999999999, DIGITS);
    expect(m.rmse).toBeCloseTo(0.49244289008980513, DIGITS);
    expect(m.mae).toBeCloseTo(0.42499999999999993, DIGITS);
    expect(m.r2).toBeCloseTo(0.9505102040816327, DIGITS);
  });

  it("gives zero errors and R² = 1 for perfect predictions", () => {
    expect(regressionMetrics([1.5, -2, 3, 10], [1.5, -2, 3, 10])).toEqual({ mse: 0, rmse: 0, mae: 0, r2: 1 });
  });

  it("lets R² go negative for predictions worse than the mean", () => {
    // r2_score([1, 2, 3], [3, 2, 1]) = -3.0  (SS_res = 8, SS_tot = 2)
    expect(regressionMetrics([1, 2, 3], [3, 2, 1]).r2).toBeCloseTo(-3, DIGITS);
  });

  it("follows sklearn's constant-target convention: R² = 1 if perfect, else 0", () => {
    // r2_score([2, 2, 2], [2, 2, 2]) = 1.0; r2_score([2, 2, 2], [1, 2, 3]) = 0.0
    expect(regressionMetrics([2, 2, 2], [2, 2, 2]).r2).toBe(1);
    const off = regressionMetrics([2, 2, 2], [1, 2, 3]);
    expect(off.r2).toBe(0);
    expect(off.mse).toBeCloseTo(0.6666666666666666, DIGITS);
  });

  it("detects a constant target that the float mean does not reproduce exactly", () => {
    // r2_score([0.1]*3, [0.2, 0.1, 0.1]) = -1.7307656195116095e+31 in sklearn: the computed mean
    // is off by one ulp, so SS_tot ≈ 6e-34 instead of 0. The convention's intent is 0.
    expect(regressionMetrics([0.1, 0.1, 0.1], [0.2, 0.1, 0.1]).r2).toBe(0);
    expect(regressionMetrics([0.1, 0.1, 0.1], [0.1, 0.1, 0.1]).r2).toBe(1);
  });

  it("rejects mismatched or empty inputs", () => {
    expect(() => regressionMetrics([1, 2], [1])).toThrow(/2 rows.*1/);
    expect(() => regressionMetrics([], [])).toThrow(/at least one row/);
  });
});

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

interface SklearnCase {
  accuracy: number; // accuracy_score(y, pred)
  logLoss: number; // log_loss(y, P, labels=L)
  macroF1: number; // f1_score(y, pred, labels=L, average="macro", zero_division=0)
  rocAuc: number; // roc_auc_score(y, P[:, 1]) for K = 2, else roc_auc_score(y, P, multi_class="ovr", average="macro", labels=L)
  confusion: number[][]; // confusion_matrix(y, pred, labels=L)
}

function expectMetrics(y: number[], rows: number[][], expected: SklearnCase): void {
  const m = classificationMetrics(y, rows.flat(), rows[0].length);
  expect(m.accuracy).toBeCloseTo(expected.accuracy, DIGITS);
  expect(m.logLoss).toBeCloseTo(expected.logLoss, DIGITS);
  expect(m.macroF1).toBeCloseTo(expected.macroF1, DIGITS);
  expect(m.rocAuc).toBeCloseTo(expected.rocAuc, DIGITS);
  expect(m.confusion).toEqual(expected.confusion);
}

describe("classificationMetrics", () => {
  it("matches sklearn on a binary case checked by hand", () => {
    // Scores p[:, 1] = [0.1, 0.4, 0.35, 0.8] (roc_auc_score's docstring example). By hand:
    // AUC: positive 0.35 beats negative 0.1 but not 0.4; 0.8 beats both -> 3 of 4 pairs = 0.75.
    // pred = [0, 0, 0, 1]; F1₀ = 2·2/(2·2 + 1 + 0) = 0.8, F1₁ = 2·1/(2·1 + 0 + 1) = 2/3, mean 0.7333.
    // log loss = -(ln 0.9 + ln 0.6 + ln 0.35 + ln 0.8)/4.
    const rows = [[0.9, 0.1], [0.6, 0.4], [0.65, 0.35], [0.2, 0.8]];
    expectMetrics([0, 0, 1, 1], rows, {
      accuracy: 0.75,
      logLoss: 0.47228795380917615,
      macroF1: 0.7333333333333334,
      rocAuc: 0.75,
      confusion: [[2, 0], [1, 1]],
    });
    const byHand = -(Math.log(0.9) + Math.log(0.6) + Math.log(0.35) + Math.log(0.8)) / 4;
    expect(classificationMetrics([0, 0, 1, 1], rows.flat(), 2).logLoss).toBeCloseTo(byHand, 14);
  });

  it("scores perfect predictions as perfect (3 classes)", () => {
    const rows = [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.05, 0.9, 0.05], [0.6, 0.3, 0.1], [0.3, 0.3, 0.4]];
    expectMetrics([0, 1, 2, 1, 0, 2], rows, {
      accuracy: 1,
      logLoss: 0.41149505174827433,
      macroF1: 1,
      rocAuc: 1,
      confusion: [[2, 0, 0], [0, 2, 0], [0, 0, 2]],
    });
  });

  it("gives tied scores half credit in ROC-AUC and breaks argmax ties toward the lowest class", () => {
    // Ties across classes at 0.5 (two negatives, two positives) and at 0.2 / 0.8.
    // Rows [0.5, 0.5] are predicted class 0, as numpy's argmax does.
    const rows = [[0.5, 0.5], [0.5, 0.5], [0.8, 0.2], [0.2, 0.8], [0.8, 0.2], [0.2, 0.8], [0.5, 0.5], [0.5, 0.5], [0.7, 0.3], [0.3, 0.7]];
    expectMetrics([0, 1, 0, 1, 1, 0, 1, 0, 0, 1], rows, {
      accuracy: 0.6,
      logLoss: 0.7151101537613866,
      macroF1: 0.5833333333333333,
      rocAuc: 0.6,
      confusion: [[4, 1], [3, 2]],
    });
  });

  it("matches sklearn on 4 classes (macro one-vs-rest AUC)", () => {
    // per-class roc_auc_score(y == k, P[:, k]) = [0.7963, 0.9444, 1.0, 0.95]
    const rows = [
      [0.7, 0.1, 0.1, 0.1], [0.2, 0.5, 0.2, 0.1], [0.1, 0.2, 0.6, 0.1], [0.1, 0.1, 0.2, 0.6],
      [0.4, 0.3, 0.2, 0.1], [0.3, 0.3, 0.3, 0.1], [0.25, 0.25, 0.25, 0.25], [0.1, 0.6, 0.1, 0.2],
      [0.2, 0.2, 0.2, 0.4], [0.5, 0.1, 0.3, 0.1], [0.15, 0.35, 0.35, 0.15], [0.3, 0.1, 0.1, 0.5],
    ];
    expectMetrics([0, 1, 2, 3, 1, 2, 0, 1, 3, 2, 2, 0], rows, {
      accuracy: 0.5833333333333334,
      logLoss: 0.8958831192160931,
      macroF1: 0.5916666666666666,
      rocAuc: 0.9226851851851852,
      confusion: [[2, 0, 0, 1], [1, 2, 0, 0], [2, 1, 1, 0], [0, 0, 0, 2]],
    });
  });

  it("counts F1 = 0 for a class that is never predicted (zero_division=0)", () => {
    // Class 2 has three rows, none predicted 2: precision 0/0 -> 0, recall 0, F1 0.
    // per-class AUC [1.0, 0.9, 0.8333]
    const rows = [[0.6, 0.3, 0.1], [0.2, 0.42, 0.38], [0.5, 0.1, 0.4], [0.3, 0.4, 0.3], [0.8, 0.1, 0.1], [0.45, 0.5, 0.05], [0.2, 0.45, 0.35]];
    expectMetrics([0, 1, 2, 2, 0, 1, 2], rows, {
      accuracy: 0.5714285714285714,
      logLoss: 0.7806717977205196,
      macroF1: 0.48888888888888893,
      rocAuc: 0.9111111111111111,
      confusion: [[2, 0, 0], [0, 2, 0], [1, 2, 0]],
    });
  });

  it("averages F1 over all K classes and skips classes without AUC when a class is absent", () => {
    // Class 3 of K = 4 appears neither in y nor in pred. With labels=L, sklearn's macro F1 is
    // 0.6167 (class 3 counts 0); without labels it is 0.8222 (class 3 left out). Here: the former.
    // roc_auc_score(..., multi_class="ovr", labels=L) raises ("Only one class present in y_true");
    // here class 3 is skipped: mean of roc_auc_score(y == k, P[:, k]) for k < 3 = (0.875 + 1 + 1)/3.
    const rows = [[0.7, 0.1, 0.1, 0.1], [0.35, 0.45, 0.1, 0.1], [0.2, 0.2, 0.5, 0.1], [0.3, 0.4, 0.2, 0.1], [0.2, 0.5, 0.2, 0.1], [0.1, 0.1, 0.7, 0.1]];
    expectMetrics([0, 1, 2, 0, 1, 2], rows, {
      accuracy: 0.8333333333333334,
      logLoss: 0.6836874582568436,
      macroF1: 0.6166666666666667,
      rocAuc: (0.875 + 1 + 1) / 3,
      confusion: [[1, 1, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 0]],
    });
  });

  it("returns NaN ROC-AUC when no class has both positives and negatives", () => {
    // sklearn raises ValueError ("Only one class present in y_true") in both cases.
    expect(classificationMetrics([0, 0, 0], [0.4, 0.6, 0.3, 0.7, 0.9, 0.1], 2).rocAuc).toBeNaN();
    const three = classificationMetrics([0, 0, 0], [0.5, 0.3, 0.2, 0.5, 0.3, 0.2, 0.5, 0.3, 0.2], 3);
    expect(three.rocAuc).toBeNaN();
    // f1_score([0, 0, 0], [0, 0, 0], labels=[0, 1, 2], average="macro", zero_division=0) = 1/3
    expect(three.macroF1).toBeCloseTo(1 / 3, DIGITS);
    expect(three.accuracy).toBe(1);
  });

  it("clips a zero probability of the true class at 1e-15", () => {
    // log_loss([0, 1, 1], [[1, 0], [1, 0], [0.3, 0.7]], eps=1e-15) = 11.631817112949806
    // = (0 + -ln 1e-15 + -ln 0.7)/3; sklearn's renormalization after clipping moves it by ~1e-15.
    const m = classificationMetrics([0, 1, 1], [1, 0, 1, 0, 0.3, 0.7], 2);
    expect(m.logLoss).toBeCloseTo(11.631817112949806, DIGITS);
    expect(m.logLoss).toBeCloseTo((-Math.log(1e-15) - Math.log(0.7)) / 3, DIGITS);
  });

  it("does not renormalize rows that do not sum to 1 (unlike sklearn)", () => {
    // log_loss([0, 1], [[0.5, 0.3], [0.2, 0.2]]) = 0.5815754049028404 renormalizes to
    // [0.625, 0.375], [0.5, 0.5]; the probabilities as given give -(ln 0.5 + ln 0.2)/2.
    const m = classificationMetrics([0, 1], [0.5, 0.3, 0.2, 0.2], 2);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.5) + Math.log(0.2)) / 2, DIGITS);
    expect(m.logLoss).not.toBeCloseTo(0.5815754049028404, 3);
  });

  it("ranks binary rows by p[:, 1] alone, even when the rows do not sum to 1", () => {
    // roc_auc_score([0, 0, 1, 1], P[:, 1]) with P[:, 1] = [0.1, 0.4, 0.35, 0.8] = 0.75; column 0
    // read as class 0's score would give 1/4 (0.6 beats 0.5; 0.1 beats neither 0.5 nor 0.9).
    const m = classificationMetrics([0, 0, 1, 1], [0.6, 0.1, 0.1, 0.4, 0.5, 0.35, 0.9, 0.8], 2);
    expect(m.rocAuc).toBe(0.75);
  });

  it("rejects bad shapes and labels, naming them", () => {
    expect(() => classificationMetrics([0, 1], [0.5, 0.5, 0.5], 2)).toThrow(/3 values, \[2, 2\] needs 4/);
    expect(() => classificationMetrics([0, 2], [0.5, 0.5, 0.5, 0.5], 2)).toThrow(/row 1 has class 2/);
    expect(() => classificationMetrics([0.5], [0.5, 0.5], 2)).toThrow(/row 0 has class 0.5/);
    expect(() => classificationMetrics([0], [1], 1)).toThrow(/at least 2 classes/);
    expect(() => classificationMetrics([], [], 2)).toThrow(/at least one row/);
  });
});

// ---------------------------------------------------------------------------------------------
// ROC-AUC against its definition and its invariance
// ---------------------------------------------------------------------------------------------

/** AUC by definition: over all (positive, negative) pairs, 1 if the positive scores higher, ½ if tied. */
function bruteForceAuc(isPositive: boolean[], scores: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!isPositive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (isPositive[j]) continue;
      pairs++;
      if (scores[i] > scores[j]) wins += 1;
      else if (scores[i] === scores[j]) wins += 0.5;
    }
  }
  return wins / pairs;
}

/** Scores on a coarse grid, so that many are tied. */
function tiedScores(rng: Random, n: number): number[] {
  return Array.from({ length: n }, () => Math.round(rng.normal() * 10) / 10);
}

describe("ROC-AUC", () => {
  it("binaryRocAuc matches the roc_auc_score docstring example and the K = 2 metric", () => {
    // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) = 0.75
    expect(binaryRocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(binaryRocAuc([0, 0, 0], [0.1, 0.4, 0.35])).toBeNaN();
    expect(binaryRocAuc([1, 1], [0.1, 0.4])).toBeNaN();
    expect(binaryRocAuc([0, 1], [NaN, 0.4])).toBeNaN();
    expect(() => binaryRocAuc([0, 2], [0.1, 0.2])).toThrow(/row 1 has label 2/);
  });

  it("equals the pairwise definition for float32 scores of both signs, ties and zeros (the radix-sorted path)", () => {
    const rng = new Random(11);
    const scores = Array.from({ length: 3000 }, (_v, i) => Math.fround(i % 7 === 0 ? [0, -0, 1.5, -1.5][i % 4] : rng.normal() * (i % 3 === 0 ? 1e-30 : 1)));
    const labels = scores.map((s) => (s + 0.5 * rng.normal() > 0 ? 1 : 0));
    const expected = bruteForceAuc(labels.map((l) => l === 1), scores);
    expect(binaryRocAuc(labels, scores)).toBeCloseTo(expected, DIGITS);
  });

  it("equals the pairwise definition on 1500 rows with many ties", () => {
    const rng = new Random(7);
    const scores = tiedScores(rng, 1500);
    // Labels correlated with the score, so the AUC is far from ½.
    const labels = scores.map((s) => (s + rng.normal() > 0 ? 1 : 0));
    const expected = bruteForceAuc(labels.map((l) => l === 1), scores);
    expect(expected).toBeGreaterThan(0.7);
    expect(binaryRocAuc(labels, scores)).toBeCloseTo(expected, DIGITS);
    const rows = scores.flatMap((s) => [1 - s, s]);
    expect(classificationMetrics(labels, rows, 2).rocAuc).toBeCloseTo(expected, DIGITS);
  });

  it("equals the mean of pairwise one-vs-rest AUCs for 3 classes", () => {
    const rng = new Random(11);
    const n = 600;
    const k = 3;
    const labels = Array.from({ length: n }, () => rng.int(k));
    const columns = Array.from({ length: k }, (_v, c) => labels.map((l) => Math.round((rng.normal() + (l === c ? 1 : 0)) * 5) / 5));
    const rows = labels.flatMap((_l, i) => columns.map((col) => col[i]));
    const expected = columns.map((col, c) => bruteForceAuc(labels.map((l) => l === c), col)).reduce((a, b) => a + b) / k;
    expect(classificationMetrics(labels, rows, k).rocAuc).toBeCloseTo(expected, DIGITS);
  });

  it("is unchanged by strictly increasing transforms of the scores", () => {
    const transforms: Array<[string, (s: number) => number]> = [
      ["exp", Math.exp],
      ["cube", (s) => s * s * s],
      ["affine", (s) => 3 * s - 7],
      ["atan", Math.atan],
    ];
    for (let seed = 1; seed <= 5; seed++) {
      const rng = new Random(seed);
      const scores = tiedScores(rng, 400);
      const labels = scores.map(() => rng.int(2));
      const auc = binaryRocAuc(labels, scores);
      for (const [name, f] of transforms) {
        expect(binaryRocAuc(labels, scores.map(f)), `seed ${seed}, ${name}`).toBeCloseTo(auc, DIGITS);
      }
      // A decreasing transform mirrors it, a check that the invariance is not vacuous.
      expect(binaryRocAuc(labels, scores.map((s) => -s))).toBeCloseTo(1 - auc, DIGITS);
    }
  });
});
