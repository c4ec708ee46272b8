// Known solutions: the trained models against closed-form or independently computed optima.
import { describe, expect, test } from "vitest";
import { twoSpirals } from "../data/synthetic.js";
import { Random } from "../engine/random.js";
import { Model } from "./model.js";
import type { TrainingData } from "./trainer.js";

/** Solves A x = b (A: n x n, row-major) by Gaussian elimination with partial pivoting, in float64. */
function solve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[piv * n + c])) piv = r;
    for (let k = 0; k < n; k++) [m[c * n + k], m[piv * n + k]] = [m[piv * n + k], m[c * n + k]];
    [x[c], x[piv]] = [x[piv], x[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r * n + c] / m[c * n + c];
      for (let k = c; k < n; k++) m[r * n + k] -= f * m[c * n + k];
      x[r] -= f * x[c];
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = x[r];
    for (let k = r + 1; k < n; k++) s -= m[r * n + k] * x[k];
    x[r] = s / m[r * n + r];
  }
  return x;
}

/** Rows of [x, 1] (features plus an intercept column), in float64. */
function withIntercept(d: TrainingData): Float64Array {
  const p = d.columns + 1;
  const z = new Float64Array(d.rows * p);
  for (let i = 0; i < d.rows; i++) {
    for (let j = 0; j < d.columns; j++) z[i * p + j] = d.features[i * d.columns + j];
    z[i * p + d.columns] = 1;
  }
  return z;
}

/** Least squares by the normal equations: (Z^T Z) beta = Z^T y. */
function leastSquares(d: TrainingData): Float64Array {
  const z = withIntercept(d);
  const p = d.columns + 1;
  const zz = new Float64Array(p * p);
  const zy = new Float64Array(p);
  for (let i = 0; i < d.rows; i++) {
    for (let j = 0; j < p; j++) {
      zy[j] += z[i * p + j] * d.target[i];
      for (let k = 0; k < p; k++) zz[j * p + k] += z[i * p + j] * z[i * p + k];
    }
  }
  return solve(zz, zy, p);
}

/** Binary logistic maximum likelihood by Newton's method (IRLS), in float64. */
function logisticNewton(d: TrainingData): Float64Array {
  const z = withIntercept(d);
  const p = d.columns + 1;
  const beta = new Float64Array(p);
  for (let it = 0; it < 50; it++) {
    const grad = new Float64Array(p);
    const hess = new Float64Array(p * p);
    for (let i = 0; i < d.rows; i++) {
      let s = 0;
      for (let j = 0; j < p; j++) s += z[i * p + j] * beta[j];
      const q = 1 / (1 + Math.exp(-s));
      for (let j = 0; j < p; j++) {
        grad[j] += (d.target[i] - q) * z[i * p + j];
        for (let k = 0; k < p; k++) hess[j * p + k] += q * (1 - q) * z[i * p + j] * z[i * p + k];
      }
    }
    const step = solve(hess, grad, p);
    for (let j = 0; j < p; j++) beta[j] += step[j];
  }
  return beta;
}

function planted(rows: number, columns: number, seed: number, target: (x: Float32Array, rng: Random) => number): TrainingData {
  const rng = new Random(seed);
  const features = new Float32Array(rows * columns);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const x = features.subarray(i * columns, (i + 1) * columns);
    for (let j = 0; j < columns; j++) x[j] = rng.normal();
    y[i] = target(x, rng);
  }
  return { features, rows, columns, target: y };
}

/** Full-batch gradient descent: the setting in which the optimum is reached exactly, not jittered around. */
const fullBatch = (rows: number, epochs: number, lr: number) => ({
  epochs,
  batchSize: rows,
  lr,
  optimizer: "sgd" as const,
  validationSplit: 0,
  earlyStopping: false as const,
});

describe("known solutions", () => {
  test("linear regression reaches the least-squares solution", async () => {
    const w = [1.5, -2, 0.5, 3, -1];
    const data = planted(400, 5, 1, (x, rng) => w.reduce((s, wj, j) => s + wj * x[j], 0) + 0.7 + 0.3 * rng.normal());
    const m = await Model.fit({ model: { kind: "linear" }, training: fullBatch(400, 400, 0.2) }, data);
    const ls = leastSquares(data);
    const learnt = [...m.params.get("output.weight")!, ...m.params.get("output.bias")!];
    learnt.forEach((v, j) => expect(v).toBeCloseTo(ls[j], 4));
  });

  test("binary logistic regression reaches the maximum-likelihood solution", async () => {
    const w = [2, -1, 0.5];
    // Separable with noise: labels flip with the logistic probability, so the likelihood has a finite maximum.
    const data = planted(500, 3, 2, (x, rng) => (rng.uniform() < 1 / (1 + Math.exp(-(w[0] * x[0] + w[1] * x[1] + w[2] * x[2] - 0.3))) ? 1 : 0));
    const m = await Model.fit({ model: { kind: "logistic" }, training: fullBatch(500, 3000, 1) }, data);
    const mle = logisticNewton(data);
    const learnt = [...m.params.get("output.weight")!, ...m.params.get("output.bias")!];
    learnt.forEach((v, j) => expect(v).toBeCloseTo(mle[j], 3));
  });

  test("with default training (full-batch L-BFGS), logistic regression reaches the same maximum", async () => {
    const w = [3, -2, 1];
    const data = planted(400, 3, 7, (x, rng) => (rng.uniform() < 1 / (1 + Math.exp(-(w[0] * x[0] + w[1] * x[1] + w[2] * x[2] + 0.5))) ? 1 : 0));
    const m = await Model.fit({ model: { kind: "logistic" }, training: { validationSplit: 0 } }, data);
    expect(m.training.optimizer).toBe("lbfgs");
    const mle = logisticNewton(data);
    const learnt = [...m.params.get("output.weight")!, ...m.params.get("output.bias")!];
    learnt.forEach((v, j) => expect(v).toBeCloseTo(mle[j], 3));
  });

  test("multinomial logistic regression reaches a stationary point of the likelihood", async () => {
    const classes = 3;
    const data = planted(450, 2, 3, (x, rng) => {
      const s = [x[0], x[1], -x[0] - x[1]].map((v) => Math.exp(1.5 * v));
      const u = rng.uniform() * s.reduce((a, b) => a + b, 0);
      return u < s[0] ? 0 : u < s[0] + s[1] ? 1 : 2;
    });
    const m = await Model.fit({ model: { kind: "logistic" }, training: fullBatch(450, 3000, 1) }, data);
    // The mean log-likelihood is concave: its gradient, computed here in float64, vanishes only at the MLE.
    const { probabilities } = await m.predict(data.features, data.rows);
    const grad = new Float64Array(classes * 3);
    for (let i = 0; i < data.rows; i++) {
      const z = [data.features[i * 2], data.features[i * 2 + 1], 1];
      for (let k = 0; k < classes; k++) {
        const r = (data.target[i] === k ? 1 : 0) - probabilities![i * classes + k];
        for (let j = 0; j < 3; j++) grad[k * 3 + j] += (r * z[j]) / data.rows;
      }
    }
    for (const gk of grad) expect(Math.abs(gk)).toBeLessThan(1e-4);
  });

  test("an MLP learns two spirals, which a linear model cannot", async () => {
    const data = twoSpirals(800, 4);
    const training = { epochs: 300, batchSize: 32, lr: 0.01, validationSplit: 0.2, seed: 1 };
    const mlp = await Model.fit({ model: { kind: "mlp", hidden: [64, 64], activation: "relu" }, task: "classification", training }, data);
    const linear = await Model.fit({ model: { kind: "logistic" }, training }, data);
    const best = (m: Model) => m.history[m.bestEpoch - 1].metrics.accuracy;
    expect(best(mlp)).toBeGreaterThan(0.97);
    expect(best(linear)).toBeLessThan(0.75);
  });

  test("an MLP learns XOR, which a linear model cannot", async () => {
    const data = planted(400, 2, 5, (x) => (x[0] * x[1] > 0 ? 1 : 0));
    const training = { epochs: 200, batchSize: 16, lr: 0.01, seed: 3 };
    const mlp = await Model.fit({ model: { kind: "mlp", hidden: [16], activation: "gelu" }, task: "classification", training }, data);
    const linear = await Model.fit({ model: { kind: "logistic" }, training }, data);
    expect(mlp.history[mlp.bestEpoch - 1].metrics.accuracy).toBeGreaterThan(0.95);
    expect(linear.history[linear.bestEpoch - 1].metrics.accuracy).toBeLessThan(0.7);
  });
});
