// Parameter initialisation schemes, drawn from the project's seeded generator.
import type { Random } from "./random.js";

/**
 * - `xavier`: U(-a, a), a = sqrt(6 / (fanIn + fanOut)) (Glorot & Bengio 2010), for tanh, sigmoid, linear.
 * - `he`: U(-a, a), a = sqrt(6 / fanIn) (He et al. 2015), for ReLU-family activations.
 * - `zeros`: all 0 (biases); `ones`: all 1 (normalisation scales).
 * - `lstm-forget-ones`: an LSTM bias [4H], gate blocks [i f g o]: 1 on the forget block, 0 elsewhere.
 */
export type InitScheme = "xavier" | "he" | "zeros" | "ones" | "lstm-forget-ones";

/** The number of inputs and outputs each weight connects, which sets the random schemes' range. */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/** Dense layout [in, out] (and any other shape): fan-out the last dim, fan-in the product of the rest. */
export function denseFans(shape: readonly number[]): Fans {
  const size = shape.reduce((p, d) => p * d, 1);
  const fanOut = shape.length > 1 ? shape[shape.length - 1] : 1;
  return { fanIn: shape.length > 1 ? size / fanOut : shape[0], fanOut };
}

/**
 * Convolution weights [M, C/groups, kH, kW]: fanIn = C/groups * kH * kW (what one output sums
 * over), fanOut = M * kH * kW (PyTorch's convention, not divided by the groups).
 */
export function convFans(shape: readonly number[]): Fans {
  const receptive = shape.slice(2).reduce((p, d) => p * d, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Fills a parameter of the given shape; `fans` default to the dense layout's. */
export function initialise(scheme: InitScheme, shape: readonly number[], rng: Random, out: Float32Array | Float64Array, fans: Fans = denseFans(shape)): void {
  if (scheme === "zeros" || scheme === "ones") {
    out.fill(scheme === "zeros" ? 0 : 1);
    return;
  }
  if (scheme === "lstm-forget-ones") {
    const h = out.length / 4;
    if (shape.length !== 1 || !Number.isInteger(h)) throw new Error(`lstm-forget-ones fills an LSTM bias [4H]; got [${shape}]`);
    out.fill(0).fill(1, h, 2 * h);
    return;
  }
  const a = scheme === "he" ? Math.sqrt(6 / fans.fanIn) : Math.sqrt(6 / (fans.fanIn + fans.fanOut));
  for (let i = 0; i < out.length; i++) out[i] = (2 * rng.uniform() - 1) * a;
}
