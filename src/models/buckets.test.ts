// Length buckets: the bounds and grouping, the epoch's batches, and the oracle that makes bucketing
// safe: a bucket's shorter graph takes exactly the training step the padded graph takes on the same
// batch (same loss, same updated parameters and optimizer state).
import { describe, expect, it } from "vitest";
import type { SequenceSet } from "../data/sequences.js";
import { initialise } from "../engine/init.js";
import { Random } from "../engine/random.js";
import { compileTrainingStep } from "../engine/training-step.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, int64Tensor, sizeOf } from "../runtime/tensor.js";
import { bucketBounds, bucketRows, epochBatches } from "./buckets.js";
import type { Problem } from "./network.js";
import { FEATURES_INPUT, LENGTHS_INPUT, TARGET_INPUT, objective } from "./network.js";
import { trainSequences } from "./sequences.js";
import { ModelSpecSchema, resolveTraining } from "./spec.js";
import { optimizerConfig } from "./trainer.js";

const all = (n: number) => Int32Array.from({ length: n }, (_v, i) => i);

describe("bucketBounds", () => {
  it("cuts at the length quantiles, the last bound the longest length", () => {
    const lengths = Int32Array.from({ length: 100 }, (_v, i) => i + 1);
    expect(bucketBounds(lengths, all(100), 4)).toEqual([25, 50, 75, 100]);
    expect(bucketBounds(lengths, all(100), 1)).toEqual([100]);
    expect(bucketBounds(lengths, Int32Array.of(3, 9, 1), 4)).toEqual([2, 4, 10]); // rows 3, 9, 1 have lengths 4, 10, 2
  });

  it("drops a bound that saves less than a fifth of the next one's steps", () => {
    const lengths = Int32Array.from({ length: 100 }, (_v, i) => 90 + (i % 11));
    expect(bucketBounds(lengths, all(100), 4)).toEqual([100]);
    expect(bucketBounds(new Int32Array(50).fill(7), all(50), 4)).toEqual([7]);
  });
});

describe("bucketRows and epochBatches", () => {
  const lengths = Int32Array.of(5, 1, 9, 3, 7, 2, 8);
  const rows = Int32Array.of(6, 0, 1, 2, 3, 4, 5);

  it("puts each row in the smallest bucket that holds it, keeping the rows' order", () => {
    expect(bucketRows(lengths, rows, [3, 6, 9]).map((b) => Array.from(b))).toEqual([[1, 3, 5], [0], [6, 2, 4]]);
    expect(() => bucketRows(lengths, rows, [3, 6])).toThrow(/row 6 has length 8, beyond the longest bucket \(6\)/);
  });

  it("batches every row once, each batch from one bucket", () => {
    const buckets = bucketRows(lengths, rows, [3, 6, 9]);
    const batches = epochBatches(buckets, 2, new Random(1));
    expect(batches.flatMap((b) => Array.from(b.rows)).sort()).toEqual(Array.from(rows).sort());
    for (const b of batches) {
      expect(b.rows.length).toBeLessThanOrEqual(2);
      for (const r of b.rows) expect(Array.from(buckets[b.bucket])).toContain(r);
    }
  });

  it("with one bucket, is the shuffle of the rows cut in order (the unbucketed loop's batches)", () => {
    const batches = epochBatches([rows], 3, new Random(2));
    const order = new Random(2).shuffle(Int32Array.from(rows));
    expect(batches.map((b) => Array.from(b.rows))).toEqual([Array.from(order.subarray(0, 3)), Array.from(order.subarray(3, 6)), Array.from(order.subarray(6))]);
  });
});

describe("a bucket's graph takes the padded graph's training step", () => {
  const runtime = new OnnxRuntime();
  const [N, T, SHORT, F] = [6, 12, 5, 2];
  const lengths = [5, 1, 3, 5, 2, 4];

  /** One Adam step (clipped) of a two-layer bidirectional LSTM regression on `steps` steps of the batch. */
  async function step(steps: number, params: Record<string, Tensor>, random: Random): Promise<Record<string, Tensor>> {
    const p: Problem = { task: "regression", features: steps * F, classes: 1, input: [steps, F], lengths: true };
    const spec = ModelSpecSchema.parse({ kind: "lstm", hidden: [4, 3], bidirectional: true });
    const compiled = compileTrainingStep((b) => objective(b, spec, p), optimizerConfig(resolveTraining("lstm", { clipNorm: 0.5 })));
    const feeds: Record<string, Tensor> = { ...params };
    for (const c of compiled.carries) if (c.isState) feeds[c.input] = floatTensor("float32", c.shape, new Float32Array(sizeOf(c.shape)));
    const x = new Float32Array(N * steps * F);
    for (let n = 0; n < N; n++) for (let i = 0; i < steps * F; i++) x[n * steps * F + i] = i < lengths[n] * F ? random.normal() : 99; // padding must not matter
    feeds[FEATURES_INPUT] = floatTensor("float32", [N, steps, F], x);
    feeds[LENGTHS_INPUT] = int64Tensor([N], lengths);
    feeds[TARGET_INPUT] = floatTensor("float32", [N, 1], lengths.map((l) => l / 5));
    feeds.lr = floatTensor("float32", [], [0.01]);
    feeds.step = floatTensor("float32", [], [1]);
    const session = await runtime.createSession(compiled.model);
    try {
      return await session.run(feeds);
    } finally {
      await session.release();
    }
  }

  it("same loss, parameters and optimizer state to 1e-5", async () => {
    const init = new Random(3);
    const p: Problem = { task: "regression", features: T * F, classes: 1, input: [T, F], lengths: true };
    const spec = ModelSpecSchema.parse({ kind: "lstm", hidden: [4, 3], bidirectional: true });
    const probe = compileTrainingStep((b) => objective(b, spec, p), { kind: "sgd" });
    const params: Record<string, Tensor> = {};
    for (const s of probe.params) {
      const data = new Float32Array(sizeOf(s.shape));
      initialise(s.init, s.shape, init, data, s.fans);
      params[s.name] = { dtype: "float32", dims: s.shape, data };
    }
    // The same sequence values in both: the short graph's steps are the long one's first SHORT.
    const padded = await step(T, params, new Random(4));
    const short = await step(SHORT, params, new Random(4));
    expect(Object.keys(short).sort()).toEqual(Object.keys(padded).sort());
    for (const name of Object.keys(padded)) {
      const [a, b] = [padded[name].data as Float32Array, short[name].data as Float32Array];
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i]), `${name}[${i}]`).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[i])));
    }
  });
});

describe("trainSequences on sequences of varying length", () => {
  /** 600 sequences of 4..40 steps of one N(0, 1) feature; the label: is the sum of the real steps positive. */
  function signOfSum(): SequenceSet {
    const [rows, steps] = [600, 40];
    const rng = new Random(8);
    const values = new Float32Array(rows * steps);
    const lengths = Int32Array.from({ length: rows }, () => 4 + rng.int(steps - 3));
    const labels: string[] = [];
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let t = 0; t < lengths[r]; t++) sum += values[r * steps + t] = rng.normal();
      labels.push(sum > 0 ? "positive" : "negative");
    }
    return { source: "sign-of-sum", count: rows, steps, features: 1, values, lengths, target: { kind: "labels", labels }, columns: [], rowLabels: Array.from({ length: rows }, (_v, i) => i + 1) };
  }

  it("trains on the length buckets and learns the rule", async () => {
    const set = signOfSum();
    const result = await trainSequences(set, ModelSpecSchema.parse({ kind: "gru", hidden: [16] }), resolveTraining("gru", { epochs: 15, seed: 1, threads: 1 }));
    const buckets = result.card.training.buckets!;
    expect(buckets.length).toBe(4);
    expect(buckets[3]).toBe(40);
    expect(result.card.metrics.accuracy).toBeGreaterThan(0.9);
  });

  it("trains on one padded graph with lengthBuckets 1", async () => {
    const result = await trainSequences(signOfSum(), ModelSpecSchema.parse({ kind: "gru", hidden: [4] }), resolveTraining("gru", { epochs: 1, lengthBuckets: 1, threads: 1 }));
    expect(result.card.training.buckets).toBeUndefined();
  });
});
