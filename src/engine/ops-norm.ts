// Batch normalisation of NCHW tensors over N, H, W, per channel. Training normalises by the batch's
// own statistics, composed from primitives so that autodiff differentiates through them; evaluation
// and export use ONNX BatchNormalization with fixed (running) statistics, added to the op table here.
import type { Attrs, Value } from "./graph.js";
import { add, apply, cast, div, mul, neg, reciprocal, reduceMean, reduceSum, registerOps, size, sqrt, squeeze, sub, unsqueeze } from "./ops.js";

/** [C] -> [1, C, 1, 1], to broadcast over NCHW. */
const perChannel = (v: Value): Value => unsqueeze(v, [0, 2, 3]);

const epsilonOf = (attrs: Attrs): number => {
  const a = attrs.epsilon;
  return a && "f" in a ? a.f : 1e-5;
};

registerOps({
  // y = (x - mean) / sqrt(var + eps) * scale + bias per channel, statistics given (training_mode 0).
  // With inv = 1/sqrt(var + eps) and xhat = (x - mean) inv:
  //   dx = dy scale inv;  dscale = sum(dy xhat);  dbias = sum(dy);
  //   dmean = -dbias scale inv;  dvar = -1/2 dscale scale inv^2   (sums over N, H, W)
  BatchNormalization: {
    infer: ([x, scale, bias, mean, variance]) => {
      const c = x.shape[1];
      const fits = x.rank === 4 && [scale, bias, mean, variance].every((v) => v.rank === 1 && (typeof c !== "number" || v.shape[0] === c));
      if (!fits) throw new Error(`BatchNormalization takes [N, C, H, W] and four [C] vectors; got ${x}, ${scale}, ${bias}, ${mean}, ${variance}`);
      return [{ dtype: x.dtype, shape: x.shape }];
    },
    grad: ({ inputs: [x, scale, , mean, variance], attrs }, [dy]) => {
      const inv = reciprocal(sqrt(add(variance, epsilonOf(attrs))));
      const dBias = reduceSum(dy!, [0, 2, 3]);
      const dScale = reduceSum(mul(dy!, mul(sub(x, perChannel(mean)), perChannel(inv))), [0, 2, 3]);
      const scaleInv = mul(scale, inv);
      return [mul(dy!, perChannel(scaleInv)), dScale, dBias, neg(mul(dBias, scaleInv)), mul(dScale, mul(mul(scaleInv, inv), -0.5))];
    },
  },
});

/**
 * Normalises x [N, C, H, W] by fixed per-channel statistics (ONNX BatchNormalization, inference form).
 * `eps` is rounded to float32, as the ONNX attribute stores it.
 */
export function batchNormInference(x: Value, scale: Value, bias: Value, mean: Value, variance: Value, eps: number): Value {
  return apply("BatchNormalization", [x, scale, bias, mean, variance], { epsilon: { f: Math.fround(eps) } })[0];
}

/** A training-mode normalisation and the batch statistics it used. */
export interface BatchStatistics {
  /** The normalised, scaled and shifted output. */
  y: Value;
  /** Per-channel mean over N, H, W: [C]. */
  mean: Value;
  /** Per-channel biased variance (divided by the count): [C]. */
  variance: Value;
  /** Elements per channel, N*H*W, as a float scalar. */
  count: Value;
}

/**
 * Normalises x [N, C, H, W] by its own per-channel mean and biased variance over N, H, W:
 * y = (x - mean) / sqrt(var + eps) * scale + bias, composed from primitives.
 */
export function batchNormTraining(x: Value, scale: Value, bias: Value, eps: number): BatchStatistics {
  const c = x.shape[1];
  if (x.rank !== 4 || typeof c !== "number") throw new Error(`batch normalisation takes [N, C, H, W] with a static C; got ${x}`);
  const mean = reduceMean(x, [0, 2, 3], true);
  const centred = sub(x, mean);
  const variance = reduceMean(mul(centred, centred), [0, 2, 3], true);
  const normalised = div(centred, sqrt(add(variance, eps)));
  const y = add(mul(normalised, perChannel(scale)), perChannel(bias));
  const count = cast(div(size(x), c), x.dtype);
  return { y, mean: squeeze(mean, [0, 2, 3]), variance: squeeze(variance, [0, 2, 3]), count };
}
