// Gradient checking: the engine's symbolic gradients against central finite differences.
//
// For an output f(x) of any shape, the checked scalar is L = sum(f(x) * R) with fixed random
// weights R, so every output element contributes. The gradient graph (`gradients(L, wrt)`) runs on
// the runtime; the oracle is dL/dx_j ~ (L(x + h e_j) - L(x - h e_j)) / 2h, with L evaluated either
// by running the forward graph (float64 graphs) or by a float64 reference of the forward function
// (for ops the runtime lacks in float64: the gradient graph then runs in float32).
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, sizeOf } from "../runtime/tensor.js";
import { gradients } from "./autodiff.js";
import type { Graph, Value } from "./graph.js";
import { encodeModel } from "./onnx-codec.js";
import { mul, reduceSum } from "./ops.js";
import { Random } from "./random.js";

type FloatData = Float32Array | Float64Array;

/** What to check: a graph-building function, the point to check it at, and the tolerances. */
export interface GradCheckSpec {
  /** Builds a fresh graph and returns its output f (any shape); called once per compiled graph. */
  build(): Value;
  /** A value for every graph input, by name; symbolic dims take their size from here. */
  feeds: Record<string, Tensor>;
  /** Inputs to differentiate with respect to (default: every float input). */
  wrt?: readonly string[];
  /**
   * The forward function in float64, as the finite-difference oracle in place of the runtime; the
   * runtime's forward output is then also checked against it. Inputs arrive as float64 arrays.
   */
  reference?(inputs: Record<string, Float64Array>): Float64Array;
  /** Finite-difference step h (default 1e-6; a float32 graph without `reference` needs a far larger one). */
  step?: number;
  /** Gradient tolerance: |analytic - numeric| <= atol + rtol * |numeric| (defaults 1e-6 and 1e-5). */
  atol?: number;
  rtol?: number;
  /** Forward tolerance against `reference`, same form (defaults 1e-5 and 1e-5). */
  forwardAtol?: number;
  forwardRtol?: number;
  /** Check at most this many elements of each input, a seeded sample (default: all). */
  maxElements?: number;
  /** Seed of the weights R and of the element sample (default 1). */
  seed?: number;
}

/** One element outside its tolerance. */
export interface Mismatch {
  /** `gradient` of the input `input`, or `forward` output against the reference. */
  kind: "gradient" | "forward";
  input: string;
  index: number;
  actual: number;
  expected: number;
}

export interface GradCheckReport {
  /** The forward output at the checked point, as the runtime computed it. */
  output: Tensor;
  /** Gradient elements compared. */
  checked: number;
  /** Elements outside tolerance, the first few of them (see `mismatchCount`). */
  mismatches: Mismatch[];
  mismatchCount: number;
}

const OUTPUT = "gradcheck_output";
const WEIGHTS = "gradcheck_weights";
const GRAD = "gradcheck_grad_";
const MAX_LISTED = 10;

/**
 * Compares `gradients(sum(f * R), wrt)` with central differences of f; an empty `mismatches` passes.
 * @example
 * const report = await gradCheck(new OnnxRuntime(), { build, feeds: { x } });
 * expect(report.mismatches).toEqual([]);
 */
export async function gradCheck(runtime: Runtime, spec: GradCheckSpec): Promise<GradCheckReport> {
  const forward = await runtime.createSession(encodeModel(forwardGraph(spec)));
  let backward: Session | undefined;
  try {
    const { graph, wrt } = gradientGraph(spec);
    backward = await runtime.createSession(encodeModel(graph));
    return await compare(spec, forward, backward, wrt);
  } finally {
    await forward.release();
    await backward?.release();
  }
}

/** A tensor of uniform draws from [lo, hi); draws with |x| < minAbs are redrawn (to keep off kinks). */
export function uniformTensor(
  random: Random,
  dtype: "float32" | "float64",
  dims: readonly number[],
  lo = -1,
  hi = 1,
  minAbs = 0,
): Tensor {
  if (minAbs > 0 && Math.max(Math.abs(lo), Math.abs(hi)) <= minAbs) throw new Error(`no value in [${lo}, ${hi}) has |x| >= ${minAbs}`);
  const data = new Float64Array(sizeOf(dims));
  for (let i = 0; i < data.length; i++) {
    do data[i] = lo + (hi - lo) * random.uniform();
    while (Math.abs(data[i]) < minAbs);
  }
  return floatTensor(dtype, dims, data);
}

/** A tensor's elements as float64 (int64 and bool become numbers), for references written in TS. */
export function toFloat64(t: Tensor): Float64Array {
  if (t.dtype === "string") throw new Error("a string tensor has no numeric value");
  const data = t.data as FloatData | BigInt64Array | Uint8Array;
  return data instanceof BigInt64Array ? Float64Array.from(data, Number) : Float64Array.from(data);
}

// ---------------------------------------------------------------------------------------------
// The two graphs
// ---------------------------------------------------------------------------------------------

function forwardGraph(spec: GradCheckSpec): Graph {
  const out = spec.build();
  floatOutput(out);
  out.graph.output(out, OUTPUT);
  return out.graph;
}

/** L = sum(f * R) with R an input, and dL/dx for each checked input as outputs. */
function gradientGraph(spec: GradCheckSpec): { graph: Graph; wrt: readonly string[] } {
  const out = spec.build();
  const g = out.graph;
  const names = spec.wrt ?? g.inputs.filter((v) => v.dtype === "float32" || v.dtype === "float64").map((v) => v.name);
  const wrt = names.map((name) => {
    const v = g.inputs.find((i) => i.name === name);
    if (!v) throw new Error(`gradCheck: no graph input named '${name}'; inputs are ${g.inputs.join(", ")}`);
    if (v.dtype !== "float32" && v.dtype !== "float64") throw new Error(`gradCheck: cannot differentiate with respect to ${v}`);
    return v;
  });
  const loss = reduceSum(mul(out, g.input(WEIGHTS, floatOutput(out), out.shape)));
  gradients(loss, wrt).forEach((d, k) => g.output(d, GRAD + names[k]));
  return { graph: g, wrt: names };
}

function floatOutput(out: Value): "float32" | "float64" {
  if (out.dtype !== "float32" && out.dtype !== "float64") throw new Error(`gradCheck needs a float output; got ${out}`);
  return out.dtype;
}

// ---------------------------------------------------------------------------------------------
// The comparison
// ---------------------------------------------------------------------------------------------

async function compare(spec: GradCheckSpec, forward: Session, backward: Session, wrt: readonly string[]): Promise<GradCheckReport> {
  const random = new Random(spec.seed ?? 1);
  const h = spec.step ?? 1e-6;
  const atol = spec.atol ?? 1e-6;
  const rtol = spec.rtol ?? 1e-5;
  const output = (await forward.run(spec.feeds))[OUTPUT];
  const weights = Float64Array.from({ length: sizeOf(output.dims) }, () => random.normal());
  const mismatches: Mismatch[] = [];
  let mismatchCount = 0;
  const judge = (m: Mismatch, a: number, r: number): void => {
    if (Math.abs(m.actual - m.expected) <= a + r * Math.abs(m.expected)) return;
    if (mismatchCount++ < MAX_LISTED) mismatches.push(m);
  };

  // L at a point, by the reference (in float64) or by the runtime's forward graph.
  const lossAt = async (feeds: Record<string, Tensor>): Promise<number> => {
    const f = spec.reference ? spec.reference(float64Feeds(feeds)) : toFloat64((await forward.run(feeds))[OUTPUT]);
    if (f.length !== weights.length) throw new Error(`gradCheck: the output has ${f.length} elements at one point and ${weights.length} at another`);
    let sum = 0;
    for (let i = 0; i < f.length; i++) sum += f[i] * weights[i];
    return sum;
  };

  if (spec.reference) {
    const expected = spec.reference(float64Feeds(spec.feeds));
    const actual = toFloat64(output);
    if (expected.length !== actual.length) throw new Error(`gradCheck: the reference gives ${expected.length} elements, the graph [${output.dims.join(", ")}]`);
    actual.forEach((a, index) =>
      judge({ kind: "forward", input: OUTPUT, index, actual: a, expected: expected[index] }, spec.forwardAtol ?? 1e-5, spec.forwardRtol ?? 1e-5),
    );
  }

  const grads = await backward.run({ ...spec.feeds, [WEIGHTS]: floatTensor(output.dtype as "float32" | "float64", output.dims, weights) });
  let checked = 0;
  for (const name of wrt) {
    const x = spec.feeds[name];
    const grad = grads[GRAD + name];
    if (grad.dims.join(",") !== x.dims.join(",")) {
      throw new Error(`gradCheck: the gradient of '${name}' has shape [${grad.dims.join(", ")}], the input [${x.dims.join(", ")}]`);
    }
    const analytic = toFloat64(grad);
    for (const j of sample(sizeOf(x.dims), spec.maxElements, random)) {
      const plus = perturbed(x, j, h);
      const minus = perturbed(x, j, -h);
      const delta = (plus.data as FloatData)[j] - (minus.data as FloatData)[j]; // 2h as stored
      const numeric = ((await lossAt({ ...spec.feeds, [name]: plus })) - (await lossAt({ ...spec.feeds, [name]: minus }))) / delta;
      judge({ kind: "gradient", input: name, index: j, actual: analytic[j], expected: numeric }, atol, rtol);
      checked++;
    }
  }
  return { output, checked, mismatches, mismatchCount };
}

function float64Feeds(feeds: Record<string, Tensor>): Record<string, Float64Array> {
  return Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, toFloat64(t)]));
}

/** A copy of `x` with element j moved by d. */
function perturbed(x: Tensor, j: number, d: number): Tensor {
  const data = (x.data as FloatData).slice();
  data[j] += d;
  return { dtype: x.dtype, dims: x.dims, data };
}

/** All indices below n, or a seeded sample of `max` of them. */
function sample(n: number, max: number | undefined, random: Random): Iterable<number> {
  if (max === undefined || max >= n) return Array.from({ length: n }, (_v, i) => i);
  return random.permutation(n).slice(0, max).sort();
}
