// The training loop's guarantees: reproducibility, inference = training forward, early stopping.
import { describe, expect, test } from "vitest";
import { twoSpirals } from "../data/synthetic.js";
import { Builder } from "../engine/builder.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { compileTrainingStep } from "../engine/training-step.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import { Model } from "./model.js";
import { FEATURES_INPUT, TARGET_INPUT, body, loss } from "./network.js";
import { ModelSpecSchema } from "./spec.js";

const runtime = new OnnxRuntime();

describe("reproducibility", () => {
  const data = twoSpirals(300, 9);
  const def = (seed: number, threads: number) => ({
    model: { kind: "mlp" as const, hidden: [32, 16], dropout: 0.2 },
    task: "classification" as const,
    training: { epochs: 5, batchSize: 16, seed, threads, earlyStopping: false as const },
  });

  for (const threads of [1, 2]) {
    test(`same data, spec, seed and ${threads} thread(s): identical weights`, async () => {
      const a = await Model.fit(def(3, threads), data);
      const b = await Model.fit(def(3, threads), data);
      for (const [name, w] of a.params) expect(Buffer.from(b.params.get(name)!.buffer).equals(Buffer.from(w.buffer))).toBe(true);
    });
  }

  test("another seed: other weights", async () => {
    const a = await Model.fit(def(3, 1), data);
    const b = await Model.fit(def(4, 1), data);
    expect(Array.from(a.params.get("output.weight")!)).not.toEqual(Array.from(b.params.get("output.weight")!));
  });
});

test("the inference graph gives the training graph's forward outputs", async () => {
  const data = twoSpirals(64, 2);
  const model = await Model.fit(
    { model: { kind: "mlp", hidden: [16, 8], activation: "gelu", dropout: 0.3 }, task: "classification", training: { epochs: 3, seed: 5 } },
    data,
  );
  const problem = model.problem;
  const spec = ModelSpecSchema.parse(model.spec);
  // The training step, with the network's raw outputs fetched beside the loss; dropout masks of ones.
  const step = compileTrainingStep(
    (b) => {
      const out = body(b, spec, problem, b.graph.input(FEATURES_INPUT, "float32", ["batch", problem.features]));
      return { loss: loss(b, problem, out), extra: { logits: out } };
    },
    { kind: "sgd" },
  );
  const session = await runtime.createSession(step.model);
  const feeds: Record<string, { dtype: "float32"; dims: number[]; data: Float32Array }> = {
    [FEATURES_INPUT]: { dtype: "float32", dims: [data.rows, 2], data: data.features },
    [TARGET_INPUT]: { dtype: "float32", dims: [data.rows, 1], data: data.target },
    lr: { dtype: "float32", dims: [], data: Float32Array.of(0) },
    step: { dtype: "float32", dims: [], data: Float32Array.of(1) },
  };
  for (const s of step.params) feeds[s.name] = { dtype: "float32", dims: s.shape, data: model.params.get(s.name)! };
  for (const m of step.masks) feeds[m.name] = { dtype: "float32", dims: [data.rows, m.shape[1] as number], data: new Float32Array(data.rows * (m.shape[1] as number)).fill(1) };
  const trained = await session.run(feeds, ["logits"]);

  // The exported inference graph, on the same rows: probabilities = sigmoid(logits) for a binary model.
  const { probabilities } = await model.predict(data.features, data.rows);
  const logits = trained.logits.data as Float32Array;
  for (let i = 0; i < data.rows; i++) {
    const p1 = 1 / (1 + Math.exp(-logits[i]));
    expect(Math.abs(probabilities![2 * i + 1] - p1)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(p1)));
  }
  // And the inference graph's own raw outputs match to 1e-6 relative.
  const b = new Builder("check", "infer", "float32", model.params);
  b.graph.output(body(b, spec, problem, b.graph.input(FEATURES_INPUT, "float32", ["batch", 2])), "logits");
  const inferred = await (await runtime.createSession(encodeModel(b.graph))).run({ [FEATURES_INPUT]: feeds[FEATURES_INPUT] });
  const raw = inferred.logits.data as Float32Array;
  raw.forEach((v, i) => expect(Math.abs(v - logits[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(logits[i]))));
  await model.release();
});

test("early stopping keeps the best epoch's weights", async () => {
  // Few rows, a wide network and many epochs: validation loss turns up, and training stops.
  const data = twoSpirals(80, 11, 1.5, 0.15);
  const model = await Model.fit(
    { model: { kind: "mlp", hidden: [128, 128] }, task: "classification", training: { epochs: 500, batchSize: 8, lr: 0.01, seed: 2, earlyStopping: { patience: 5 } } },
    data,
  );
  const losses = model.history.map((h) => h.validationLoss!);
  expect(model.history.length).toBeLessThan(500);
  expect(model.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
  expect(model.history.length).toBe(model.bestEpoch + 5);
  // The returned weights are the best epoch's: their validation log-loss is the best one recorded.
  const rows = model.split.validation;
  const x = new Float32Array(rows.length * 2);
  rows.forEach((r, i) => x.set(data.features.subarray(2 * r, 2 * r + 2), 2 * i));
  const { probabilities } = await model.predict(x, rows.length);
  let nll = 0;
  rows.forEach((r, i) => (nll -= Math.log(probabilities![2 * i + data.target[r]])));
  expect(nll / rows.length).toBeCloseTo(Math.min(...losses), 5);
  await model.release();
});

test("with nothing held out, the kept epoch reports the returned weights' training metrics", async () => {
  const data = twoSpirals(120, 4);
  for (const earlyStopping of [false as const, { patience: 2 }]) {
    const model = await Model.fit(
      { model: { kind: "mlp", hidden: [32] }, task: "classification", training: { epochs: 12, lr: 0.02, seed: 3, validationSplit: 0, earlyStopping } },
      data,
    );
    const kept = model.history[model.bestEpoch - 1];
    expect(model.history.filter((h) => h !== kept).every((h) => Object.keys(h.metrics).length === 0 && h.validationLoss === undefined)).toBe(true);
    const { prediction } = await model.predict(data.features, data.rows);
    const correct = Array.from(prediction).filter((c, i) => c === data.target[i]).length;
    expect(kept.metrics.accuracy).toBeCloseTo(correct / data.rows, 10);
    await model.release();
  }
});
