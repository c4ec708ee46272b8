// The row-block training of factor models: a step over the blocks of the rows a batch touches is
// exactly the stochastic gradient step on the full tables.
import { expect, test } from "vitest";
import { interactionsFromArrays } from "../data/interactions.js";
import { Random } from "../engine/random.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { FactorWeights } from "./factorization.js";
import { fitFactors } from "./factor-trainer.js";
import { resolveTraining } from "./spec.js";

const runtime = new OnnxRuntime();

test("one SGD step over blocks equals the full-table gradient step, users and items repeated in the batch", async () => {
  // 3 users, 4 items; u0 and i1 appear twice in the one batch.
  const x = interactionsFromArrays("t", ["a", "b", "a", "c", "b"], ["p", "q", "q", "r", "s"], [4, 2, 5, 3, 1]);
  const [U, I, f, lr, reg] = [3, 4, 2, 0.01, 0.1];
  const rng = new Random(9);
  const w: FactorWeights = {
    users: x.users,
    items: x.items,
    factors: f,
    userFactors: Float32Array.from({ length: (U + 1) * f }, (_v, k) => (k < U * f ? rng.normal() : 0)),
    userBias: Float32Array.from({ length: U + 1 }, (_v, k) => (k < U ? rng.normal() * 0.1 : 0)),
    itemFactors: Float32Array.from({ length: (I + 1) * f }, (_v, k) => (k < I * f ? rng.normal() : 0)),
    itemBias: Float32Array.from({ length: I + 1 }, (_v, k) => (k < I ? rng.normal() * 0.1 : 0)),
    mean: 0,
  };
  const rows = Int32Array.from([0, 1, 2, 3, 4]);
  const training = resolveTraining("mf", { epochs: 1, batchSize: 8, lr, earlyStopping: false, threads: 1 });
  const fit = await fitFactors(runtime, { kind: "mf", factors: f, reg }, training, x, rows, { initial: w });

  // The oracle: d/dθ Σ_e (r̂_e - r_e)² + reg (|p_u|² + |q_i|² + b_u² + b_i²), one step of lr, on full tables.
  const mu = 3; // the mean rating of the rows
  const P = w.userFactors.slice(), Q = w.itemFactors.slice(), bu = w.userBias.slice(), bi = w.itemBias.slice();
  const gP = new Float64Array(P.length), gQ = new Float64Array(Q.length), gbu = new Float64Array(bu.length), gbi = new Float64Array(bi.length);
  for (const e of rows) {
    const [u, i] = [x.user[e], x.item[e]];
    let pred = mu + bu[u] + bi[i];
    for (let k = 0; k < f; k++) pred += P[u * f + k] * Q[i * f + k];
    const err = pred - x.rating![e];
    for (let k = 0; k < f; k++) {
      gP[u * f + k] += 2 * err * Q[i * f + k] + 2 * reg * P[u * f + k];
      gQ[i * f + k] += 2 * err * P[u * f + k] + 2 * reg * Q[i * f + k];
    }
    gbu[u] += 2 * err + 2 * reg * bu[u];
    gbi[i] += 2 * err + 2 * reg * bi[i];
  }
  const close = (got: Float32Array, start: Float32Array, grad: Float64Array) => start.forEach((v, k) => expect(got[k]).toBeCloseTo(v - lr * grad[k], 5));
  expect(fit.weights.mean).toBeCloseTo(mu, 6);
  close(fit.weights.userFactors, P, gP);
  close(fit.weights.itemFactors, Q, gQ);
  close(fit.weights.userBias, bu, gbu);
  close(fit.weights.itemBias, bi, gbi);
});

test("svd++: one SGD step over a batch of whole users equals the full-table gradient step", async () => {
  // Users a (items p, q, r) and b (items q, s): one batch holds both, whole.
  const x = interactionsFromArrays("t", ["a", "a", "a", "b", "b"], ["p", "q", "r", "q", "s"], [4, 2, 5, 3, 1]);
  const [U, I, f, lr, reg] = [2, 4, 2, 0.01, 0.1];
  const rng = new Random(3);
  const fill = (n: number, used: number, scale: number) => Float32Array.from({ length: n }, (_v, k) => (k < used ? scale * rng.normal() : 0));
  const w: FactorWeights = { users: x.users, items: x.items, factors: f, userFactors: fill((U + 1) * f, U * f, 1), userBias: fill(U + 1, U, 0.1), itemFactors: fill((I + 1) * f, I * f, 1), itemBias: fill(I + 1, I, 0.1), mean: 0 };
  const rows = Int32Array.from([0, 1, 2, 3, 4]);
  const training = resolveTraining("svdpp", { epochs: 1, batchSize: 8, lr, earlyStopping: false, threads: 1 });
  const fit = await fitFactors(runtime, { kind: "svdpp", factors: f, reg }, training, x, rows, { initial: w });

  // The oracle, y starting at 0: r̂ = μ + b_u + b_i + q_i·(p_u + |N(u)|^-½ Σ y_j) and its gradient step.
  const mu = 3;
  const N = [[0, 1, 2], [1, 3]];
  const P = w.userFactors, Q = w.itemFactors, bu = w.userBias, bi = w.itemBias;
  const gP = new Float64Array(P.length), gQ = new Float64Array(Q.length), gY = new Float64Array(Q.length), gbu = new Float64Array(bu.length), gbi = new Float64Array(bi.length);
  for (const e of rows) {
    const [u, i] = [x.user[e], x.item[e]];
    const norm = 1 / Math.sqrt(N[u].length);
    let pred = mu + bu[u] + bi[i];
    for (let k = 0; k < f; k++) pred += Q[i * f + k] * P[u * f + k]; // Σ y_j = 0 at the start
    const err = pred - x.rating![e];
    for (let k = 0; k < f; k++) {
      gP[u * f + k] += 2 * err * Q[i * f + k] + 2 * reg * P[u * f + k];
      gQ[i * f + k] += 2 * err * P[u * f + k] + 2 * reg * Q[i * f + k];
      for (const j of N[u]) gY[j * f + k] += 2 * err * norm * Q[i * f + k];
    }
    gbu[u] += 2 * err + 2 * reg * bu[u];
    gbi[i] += 2 * err + 2 * reg * bi[i];
  }
  // The file's user factors have |N(u)|^-½ Σ y_j folded in.
  for (let u = 0; u < U; u++) {
    for (let k = 0; k < f; k++) {
      let folded = P[u * f + k] - lr * gP[u * f + k];
      for (const j of N[u]) folded += (-lr * gY[j * f + k]) / Math.sqrt(N[u].length);
      expect(fit.weights.userFactors[u * f + k]).toBeCloseTo(folded, 5);
    }
  }
  Q.forEach((v, k) => expect(fit.weights.itemFactors[k]).toBeCloseTo(v - lr * gQ[k], 5));
  bi.forEach((v, k) => expect(fit.weights.itemBias[k]).toBeCloseTo(v - lr * gbi[k], 5));
});
