// Optimizer updates against an oracle: each optimizer is compiled to a float64 graph, run for three
// steps on ONNX Runtime (parameter and state carried from step to step), and compared with a
// plain-TypeScript transcription of PyTorch's documented algorithms (torch.optim.SGD / Adam / AdamW).
// The reference below was cross-checked once, offline, against torch.optim (torch 1.13, float64)
// on the same parameters, gradients and learning rates; the tests do not need Python.
import { afterAll, describe, expect, it } from "vitest";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { Session } from "../runtime/runtime.js";
import { floatTensor } from "../runtime/tensor.js";
import type { Tensor } from "../runtime/tensor.js";
import { Graph } from "./graph.js";
import { encodeModel } from "./onnx-codec.js";
import type { OptimizerConfig } from "./optimizers.js";
import { optimizerStep } from "./optimizers.js";

const SHAPE = [2, 3];
const P0 = [0.5, -1.25, 2, -0.75, 1.5, -2.5];
/** One gradient per step, fed directly (no loss): the update alone is under test. */
const GRADS = [
  [0.3, -0.2, 0.5, -0.4, 0.1, 0.2],
  [0.1, -0.35, 0.2, -0.15, 0.45, 0.05],
  [-0.2, 0.15, 0.4, 0.3, -0.25, 0.35],
];
/** A different rate each step, as a schedule would feed. */
const LRS = [0.1, 0.05, 0.02];
const RTOL = 1e-12;

// ---------------------------------------------------------------------------------------------
// Reference: PyTorch's algorithms, element by element, in float64
// ---------------------------------------------------------------------------------------------

/** Parameter and named optimizer state (PyTorch's `momentum_buffer`, `exp_avg`, `exp_avg_sq`). */
interface RefState {
  p: number[];
  state: Record<string, number[]>;
}

/**
 * One step of torch.optim for one parameter; `t` is 1-based. `wd` is the weight decay that applies
 * to this parameter (0 when the parameter is excluded from decay).
 */
function torchStep(config: OptimizerConfig, wd: number, s: RefState, grad: number[], lr: number, t: number): RefState {
  const p = [...s.p];
  const state: Record<string, number[]> = {};
  switch (config.kind) {
    case "sgd":
      // g <- g + wd p;  p <- p - lr g
      for (let i = 0; i < p.length; i++) p[i] -= lr * (grad[i] + wd * s.p[i]);
      break;
    case "momentum": {
      // g <- g + wd p;  b_1 = g, b_t = mu b_{t-1} + g;  nesterov: g <- g + mu b_t, else g <- b_t;  p <- p - lr g
      const mu = config.momentum!;
      const b = new Array<number>(p.length);
      for (let i = 0; i < p.length; i++) {
        const g = grad[i] + wd * s.p[i];
        b[i] = t === 1 ? g : mu * s.state.momentum[i] + g;
        p[i] -= lr * (config.nesterov ? g + mu * b[i] : b[i]);
      }
      state.momentum = b;
      break;
    }
    case "adam":
    case "adamw": {
      // adam:  g <- g + wd p.   adamw: p <- p - lr wd p.
      // m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;  p <- p - lr (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps)
      const b1 = config.beta1 ?? 0.9;
      const b2 = config.beta2 ?? 0.999;
      const eps = config.eps ?? 1e-8;
      const m = new Array<number>(p.length);
      const v = new Array<number>(p.length);
      for (let i = 0; i < p.length; i++) {
        const g = config.kind === "adam" ? grad[i] + wd * s.p[i] : grad[i];
        if (config.kind === "adamw") p[i] *= 1 - lr * wd;
        const m0 = t === 1 ? 0 : s.state.m[i];
        const v0 = t === 1 ? 0 : s.state.v[i];
        m[i] = b1 * m0 + (1 - b1) * g;
        v[i] = b2 * v0 + (1 - b2) * g * g;
        const mHat = m[i] / (1 - b1 ** t);
        const vHat = v[i] / (1 - b2 ** t);
        p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
      }
      state.m = m;
      state.v = v;
      break;
    }
  }
  return { p, state };
}

// ---------------------------------------------------------------------------------------------
// The graph under test
// ---------------------------------------------------------------------------------------------

const runtime = new OnnxRuntime();
const sessions: Session[] = [];
afterAll(async () => {
  for (const s of sessions) await s.release();
});

interface Compiled {
  session: Session;
  /** State input names mapped to their outputs (`p.m` -> `p.m.next`). */
  states: Map<string, string>;
}

/** p, g, lr, step -> optimizerStep -> `<input>.next` for the parameter and every state. */
async function compile(config: OptimizerConfig, decay: boolean): Promise<Compiled> {
  const graph = new Graph(`opt_${config.kind}`, "float64");
  const p = graph.input("p", "float64", SHAPE);
  const g = graph.input("g", "float64", SHAPE);
  const lr = graph.input("lr", "float64", []);
  const step = graph.input("step", "float64", []);
  const updates = optimizerStep(config, [{ param: p, grad: g, decay }], lr, step);
  const states = new Map<string, string>();
  for (const u of updates) {
    const out = graph.output(u.next, `${u.input.name}.next`);
    if (u.isState) states.set(u.input.name, out.name);
    else expect(u.input).toBe(p);
  }
  const declared = graph.inputs.map((v) => v.name).filter((n) => !["p", "g", "lr", "step"].includes(n));
  expect([...states.keys()].sort()).toEqual(declared.sort());
  const session = await runtime.createSession(encodeModel(graph));
  sessions.push(session);
  return { session, states };
}

const scalar = (x: number): Tensor => floatTensor("float64", [], [x]);

/** Element-wise |actual - expected| <= RTOL |expected|, naming the first offender. */
function expectClose(actual: Tensor, expected: number[], label: string): void {
  expect(actual.dtype).toBe("float64");
  expect(actual.dims).toEqual(SHAPE);
  const a = Array.from(actual.data as Float64Array);
  const bad = a.findIndex((x, i) => !(Math.abs(x - expected[i]) <= RTOL * Math.abs(expected[i])));
  expect(bad, `${label}[${bad}]: got ${a[bad]}, expected ${expected[bad]}`).toBe(-1);
}

interface Case {
  name: string;
  config: OptimizerConfig;
  decay: boolean;
  /** The optimizer state PyTorch keeps, by our input-name suffix. */
  states: string[];
}

const CASES: Case[] = [
  { name: "sgd", config: { kind: "sgd" }, decay: true, states: [] },
  { name: "sgd with weight decay", config: { kind: "sgd", weightDecay: 0.1 }, decay: true, states: [] },
  { name: "sgd, decay: false skips weight decay", config: { kind: "sgd", weightDecay: 0.1 }, decay: false, states: [] },
  { name: "momentum", config: { kind: "momentum", momentum: 0.9 }, decay: true, states: ["momentum"] },
  {
    name: "momentum with weight decay",
    config: { kind: "momentum", momentum: 0.8, weightDecay: 0.05 },
    decay: true,
    states: ["momentum"],
  },
  {
    name: "nesterov momentum",
    config: { kind: "momentum", momentum: 0.9, nesterov: true, weightDecay: 0.05 },
    decay: true,
    states: ["momentum"],
  },
  { name: "adam (default betas and eps)", config: { kind: "adam" }, decay: true, states: ["m", "v"] },
  {
    name: "adam with L2 weight decay",
    config: { kind: "adam", beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 },
    decay: true,
    states: ["m", "v"],
  },
  { name: "adamw with decoupled decay", config: { kind: "adamw", weightDecay: 0.1 }, decay: true, states: ["m", "v"] },
  { name: "adamw, decay: false skips weight decay", config: { kind: "adamw", weightDecay: 0.1 }, decay: false, states: ["m", "v"] },
];

describe("optimizerStep matches PyTorch's algorithms over three steps", () => {
  it.each(CASES)("$name", async ({ config, decay, states }) => {
    const { session, states: stateIO } = await compile(config, decay);
    expect([...stateIO.keys()].sort()).toEqual(states.map((s) => `p.${s}`).sort());

    const wd = decay ? (config.weightDecay ?? 0) : 0;
    let ref: RefState = { p: P0, state: {} };
    let feeds: Record<string, Tensor> = { p: floatTensor("float64", SHAPE, P0) };
    for (const input of stateIO.keys()) feeds[input] = floatTensor("float64", SHAPE); // zeros

    for (let t = 1; t <= GRADS.length; t++) {
      const out = await session.run({
        ...feeds,
        g: floatTensor("float64", SHAPE, GRADS[t - 1]),
        lr: scalar(LRS[t - 1]),
        step: scalar(t),
      });
      ref = torchStep(config, wd, ref, GRADS[t - 1], LRS[t - 1], t);

      expectClose(out["p.next"], ref.p, `step ${t} p`);
      for (const s of states) expectClose(out[`p.${s}.next`], ref.state[s], `step ${t} ${s}`);

      feeds = { p: out["p.next"] };
      for (const [input, output] of stateIO) feeds[input] = out[output];
    }
  });
});
