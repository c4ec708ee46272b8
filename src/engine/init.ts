// Parameter initialisation schemes, drawn from the project's seeded generator.
import type { Random } from "./random.js";

/**
 * - `xavier`: U(-a, a), a = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio 2010), for tanh, sigmoid, linear.
 * - `he`: U(-a, a), a = sqrt(6 / fanIn) (He et al. 2015), for ReLU-family activations.
 * - `zeros`: all 0 (biases).
 */
export type InitScheme = "xavier" | "he" | "zeros";

/** Fills a parameter of the given shape; fan-in is the product of all but the last dim. */
export function initialise(scheme: InitScheme, shape: readonly number[], rng: Random, out: Float32Array | Float64Array): void {
  if (scheme === "zeros") {
    out.fill(0);
    return;
  }
  const fanOut = shape.length > 1 ? shape[shape.length - 1] : 1;
  const fanIn = shape.length > 1 ? out.length / fanOut : shape[0];
  const a = scheme === "he" ? Math.sqrt(6 / fanIn) : Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * a;
}
