// A tiny LSTM classifier end to end: its compiled training step learns a rule that needs memory
// (the class is the sign of the first step of a variable-length sequence, read after the last valid
// step), its inference graph reproduces the eval-mode outputs with the trained parameters, and the
// reference ONNX checker accepts both graphs (when python3-onnx is installed).
import { beforeAll, describe, expect, it } from "vitest";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, int64Tensor } from "../runtime/tensor.js";
import { Builder } from "./builder.js";
import { uniformTensor } from "./gradcheck.js";
import type { Value } from "./graph.js";
import { checkOnnxModel, hasOnnxChecker } from "./onnx-checker-fixtures.js";
import { encodeModel } from "./onnx-codec.js";
import { argmax, softmaxCrossEntropy } from "./ops.js";
import { Random } from "./random.js";
import { compileTrainingStep, initialCarries } from "./training-step.js";

const runtime = new OnnxRuntime();
const [ROWS, T, F, H] = [48, 6, 1, 8];
const STEPS = 300;

function network(b: Builder): Value {
  const x = b.graph.input("x", "float32", ["batch", T, F]);
  const lengths = b.graph.input("lengths", "int64", ["batch"]);
  return b.dense(b.lstm(x, H, "lstm", { lengths }), 2, "out");
}

/** Sequences of uniform values with lengths 2..T; the label is 1 when the first value is positive. */
function dataset(random: Random): { x: Tensor; lengths: Tensor; labels: Tensor } {
  const x = uniformTensor(random, "float32", [ROWS, T, F], -1, 1, 0.1);
  const lengths = Array.from({ length: ROWS }, () => 2 + random.int(T - 1));
  const data = x.data as Float32Array;
  for (let n = 0; n < ROWS; n++) for (let t = lengths[n]; t < T; t++) data[n * T + t] = 9; // padding must not matter
  const labels = Array.from({ length: ROWS }, (_v, n) => (data[n * T] > 0 ? 1 : 0));
  return { x, lengths: int64Tensor([ROWS], lengths), labels: int64Tensor([ROWS], labels) };
}

describe("an LSTM classifier, end to end", () => {
  const random = new Random(5);
  const batch = dataset(random);
  const step = compileTrainingStep((b) => ({ loss: softmaxCrossEntropy(network(b), b.graph.input("labels", "int64", ["batch"])) }), { kind: "adam", clipNorm: 5 });
  const carried: Record<string, Tensor> = {};
  const losses: number[] = [];
  const trained = new Map<string, Float32Array>();

  beforeAll(async () => {
    Object.assign(carried, initialCarries(step, random));
    const session = await runtime.createSession(step.model);
    const scalar = (v: number): Tensor => floatTensor("float32", [], [v]);
    for (let t = 1; t <= STEPS; t++) {
      const out = await session.run({ ...carried, ...batch, lr: scalar(0.02), step: scalar(t) });
      losses.push((out.loss.data as Float32Array)[0]);
      for (const c of step.carries) carried[c.input] = out[c.output];
    }
    await session.release();
    for (const s of step.params) trained.set(s.name, carried[s.name].data as Float32Array);
  });

  /** Logits and predicted classes of the network built in `mode`, on the training batch. */
  async function predict(mode: "eval" | "infer"): Promise<{ model: Uint8Array; logits: Float32Array; classes: number[] }> {
    const b = new Builder(`lstm_${mode}`, mode, "float32", mode === "infer" ? trained : undefined);
    const logits = network(b);
    b.graph.output(logits, "logits");
    b.graph.output(argmax(logits, 1), "classes");
    const model = encodeModel(b.graph);
    const s = await runtime.createSession(model);
    const feeds: Record<string, Tensor> = { x: batch.x, lengths: batch.lengths };
    if (mode === "eval") for (const [name, data] of trained) feeds[name] = { dtype: "float32", dims: carried[name].dims, data };
    const out = await s.run(feeds);
    await s.release();
    return { model, logits: out.logits.data as Float32Array, classes: Array.from(out.classes.data as BigInt64Array, Number) };
  }

  it("learns the rule: the loss falls and every training sequence is classified correctly", async () => {
    expect(losses[losses.length - 1]).toBeLessThan(0.1 * losses[0]);
    const labels = Array.from(batch.labels.data as BigInt64Array, Number);
    expect((await predict("infer")).classes).toEqual(labels);
  });

  it("the inference graph gives the eval-mode outputs within 1e-5", async () => {
    const evaluated = (await predict("eval")).logits;
    const inferred = (await predict("infer")).logits;
    evaluated.forEach((v, i) => expect(Math.abs(inferred[i] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
  });

  describe.skipIf(!hasOnnxChecker)("onnx.checker (python3-onnx)", () => {
    it("accepts the inference graph and the training step, full check with shape inference", async () => {
      expect(checkOnnxModel((await predict("infer")).model)).toBe("8 17");
      expect(checkOnnxModel(step.model)).toBe("8 17");
    });
  });
});
