// npm run bench:rnn — the recurrent models (rnn, lstm, gru) against PyTorch in the same run: (1) forecasting
// a noisy two-tone sine series one step ahead from 20-step windows, validation R² against the last-value
// baseline; (2) the adding problem (Hochreiter & Schmidhuber), validation MSE against predicting 1; (3)
// speed: LSTM training samples/s, threads 1 and 2, interleaved, and on sequences of varying length. Prints the tables and writes them to
// docs/benchmarks.md (section "rnn").
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
import type { ModelSpec } from "../src/models/spec.js";
import { ModelSpecSchema, resolveTraining } from "../src/models/spec.js";
import type { EpochReport } from "../src/models/trainer.js";
import { trainingSplit } from "../src/models/trainer.js";
import { compareSpeed, machine, median, replaceSection } from "./report.js";

const OUT = "bench/.out";
const PYTHON = "/usr/bin/python3";
const PEER = "bench/peers/rnn.py";
const KINDS = ["rnn", "lstm", "gru"] as const;
type Kind = (typeof KINDS)[number];
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
/** Speed: LSTM shape, sequences per epoch, epochs per run (the last timed), interleaved runs per setting. */
const SPEED = { steps: 50, features: 32, hidden: 128, batch: 64 };
const SPEED_ROWS = Number(process.env.BENCH_ROWS ?? 1280);
const SPEED_EPOCHS = 2;
/** Speed on sequences of varying length: lengths uniform in MIN..steps, one thread. */
const VARYING = { steps: 100, min: 10 };
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SKIP = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));

const int = (x: number): string => Math.round(x).toLocaleString("en");
const f4 = (x: number): string => x.toFixed(4);
const spec = (kind: Kind, hidden: number): ModelSpec => ModelSpecSchema.parse({ kind, hidden: [hidden] });

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

// ---------------------------------------------------------------- speed

/** Random sequences of the speed shape with a random numeric target. */
function speedSet(rows: number): SequenceSet {
  const rng = new Random(3);
  const values = Float32Array.from({ length: rows * SPEED.steps * SPEED.features }, () => rng.uniform());
  const target = Float32Array.from({ length: rows }, () => rng.uniform());
  return { source: "random", count: rows, steps: SPEED.steps, features: SPEED.features, values, target: { kind: "numeric", values: target }, columns: [], rowLabels: Array.from({ length: rows }, (_v, i) => i + 1) };
}

/** Random sequences of VARYING.steps, lengths uniform in VARYING.min..steps (steps past a length are 0). */
function varyingSet(rows: number): SequenceSet {
  const { steps, min } = VARYING;
  const rng = new Random(5);
  const lengths = Int32Array.from({ length: rows }, () => min + rng.int(steps - min + 1));
  const values = new Float32Array(rows * steps * SPEED.features);
  for (let r = 0; r < rows; r++) for (let i = 0; i < lengths[r] * SPEED.features; i++) values[r * steps * SPEED.features + i] = rng.uniform();
  const target = Float32Array.from({ length: rows }, () => rng.uniform());
  return { source: "random", count: rows, steps, features: SPEED.features, values, lengths, target: { kind: "numeric", values: target }, columns: [], rowLabels: Array.from({ length: rows }, (_v, i) => i + 1) };
}

/** Samples/s of the last of SPEED_EPOCHS epochs (onEpoch reports); 64 extra sequences are held out so the evaluation stays short. */
async function openmaasSpeed(set: SequenceSet, threads: number, lengthBuckets?: number): Promise<number> {
  const validationSplit = 64 / set.count;
  const training = resolveTraining("lstm", { epochs: SPEED_EPOCHS, earlyStopping: false, threads, batchSize: SPEED.batch, validationSplit, lengthBuckets });
  const history: EpochReport[] = [];
  await trainSequences(set, spec("lstm", SPEED.hidden), training, { onEpoch: (r) => history.push(r) });
  return history[SPEED_EPOCHS - 1].samplesPerSecond;
}

function pytorchSpeed(threads: number, varying = false): { rate: number; torch: string } {
  const shape = varying ? ["--steps", String(VARYING.steps), "--min-length", String(VARYING.min)] : ["--steps", String(SPEED.steps)];
  const args = [PEER, "--mode", "speed", "--kind", "lstm", "--rows", String(SPEED_ROWS), ...shape, "--features", String(SPEED.features), "--hidden", String(SPEED.hidden), "--batch", String(SPEED.batch), "--epochs", String(SPEED_EPOCHS), "--threads", String(threads)];
  const r = JSON.parse(execFileSync(PYTHON, args).toString().trim().split("\n").pop()!) as { samplesPerSecond: number[]; torch: string };
  return { rate: r.samplesPerSecond[SPEED_EPOCHS - 1], torch: r.torch };
}

async function speed(): Promise<{ rows: string[]; ratios: number[]; torch: string }> {
  const set = speedSet(SPEED_ROWS + 64);
  return compareSpeed(REPEATS, (threads) => openmaasSpeed(set, threads), pytorchSpeed);
}

/** One thread, interleaved: OpenMaaS with length buckets, with one padded graph, and PyTorch on packed sequences. */
async function varyingSpeed(): Promise<string[]> {
  const set = varyingSet(SPEED_ROWS + 64);
  const runs: [number[], number[], number[]] = [[], [], []];
  for (let r = 0; r < REPEATS; r++) {
    runs[0].push(await openmaasSpeed(set, 1));
    runs[1].push(await openmaasSpeed(set, 1, 1));
    runs[2].push(pytorchSpeed(1, true).rate);
    console.log(`  varying lengths, run ${r + 1}: bucketed ${int(runs[0][r])}, one padded graph ${int(runs[1][r])}, PyTorch packed ${int(runs[2][r])} samples/s`);
  }
  const [bucketed, padded, packed] = runs.map(median);
  const cell = (xs: number[]) => `${int(median(xs))} (${xs.map(int).join(", ")})`;
  return [
    "| OpenMaaS, length buckets (default) | OpenMaaS, one padded graph (`lengthBuckets: 1`) | PyTorch, packed sequences | buckets / padded | buckets / PyTorch |",
    "|---:|---:|---:|---:|---:|",
    `| ${cell(runs[0])} | ${cell(runs[1])} | ${cell(runs[2])} | ${(bucketed / padded).toFixed(2)}x | ${(bucketed / packed).toFixed(2)}x |`,
  ];
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
  const started = performance.now();
  mkdirSync(OUT, { recursive: true });
  console.log(`load average at start: ${load}`);

  const fast = SKIP.has("speed") ? undefined : (console.log(`speed: LSTM, ${SPEED_ROWS} sequences, ${SPEED_EPOCHS} epochs (the last timed), ${REPEATS} interleaved runs per setting`), await speed());
  const varying = SKIP.has("varying") ? undefined : (console.log(`speed on varying lengths ${VARYING.min}..${VARYING.steps}, 1 thread`), await varyingSpeed());
  const forecast = SKIP.has("forecast") ? undefined : await forecasting();
  const add = [];
  if (!SKIP.has("adding")) for (const steps of ADDING_STEPS) add.push(await adding(steps));
  const minutes = (performance.now() - started) / 60_000;
  const torch = fast?.torch ?? forecast?.torch ?? "";

  const body = [
    "One recurrent layer (`rnn`: tanh; `lstm`; `gru`) read to its last step, then a dense output; mean squared error; the recurrent",
    "training defaults of `resolveTraining(kind)` (Adam, lr 0.005, gradients clipped to global norm 1, batch 32, 20% held out, early",
    `stopping after 10 epochs without improvement, the best epoch kept). Peer: PyTorch ${torch} (Debian python3-torch), \`${PEER}\`:`,
    "`nn.RNN` / `nn.LSTM` / `nn.GRU` and `nn.Linear` with PyTorch's default initialisation, the same loss, optimizer, clipping, batch",
    "size and loop, the same training and validation rows (written by the TypeScript side), inputs normalised per feature by the",
    "training rows' mean and std as OpenMaaS normalises them; its figure is the epoch with the lowest validation MSE (the epoch OpenMaaS",
    "keeps). Command: `npm run bench:rnn`.",
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
  replaceSection("docs/benchmarks.md", "rnn", "Recurrent networks: forecasting, the adding problem and speed, OpenMaaS vs PyTorch", body.join("\n").trimEnd());
  if (fast) console.log(`speed ratios (threads 1, 2): ${fast.ratios.map((r) => r.toFixed(2)).join(", ")}`);
  console.log(`written to docs/benchmarks.md (${minutes.toFixed(1)} min)`);
}

await main();
