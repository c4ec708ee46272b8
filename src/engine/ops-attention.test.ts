// The Transformer's ops, gradient-checked in float64 against central finite differences on ONNX
// Runtime (every kernel involved has a float64 version): batched MatMul (its table entry is in
// ops.ts, its rank-2 cases in ops.test.ts), LayerNormalization's closed-form gradient, the causal
// softmax and scaled dot-product attention, with forward values against direct float64 formulas.
import { describe, expect, it } from "vitest";
import { floatTensor } from "../runtime/tensor.js";
import { gradients } from "./autodiff.js";
import type { Case } from "./gradcheck-fixtures.js";
import { float, fmt, runtime, suite } from "./gradcheck-fixtures.js";
import { toFloat64 } from "./gradcheck.js";
import type { Shape } from "./graph.js";
import { Graph } from "./graph.js";
import { encodeModel } from "./onnx-codec.js";
import { causalSoftmax, layerNorm, scaledDotProductAttention } from "./ops-attention.js";
import { matmul, mul, reduceSum } from "./ops.js";

// ---------------------------------------------------------------------------------------------
// Batched MatMul
// ---------------------------------------------------------------------------------------------

suite(
  "MatMul, batched over leading dims (numpy broadcasting)",
  ([
    [[2, 3, 4], [2, 4, 5]],
    [["N", 3, 4], ["N", 4, 2]],
    [[2, 3, 4, 5], [2, 3, 5, 4]], // [N, heads, T, Dh] x [N, heads, Dh, T]
    [[2, 1, 3, 4], [3, 4, 2]], // a broadcast over heads, b over the batch
    [[3, 4], [2, 4, 5]], // a rank 2 against a batch of b
    [[2, 3, 4], [4, 5]], // the rank-2 b path, flattened
  ] as [Shape, Shape][]).map(([sa, sb]): Case => ({ name: `${fmt(sa)} x ${fmt(sb)}`, inputs: { a: float(sa), b: float(sb) }, f: ({ a, b }) => matmul(a, b) })),
);

describe("MatMul shapes", () => {
  const g = new Graph("matmul_shapes", "float32");
  it("broadcasts the leading dims and names both inputs when the inner dims differ", () => {
    expect(matmul(g.input("a", "float32", [1, "N", 3, 4]), g.input("b", "float32", [5, 1, 4, 2])).shape).toEqual([5, "N", 3, 2]);
    expect(() => matmul(g.input("c", "float32", [2, 3, 4]), g.input("d", "float32", [2, 3, 4]))).toThrow("MatMul inner dimensions differ: c:float32[2,3,4] x d:float32[2,3,4]");
  });

  it("keeps the rank-2 gradient free of batch transposes and reductions", () => {
    const h = new Graph("matmul_grad", "float32");
    const [x, w] = [h.input("x", "float32", ["N", 3]), h.input("w", "float32", [3, 2])];
    const before = h.nodes.length;
    gradients(reduceSum(matmul(x, w)), [x, w]);
    const ops = h.nodes.slice(before).map((n) => n.op);
    expect(ops.filter((o) => o === "Transpose")).toHaveLength(2);
    expect(ops.filter((o) => o === "ReduceSum")).toHaveLength(1); // the loss's own
  });
});

// ---------------------------------------------------------------------------------------------
// LayerNormalization
// ---------------------------------------------------------------------------------------------

/** (x - mean) / sqrt(var + eps) * scale + bias over each row of the last axis, in float64. */
function layerNormReference({ x, scale, bias }: Record<string, Float64Array>, eps: number): number[] {
  const d = scale.length;
  const out: number[] = [];
  for (let r = 0; r < x.length / d; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    const mean = row.reduce((s, v) => s + v, 0) / d;
    const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / d;
    row.forEach((v, i) => out.push(((v - mean) / Math.sqrt(variance + eps)) * scale[i] + bias[i]));
  }
  return out;
}

suite(
  "LayerNormalization over the last axis: closed-form gradient of x, scale and bias",
  ([["N", 3, 5], [4, 7], [2, 2, 3, 4], [6]] as Shape[]).map((s): Case => {
    const d = s[s.length - 1] as number;
    return {
      name: fmt(s),
      inputs: { x: float(s, -2, 2), scale: float([d], 0.5, 1.5), bias: float([d]) },
      f: ({ x, scale, bias }) => layerNorm(x, scale, bias, 1e-3),
      forward: (v) => layerNormReference(v, Math.fround(1e-3)),
    };
  }),
);

suite(
  "LayerNormalization in float32 (the gradient reads the kernel's stashed statistics) against a float64 reference",
  ([["N", 3, 5], [4, 7]] as Shape[]).map((s): Case => {
    const d = s[s.length - 1] as number;
    return {
      name: fmt(s),
      inputs: { x: float(s, -2, 2), scale: float([d], 0.5, 1.5), bias: float([d]) },
      f: ({ x, scale, bias }) => layerNorm(x, scale, bias, 1e-3),
      reference: (v) => Float64Array.from(layerNormReference(v, Math.fround(1e-3))),
    };
  }),
);

suite("LayerNormalization inside a larger expression (its output used twice, scale shared)", [
  {
    name: "ln(x) * ln(x) + ln(x) W",
    inputs: { x: float(["N", 4], -2, 2), scale: float([4], 0.5, 1.5), bias: float([4]), w: float([4, 4]) },
    f: ({ x, scale, bias, w }) => {
      const y = layerNorm(x, scale, bias);
      return mul(y, matmul(y, w));
    },
  },
]);

// ---------------------------------------------------------------------------------------------
// Causal softmax and attention
// ---------------------------------------------------------------------------------------------

/** softmax over j <= i of each [T, T] block of scores; 0 for j > i. */
function causalSoftmaxReference({ s }: Record<string, Float64Array>, t: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < s.length / t; r++) {
    const i = r % t;
    const row = Array.from(s.subarray(r * t, r * t + i + 1));
    const max = Math.max(...row);
    const sum = row.reduce((acc, v) => acc + Math.exp(v - max), 0);
    for (let j = 0; j < t; j++) out.push(j <= i ? Math.exp(row[j] - max) / sum : 0);
  }
  return out;
}

suite(
  "causalSoftmax: masked entries get probability 0 and gradient 0",
  ([[2, 4, 4], ["N", 2, 3, 3], [1, 1]] as Shape[]).map((s): Case => ({
    name: fmt(s),
    inputs: { s: float(s, -3, 3) },
    f: ({ s }) => causalSoftmax(s),
    forward: (v) => causalSoftmaxReference(v, s[s.length - 1] as number),
  })),
);

/** softmax(q k^T / sqrt(Dh)) v per [T, Dh] block, optionally causal. */
function attentionReference({ q, k, v }: Record<string, Float64Array>, t: number, dh: number, causal: boolean): number[] {
  const out: number[] = [];
  for (let b = 0; b < q.length / (t * dh); b++) {
    const at = (m: Float64Array, i: number, d: number): number => m[(b * t + i) * dh + d];
    for (let i = 0; i < t; i++) {
      const seen = causal ? i + 1 : t;
      const scores = Array.from({ length: seen }, (_v, j) => Array.from({ length: dh }, (_w, d) => at(q, i, d) * at(k, j, d)).reduce((p, x) => p + x, 0) / Math.sqrt(dh));
      const max = Math.max(...scores);
      const weights = scores.map((x) => Math.exp(x - max));
      const sum = weights.reduce((p, x) => p + x, 0);
      for (let d = 0; d < dh; d++) out.push(weights.reduce((p, w, j) => p + (w / sum) * at(v, j, d), 0));
    }
  }
  return out;
}

suite(
  "scaled dot-product attention over [N, heads, T, Dh]",
  [false, true].map((causal): Case => {
    const s: Shape = ["N", 2, 4, 4];
    return {
      name: `${fmt(s)}${causal ? ", causal" : ""}`,
      inputs: { q: float(s, -2, 2), k: float(s, -2, 2), v: float(s) },
      f: ({ q, k, v }) => scaledDotProductAttention(q, k, v, causal),
      forward: (x) => attentionReference(x, 4, 4, causal),
    };
  }),
);

describe("causalSoftmax", () => {
  it("gives exactly zero weight to the future, in float32 too, with very negative scores", async () => {
    const g = new Graph("causal", "float32");
    g.output(causalSoftmax(g.input("s", "float32", [3, 3])), "p");
    const session = await runtime.createSession(encodeModel(g));
    const out = await session.run({ s: floatTensor("float32", [3, 3], [-80, 50, 60, -90, -110, 70, 0, 0, 0]) });
    await session.release();
    expect(Array.from(toFloat64(out.p))).toEqual([1, 0, 0, expect.closeTo(1, 6), expect.closeTo(0, 6), 0, expect.closeTo(1 / 3, 6), expect.closeTo(1 / 3, 6), expect.closeTo(1 / 3, 6)]);
  });

  it("needs square scores with a static T", () => {
    const g = new Graph("causal_bad", "float32");
    expect(() => causalSoftmax(g.input("s", "float32", ["N", "N"]))).toThrow("causalSoftmax takes [..., T, T] with a static T; got s:float32[N,N]");
  });
});
