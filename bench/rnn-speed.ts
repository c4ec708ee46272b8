// The speed part of bench/rnn.ts: LSTM training samples/s against PyTorch at 1 and 2 threads, where an
// OpenMaaS step's time goes (ONNX Runtime's profiler, 1 thread), and sequences of varying length.
import { execFileSync } from "node:child_process";
import ort from "onnxruntime-node";
import type { SequenceSet } from "../src/data/sequences.js";
import { compileTrainingStep } from "../src/engine/training-step.js";
import { Random } from "../src/engine/random.js";
import type { Problem } from "../src/models/network.js";
import { objective } from "../src/models/network.js";
import { trainSequences } from "../src/models/sequences.js";
import type { ModelSpec } from "../src/models/spec.js";
import { ModelSpecSchema, resolveTraining } from "../src/models/spec.js";
import type { EpochReport } from "../src/models/trainer.js";
import { optimizerConfig } from "../src/models/trainer.js";
import type { StepProfile } from "./ort-profile.js";
import { profileStep } from "./ort-profile.js";
import { compareSpeed, int, median } from "./report.js";

export const OUT = "bench/.out";
export const PYTHON = "/usr/bin/python3";
export const PEER = "bench/peers/rnn.py";
export type Kind = "rnn" | "lstm" | "gru";
/** Speed: LSTM shape, sequences per epoch, epochs per run (the last timed), interleaved runs per setting. */
export const SPEED = { steps: 50, features: 32, hidden: 128, batch: 64 };
export const SPEED_ROWS = Number(process.env.BENCH_ROWS ?? 1280);
export const SPEED_EPOCHS = 2;
/** Speed on sequences of varying length: lengths uniform in MIN..steps, one thread. */
export const VARYING = { steps: 100, min: 10 };
export const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/**
 * Matrix-product flops of an LSTM training step, a sample: forward 2·4H(I+H) a time step (the four
 * gates from the input and the previous hidden state) over the sequence plus the dense output 2·H,
 * backward twice that except the input gradient of the sequence itself (2·4H·I a step).
 */
export const LSTM_FLOPS = (() => {
  const { steps, features: i, hidden: h } = SPEED;
  return 3 * (steps * 2 * 4 * h * (i + h) + 2 * h) - steps * 2 * 4 * h * i;
})();
export const spec = (kind: Kind, hidden: number): ModelSpec => ModelSpecSchema.parse({ kind, hidden: [hidden] });

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

export async function speed(): Promise<Awaited<ReturnType<typeof compareSpeed>>> {
  const set = speedSet(SPEED_ROWS + 64);
  return compareSpeed(REPEATS, (threads) => openmaasSpeed(set, threads), pytorchSpeed);
}

/** One profiled run (1 thread) of the LSTM step `fit` compiles, batches of the speed shape. */
export async function profile(): Promise<StepProfile> {
  const { steps, features, hidden, batch: n } = SPEED;
  const set = speedSet(SPEED_ROWS);
  const problem: Problem = { task: "regression", features: steps * features, classes: 1, input: [steps, features] };
  const training = resolveTraining("lstm", { batchSize: n, threads: 1 });
  const step = compileTrainingStep((b) => objective(b, spec("lstm", hidden), problem), optimizerConfig(training));
  const batches = Math.floor(SPEED_ROWS / n);
  const target = (set.target as { values: Float32Array }).values;
  const batch = (i: number) => {
    const start = (i % batches) * n;
    return {
      features: new ort.Tensor("float32", set.values.slice(start * steps * features, (start + n) * steps * features), [n, steps, features]),
      target: new ort.Tensor("float32", target.slice(start, start + n), [n, 1]),
    };
  };
  return profileStep(step, batch, { threads: 1, steps: 50, warmup: 10, dir: `${OUT}/rnn-profile` });
}

/** The LSTM step's operators: matrix products, the gates' elementwise arithmetic. */
export const GROUPS = { "matrix products": ["MatMul", "Gemm", "FusedMatMul", "FusedGemm"], "gate arithmetic": ["Sigmoid", "Tanh", "Mul", "Add", "Sub"] };

/** One thread, interleaved: OpenMaaS with length buckets, with one padded graph, and PyTorch on packed sequences. */
export async function varyingSpeed(): Promise<string[]> {
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
