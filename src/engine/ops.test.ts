// Every differentiable op of the op table, gradient-checked against central finite differences
// (engine/gradcheck.ts) on ONNX Runtime: float64 graphs with the runtime's own forward as the oracle,
// or, for the ops the runtime has no float64 kernel for (Erf, Softplus), float32 graphs against a
// float64 reference written below. Shapes include odd sizes, a symbolic batch dim and broadcasting.
// The case table's machinery is in gradcheck-fixtures.ts; convolution, pooling and batch
// normalisation have their own files (ops-conv.test.ts, ops-norm.test.ts).
import { describe, expect, it } from "vitest";
import { floatTensor } from "../runtime/tensor.js";
import { gradients } from "./autodiff.js";
import { Builder } from "./builder.js";
import type { Case, Input } from "./gradcheck-fixtures.js";
import { check, float, fmt, labels, mask, offZero, positive, runtime, suite, targets } from "./gradcheck-fixtures.js";
import { gradCheck, uniformTensor } from "./gradcheck.js";
import type { Shape, Value } from "./graph.js";
import { Graph } from "./graph.js";
import * as op from "./ops.js";
import { Random } from "./random.js";

// ---------------------------------------------------------------------------------------------
// Elementwise ops
// ---------------------------------------------------------------------------------------------

/** Shape pairs for binary ops: equal, a symbolic batch against a row, two-sided and rank broadcasts, scalars. */
const BROADCASTS: [Shape, Shape][] = [
  [[3, 7], [3, 7]],
  [["N", 3], [3]],
  [["N", 1], [1, 5]],
  [[7], []],
  [[], [2, 3]],
  [[1], [13]],
  [[2, 1, 3], [4, 1]],
];

/** Binary ops with input ranges that keep them smooth: Div by positives, Pow of positive bases. */
const BINARY: [string, (a: Value, b: Value) => Value, (s: Shape) => Input, (s: Shape) => Input][] = [
  ["Add", op.add, float, float],
  ["Sub", op.sub, float, float],
  ["Mul", op.mul, float, float],
  ["Div", op.div, float, positive],
  ["Pow", op.pow, positive, (s) => float(s, -1.5, 1.5)],
];

suite(
  "binary ops, with broadcasting",
  BINARY.flatMap(([name, fn, ina, inb]) =>
    BROADCASTS.map(([sa, sb]): Case => ({
      name: `${name} ${fmt(sa)} ${fmt(sb)}`,
      inputs: { a: ina(sa), b: inb(sb) },
      f: ({ a, b }) => fn(a, b),
    })),
  ),
);

suite("binary ops with a number operand", [
  { name: "x + 2.5", inputs: { x: float(["N", 3]) }, f: ({ x }) => op.add(x, 2.5) },
  { name: "1 - x", inputs: { x: float([7]) }, f: ({ x }) => op.sub(1, x) },
  { name: "3 * x", inputs: { x: float([2, 3]) }, f: ({ x }) => op.mul(3, x) },
  { name: "2 / x", inputs: { x: positive([7]) }, f: ({ x }) => op.div(2, x) },
  { name: "x ^ 3, x of both signs", inputs: { x: float(["N", 3]) }, f: ({ x }) => op.pow(x, 3) },
  { name: "2 ^ x", inputs: { x: float([7]) }, f: ({ x }) => op.pow(2, x) },
]);

const UNARY: [string, (x: Value) => Value, (s: Shape) => Input][] = [
  ["Neg", op.neg, float],
  ["Identity", op.identity, float],
  ["Exp", op.exp, (s) => float(s, -2, 2)],
  ["Log", op.log, (s) => float(s, 0.2, 3)],
  ["Sqrt", op.sqrt, (s) => float(s, 0.2, 3)],
  ["Reciprocal", op.reciprocal, (s) => float(s, -2, 2, 0.3)],
  ["Abs", op.abs, offZero],
  ["Relu", op.relu, offZero],
  ["Tanh", op.tanh, (s) => float(s, -3, 3)],
  ["Sigmoid", op.sigmoid, (s) => float(s, -4, 4)],
];
const UNARY_SHAPES: Shape[] = [[], [1], [13], ["N", 7]];

suite(
  "unary ops",
  UNARY.flatMap(([name, fn, input]) => UNARY_SHAPES.map((s): Case => ({ name: `${name} ${fmt(s)}`, inputs: { x: input(s) }, f: ({ x }) => fn(x) }))),
);

// ---------------------------------------------------------------------------------------------
// Float32 ops against float64 references (no float64 Erf or Softplus kernel in the runtime)
// ---------------------------------------------------------------------------------------------

/**
 * erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1))  (Abramowitz & Stegun 7.1.6).
 * Every term has the sign of x, so nothing cancels: ~1e-16 relative for |x| < 3.
 */
function erfReference(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
    term *= (2 * x * x) / (2 * n + 1);
    sum += term;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/** ln(1 + e^x) = max(x, 0) + ln(1 + e^-|x|), without overflow. */
const softplusReference = (x: number): number => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
/** gelu(x) = x/2 (1 + erf(x / sqrt 2)). */
const geluReference = (x: number): number => 0.5 * x * (1 + erfReference(x / Math.SQRT2));

const elementwise = (fn: (x: number) => number) => (v: Record<string, Float64Array>): Float64Array => v.x.map(fn);

it("the erf reference matches known values", () => {
  // erf(0.5), erf(1), erf(2.5), erf(-2.9), rounded to double; the series is good to a few ulps
  expect(erfReference(0.5)).toBeCloseTo(0.5204998778130465, 14);
  expect(erfReference(1)).toBeCloseTo(0.8427007929497149, 14);
  expect(erfReference(2.5)).toBeCloseTo(0.999593047982555, 14);
  expect(erfReference(-2.9)).toBeCloseTo(-0.9999589021219005, 14);
  expect(erfReference(0)).toBe(0);
});

suite(
  "float32 ops against a float64 reference",
  (
    [
      ["Erf", op.erf, erfReference, -2.9, 2.9],
      ["Softplus", op.softplus, softplusReference, -8, 8],
      ["gelu as Builder.activation builds it", (x: Value) => new Builder("gelu", "eval", "float32").activation(x, "gelu"), geluReference, -4, 4],
    ] as const
  ).flatMap(([name, fn, ref, lo, hi]) =>
    ([[13], ["N", 7]] as Shape[]).map((s): Case => ({
      name: `${name} ${fmt(s)}`,
      inputs: { x: float(s, lo, hi) },
      f: ({ x }) => fn(x),
      reference: elementwise(ref),
    })),
  ),
);

describe("Cast", () => {
  it("float64 -> float64 is no node", () => {
    const x = new Graph("cast", "float64").input("x", "float64", [3]);
    expect(op.cast(x, "float64")).toBe(x);
  });
  const castTo = (x: Value, dtype: "float32" | "float64"): Value => op.apply("Cast", [x], { to: { i: op.onnxTypeCode(dtype) } })[0];
  for (const c of [
    { name: "an explicit float64 -> float64 Cast node", inputs: { x: float(["N", 3]) }, f: ({ x }) => op.mul(castTo(x, "float64"), x) },
    {
      // float32 rounding makes f a staircase at 1e-7 relative scale: a wide step and loose tolerance.
      name: "float64 -> float32 -> float64 roundtrip",
      inputs: { x: float(["N", 3], -2, 2) },
      f: ({ x }) => op.cast(op.cast(x, "float32"), "float64"),
      tolerance: { step: 1e-3, atol: 1e-4, rtol: 1e-3 },
    },
  ] satisfies Case[]) {
    it(c.name, () => check(c));
  }
});

suite("Where: both branches, condition from a fixed mask", [
  { name: "[N,3] ? [N,3] : [3]", inputs: { c: mask(["N", 3]), a: float(["N", 3]), b: float([3]) }, f: ({ c, a, b }) => op.where(c, a, b) },
  { name: "[3,1] ? [1,4] : []", inputs: { c: mask([3, 1]), a: float([1, 4]), b: float([]) }, f: ({ c, a, b }) => op.where(c, a, b) },
  { name: "[5] ? [2,5] : [2,5]", inputs: { c: mask([5]), a: float([2, 5]), b: float([2, 5]) }, f: ({ c, a, b }) => op.where(c, a, b) },
]);

// ---------------------------------------------------------------------------------------------
// Linear algebra and shape ops
// ---------------------------------------------------------------------------------------------

suite(
  "MatMul",
  ([
    [[3, 4], [4, 5]],
    [["N", 3], [3, 7]],
    [[1, 1], [1, 13]],
    [[2, 3, 4], [4, 5]],
    [["N", 3, 4], [4, 2]],
  ] as [Shape, Shape][]).map(([sa, sb]): Case => ({ name: `${fmt(sa)} x ${fmt(sb)}`, inputs: { a: float(sa), b: float(sb) }, f: ({ a, b }) => op.matmul(a, b) })),
);

suite("Split, Slice, Pad and Concat", [
  // Pieces used out of order, one unused (its gradient is zeros), one used twice.
  {
    name: "split [7,3] axis 0 into [2,4,1]",
    inputs: { x: float([7, 3]) },
    f: ({ x }) => {
      const [a, , c] = op.split(x, 0, [2, 4, 1]);
      return op.concat([c, a, op.mul(a, a)], 0);
    },
  },
  {
    name: "split [N,6] axis -1 into [1,2,3]",
    inputs: { x: float(["N", 6]) },
    f: ({ x }) => {
      const [a, b, c] = op.split(x, -1, [1, 2, 3]);
      return op.concat([c, op.mul(a, b)], 1);
    },
  },
  { name: "slice [N,5,4] axes 1,2", inputs: { x: float(["N", 5, 4]) }, f: ({ x }) => op.slice(x, [1, 2], [1, 0], [4, -1]) },
  { name: "pad [3,4]", inputs: { x: float([3, 4]) }, f: ({ x }) => op.pad(x, [1, 0, 0, 2]) },
  { name: "concat [N,2] [N,3] axis 1", inputs: { a: float(["N", 2]), b: float(["N", 3]) }, f: ({ a, b }) => op.concat([a, b], 1) },
]);

suite(
  "Transpose",
  ([
    [[3, 7], [1, 0]],
    [[2, 3, 5], [2, 0, 1]],
    [["N", 3, 4], [0, 2, 1]],
    [["N", 3, 4], [1, 2, 0]],
  ] as [Shape, number[]][]).map(([s, perm]): Case => ({ name: `${fmt(s)} perm ${fmt(perm)}`, inputs: { x: float(s) }, f: ({ x }) => op.transpose(x, perm) })),
);

suite("Reshape", [
  ...([
    [[2, 3, 5], [-1, 5]],
    [[13], [1, 13, 1]],
    [["N", 6], [0, 2, 3]],
    [["N", 3, 4], [-1, 12]],
    [["N", 3, 4], [-1]],
  ] as [Shape, number[]][]).map(([s, dims]): Case => ({ name: `${fmt(s)} to ${fmt(dims)}`, inputs: { x: float(s) }, f: ({ x }) => op.reshape(x, dims) })),
  // reshapeLike's shape comes from `y`, which also feeds the product, so both get gradients.
  { name: "reshapeLike [12] as [4,3]", inputs: { x: float([12]), y: float([4, 3]) }, f: ({ x, y }) => op.mul(op.reshapeLike(x, y), y) },
  { name: "reshapeLike [N,6] as [N,2,3]", inputs: { x: float(["N", 6]), y: float(["N", 2, 3]) }, f: ({ x, y }) => op.mul(op.reshapeLike(x, y), y) },
  { name: "reshapeLike, shape source only", inputs: { x: float([6]), y: float([3, 2]) }, f: ({ x, y }) => op.reshapeLike(x, y), wrt: ["x"] },
]);

suite(
  "Expand (expandLike)",
  ([
    [[3], ["N", 3]],
    [[4, 1], [4, 5]],
    [[], [2, 3]],
    [[1, 3], [5, 1]],
  ] as [Shape, Shape][]).map(([sx, sy]): Case => ({
    name: `${fmt(sx)} like ${fmt(sy)}`,
    inputs: { x: float(sx), y: float(sy) },
    f: ({ x, y }) => op.mul(op.expandLike(x, y), y),
  })),
);

suite("Unsqueeze and Squeeze", [
  ...([
    [[3, 5], [0]],
    [["N", 3], [1, 3]],
    [[7], [-1]],
  ] as [Shape, number[]][]).map(([s, axes]): Case => ({ name: `unsqueeze ${fmt(s)} at ${fmt(axes)}`, inputs: { x: float(s) }, f: ({ x }) => op.unsqueeze(x, axes) })),
  ...([
    [[3, 1, 5], [1]],
    [["N", 1, 1], [1, 2]],
    [[1, 7], [0]],
    [[4, 1], [-1]],
  ] as [Shape, number[]][]).map(([s, axes]): Case => ({ name: `squeeze ${fmt(s)} at ${fmt(axes)}`, inputs: { x: float(s) }, f: ({ x }) => op.squeeze(x, axes) })),
]);

// ---------------------------------------------------------------------------------------------
// Reductions and softmax
// ---------------------------------------------------------------------------------------------

/** [shape, axes (undefined: all), keepdims] */
const REDUCTIONS: [Shape, number[] | undefined, boolean][] = [
  [[3, 5], [1], false],
  [[3, 5], [0], true],
  [[3, 5], undefined, false],
  [[3, 5], undefined, true],
  [[7], [0], false],
  [["N", 4, 3], [1, 2], false],
  [["N", 4, 3], [-1], true],
  [["N", 4, 3], undefined, false],
];

suite(
  "ReduceSum and ReduceMean",
  (
    [
      ["ReduceSum", op.reduceSum],
      ["ReduceMean", op.reduceMean],
    ] as const
  ).flatMap(([name, fn]) =>
    REDUCTIONS.map(([s, axes, keep]): Case => ({
      name: `${name} ${fmt(s)} axes ${axes ? fmt(axes) : "all"}${keep ? " keepdims" : ""}`,
      inputs: { x: float(s) },
      f: ({ x }) => fn(x, axes, keep),
    })),
  ),
);

suite(
  "Softmax and LogSoftmax",
  (
    [
      ["Softmax", op.softmax],
      ["LogSoftmax", op.logSoftmax],
    ] as const
  ).flatMap(([name, fn]) =>
    ([
      [[3, 5], 1],
      [[3, 5], -1],
      [["N", 7], -1],
      [[2, 3, 4], 1],
      [[2, 3, 4], -1],
    ] as [Shape, number][]).map(([s, axis]): Case => ({ name: `${name} ${fmt(s)} axis ${axis}`, inputs: { x: float(s, -3, 3) }, f: ({ x }) => fn(x, axis) })),
  ),
);

// ---------------------------------------------------------------------------------------------
// Losses, with their forward values against direct formulas
// ---------------------------------------------------------------------------------------------

/** mean_w(-log softmax(z_i)[y_i]) = sum_i w[y_i] (logsumexp(z_i) - z_i[y_i]) / sum_i w[y_i]. */
function crossEntropy({ z, y, w }: Record<string, Float64Array>): number[] {
  const classes = z.length / y.length;
  let num = 0;
  let den = 0;
  y.forEach((label, i) => {
    const row = z.subarray(i * classes, (i + 1) * classes);
    const max = Math.max(...row);
    const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
    const weight = w ? w[label] : 1;
    num += weight * (lse - row[label]);
    den += weight;
  });
  return [num / den];
}

/** mean(-y ln sigmoid(z) - (1-y) ln(1 - sigmoid(z))) = mean(softplus(z) - z y). */
function binaryCrossEntropy({ z, y }: Record<string, Float64Array>): number[] {
  return [z.reduce((s, zi, i) => s + softplusReference(zi) - zi * y[i], 0) / z.length];
}

suite("SoftmaxCrossEntropyLoss (gradient w.r.t. logits)", [
  { name: "logits [N,5]", inputs: { z: float(["N", 5], -3, 3), y: labels(["N"], 5) }, f: ({ z, y }) => op.softmaxCrossEntropy(z, y), forward: crossEntropy },
  { name: "logits [1,3]", inputs: { z: float([1, 3], -3, 3), y: labels([1], 3) }, f: ({ z, y }) => op.softmaxCrossEntropy(z, y), forward: crossEntropy },
  {
    name: "logits [N,5] with class weights",
    inputs: { z: float(["N", 5], -3, 3), y: labels(["N"], 5), w: positive([5]) },
    f: ({ z, y, w }) => op.softmaxCrossEntropy(z, y, w),
    wrt: ["z"],
    forward: crossEntropy,
  },
]);

suite("SigmoidBinaryCrossEntropy (gradient w.r.t. logits)", [
  { name: "[N,3], targets in {0,1}", inputs: { z: float(["N", 3], -4, 4), y: targets(["N", 3], true) }, wrt: ["z"], f: ({ z, y }) => op.sigmoidBinaryCrossEntropy(z, y), forward: binaryCrossEntropy },
  { name: "[13], fractional targets", inputs: { z: float([13], -4, 4), y: targets([13], false) }, wrt: ["z"], f: ({ z, y }) => op.sigmoidBinaryCrossEntropy(z, y), forward: binaryCrossEntropy },
  { name: "[2,3,4], large logits", inputs: { z: float([2, 3, 4], -30, 30), y: targets([2, 3, 4], false) }, wrt: ["z"], f: ({ z, y }) => op.sigmoidBinaryCrossEntropy(z, y), forward: binaryCrossEntropy },
]);

// ---------------------------------------------------------------------------------------------
// Autodiff: accumulation over several uses, and its errors
// ---------------------------------------------------------------------------------------------

suite("autodiff accumulates the gradient of a value used several times", [
  { name: "x*x + exp(x)", inputs: { x: float(["N", 3]) }, f: ({ x }) => op.add(op.mul(x, x), op.exp(x)) },
  { name: "x W x, x used twice in a matmul chain", inputs: { x: float([3, 3]), w: float([3, 3]) }, f: ({ x, w }) => op.matmul(op.matmul(x, w), x) },
  {
    name: "tanh(x) feeding two branches",
    inputs: { x: float([7]) },
    f: ({ x }) => {
      const t = op.tanh(x);
      return op.sub(op.mul(t, t), op.sigmoid(t));
    },
  },
]);

describe("gradients errors", () => {
  const g = new Graph("errors", "float64");
  const x = g.input("x", "float64", [3]);
  const y = g.input("y", "float64", [3]);

  it("names a value that does not affect the loss", () => {
    expect(() => gradients(op.reduceSum(op.exp(x)), [x, y])).toThrow("y:float64[3] does not affect the loss");
  });

  it("refuses a loss that is not a scalar", () => {
    expect(() => gradients(op.exp(x), [x])).toThrow(/need a scalar loss; got exp.*\[3\]/);
  });
});

describe("the checker", () => {
  it("reports a gradient and a forward that disagree with the oracle", async () => {
    const report = await gradCheck(runtime, {
      build: () => op.tanh(new Graph("wrong", "float32").input("x", "float32", [4])),
      feeds: { x: floatTensor("float32", [4], [-1, -0.5, 0.5, 1]) },
      reference: ({ x }) => x.map((v) => 2 * Math.tanh(v)), // not tanh
      atol: 1e-5,
      rtol: 1e-4,
    });
    expect(report.mismatchCount).toBe(8);
    expect(new Set(report.mismatches.map((m) => m.kind))).toEqual(new Set(["forward", "gradient"]));
  });

  it("checks a seeded sample of a large input", async () => {
    const report = await gradCheck(runtime, {
      build: () => op.tanh(new Graph("sample", "float64").input("x", "float64", [100])),
      feeds: { x: uniformTensor(new Random(3), "float64", [100]) },
      maxElements: 7,
    });
    expect(report).toMatchObject({ checked: 7, mismatchCount: 0 });
  });
});

describe("static shapes", () => {
  const g = new Graph("shapes", "float32");
  const cases: [Shape, number[], Shape][] = [
    [["N", 1, 4, 4], [0, -1], ["N", 16]],
    [["N", 3, 4], [-1, 12], ["N", 12]],
    [[2, 6], [-1, 3], [4, 3]],
    [["N", 3], [-1], ["Nx3"]],
  ];
  for (const [from, dims, want] of cases) {
    it(`reshape [${from}] by [${dims}] is [${want}]`, () => {
      expect(op.reshape(g.input(`x${from.join("_")}_${dims.join("_")}`, "float32", from), dims).shape).toEqual(want);
    });
  }
});
