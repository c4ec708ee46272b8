// npm run bench:mlp — training throughput of an MLP 784-256-10 (ReLU, softmax cross-entropy, SGD
// and Adam, batch 128) on synthetic data: OpenMaaS against PyTorch, same data and loop, measured in
// the same run, for 1 and 2 threads, with the share of the cores' peak float32 rate each reaches,
// and where a step's time goes (ONNX Runtime's profiler, 1 thread). Prints the tables and writes
// them to docs/benchmarks.md (section "train-mlp") and bench/.out/results/train-mlp.json.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import ort from "onnxruntime-node";
import { Random } from "../src/engine/random.js";
import { compileTrainingStep } from "../src/engine/training-step.js";
import { Model } from "../src/models/model.js";
import type { Problem } from "../src/models/network.js";
import { objective } from "../src/models/network.js";
import { ModelSpecSchema, resolveTraining } from "../src/models/spec.js";
import { optimizerConfig } from "../src/models/trainer.js";
import type { StepProfile } from "./ort-profile.js";
import { profileStep, stepTable } from "./ort-profile.js";
import type { ResultRow } from "./report.js";
import { denseTrainingFlops, int, machine, median, peakText, profileLine, replaceSection, speedRow, writeResult } from "./report.js";

const ROWS = Number(process.env.BENCH_ROWS ?? 25_600);
const COLUMNS = 784;
const HIDDEN = 256;
const CLASSES = 10;
const BATCH = 128;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 4);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const LR = 0.01;
const PYTHON = "/usr/bin/python3";

/** Gaussian features; labels from a fixed random linear map, so there is something to learn. */
function syntheticData() {
  const rng = new Random(7);
  const features = new Float32Array(ROWS * COLUMNS);
  for (let i = 0; i < features.length; i++) features[i] = rng.normal();
  const map = Float32Array.from({ length: COLUMNS * CLASSES }, () => rng.normal());
  const target = new Float32Array(ROWS);
  for (let r = 0; r < ROWS; r++) {
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < CLASSES; k++) {
      let s = 0;
      for (let j = 0; j < COLUMNS; j++) s += features[r * COLUMNS + j] * map[j * CLASSES + k];
      if (s > bestScore) [best, bestScore] = [k, s];
    }
    target[r] = best;
  }
  return { features, rows: ROWS, columns: COLUMNS, target };
}

/** Steady-state samples/s: the median over epochs after the first (which pays for warm-up). */
const steady = (rates: number[]): number => median(rates.length > 1 ? rates.slice(1) : rates);

type Optimizer = "sgd" | "adam";
/** Adam's learning rate (SGD's is LR). */
const ADAM_LR = 0.001;
/** Matrix-product flops of a training step, a sample (see denseTrainingFlops). */
const FLOPS_PER_SAMPLE = denseTrainingFlops([COLUMNS, HIDDEN, CLASSES]);
const SECTION = "Training speed: MLP";
const label = (optimizer: Optimizer): string => (optimizer === "sgd" ? `SGD (lr ${LR})` : `Adam (lr ${ADAM_LR})`);

async function openmaas(data: ReturnType<typeof syntheticData>, threads: number, optimizer: Optimizer): Promise<number> {
  const model = await Model.fit(
    {
      model: { kind: "mlp", hidden: [HIDDEN], activation: "relu" },
      task: "classification",
      classes: CLASSES,
      training: { epochs: EPOCHS, batchSize: BATCH, lr: optimizer === "sgd" ? LR : ADAM_LR, optimizer, validationSplit: 0.02, earlyStopping: false, threads },
    },
    data,
  );
  return steady(model.history.map((h) => h.samplesPerSecond));
}

function pytorch(dataPath: string, threads: number, optimizer: Optimizer): { rate: number; version: string } {
  const out = execFileSync(PYTHON, [
    "bench/peers/train_mlp.py",
    ...["--data", dataPath, "--rows", String(ROWS), "--columns", String(COLUMNS), "--hidden", String(HIDDEN)],
    ...["--classes", String(CLASSES), "--epochs", String(EPOCHS), "--batch", String(BATCH), "--threads", String(threads)],
    ...["--optimizer", optimizer, "--lr", String(optimizer === "sgd" ? LR : ADAM_LR)],
  ]).toString();
  const r = JSON.parse(out.trim().split("\n").pop()!) as { samplesPerSecond: number[]; torch: string };
  return { rate: steady(r.samplesPerSecond), version: r.torch };
}

/** One profiled run of the step Model.fit compiles (1 thread, batches of BATCH rows). */
async function profile(data: ReturnType<typeof syntheticData>, optimizer: Optimizer): Promise<StepProfile> {
  const spec = ModelSpecSchema.parse({ kind: "mlp", hidden: [HIDDEN], activation: "relu" });
  const problem: Problem = { task: "classification", features: COLUMNS, classes: CLASSES };
  const training = resolveTraining("mlp", { optimizer, batchSize: BATCH, threads: 1 });
  const step = compileTrainingStep((b) => objective(b, spec, problem), optimizerConfig(training));
  const batches = Math.floor(ROWS / BATCH);
  const batch = (i: number) => {
    const start = (i % batches) * BATCH;
    return {
      features: new ort.Tensor("float32", data.features.slice(start * COLUMNS, (start + BATCH) * COLUMNS), [BATCH, COLUMNS]),
      target: new ort.Tensor("int64", BigInt64Array.from(data.target.subarray(start, start + BATCH), (v) => BigInt(v)), [BATCH]),
    };
  };
  return profileStep(step, batch, { threads: 1, steps: 200, warmup: 20, dir: `bench/.out/mlp-profile-${optimizer}` });
}

/** The step's operators: matrix products, and the rest (bias adds, ReLU and its gradient, loss, optimizer update). */
const GROUPS = { "matrix products": ["MatMul", "Gemm", "FusedMatMul", "FusedGemm"] };
const summary = (optimizer: Optimizer, p: StepProfile): string => `${optimizer === "sgd" ? "SGD" : "Adam"} ${profileLine(p, GROUPS, 1, "bias, ReLU, loss and update kernels")}`;

async function main(): Promise<void> {
  const data = syntheticData();
  mkdirSync("bench/.out", { recursive: true });
  const dataPath = "bench/.out/mlp-data";
  writeFileSync(`${dataPath}.x`, data.features);
  writeFileSync(`${dataPath}.y`, BigInt64Array.from(data.target, (v) => BigInt(v)));

  const rows: string[] = [];
  const results: Record<Optimizer, ResultRow[]> = { sgd: [], adam: [] };
  let torchVersion = "";
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  for (const optimizer of ["sgd", "adam"] as const) {
    for (const threads of [1, 2]) {
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < REPEATS; r++) {
        // Interleaved, so both see the same machine load.
        ours.push(await openmaas(data, threads, optimizer));
        const t = pytorch(dataPath, threads, optimizer);
        theirs.push(t.rate);
        torchVersion = t.version;
      }
      const a = median(ours);
      const b = median(theirs);
      const result = speedRow(`MLP ${COLUMNS}-${HIDDEN}-${CLASSES}, ${optimizer === "sgd" ? "SGD" : "Adam"}`, threads, a, b, FLOPS_PER_SAMPLE);
      results[optimizer].push(result);
      const row = `| ${label(optimizer)} | ${threads} | ${int(a)} (${ours.map(int).join(", ")}) | ${int(b)} (${theirs.map(int).join(", ")}) | ${(a / b).toFixed(2)}x | ${pct(result.peakShare![0])} / ${pct(result.peakShare![1])} |`;
      rows.push(row);
      console.log(row);
    }
  }

  console.log("profile: 20 + 200 steps per optimizer, 1 thread");
  const profiles = { sgd: await profile(data, "sgd"), adam: await profile(data, "adam") };
  const ptable = stepTable([["SGD", profiles.sgd], ["Adam", profiles.adam]], 6);
  console.log(ptable.join("\n"));
  // Each optimizer's profile beside its 1-thread row.
  for (const optimizer of ["sgd", "adam"] as const) results[optimizer][0].profile = summary(optimizer, profiles[optimizer]);
  writeResult({ id: "train-mlp", section: SECTION, rows: [...results.sgd, ...results.adam], profile: "" });

  const table = [
    `MLP ${COLUMNS}-${HIDDEN}-${CLASSES}, ReLU, softmax cross-entropy, SGD (lr ${LR}) or Adam (lr ${ADAM_LR}), batch ${BATCH}, ${ROWS.toLocaleString("en")} synthetic rows,`,
    `${EPOCHS} epochs per run (first epoch excluded as warm-up), median of ${REPEATS} interleaved runs (in brackets). Samples/s counts`,
    "training steps only (shuffle, batch gathering, forward, backward, update), the same loop on both sides.",
    `Peer: PyTorch ${torchVersion} (Debian python3-torch), \`torch.set_num_threads\` = threads. Command: \`npm run bench:mlp\` (or \`npm run bench:train\`).`,
    `Share of peak: samples/s x ${(FLOPS_PER_SAMPLE / 1e6).toFixed(2)} MFLOP a sample (forward and backward matrix products) over the cores' peak`,
    `float32 rate, ${peakText()}.`,
    "",
    `Machine: ${machine()}.`,
    "",
    "| optimizer | threads | OpenMaaS samples/s | PyTorch samples/s | OpenMaaS / PyTorch | share of peak (OpenMaaS / PyTorch) |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    "### Where an OpenMaaS training step goes",
    "",
    "The step `Model.fit` compiles (forward, loss, backward, update), batch 128, 1 thread, under ONNX Runtime's profiler",
    "(`bench/ort-profile.ts`), graph optimisation level \"all\": kernel ms per step by operator type, averaged over 200 steps after 20",
    "warm-up steps; the six largest operators of each optimizer. The time between `session.run` and the kernels' sum is ONNX",
    "Runtime's own (scheduling, allocation) and the copies of feeds and fetches across the JavaScript boundary.",
    "",
    ...ptable,
    "",
    `In short: ${summary("sgd", profiles.sgd)}; ${summary("adam", profiles.adam)}.`,
  ].join("\n");
  replaceSection("docs/benchmarks.md", "train-mlp", SECTION, table);
  console.log("\nwritten to docs/benchmarks.md");
}

await main();
