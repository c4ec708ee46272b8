// Every model family's file is portable: it passes onnx.checker, and onnxruntime-web's WebAssembly
// build (the one browsers run, here in Node) answers the same inputs as onnxruntime-node does.
import * as ortWeb from "onnxruntime-web";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { ImageSet } from "../src/data/image-set.js";
import type { SequenceSet } from "../src/data/sequences.js";
import type { RawTable } from "../src/data/table.js";
import { tableFromRows } from "../src/data/table.js";
import { checkOnnxModel, hasOnnxChecker } from "../src/engine/onnx-checker-fixtures.js";
import { Random } from "../src/engine/random.js";
import { trainImages } from "../src/models/images.js";
import { ModelFile } from "../src/models/model-file.js";
import { LENGTHS_INPUT } from "../src/models/network.js";
import { columnFeeds } from "../src/models/preprocess.js";
import { trainSequences } from "../src/models/sequences.js";
import type { ModelSpecInput, TabularSpecInput, TrainingSpecInput } from "../src/models/spec.js";
import { ModelSpecSchema, TabularSpecSchema, resolveTraining } from "../src/models/spec.js";
import { trainTable } from "../src/models/tabular.js";
import { defaultRuntime } from "../src/runtime/onnxruntime.js";
import type { Tensor } from "../src/runtime/tensor.js";

/**
 * Floats must agree as numpy's `allclose` says: |native - wasm| <= RELATIVE * max(|native|, |wasm|) +
 * ABSOLUTE. The absolute term is for values near 0 that are sums of larger terms (a regression
 * output of -0.02 from weights near 1): there float32 rounding alone moves the relative error past
 * 1e-5 (measured: 3e-7 apart, 1.5e-5 relative, the rnn below).
 */
const RELATIVE = 1e-5;
const ABSOLUTE = 1e-6;

// ---------------------------------------------------------------------------------------------
// The two runtimes
// ---------------------------------------------------------------------------------------------

// In Node, `import "onnxruntime-web"` resolves to dist/ort.node.min.mjs: the wasm backend only,
// which loads dist/ort-wasm-simd-threaded.{mjs,wasm} from its own folder. One thread: no workers.
beforeAll(() => {
  ortWeb.env.wasm.numThreads = 1;
  ortWeb.env.wasm.proxy = false;
});

const native = defaultRuntime();

/** The outputs of `model` on `feeds` in onnxruntime-node. */
async function runNative(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await native.createSession(model, { threads: 1, spinning: false });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** The outputs of `model` on `feeds` in onnxruntime-web's wasm backend, as project tensors. */
async function runWasm(model: Uint8Array, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
  const session = await ortWeb.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
  try {
    const webFeeds: Record<string, ortWeb.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) webFeeds[name] = new ortWeb.Tensor(t.dtype, t.data as never, t.dims as number[]);
    const out = await session.run(webFeeds);
    const result: Record<string, Tensor> = {};
    for (const name of session.outputNames) {
      const t = out[name];
      result[name] = { dtype: t.type as Tensor["dtype"], dims: [...t.dims], data: t.data as Tensor["data"] };
    }
    return result;
  } finally {
    await session.release();
  }
}

/**
 * How far apart two float tensors are: the largest absolute difference, the largest relative one
 * among elements above ABSOLUTE (a subnormal against 0 is 100% apart, and close), and whether every
 * element is within tolerance.
 */
function floatDifference(a: ArrayLike<number>, b: ArrayLike<number>): { relative: number; absolute: number; close: boolean } {
  let [relative, absolute, close] = [0, 0, a.length === b.length];
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    const scale = Math.max(Math.abs(a[i]), Math.abs(b[i]));
    if (!(d <= RELATIVE * scale + ABSOLUTE)) close = false; // NaN on either side is never close
    absolute = Math.max(absolute, d);
    if (scale > ABSOLUTE) relative = Math.max(relative, d / scale);
  }
  return { relative, absolute, close };
}

/** Largest float differences per family, printed at the end. */
const differences: Record<string, { relative: number; absolute: number }> = {};
afterAll(() => {
  console.log("onnxruntime-web (wasm) against onnxruntime-node, largest float differences:");
  console.table(differences);
});

/**
 * Checks one model file: onnx.checker (when installed), then the same feeds through both runtimes,
 * floats close (RELATIVE, ABSOLUTE), strings and integers equal.
 */
async function expectPortable(family: string, model: Uint8Array, feeds: Record<string, Tensor>, outputs: readonly string[]): Promise<void> {
  if (hasOnnxChecker) expect(checkOnnxModel(model)).toBe("8 17");
  const [a, b] = [await runNative(model, feeds), await runWasm(model, feeds)];
  expect(Object.keys(a).sort()).toEqual([...outputs].sort());
  expect(Object.keys(b).sort()).toEqual([...outputs].sort());
  const worst = { relative: 0, absolute: 0 };
  for (const name of outputs) {
    expect(b[name].dtype, name).toBe(a[name].dtype);
    expect(b[name].dims, name).toEqual(a[name].dims);
    expect(a[name].data.length, name).toBeGreaterThan(0);
    if (a[name].dtype === "float32" || a[name].dtype === "float64") {
      const d = floatDifference(a[name].data as Float32Array, b[name].data as Float32Array);
      const detail = `${family} '${name}': native ${Array.from(a[name].data as Float32Array)}, wasm ${Array.from(b[name].data as Float32Array)}`;
      expect(d.close, detail).toBe(true);
      worst.relative = Math.max(worst.relative, d.relative);
      worst.absolute = Math.max(worst.absolute, d.absolute);
    } else {
      expect(Array.from(b[name].data as ArrayLike<unknown>), `${family} '${name}'`).toEqual(Array.from(a[name].data as ArrayLike<unknown>));
    }
  }
  differences[family] = worst;
}

// ---------------------------------------------------------------------------------------------
// Tiny data, one model per family
// ---------------------------------------------------------------------------------------------

const fast: TrainingSpecInput = { threads: 1, seed: 1 };

/** y = 2 x1 - 3 x2 + offset[colour] + noise, some x1 missing; `label` says whether y > 0. */
function plantedTable(rows: number, seed: number): RawTable {
  const rng = new Random(seed);
  const offset: Record<string, number> = { red: -1, green: 0.5, blue: 2 };
  const cells = Array.from({ length: rows }, (_v, i) => {
    const [x1, x2] = [rng.uniform(), rng.uniform()];
    const colour = ["red", "green", "blue"][rng.int(3)];
    const y = 2 * x1 - 3 * x2 + offset[colour] + 0.05 * rng.normal();
    const label = y > 0.8 ? "high" : y > -0.8 ? "middle" : "low";
    return [i % 7 === 3 ? null : x1.toFixed(4), x2.toFixed(4), colour, y.toFixed(4), label];
  });
  return tableFromRows("planted.csv", ["x1", "x2", "colour", "y", "label"], cells);
}

/** Raw column feeds for a table the model never saw: a missing number and an unknown category included. */
function tableFeeds(model: Uint8Array): Record<string, Tensor> {
  const query = tableFromRows("query.csv", ["x1", "x2", "colour"], [
    ["0.1", "0.9", "red"],
    [null, "0.2", "blue"],
    ["0.7", "0.5", "purple"],
    ["-3.5", "12", null],
    ["0.5", "0.5", "green"],
  ]);
  return columnFeeds(query, ModelFile.parse(model, "m.onnx").encodings);
}

async function tabular(spec: TabularSpecInput): Promise<Uint8Array> {
  return (await trainTable(plantedTable(90, 1), TabularSpecSchema.parse({ ...spec, training: { ...fast, ...spec.training } }))).onnx;
}

/** `count` C x 6 x 6 images, bright at the top or at the bottom, labelled so. */
function stripeImages(count: number, channels: 1 | 3, seed: number): ImageSet {
  const rng = new Random(seed);
  const [height, width] = [6, 6];
  const labels = Array.from({ length: count }, (_v, i) => (i % 2 === 0 ? "top" : "bottom"));
  const pixels = new Uint8Array(count * channels * height * width);
  for (let i = 0; i < pixels.length; i++) {
    const y = Math.floor(i / width) % height;
    const top = labels[Math.floor(i / (channels * height * width))] === "top";
    pixels[i] = Math.max(0, Math.min(255, ((y < height / 2) === top ? 200 : 50) + Math.round(25 * rng.normal())));
  }
  return { source: "stripes", count, channels, height, width, pixels, labels, labelKind: "folder" };
}

/** `count` sequences of up to `steps` steps of `features` values; target: sum of the first feature (or its sign, as a label). */
function sequences(count: number, steps: number, features: number, options: { varying: boolean; labels: boolean; seed: number }): SequenceSet {
  const rng = new Random(options.seed);
  const values = new Float32Array(count * steps * features);
  const lengths = new Int32Array(count);
  const sums: number[] = [];
  for (let r = 0; r < count; r++) {
    lengths[r] = options.varying ? 2 + rng.int(steps - 1) : steps;
    let sum = 0;
    for (let t = 0; t < lengths[r]; t++) {
      for (let f = 0; f < features; f++) values[(r * steps + t) * features + f] = rng.normal() + (f === 0 ? 0.2 * (r % 3) : 0);
      sum += values[(r * steps + t) * features];
    }
    sums.push(sum);
  }
  const target = options.labels ? { kind: "labels" as const, labels: sums.map((s) => (s > 0.5 ? "up" : "down")) } : { kind: "numeric" as const, values: Float32Array.from(sums) };
  return {
    source: "sequences",
    count,
    steps,
    features,
    values,
    ...(options.varying ? { lengths } : {}),
    target,
    columns: Array.from({ length: steps }, (_v, t) => `t${t}`),
    rowLabels: Array.from({ length: count }, (_v, r) => r + 1),
  };
}

/** The feeds of a sequence model: the set's values and, when they vary, its lengths. */
function sequenceFeeds(set: SequenceSet): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = { sequence: { dtype: "float32", dims: [set.count, set.steps, set.features], data: set.values } };
  if (set.lengths) feeds[LENGTHS_INPUT] = { dtype: "int64", dims: [set.count], data: BigInt64Array.from(set.lengths, (l) => BigInt(l)) };
  return feeds;
}

async function recurrent(model: ModelSpecInput, set: SequenceSet, training: TrainingSpecInput = {}): Promise<Uint8Array> {
  const spec = ModelSpecSchema.parse(model);
  return (await trainSequences(set, spec, resolveTraining(spec.kind, { ...fast, epochs: 3, batchSize: 16, ...training }))).onnx;
}

// ---------------------------------------------------------------------------------------------
// The families
// ---------------------------------------------------------------------------------------------

describe("every family's model file runs unchanged in onnxruntime-web (wasm)", () => {
  test("linear regression: numeric and categorical columns, a missing value, an unknown category", async () => {
    const model = await tabular({ target: "y", model: { kind: "linear" }, columns: { ignore: ["label"] }, training: { epochs: 50 } });
    await expectPortable("linear", model, tableFeeds(model), ["prediction"]);
  });

  test("logistic classification: string column in, string labels and probabilities out", async () => {
    const model = await tabular({ target: "label", model: { kind: "logistic" }, columns: { ignore: ["y"] }, training: { epochs: 50 } });
    const feeds = tableFeeds(model);
    expect(Object.values(feeds).map((t) => t.dtype)).toContain("string");
    await expectPortable("logistic", model, feeds, ["prediction", "probabilities"]);
  });

  test("mlp regression with two hidden layers", async () => {
    const model = await tabular({ target: "y", model: { kind: "mlp", hidden: [8, 4], activation: "gelu" }, columns: { ignore: ["label"] }, training: { epochs: 3 } });
    await expectPortable("mlp", model, tableFeeds(model), ["prediction"]);
  });

  test("cnn on RGB images: conv with batch norm, pooling, dense, dropout", async () => {
    const spec = ModelSpecSchema.parse({
      kind: "cnn",
      layers: [
        { type: "conv", filters: 4 },
        { type: "maxpool" },
        { type: "conv", filters: 4, batchNorm: false, activation: "tanh" },
        { type: "avgpool", size: 3 },
        { type: "flatten" },
        { type: "dense", units: 8 },
        { type: "dropout", rate: 0.2 },
      ],
    });
    const model = (await trainImages(stripeImages(24, 3, 2), spec, resolveTraining("cnn", { ...fast, epochs: 2, batchSize: 8 }))).onnx;
    const query = stripeImages(5, 3, 3);
    const feeds: Record<string, Tensor> = { image: { dtype: "float32", dims: [5, 3, 6, 6], data: Float32Array.from(query.pixels) } };
    await expectPortable("cnn", model, feeds, ["prediction", "probabilities"]);
  });

  test("rnn regression on sequences of varying length (the `lengths` input)", async () => {
    const model = await recurrent({ kind: "rnn", hidden: [6] }, sequences(48, 6, 2, { varying: true, labels: false, seed: 4 }), { lengthBuckets: 2 });
    const query = sequences(6, 6, 2, { varying: true, labels: false, seed: 5 });
    expect(new Set(query.lengths).size).toBeGreaterThan(1);
    await expectPortable("rnn", model, sequenceFeeds(query), ["prediction"]);
  });

  test("bidirectional, stacked lstm classifier", async () => {
    const model = await recurrent({ kind: "lstm", hidden: [6, 4], bidirectional: true }, sequences(48, 5, 2, { varying: false, labels: true, seed: 6 }));
    await expectPortable("lstm", model, sequenceFeeds(sequences(6, 5, 2, { varying: false, labels: true, seed: 7 })), ["prediction", "probabilities"]);
  });

  test("bidirectional gru classifier on sequences of varying length", async () => {
    const model = await recurrent({ kind: "gru", hidden: [6], bidirectional: true }, sequences(48, 7, 1, { varying: true, labels: true, seed: 8 }));
    await expectPortable("gru", model, sequenceFeeds(sequences(6, 7, 1, { varying: true, labels: true, seed: 9 })), ["prediction", "probabilities"]);
  });
});
