// Batch normalisation (engine/ops-norm.ts and Builder.batchNorm2d). ONNX Runtime has float64
// kernels for every op involved, so gradients are checked in float64 with the runtime as the
// finite-difference oracle; the running-statistics update is checked against a hand computation,
// and the eval and infer outputs against the formula.
import { describe, expect, it } from "vitest";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor } from "../runtime/tensor.js";
import { Builder } from "./builder.js";
import type { Case } from "./gradcheck-fixtures.js";
import { float, fmt, positive, runtime, suite } from "./gradcheck-fixtures.js";
import { toFloat64, uniformTensor } from "./gradcheck.js";
import type { Shape } from "./graph.js";
import { decodeModelInfo, encodeModel } from "./onnx-codec.js";
import { batchNormInference, batchNormTraining } from "./ops-norm.js";
import { mul, reduceMean } from "./ops.js";
import { Random } from "./random.js";
import { compileLossGradient, compileTrainingStep } from "./training-step.js";

const SHAPES: Shape[] = [
  ["N", 3, 4, 5],
  [2, 2, 3, 3],
  [3, 1, 1, 2],
  [4, 3, 1, 1],
];
const channels = (s: Shape): number => s[1] as number;

suite(
  "batch statistics (train mode): BatchNormTraining's closed-form gradient",
  SHAPES.map((s): Case => ({
    name: fmt(s),
    inputs: { x: float(s, -2, 2), scale: float([channels(s)], 0.5, 1.5), bias: float([channels(s)]) },
    f: ({ x, scale, bias }) => batchNormTraining(x, scale, bias, 1e-5).y,
  })),
);

/** (x - mean) / sqrt(var + eps) * scale + bias per channel of NCHW data. */
function normalise(x: Float64Array, dims: readonly number[], v: { scale: Float64Array; bias: Float64Array; mean: Float64Array; variance: Float64Array }, eps: number): number[] {
  const [, c, h, w] = dims;
  return Array.from(x, (value, i) => {
    const k = Math.floor(i / (h * w)) % c;
    return ((value - v.mean[k]) / Math.sqrt(v.variance[k] + eps)) * v.scale[k] + v.bias[k];
  });
}

suite(
  "BatchNormalization (given statistics), all five inputs",
  SHAPES.map((s): Case => {
    const c = channels(s);
    return {
      name: fmt(s),
      inputs: { x: float(s, -2, 2), scale: float([c]), bias: float([c]), mean: float([c]), variance: positive([c]) },
      f: ({ x, scale, bias, mean, variance }) => batchNormInference(x, scale, bias, mean, variance, 1e-3),
      forward: ({ x, scale, bias, mean, variance }) => normalise(x, [x.length / (c * (s[2] as number) * (s[3] as number)), c, s[2] as number, s[3] as number], { scale, bias, mean, variance }, Math.fround(1e-3)),
    };
  }),
);

// ---------------------------------------------------------------------------------------------
// Builder.batchNorm2d in its three modes
// ---------------------------------------------------------------------------------------------

const DIMS = [4, 2, 3, 2];
const random = new Random(41);
const values = {
  x: uniformTensor(random, "float64", DIMS, -2, 2),
  "bn.weight": uniformTensor(random, "float64", [2], 0.5, 1.5),
  "bn.bias": uniformTensor(random, "float64", [2]),
  "bn.running_mean": uniformTensor(random, "float64", [2]),
  "bn.running_var": uniformTensor(random, "float64", [2], 0.5, 2),
};
const f64 = (t: Tensor): Float64Array => toFloat64(t);

/** Runs batchNorm2d in `mode` on `values`; returns y and, in train mode, the running statistics' next values. */
async function runLayer(mode: "train" | "eval" | "infer", dims = DIMS, feeds: Record<string, Tensor> = values): Promise<Record<string, Float64Array>> {
  const stored = new Map(Object.entries(feeds).map(([k, t]) => [k, f64(t)]));
  const b = new Builder("bn", mode, "float64", mode === "infer" ? stored : undefined);
  const g = b.graph;
  g.output(b.batchNorm2d(g.input("x", "float64", ["batch", ...dims.slice(1)]), "bn", { momentum: 0.8, eps: 1e-3 }), "y");
  for (const [name, next] of b.stateUpdates) g.output(next, `${name}.next`);
  const session = await runtime.createSession(encodeModel(g));
  try {
    const inputs = Object.fromEntries(g.inputs.map((v) => [v.name, feeds[v.name]]));
    const out = await session.run(inputs);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, f64(t)]));
  } finally {
    await session.release();
  }
}

/** Per-channel mean and sum of squared deviations of NCHW data, by hand. */
function channelStatistics(x: Float64Array, [n, c, h, w]: number[]): { mean: number[]; squares: number[]; count: number } {
  const count = n * h * w;
  const mean = new Array<number>(c).fill(0);
  const squares = new Array<number>(c).fill(0);
  x.forEach((v, i) => (mean[Math.floor(i / (h * w)) % c] += v / count));
  x.forEach((v, i) => (squares[Math.floor(i / (h * w)) % c] += (v - mean[Math.floor(i / (h * w)) % c]) ** 2));
  return { mean, squares, count };
}

describe("Builder.batchNorm2d", () => {
  it("train mode: normalises by the batch statistics and updates the running ones with the unbiased variance", async () => {
    const out = await runLayer("train");
    const { mean, squares, count } = channelStatistics(f64(values.x), DIMS);
    const biased = squares.map((s) => s / count);
    const unbiased = squares.map((s) => s / (count - 1));
    const [rm, rv] = [f64(values["bn.running_mean"]), f64(values["bn.running_var"])];
    mean.forEach((m, k) => expect(out["bn.running_mean.next"][k]).toBeCloseTo(0.8 * rm[k] + 0.2 * m, 13));
    unbiased.forEach((u, k) => expect(out["bn.running_var.next"][k]).toBeCloseTo(0.8 * rv[k] + 0.2 * u, 13));
    // the ONNX attribute is a float32, in training as in evaluation
    const expected = normalise(f64(values.x), DIMS, { scale: f64(values["bn.weight"]), bias: f64(values["bn.bias"]), mean: Float64Array.from(mean), variance: Float64Array.from(biased) }, Math.fround(1e-3));
    expected.forEach((y, i) => expect(out.y[i]).toBeCloseTo(y, 12));
  });

  it("train mode with one value per channel: the running variance takes a zero batch variance, not infinity", async () => {
    const one = { ...values, x: floatTensor("float64", [1, 2, 1, 1], [0.5, -1]) };
    const out = await runLayer("train", [1, 2, 1, 1], one);
    expect(Array.from(out["bn.running_var.next"])).toEqual(Array.from(f64(values["bn.running_var"]), (v) => 0.8 * v));
  });

  it("eval mode normalises by the running statistics (ONNX BatchNormalization), and infer mode agrees", async () => {
    const evaluated = await runLayer("eval");
    const expected = normalise(
      f64(values.x),
      DIMS,
      { scale: f64(values["bn.weight"]), bias: f64(values["bn.bias"]), mean: f64(values["bn.running_mean"]), variance: f64(values["bn.running_var"]) },
      Math.fround(1e-3), // the ONNX attribute is a float32
    );
    expected.forEach((y, i) => expect(evaluated.y[i]).toBeCloseTo(y, 12));
    expect(Object.keys(evaluated)).toEqual(["y"]);
    const inferred = await runLayer("infer");
    expect(Array.from(inferred.y)).toEqual(Array.from(evaluated.y));
  });
});

// ---------------------------------------------------------------------------------------------
// Carried state in the compiled graphs
// ---------------------------------------------------------------------------------------------

describe("layer state in compiled graphs", () => {
  const net = (b: Builder) => {
    const y = b.batchNorm2d(b.graph.input("x", b.graph.floatType, ["batch", 2, 3, 3]), "bn");
    // state the network reads but never updates: carried unchanged
    const counter = b.state("counter", [], "ones");
    return { loss: mul(reduceMean(mul(y, y)), counter) };
  };

  it("the training step carries it with its init and outputs `<name>.next`", () => {
    const step = compileTrainingStep(net, { kind: "momentum" });
    expect(step.states).toEqual([
      { name: "bn.running_mean", shape: [2], init: "zeros" },
      { name: "bn.running_var", shape: [2], init: "ones" },
      { name: "counter", shape: [], init: "ones" },
    ]);
    expect(step.dataInputs).toEqual(["x"]);
    expect(step.carries.filter((c) => c.isState)).toEqual([
      { input: "bn.weight.momentum", output: "bn.weight.momentum.next", shape: [2], isState: true, init: "zeros" },
      { input: "bn.bias.momentum", output: "bn.bias.momentum.next", shape: [2], isState: true, init: "zeros" },
      { input: "bn.running_mean", output: "bn.running_mean.next", shape: [2], isState: true, init: "zeros" },
      { input: "bn.running_var", output: "bn.running_var.next", shape: [2], isState: true, init: "ones" },
      { input: "counter", output: "counter.next", shape: [], isState: true, init: "ones" },
    ]);
    expect(step.carries.filter((c) => !c.isState).map((c) => c.input)).toEqual(["bn.weight", "bn.bias"]);
  });

  it("a state without an update comes out unchanged", async () => {
    const step = compileTrainingStep(net, { kind: "sgd" }, "float64");
    const session = await runtime.createSession(step.model);
    const t = (dims: number[], v: number[]) => floatTensor("float64", dims, v);
    const out = await session.run({
      x: uniformTensor(new Random(3), "float64", [2, 2, 3, 3]),
      "bn.weight": t([2], [1, 1]),
      "bn.bias": t([2], [0, 0]),
      "bn.running_mean": t([2], [0, 0]),
      "bn.running_var": t([2], [1, 1]),
      counter: t([], [3]),
      lr: t([], [0.1]),
      step: t([], [1]),
    });
    expect(Array.from(f64(out["counter.next"]))).toEqual([3]);
    await session.release();
  });

  it("the loss-gradient graph reads it and updates nothing", () => {
    const compiled = compileLossGradient(net);
    expect(compiled.states.map((s) => s.name)).toEqual(["bn.running_mean", "bn.running_var", "counter"]);
    expect(compiled.dataInputs).toEqual(["x"]);
    const info = decodeModelInfo(compiled.model);
    expect(info.outputs.map((o) => o.name)).toEqual(["loss", "bn.weight.grad", "bn.bias.grad"]);
    expect(info.inputs.map((i) => i.name)).toEqual(["x", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "counter"]);
  });
});
