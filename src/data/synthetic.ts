// Generated data sets with known structure, for examples, demos and tests.
import { Random } from "../engine/random.js";

export interface NumericTable {
  features: Float32Array;
  rows: number;
  columns: number;
  target: Float32Array;
}

/**
 * Two interleaved spirals (class 0 and 1), `turns` turns each, with Gaussian jitter: a classic
 * problem no linear model separates.
 */
export function twoSpirals(rows: number, seed: number, turns = 1.5, noise = 0.02): NumericTable {
  const rng = new Random(seed);
  const features = new Float32Array(rows * 2);
  const target = new Float32Array(rows);
  const span = turns * 2 * Math.PI;
  for (let i = 0; i < rows; i++) {
    const arm = i % 2;
    const t = 0.5 + span * rng.uniform(); // angle along the arm
    const r = t / (span + 0.5);
    features[2 * i] = r * Math.cos(t + arm * Math.PI) + noise * rng.normal();
    features[2 * i + 1] = r * Math.sin(t + arm * Math.PI) + noise * rng.normal();
    target[i] = arm;
  }
  return { features, rows, columns: 2, target };
}
