// Gradient clipping by global norm (OptimizerConfig.clipNorm) against a hand computation of
// torch.nn.utils.clip_grad_norm_ followed by the optimizer: two parameters, their gradients fed
// directly, one float64 step on ONNX Runtime.
import { describe, expect, it } from "vitest";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import { floatTensor } from "../runtime/tensor.js";
import { Graph } from "./graph.js";
import { encodeModel } from "./onnx-codec.js";
import type { OptimizerConfig } from "./optimizers.js";
import { optimizerStep } from "./optimizers.js";

const runtime = new OnnxRuntime();
const P = { a: [0.5, -1.25, 2, -0.75, 1.5, -2.5], b: [0.25, -0.5, 1, 2] };
const G = { a: [0.3, -2.2, 0.5, -0.4, 1.1, 0.2], b: [0.9, -0.35, 0.2, -1.15] };
const LR = 0.1;
/** ||g|| over both gradients. */
const NORM = Math.sqrt([...G.a, ...G.b].reduce((s, g) => s + g * g, 0));

/** One step of `config` on parameters a [2, 3] (decayed) and b [4] (not decayed); the next values. */
async function step(config: OptimizerConfig): Promise<{ a: number[]; b: number[] }> {
  const g = new Graph("clip", "float64");
  const items = (["a", "b"] as const).map((name) => {
    const shape = name === "a" ? [2, 3] : [4];
    return { param: g.input(name, "float64", shape), grad: g.input(`${name}.grad`, "float64", shape), decay: name === "a" };
  });
  const updates = optimizerStep(config, items, g.input("lr", "float64", []), g.input("step", "float64", []));
  for (const u of updates) g.output(u.next, `${u.input.name}.next`);
  const session = await runtime.createSession(encodeModel(g));
  const feeds = {
    a: floatTensor("float64", [2, 3], P.a),
    b: floatTensor("float64", [4], P.b),
    "a.grad": floatTensor("float64", [2, 3], G.a),
    "b.grad": floatTensor("float64", [4], G.b),
    lr: floatTensor("float64", [], [LR]),
    step: floatTensor("float64", [], [1]),
    ...Object.fromEntries(updates.filter((u) => u.isState).map((u) => [u.input.name, floatTensor("float64", u.input.shape as number[], new Array(u.input.shape.reduce((p: number, d) => p * (d as number), 1)).fill(0))])),
  };
  const out = await session.run(feeds);
  await session.release();
  return { a: Array.from(out["a.next"].data as Float64Array), b: Array.from(out["b.next"].data as Float64Array) };
}

const close = (actual: number[], expected: number[]): void => actual.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));

describe("clipNorm: gradients scaled by min(1, maxNorm / (||g|| + 1e-6)) before the update", () => {
  it("sgd with weight decay: clipped gradients, decay added after clipping", async () => {
    const [maxNorm, wd] = [0.5, 0.01];
    const coef = maxNorm / (NORM + 1e-6);
    expect(coef).toBeLessThan(1);
    const next = await step({ kind: "sgd", clipNorm: maxNorm, weightDecay: wd });
    close(next.a, P.a.map((p, i) => p - LR * (G.a[i] * coef + wd * p)));
    close(next.b, P.b.map((p, i) => p - LR * G.b[i] * coef));
  });

  it("a norm below the limit leaves the gradients unchanged", async () => {
    const next = await step({ kind: "sgd", clipNorm: NORM * 2 });
    close(next.a, P.a.map((p, i) => p - LR * G.a[i]));
    close(next.b, P.b.map((p, i) => p - LR * G.b[i]));
  });

  it("adam's first step sees the clipped gradient: m = (1-b1) g c, v = (1-b2) (g c)^2", async () => {
    const maxNorm = 1;
    const coef = maxNorm / (NORM + 1e-6);
    const next = await step({ kind: "adam", clipNorm: maxNorm, eps: 1e-8 });
    // after bias correction the first step is lr * g' / (|g'| + eps), g' = g * coef
    const expected = (p: number[], g: number[]): number[] => p.map((v, i) => v - (LR * g[i] * coef) / (Math.abs(g[i] * coef) + 1e-8));
    close(next.a, expected(P.a, G.a));
    close(next.b, expected(P.b, G.b));
  });
});
