// The Transformer's ops: layer normalisation over the last axis (ONNX LayerNormalization, with a
// closed-form gradient), softmax under a causal mask, and multi-head scaled dot-product attention
// composed from batched MatMul, Reshape, Transpose and Softmax. LayerNormalization is added to the
// op table here; the rest are builders over ops that already differentiate.
import type { Attrs, Value } from "./graph.js";
import { add, apply, matmul, mul, reciprocal, reduceMean, reduceSum, registerOps, reshape, softmax, sqrt, sub, swapLast, transpose, where } from "./ops.js";

const epsilonOf = (attrs: Attrs): number => {
  const a = attrs.epsilon;
  return a && "f" in a ? a.f : 1e-5;
};

/** Masked scores: low enough that exp underflows to exactly 0 after the row maximum is subtracted. */
const MASKED = -1e9;

registerOps({
  // Normalisation over the last axis (axis -1, ONNX opset 17), per row of D values:
  //   mean = E[x], inv = 1/sqrt(E[(x - mean)^2] + eps), xhat = (x - mean) inv, y = xhat scale + bias.
  // Outputs y, and mean and inv [..., 1] for the gradient, which ONNX Runtime keeps in float32 (the
  // default stash_type; it has no float64 one): a float64 graph's gradient recomputes them in
  // float64. With g = dy scale and means over the last axis, sums over all other axes:
  //   dx = inv (g - E[g] - xhat E[g xhat]);  dscale = sum(dy xhat);  dbias = sum(dy)
  LayerNormalization: {
    infer: ([x, scale, bias]) => {
      const d = x.shape[x.rank - 1];
      if (x.rank < 1 || typeof d !== "number" || [scale, bias].some((v) => v.rank !== 1 || v.shape[0] !== d)) {
        throw new Error(`LayerNormalization takes [..., D] with a static D and two [D] vectors; got ${x}, ${scale}, ${bias}`);
      }
      const stat = { dtype: "float32" as const, shape: [...x.shape.slice(0, -1), 1] };
      return [{ dtype: x.dtype, shape: x.shape }, stat, stat];
    },
    grad: ({ inputs: [x, scale], outputs: [, mean, inv], attrs }, [dy, dMean, dInv]) => {
      if (dMean || dInv) throw new Error("LayerNormalization's mean and inverse deviation outputs serve its gradient; nothing may differentiate through them");
      if (!dy) return [undefined, undefined, undefined];
      const centred = sub(x, x.dtype === mean.dtype ? mean : reduceMean(x, [-1], true));
      const invStd = x.dtype === inv.dtype ? inv : reciprocal(sqrt(add(reduceMean(mul(centred, centred), [-1], true), epsilonOf(attrs))));
      const xhat = mul(centred, invStd);
      const g = mul(dy, scale);
      const dx = mul(invStd, sub(sub(g, reduceMean(g, [-1], true)), mul(xhat, reduceMean(mul(g, xhat), [-1], true))));
      const lead = x.shape.slice(0, -1).map((_d, i) => i);
      const sumLead = (v: Value): Value => (lead.length > 0 ? reduceSum(v, lead) : v);
      return [dx, sumLead(mul(dy, xhat)), sumLead(dy)];
    },
  },
});

/**
 * Normalises each row of x [..., D] over its last axis: (x - mean) / sqrt(var + eps) * scale + bias
 * with the biased variance (ONNX LayerNormalization; `eps` rounded to float32 as the attribute is).
 */
export function layerNorm(x: Value, scale: Value, bias: Value, eps = 1e-5): Value {
  return apply("LayerNormalization", [x, scale, bias], { axis: { i: -1 }, epsilon: { f: Math.fround(eps) } })[0];
}

/**
 * Softmax over the last axis of scores [..., T, T] where row i sees only columns j <= i: later
 * columns are replaced by -1e9 (Where with a constant lower-triangular mask), so they get exactly 0
 * probability and 0 gradient. Every row keeps its diagonal, so none is fully masked. T is static.
 */
export function causalSoftmax(scores: Value): Value {
  const [rows, cols] = scores.shape.slice(-2);
  if (scores.rank < 2 || typeof rows !== "number" || rows !== cols) throw new Error(`causalSoftmax takes [..., T, T] with a static T; got ${scores}`);
  const keep = Uint8Array.from({ length: rows * rows }, (_v, k) => (k % rows <= Math.floor(k / rows) ? 1 : 0));
  const mask = scores.graph.constant({ dtype: "bool", dims: [rows, rows], data: keep }, "causal_mask");
  return softmax(where(mask, scores, MASKED), -1);
}

/** [N, T, H*Dh] -> [N, H, T, Dh] (N may be symbolic; T static). */
export function splitHeads(x: Value, heads: number): Value {
  const [, steps, width] = x.shape;
  if (x.rank !== 3 || typeof steps !== "number" || typeof width !== "number" || width % heads !== 0) {
    throw new Error(`splitting ${heads} heads needs [N, T, D] with static T and D divisible by the heads; got ${x}`);
  }
  return transpose(reshape(x, [0, steps, heads, width / heads]), [0, 2, 1, 3]);
}

/** [N, H, T, Dh] -> [N, T, H*Dh], the inverse of `splitHeads`. */
export function mergeHeads(x: Value): Value {
  const [, heads, steps, depth] = x.shape as number[];
  return reshape(transpose(x, [0, 2, 1, 3]), [0, steps, heads * depth]);
}

/**
 * Scaled dot-product attention of q, k, v [..., T, Dh]: softmax(q k^T / sqrt(Dh)) v, with the
 * causal mask when `causal` (query i attends to keys j <= i). The scale is applied to q (T Dh
 * multiplications rather than T^2).
 */
export function scaledDotProductAttention(q: Value, k: Value, v: Value, causal: boolean): Value {
  const depth = q.shape[q.rank - 1];
  if (typeof depth !== "number") throw new Error(`attention needs a static head width; got ${q}`);
  const scores = matmul(mul(q, 1 / Math.sqrt(depth)), swapLast(k));
  return matmul(causal ? causalSoftmax(scores) : softmax(scores, -1), v);
}
