// The table-driven gradient checks shared by the op test files (ops.test.ts, ops-conv.test.ts,
// ops-norm.test.ts): a case names an op application on graph inputs; `check` gradient-checks it on
// ONNX Runtime against central finite differences (engine/gradcheck.ts), in float64 with the
// runtime's own forward as the oracle, or in float32 against a float64 reference of the case.
import { describe, expect, it } from "vitest";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, int64Tensor, sizeOf } from "../runtime/tensor.js";
import type { GradCheckSpec } from "./gradcheck.js";
import { gradCheck, toFloat64, uniformTensor } from "./gradcheck.js";
import type { Shape, Value } from "./graph.js";
import { Graph } from "./graph.js";
import { Random } from "./random.js";

export const runtime = new OnnxRuntime();
/** The run-time size of every symbolic dim. */
export const BATCH = 5;

// ---------------------------------------------------------------------------------------------
// Cases and the one checker
// ---------------------------------------------------------------------------------------------

/** A graph input: declared shape, and how to draw its value from the dims it is fed with. */
export interface Input {
  shape: Shape;
  make(dims: number[], random: Random, float: "float32" | "float64"): Tensor;
}

export type Values = Record<string, Value>;

export interface Case {
  name: string;
  inputs: Record<string, Input>;
  f(v: Values): Value;
  /** Inputs to check (default: every float input). */
  wrt?: string[];
  /** A float64 reference of f: the graph then runs in float32 and is checked against it. */
  reference?(v: Record<string, Float64Array>): Float64Array;
  /** Expected forward output at the checked point, from a direct float64 formula. */
  forward?(v: Record<string, Float64Array>): number[];
  tolerance?: Pick<GradCheckSpec, "step" | "atol" | "rtol" | "forwardAtol" | "forwardRtol" | "maxElements">;
}

/** Uniform draws from [lo, hi), redrawn while |x| < minAbs. */
export const float = (shape: Shape, lo = -1, hi = 1, minAbs = 0): Input => ({
  shape,
  make: (dims, random, dtype) => uniformTensor(random, dtype, dims, lo, hi, minAbs),
});
export const positive = (shape: Shape): Input => float(shape, 0.5, 2);
/** Away from 0, where Relu, Abs and Sign have their kink. */
export const offZero = (shape: Shape): Input => float(shape, -1, 1, 0.05);
/** A fixed boolean mask: every third element false. */
export const mask = (shape: Shape): Input => ({
  shape,
  make: (dims) => ({ dtype: "bool", dims, data: Uint8Array.from({ length: sizeOf(dims) }, (_v, i) => (i % 3 === 0 ? 0 : 1)) }),
});
export const labels = (shape: Shape, classes: number): Input => ({
  shape,
  make: (dims, random) => int64Tensor(dims, Array.from({ length: dims[0] }, () => random.int(classes))),
});
/** Binary targets in {0, 1}, or fractional ones in [0, 1]. */
export const targets = (shape: Shape, binary: boolean): Input => ({
  shape,
  make: (dims, random, dtype) => floatTensor(dtype, dims, Array.from({ length: sizeOf(dims) }, () => (binary ? random.int(2) : random.uniform()))),
});

/** A seed from the case name, so a case draws the same values however the suite is filtered. */
export function seedOf(name: string): number {
  let h = 2166136261;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Gradient-checks one case (and its forward, when the case gives an oracle). */
export async function check(c: Case): Promise<void> {
  const dtype = c.reference ? "float32" : "float64";
  const random = new Random(seedOf(c.name));
  const feeds: Record<string, Tensor> = {};
  for (const [name, input] of Object.entries(c.inputs)) {
    feeds[name] = input.make(input.shape.map((d) => (typeof d === "string" ? BATCH : d)), random, dtype);
  }
  const build = (): Value => {
    const g = new Graph(c.name.replace(/\W+/g, "_"), dtype);
    const values: Values = {};
    for (const [name, input] of Object.entries(c.inputs)) values[name] = g.input(name, feeds[name].dtype, input.shape);
    return c.f(values);
  };
  const tolerance = c.reference ? { atol: 1e-5, rtol: 1e-4, ...c.tolerance } : c.tolerance;
  const report = await gradCheck(runtime, { build, feeds, wrt: c.wrt, reference: c.reference, ...tolerance });
  expect(report.mismatches).toEqual([]);
  expect(report.checked).toBeGreaterThan(0);
  if (c.forward) {
    const expected = c.forward(Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toFloat64(t)])));
    toFloat64(report.output).forEach((y, i) => expect(y).toBeCloseTo(expected[i], 12));
  }
}

export function suite(title: string, cases: Case[]): void {
  describe(title, () => {
    for (const c of cases) it(c.name, () => check(c));
  });
}

export const fmt = (s: Shape): string => `[${s.join(",")}]`;
