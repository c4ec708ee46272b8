// Planted interaction data with a known answer, for tests and benchmarks: ratings from rank-r user
// and item factors plus biases plus Gaussian noise, on a random fraction of the pairs.
import { interactionsFromArrays } from "../data/interactions.js";
import type { Interactions } from "../data/interactions.js";
import { Random } from "../engine/random.js";

export interface Planted {
  x: Interactions;
  /** The noise's standard deviation: the best test RMSE any model can expect. */
  sigma: number;
  /** The noiseless rating of every (user, item) pair, row-major [users, items]. */
  truth: Float32Array;
}

/** `users` x `items` pairs, `density` of them observed; rating = μ + b_u + b_i + p_u · q_i + N(0, sigma²). */
export function plantedRatings(users: number, items: number, density: number, rank: number, sigma: number, seed: number): Planted {
  const rng = new Random(seed);
  // p_u · q_i has variance rank · scale⁴ = 1: a signal twice the noise of the benchmark (sigma 0.5)
  const scale = rank ** -0.25;
  const P = Float32Array.from({ length: users * rank }, () => rng.normal() * scale);
  const Q = Float32Array.from({ length: items * rank }, () => rng.normal() * scale);
  const bu = Float32Array.from({ length: users }, () => 0.5 * rng.normal());
  const bi = Float32Array.from({ length: items }, () => 0.5 * rng.normal());
  const mu = 3.5;
  const truth = new Float32Array(users * items);
  const u: string[] = [];
  const i: string[] = [];
  const r: number[] = [];
  for (let a = 0; a < users; a++) {
    for (let b = 0; b < items; b++) {
      let dot = 0;
      for (let k = 0; k < rank; k++) dot += P[a * rank + k] * Q[b * rank + k];
      truth[a * items + b] = mu + bu[a] + bi[b] + dot;
      if (rng.uniform() < density) {
        u.push(`u${a}`);
        i.push(`i${b}`);
        r.push(truth[a * items + b] + sigma * rng.normal());
      }
    }
  }
  return { x: interactionsFromArrays("planted", u, i, r), sigma, truth };
}
