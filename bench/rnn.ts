// npm run bench:rnn — the recurrent models (rnn, lstm, gru) against PyTorch in the same run: (1) forecasting
// a noisy two-tone sine series one step ahead from 20-step windows, validation R² against the last-value
// baseline; (2) the adding problem (Hochreiter & Schmidhuber), validation MSE against predicting 1; (3)
// speed: LSTM training samples/s, threads 1 and 2, interleaved, where a step's time goes (1 thread), and
// on sequences of varying length. Prints the tables and writes them to docs/benchmarks.md (section "rnn")
// and the speed part to bench/.out/results/rnn.json.
// src/version.ts reads the package.json one level above it: the npm script copies it to bench/.out/js.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { SequenceSet } from "../src/data/sequences.js";
import { slidingWindows } from "../src/data/sequences.js";
import { tableFromRows } from "../src/data/table.js";
import { Random } from "../src/engine/random.js";
import { regressionMetrics } from "../src/models/metrics.js";
import { trainSequences } from "../src/models/sequences.js";
import { resolveTraining } from "../src/models/spec.js";
import { trainingSplit } from "../src/models/trainer.js";
import { stepTable } from "./ort-profile.js";
import { int, machine, peakText, profileLine, replaceSection, speedRow, writeResult } from "./report.js";
import type { Kind } from "./rnn-speed.js";
import { GROUPS, LSTM_FLOPS, OUT, PEER, PYTHON, REPEATS, SPEED, SPEED_EPOCHS, SPEED_ROWS, VARYING, profile, spec, speed, varyingSpeed } from "./rnn-speed.js";

const KINDS: readonly Kind[] = ["rnn", "lstm", "gru"];
/** Threads of the quality runs on both sides. */
const QUALITY_THREADS = Number(process.env.BENCH_QUALITY_THREADS ?? 2);
/** Forecasting: series length, window, epochs. */
const SERIES = Number(process.env.BENCH_SERIES ?? 2000);
const WINDOW = 20;
const FORECAST_EPOCHS = Number(process.env.BENCH_FORECAST_EPOCHS ?? 30);
/** Adding problem: sequence lengths, sequences, epochs. */
const ADDING_STEPS = (process.env.BENCH_ADDING_STEPS ?? "50,200").split(",").map(Number);
const ADDING_COUNT = Number(process.env.BENCH_ADDING_COUNT ?? 5000);
const ADDING_EPOCHS = Number(process.env.BENCH_ADDING_EPOCHS ?? 20);
const SECTION = "Recurrent networks: forecasting, the adding problem and speed, OpenMaaS vs PyTorch";
const SKIP = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));

const f4 = (x: number): string => x.toFixed(4);

// ---------------------------------------------------------------- shared

interface Quality {
  r2: number;
  mse: number;
  bestEpoch: number;
  seconds: number;
}

/** Writes the sequences, target and split where the peer reads them; returns the peer's file arguments. */
function writeSet(name: string, set: SequenceSet, split: { train: Int32Array; validation: Int32Array }): string[] {
  const path = (what: string) => `${OUT}/rnn-${name}-${what}`;
  if (set.target?.kind !== "numeric") throw new Error("the benchmark's sequences have numeric targets");
  writeFileSync(path("values.f32"), set.values);
  writeFileSync(path("target.f32"), set.target.values);
  writeFileSync(path("train.i32"), split.train);
  writeFileSync(path("validation.i32"), split.validation);
  const files = ["--values", path("values.f32"), "--target", path("target.f32"), "--train-rows", path("train.i32"), "--validation-rows", path("validation.i32")];
  return [...files, "--steps", String(set.steps), "--features", String(set.features)];
}

/** OpenMaaS: trainSequences with the recurrent defaults (Adam 0.005, clip 1, batch 32, 20% held out, early stopping). */
async function openmaasQuality(set: SequenceSet, kind: Kind, epochs: number, window?: boolean): Promise<Quality> {
  const training = resolveTraining(kind, { epochs, seed: 1, threads: QUALITY_THREADS });
  const started = performance.now();
  const options = window ? { target: "y", window: { column: "y", window: WINDOW, horizon: 1, features: [] } } : {};
  const result = await trainSequences(set, spec(kind, 32), training, options);
  const m = result.card.metrics;
  return { r2: m.r2, mse: m.mse, bestEpoch: result.card.training.bestEpoch, seconds: (performance.now() - started) / 1000 };
}

/** PyTorch: the same layers, loss, optimizer, clip, batch size, rows and epochs; the epoch of the lowest validation MSE. */
function pytorchQuality(files: string[], kind: Kind, epochs: number): Quality & { torch: string } {
  const started = performance.now();
  const training = resolveTraining(kind);
  const args = [PEER, "--mode", "quality", "--kind", kind, ...files, "--hidden", "32", "--epochs", String(epochs), "--batch", String(training.batchSize), "--lr", String(training.lr), "--clip", String(training.clipNorm), "--threads", String(QUALITY_THREADS)];
  const r = JSON.parse(execFileSync(PYTHON, args, { stdio: ["ignore", "pipe", "inherit"] }).toString().trim().split("\n").pop()!) as {
    epochs: { mse: number }[];
    best: { mse: number; r2: number };
    torch: string;
  };
  const bestEpoch = r.epochs.findIndex((e) => e.mse === r.best.mse) + 1;
  return { r2: r.best.r2, mse: r.best.mse, bestEpoch, seconds: (performance.now() - started) / 1000, torch: r.torch };
}

// ---------------------------------------------------------------- forecasting

/** y_t = sin(t/4) + 0.5 sin(t/9) + 0.1 N(0, 1), t = 0..n-1, seeded. */
function twoTones(n: number): number[] {
  const rng = new Random(7);
  return Array.from({ length: n }, (_v, t) => Math.sin(t / 4) + 0.5 * Math.sin(t / 9) + 0.1 * rng.normal());
}

async function forecasting(): Promise<{ table: string[]; baseline: number; results: Record<Kind, [Quality, Quality]>; torch: string; rows: [number, number] }> {
  const series = twoTones(SERIES);
  const table = tableFromRows("two-tones", ["y"], series.map((v) => [String(v)]));
  const set = slidingWindows(table, { column: "y", window: WINDOW, horizon: 1 });
  const target = (set.target as { values: Float32Array }).values;
  // The rows trainSequences trains on and holds out (its split is trainingSplit of the training seed).
  const split = trainingSplit(resolveTraining("lstm", { epochs: FORECAST_EPOCHS, seed: 1 }), { task: "regression", classes: 1 }, target);
  const files = writeSet("forecast", set, split);
  const actual = Array.from(split.validation, (r) => target[r]);
  const last = Array.from(split.validation, (r) => set.values[r * WINDOW + WINDOW - 1]);
  const baseline = regressionMetrics(actual, last).r2;
  console.log(`forecasting: ${set.count} windows, ${split.train.length} training, ${split.validation.length} validation; last-value R² ${f4(baseline)}`);
  const results = {} as Record<Kind, [Quality, Quality]>;
  let torch = "";
  const rows: string[] = [];
  for (const kind of KINDS) {
    const ours = await openmaasQuality(set, kind, FORECAST_EPOCHS, true);
    const theirs = pytorchQuality(files, kind, FORECAST_EPOCHS);
    torch = theirs.torch;
    results[kind] = [ours, theirs];
    const row = `| ${kind} | ${f4(ours.r2)} (epoch ${ours.bestEpoch}, ${ours.seconds.toFixed(0)} s) | ${f4(theirs.r2)} (epoch ${theirs.bestEpoch}, ${theirs.seconds.toFixed(0)} s) | ${f4(baseline)} |`;
    console.log(row);
    rows.push(row);
  }
  const head = ["| model | OpenMaaS validation R² (best epoch, time) | PyTorch validation R² (best epoch, time) | last value R² |", "|---|---:|---:|---:|"];
  return { table: [...head, ...rows], baseline, results, torch, rows: [split.train.length, split.validation.length] };
}

// ---------------------------------------------------------------- adding problem

/**
 * The adding problem: `count` sequences of `steps` pairs (value ~ U(0, 1), marker), exactly two
 * markers 1 at distinct uniform positions; the target is the sum of the two marked values.
 */
function addingSet(count: number, steps: number, seed: number): SequenceSet {
  const rng = new Random(seed);
  const values = new Float32Array(count * steps * 2);
  const target = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < steps; t++) values[(i * steps + t) * 2] = rng.uniform();
    const a = rng.int(steps);
    let b = rng.int(steps - 1);
    if (b >= a) b++;
    for (const t of [a, b]) {
      values[(i * steps + t) * 2 + 1] = 1;
      target[i] += values[(i * steps + t) * 2];
    }
  }
  return {
    source: `adding-${steps}`,
    count,
    steps,
    features: 2,
    values,
    target: { kind: "numeric", values: target },
    columns: ["value", "marker"],
    rowLabels: Array.from({ length: count }, (_v, i) => i + 1),
  };
}

async function adding(steps: number): Promise<{ rows: string[]; baseline: number; results: Record<Kind, [Quality, Quality]> }> {
  const set = addingSet(ADDING_COUNT, steps, 11);
  const target = (set.target as { values: Float32Array }).values;
  const split = trainingSplit(resolveTraining("lstm", { epochs: ADDING_EPOCHS, seed: 1 }), { task: "regression", classes: 1 }, target);
  const files = writeSet(`adding-${steps}`, set, split);
  const baseline = regressionMetrics(Array.from(split.validation, (r) => target[r]), Array.from(split.validation, () => 1)).mse;
  console.log(`adding problem, T = ${steps}: ${set.count} sequences, ${split.validation.length} validation; predicting 1: MSE ${f4(baseline)}`);
  const results = {} as Record<Kind, [Quality, Quality]>;
  const rows: string[] = [];
  const solved = (mse: number) => (mse < 0.05 ? "yes" : "no");
  for (const kind of KINDS) {
    const ours = await openmaasQuality(set, kind, ADDING_EPOCHS);
    const theirs = pytorchQuality(files, kind, ADDING_EPOCHS);
    results[kind] = [ours, theirs];
    const row = `| ${steps} | ${kind} | ${f4(ours.mse)} (epoch ${ours.bestEpoch}, ${ours.seconds.toFixed(0)} s) | ${solved(ours.mse)} | ${f4(theirs.mse)} (epoch ${theirs.bestEpoch}, ${theirs.seconds.toFixed(0)} s) | ${solved(theirs.mse)} | ${f4(baseline)} |`;
    console.log(row);
    rows.push(row);
  }
  return { rows, baseline, results };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
  const started = performance.now();
  mkdirSync(OUT, { recursive: true });
  console.log(`load average at start: ${load}`);

  const fast = SKIP.has("speed") ? undefined : (console.log(`speed: LSTM, ${SPEED_ROWS} sequences, ${SPEED_EPOCHS} epochs (the last timed), ${REPEATS} interleaved runs per setting`), await speed());
  const profiled = fast ? (console.log("profile: 10 + 50 steps, 1 thread"), await profile()) : undefined;
  const ptable = profiled ? stepTable([["1 thread", profiled]]) : [];
  if (profiled) console.log(ptable.join("\n"));
  const varying = SKIP.has("varying") ? undefined : (console.log(`speed on varying lengths ${VARYING.min}..${VARYING.steps}, 1 thread`), await varyingSpeed());
  const forecast = SKIP.has("forecast") ? undefined : await forecasting();
  const add = [];
  if (!SKIP.has("adding")) for (const steps of ADDING_STEPS) add.push(await adding(steps));
  const minutes = (performance.now() - started) / 60_000;
  const torch = fast?.torch ?? forecast?.torch ?? "";
  const speedRows = fast?.medians.map((m) => speedRow(`LSTM, ${SPEED.steps} steps, hidden ${SPEED.hidden} (batch ${SPEED.batch}, Adam)`, m.threads, m.openmaas, m.pytorch, LSTM_FLOPS)) ?? [];
  const stepSummary = profiled ? profileLine(profiled, GROUPS, 1) : "";
  if (fast) writeResult({ id: "rnn", section: SECTION, rows: speedRows, profile: stepSummary });
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

  const body = [
    "One recurrent layer (`rnn`: tanh; `lstm`; `gru`) read to its last step, then a dense output; mean squared error; the recurrent",
    "training defaults of `resolveTraining(kind)` (Adam, lr 0.005, gradients clipped to global norm 1, batch 32, 20% held out, early",
    `stopping after 10 epochs without improvement, the best epoch kept). Peer: PyTorch ${torch} (Debian python3-torch), \`${PEER}\`:`,
    "`nn.RNN` / `nn.LSTM` / `nn.GRU` and `nn.Linear` with PyTorch's default initialisation, the same loss, optimizer, clipping, batch",
    "size and loop, the same training and validation rows (written by the TypeScript side), inputs normalised per feature by the",
    "training rows' mean and std as OpenMaaS normalises them; its figure is the epoch with the lowest validation MSE (the epoch OpenMaaS",
    "keeps). Command: `npm run bench:rnn` (`npm run bench:train` runs its speed part, `BENCH_SKIP=varying,forecast,adding`).",
    "",
    `Machine: ${machine()}. Load average (1, 5, 15 min) at start: ${load}; the machine is shared, so other`,
    `processes ran alongside. Whole run: ${minutes.toFixed(1)} min.`,
    "",
  ];
  if (forecast) {
    body.push(
      "### Forecasting: a noisy two-tone sine series",
      "",
      `y_t = sin(t/4) + 0.5 sin(t/9) + 0.1 N(0, 1), t = 0..${SERIES - 1} (seeded \`Random(7)\`), read with \`tableFromRows\` and cut by`,
      `\`slidingWindows(table, { column: "y", window: ${WINDOW}, horizon: 1 })\` into ${int(forecast.rows[0] + forecast.rows[1])} windows; \`trainSequences\` with`,
      `\`ModelSpecSchema.parse({ kind, hidden: [32] })\` and \`resolveTraining(kind, { epochs: ${FORECAST_EPOCHS}, seed: 1, threads: ${QUALITY_THREADS} })\`: ${int(forecast.rows[0])} training and`,
      `${int(forecast.rows[1])} validation windows. OpenMaaS's figure is \`card.metrics.r2\`. Baseline: the window's last value as the forecast, on the`,
      `same validation windows. Both sides ${QUALITY_THREADS} threads. Goal: every model well above the baseline.`,
      "",
      ...forecast.table,
      "",
    );
  }
  if (add.length > 0) {
    body.push(
      "### The adding problem",
      "",
      `Hochreiter & Schmidhuber's adding problem: ${int(ADDING_COUNT)} sequences of T pairs (value ~ U(0, 1), marker), exactly two markers 1 at`,
      "distinct uniformly drawn positions; the target is the sum of the two marked values. A `SequenceSet` built directly, hidden 32,",
      `\`resolveTraining(kind, { epochs: ${ADDING_EPOCHS}, seed: 1, threads: ${QUALITY_THREADS} })\`. Validation MSE against the baseline of predicting 1 (MSE ~ 1/6);`,
      "solved: MSE < 0.05.",
      "",
      "| T | model | OpenMaaS validation MSE (best epoch, time) | solved | PyTorch validation MSE (best epoch, time) | solved | predicting 1 |",
      "|---:|---|---:|---|---:|---|---:|",
      ...add.flatMap((a) => a.rows),
      "",
    );
  }
  if (fast) {
    body.push(
      "### Speed: LSTM training samples/s",
      "",
      `LSTM, sequences of ${SPEED.steps} steps of ${SPEED.features} features (uniform random, a random numeric target), hidden ${SPEED.hidden}, batch ${SPEED.batch};`,
      `${int(SPEED_ROWS)} training sequences, ${SPEED_EPOCHS} epochs per run, samples/s of the last epoch (training steps only: shuffle, batch`,
      `gathering, forward, backward, clipping, update); median of ${REPEATS} runs per setting, OpenMaaS and PyTorch interleaved (the runs in`,
      "brackets). OpenMaaS: `trainSequences` (`fit`) with `training.threads`, the epoch's `samplesPerSecond` from `onEpoch`; PyTorch:",
      "`torch.set_num_threads`. Goal: OpenMaaS / PyTorch >= 1.0x.",
      "",
      "| threads | OpenMaaS samples/s | PyTorch samples/s | OpenMaaS / PyTorch |",
      "|---:|---:|---:|---:|",
      ...fast.rows,
      "",
      `Share of peak (OpenMaaS / PyTorch): ${speedRows.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""} ${pct(r.peakShare![0])} / ${pct(r.peakShare![1])}`).join(", ")};`,
      `samples/s x ${(LSTM_FLOPS / 1e6).toFixed(1)} MFLOP a sample (the gates' and the output's matrix products, forward and backward; \`bench/rnn.ts\``,
      `derives it) over the cores' peak float32 rate, ${peakText()}.`,
      "",
      "Where an OpenMaaS training step goes: the step `fit` compiles (forward, loss, backward, clipping, Adam), batch",
      `${SPEED.batch}, 1 thread, under ONNX Runtime's profiler (\`bench/ort-profile.ts\`), kernel ms per step by operator type over 50 steps after 10`,
      `warm-up steps. In short: ${stepSummary}.`,
      "",
      ...ptable,
      "",
    );
  }
  if (varying) {
    body.push(
      "### Speed: sequences of varying length",
      "",
      `The same LSTM on ${int(SPEED_ROWS)} sequences of ${VARYING.min} to ${VARYING.steps} steps (lengths uniform), one thread, samples/s as above, median of ${REPEATS}`,
      "interleaved runs. OpenMaaS trains on one graph per length bucket (up to 4, cut at the length quartiles of the training",
      "rows), or on one graph padded to the longest sequence with `lengthBuckets: 1`; PyTorch reads the batch with",
      "`pack_padded_sequence`, its LSTM skipping each sequence's padding.",
      "",
      ...varying,
      "",
    );
  }
  replaceSection("docs/benchmarks.md", "rnn", SECTION, body.join("\n").trimEnd());
  if (fast) console.log(`speed ratios (threads 1, 2): ${fast.ratios.map((r) => r.toFixed(2)).join(", ")}`);
  console.log(`written to docs/benchmarks.md (${minutes.toFixed(1)} min)`);
}

await main();
