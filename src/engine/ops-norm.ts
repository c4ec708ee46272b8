// Batch normalisation of NCHW tensors over N, H, W, per channel. Training normalises by the batch's
// own statistics with one op, BatchNormTraining, whose gradient is the closed form (as frameworks
// have it) rather than autodiff through the primitives: a third of the passes over the activations.
// Evaluation and export use ONNX BatchNormalization with fixed (running) statistics. Both ops are
// added to the op table here.
import type { Attrs, Value } from "./graph.js";
import { add, apply, cast, div, mul, neg, reciprocal, reduceSum, registerOps, size, sqrt, sub, unsqueeze } from "./ops.js";

/** [C] -> [1, C, 1, 1], to broadcast over NCHW. */
const perChannel = (v: Value): Value => unsqueeze(v, [0, 2, 3]);

const epsilonOf = (attrs: Attrs): number => {
  const a = attrs.epsilon;
  return a && "f" in a ? a.f : 1e-5;
};

/** The reduction axes of NCHW statistics. */
const STAT_AXES = [0, 2, 3];

registerOps({
  // Training-mode normalisation by the batch's own per-channel statistics over N, H, W:
  //   mean = E[x], var = E[(x - mean)^2] (biased), y = (x - mean) / sqrt(var + eps) * scale + bias.
  // Outputs: y, mean [C], var [C] (for the running statistics: no gradient flows back through
  // them), and x - mean (kept for the gradient). Emitted as ReduceMean, Sub, Mul, ReduceMean and one
  // ONNX BatchNormalization given those statistics. With inv = 1/sqrt(var + eps), m = N*H*W,
  // S = sum(dy (x - mean)) and the sums over N, H, W:
  //   dbias = sum(dy);  dscale = S inv;
  //   dx = scale inv (dy - dbias/m - (x - mean) inv^2 S/m)
  BatchNormTraining: {
    infer: ([x, scale, bias]) => {
      const c = x.shape[1];
      if (x.rank !== 4 || typeof c !== "number" || [scale, bias].some((v) => v.rank !== 1 || v.shape[0] !== c)) {
        throw new Error(`BatchNormTraining takes [N, C, H, W] with a static C and two [C] vectors; got ${x}, ${scale}, ${bias}`);
      }
      return [
        { dtype: x.dtype, shape: x.shape },
        { dtype: x.dtype, shape: [c] },
        { dtype: x.dtype, shape: [c] },
        { dtype: x.dtype, shape: x.shape },
      ];
    },
    grad: ({ inputs: [x, scale], outputs: [, , variance, centred], attrs }, [dy, dMean, dVariance]) => {
      if (dMean || dVariance) throw new Error("BatchNormTraining's statistics outputs are for the running statistics; nothing may differentiate through them");
      if (!dy) return [undefined, undefined, undefined];
      const count = cast(div(size(x), x.shape[1] as number), x.dtype);
      const inv = reciprocal(sqrt(add(variance, epsilonOf(attrs))));
      const dBias = reduceSum(dy, STAT_AXES);
      const s = reduceSum(mul(dy, centred), STAT_AXES);
      const a = mul(scale, inv); // scale inv
      const b = neg(div(mul(a, mul(mul(inv, inv), s)), count)); // -scale inv^3 S / m
      const c = neg(div(mul(a, dBias), count)); // -scale inv dbias / m
      const dx = add(add(mul(dy, perChannel(a)), mul(centred, perChannel(b))), perChannel(c));
      return [dx, mul(s, inv), dBias];
    },
    emit: ({ attrs }, e, [x, scale, bias], [y, mean, variance, centred]) => {
      const axes = e.constant({ dtype: "int64", dims: [3], data: BigInt64Array.from(STAT_AXES, BigInt) });
      const keep = { axes: { ints: STAT_AXES }, keepdims: { i: 1 } };
      const mean4 = e.node("ReduceMean", [x], keep);
      e.node("Sub", [x, mean4], {}, centred);
      const variance4 = e.node("ReduceMean", [e.node("Mul", [centred, centred])], keep);
      e.node("Squeeze", [mean4, axes], {}, mean);
      e.node("Squeeze", [variance4, axes], {}, variance);
      e.node("BatchNormalization", [x, scale, bias, mean, variance], { epsilon: { f: epsilonOf(attrs) } }, y);
    },
  },

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
 * y = (x - mean) / sqrt(var + eps) * scale + bias (the BatchNormTraining op). `eps` is rounded to
 * float32, as the ONNX attribute stores it.
 */
export function batchNormTraining(x: Value, scale: Value, bias: Value, eps: number): BatchStatistics {
  const c = x.shape[1];
  if (x.rank !== 4 || typeof c !== "number") throw new Error(`batch normalisation takes [N, C, H, W] with a static C; got ${x}`);
  const [y, mean, variance] = apply("BatchNormTraining", [x, scale, bias], { epsilon: { f: Math.fround(eps) } });
  const count = cast(div(size(x), c), x.dtype);
  return { y, mean, variance, count };
}
