// Where a compiled training step spends its time: the step run under ONNX Runtime's profiler, kernel
// time summed by operator type. Benchmarks only: the project's Runtime does not expose the profiler,
// so this file opens onnxruntime-node itself, with the options src/runtime/onnxruntime.ts uses.
import { readdirSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import ort from "onnxruntime-node";
import type { CompiledStep } from "../src/engine/training-step.js";
import { initialise } from "../src/engine/init.js";
import { Random } from "../src/engine/random.js";

/** One operator type's share of a step. */
export interface OpTime {
  op: string;
  /** Kernel milliseconds per step. */
  ms: number;
  /** Kernel launches per step. */
  calls: number;
}

/** One node of the optimised graph. */
export interface NodeTime {
  node: string;
  op: string;
  /** Input shapes, e.g. "[64,32,28,28] [32,1,3,3]". */
  inputs: string;
  ms: number;
}

export interface StepProfile {
  /** Operators by kernel time, largest first. */
  ops: OpTime[];
  /** Nodes by kernel time, largest first. */
  nodes: NodeTime[];
  /** Milliseconds per step inside ONNX Runtime (`model_run`), and the sum of its kernels. */
  runMs: number;
  kernelMs: number;
  /** Milliseconds per step around `session.run` in JavaScript (feeds, copies, the native call). */
  wallMs: number;
}

interface TraceEvent {
  cat: string;
  name: string;
  ts: number;
  dur: number;
  args?: { op_name?: string; input_type_shape?: Record<string, number[]>[] };
}

/**
 * Runs `warmup` + `steps` training steps of `step` on batches from `batch(i)` with carried parameters
 * and state, under the profiler; returns per-step times of the last `steps` steps.
 */
export async function profileStep(
  step: CompiledStep,
  batch: (i: number) => Record<string, ort.Tensor>,
  options: { threads: number; steps: number; warmup: number; dir: string },
): Promise<StepProfile> {
  rmSync(options.dir, { recursive: true, force: true });
  mkdirSync(options.dir, { recursive: true });
  const session = await ort.InferenceSession.create(step.model, {
    executionProviders: ["cpu"],
    intraOpNumThreads: options.threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    enableProfiling: true,
    profileFilePrefix: `${options.dir}/step`,
    extra: { session: { intra_op: { allow_spinning: "1" } } },
  });
  const rng = new Random(1);
  const carried: Record<string, ort.Tensor> = {};
  for (const p of step.params) {
    const data = new Float32Array(p.shape.reduce((a, d) => a * d, 1));
    initialise(p.init, p.shape, rng, data, p.fans);
    carried[p.name] = new ort.Tensor("float32", data, p.shape);
  }
  for (const c of step.carries) {
    if (!c.isState) continue;
    const data = new Float32Array(c.shape.reduce((a, d) => a * d, 1)).fill(c.init === "ones" ? 1 : 0);
    carried[c.input] = new ort.Tensor("float32", data, c.shape);
  }
  const fetch = ["loss", ...step.carries.map((c) => c.output)];
  let wall = 0;
  for (let i = 0; i < options.warmup + options.steps; i++) {
    const data = batch(i);
    const n = (data.features ?? Object.values(data)[0]).dims[0];
    const feeds: Record<string, ort.Tensor> = { ...carried, ...data, lr: new ort.Tensor("float32", Float32Array.of(0.001), []), step: new ort.Tensor("float32", Float32Array.of(i + 1), []) };
    for (const m of step.masks) {
      const dims = m.shape.map((d) => (typeof d === "number" ? d : n));
      const mask = Float32Array.from({ length: dims.reduce((a, d) => a * d, 1) }, () => (rng.uniform() < m.rate ? 0 : 1 / (1 - m.rate)));
      feeds[m.name] = new ort.Tensor("float32", mask, dims);
    }
    const started = performance.now();
    const out = await session.run(feeds, fetch);
    if (i >= options.warmup) wall += performance.now() - started;
    for (const c of step.carries) carried[c.input] = out[c.output] as ort.Tensor;
  }
  session.endProfiling();
  await session.release();

  const file = readdirSync(options.dir).find((f) => f.endsWith(".json"));
  if (!file) throw new Error(`ONNX Runtime wrote no profile into ${options.dir}`);
  const events = JSON.parse(readFileSync(`${options.dir}/${file}`, "utf8")) as TraceEvent[];
  const runs = events.filter((e) => e.cat === "Session" && e.name === "model_run").sort((a, b) => a.ts - b.ts);
  if (runs.length !== options.warmup + options.steps) throw new Error(`${runs.length} model runs in the profile; expected ${options.warmup + options.steps}`);
  const from = runs[options.warmup].ts;
  const byOp = new Map<string, { us: number; calls: number }>();
  const byNode = new Map<string, { op: string; inputs: string; us: number }>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time") || e.ts < from) continue;
    const op = e.args?.op_name ?? "?";
    const t = byOp.get(op) ?? { us: 0, calls: 0 };
    t.us += e.dur;
    t.calls++;
    byOp.set(op, t);
    const node = e.name.slice(0, -"_kernel_time".length);
    const inputs = (e.args?.input_type_shape ?? []).map((x) => `[${Object.values(x)[0].join(",")}]`).join(" ");
    const n = byNode.get(node) ?? { op, inputs, us: 0 };
    n.us += e.dur;
    byNode.set(node, n);
  }
  const perStep = (us: number) => us / 1000 / options.steps;
  const ops = [...byOp].map(([op, t]) => ({ op, ms: perStep(t.us), calls: t.calls / options.steps })).sort((a, b) => b.ms - a.ms);
  const nodes = [...byNode].map(([node, n]) => ({ node, op: n.op, inputs: n.inputs, ms: perStep(n.us) })).sort((a, b) => b.ms - a.ms);
  return {
    ops,
    nodes,
    runMs: perStep(runs.slice(options.warmup).reduce((s, e) => s + e.dur, 0)),
    kernelMs: ops.reduce((s, o) => s + o.ms, 0),
    wallMs: wall / options.steps,
  };
}

/**
 * Kernel ms per step by operator, one column per profile (e.g. per thread count or optimizer): the
 * `top` largest operators of each column, the rest, the kernels' total, ONNX Runtime's `model_run`
 * and the `session.run` call from JavaScript.
 */
export function stepTable(columns: readonly [label: string, profile: StepProfile][], top = 10): string[] {
  const ops = [...new Set(columns.flatMap(([, p]) => p.ops.slice(0, top).map((o) => o.op)))];
  const find = (p: StepProfile, op: string) => p.ops.find((x) => x.op === op);
  const cell = (p: StepProfile, op: string) => {
    const o = find(p, op);
    return o ? `${o.ms.toFixed(2)} (${((100 * o.ms) / p.kernelMs).toFixed(0)}%)` : "-";
  };
  const calls = (op: string) => [...new Set(columns.map(([, p]) => String(find(p, op)?.calls ?? 0)))].join(" / ");
  const rest = (p: StepProfile) => p.kernelMs - ops.reduce((s, op) => s + (find(p, op)?.ms ?? 0), 0);
  const row = (label: string, f: (p: StepProfile) => string) => `| ${label} | | ${columns.map(([, p]) => f(p)).join(" | ")} |`;
  return [
    `| operator | kernels per step | ${columns.map(([label]) => `ms per step, ${label} (share)`).join(" | ")} |`,
    `|---|---:|${columns.map(() => "---:|").join("")}`,
    ...ops.map((op) => `| ${op} | ${calls(op)} | ${columns.map(([, p]) => cell(p, op)).join(" | ")} |`),
    row("other operators", (p) => rest(p).toFixed(2)),
    row("**kernels, total**", (p) => p.kernelMs.toFixed(2)),
    row("ONNX Runtime `model_run`", (p) => p.runMs.toFixed(2)),
    row("`session.run` from JavaScript", (p) => p.wallMs.toFixed(2)),
  ];
}
