// npm run bench:cnn — the default convolutional network on Fashion-MNIST, OpenMaaS against PyTorch in
// the same run: (1) quality: 5 epochs on the 60,000 training images (10% held out, the same rows on both
// sides), validation accuracy per epoch and test accuracy on the 10,000 test images; (2) speed: training
// samples/s on a fixed subset, threads 1 and 2, interleaved; (3) where a training step's time goes, from
// ONNX Runtime's profiler. Prints the tables and writes them to docs/benchmarks.md (section "cnn").
// src/version.ts reads the package.json one level above it: the npm script copies it to bench/.out/js.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import ort from "onnxruntime-node";
import { compareLabels } from "../src/data/encoders.js";
import { readIdx } from "../src/data/idx.js";
import type { ImageSet } from "../src/data/image-set.js";
import { compileTrainingStep } from "../src/engine/training-step.js";
import { channelStats, trainImages } from "../src/models/images.js";
import { ModelFile } from "../src/models/model-file.js";
import type { Problem } from "../src/models/network.js";
import { objective } from "../src/models/network.js";
import { ModelSpecSchema, resolveTraining } from "../src/models/spec.js";
import type { EpochReport } from "../src/models/trainer.js";
import { fit, optimizerConfig, trainingSplit } from "../src/models/trainer.js";
import { defaultRuntime } from "../src/runtime/onnxruntime.js";
import { profileStep, stepTable } from "./ort-profile.js";
import type { StepProfile } from "./ort-profile.js";
import { compareSpeed, machine, peakText, profileLine, replaceSection, speedRow, writeResult } from "./report.js";

const DIR = process.env.FMNIST_DIR ?? "/usr/share/datasets/fashion-mnist";
const OUT = "bench/.out";
const PYTHON = "/usr/bin/python3";
const PEER = "bench/peers/fmnist_cnn.py";
/** Epochs of the quality run. */
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 5);
/** Threads of the quality run on both sides (OpenMaaS: `training.threads`; 0 would let ONNX Runtime choose). */
const QUALITY_THREADS = Number(process.env.BENCH_QUALITY_THREADS ?? 2);
/** Speed: training images per epoch, epochs per run (the last one timed), interleaved runs per setting. */
const SPEED_ROWS = Number(process.env.BENCH_ROWS ?? 6400);
const SPEED_EPOCHS = 2;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const SKIP_QUALITY = process.env.BENCH_SKIP_QUALITY === "1";

const SPEC = ModelSpecSchema.parse({ kind: "cnn" });
const PROBLEM: Problem = { task: "classification", features: 784, classes: 10, input: [1, 28, 28] };

/**
 * Convolution and matrix-product flops of a training step, a sample: forward 2·(output values)·(fan-in)
 * a layer — conv1 3x3 1->32 at 28x28, conv2 3x3 32->64 at 14x14, dense 3136->128 and 128->10 — and
 * backward twice that (weight and input gradients) except conv1's input gradient. Batch norm, pooling
 * and the elementwise work are left out.
 */
const FORWARD = [2 * 28 * 28 * 32 * 9 * 1, 2 * 14 * 14 * 64 * 9 * 32, 2 * 3136 * 128, 2 * 128 * 10];
const FLOPS_PER_SAMPLE = 3 * FORWARD.reduce((s, f) => s + f, 0) - FORWARD[0];
const SECTION = "Convolutional network: Fashion-MNIST, OpenMaaS vs PyTorch";

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;
const int = (x: number): string => Math.round(x).toLocaleString("en");

// ---------------------------------------------------------------- quality

interface QualityRun {
  epochs: { accuracy: number; seconds: number; samplesPerSecond: number }[];
  test: number;
}

/** The default cnn, trained as `maas train --data train-images --labels train-labels --epochs 5` trains it. */
async function openmaasQuality(train: ImageSet, test: ImageSet, trainRows: number): Promise<QualityRun> {
  const training = resolveTraining("cnn", { epochs: EPOCHS, earlyStopping: false, threads: QUALITY_THREADS });
  const epochs: QualityRun["epochs"] = [];
  const onEpoch = (r: EpochReport) => {
    epochs.push({ accuracy: r.metrics.accuracy, seconds: r.seconds, samplesPerSecond: r.samplesPerSecond });
    console.log(`  OpenMaaS epoch ${r.epoch}: validation accuracy ${pct(r.metrics.accuracy)}, ${r.seconds.toFixed(1)} s, ${int(r.samplesPerSecond)} samples/s`);
  };
  const result = await trainImages(train, SPEC, training, { onEpoch });
  if (result.card.dataset.trainRows !== trainRows) throw new Error(`trainImages trained on ${result.card.dataset.trainRows} rows; the peer's split has ${trainRows}`);
  const file = ModelFile.parse(result.onnx, "fmnist.onnx");
  const session = await defaultRuntime().createSession(result.onnx, { threads: QUALITY_THREADS });
  try {
    const evaluation = await file.evaluateImagesWith(session, test);
    return { epochs, test: evaluation.metrics.accuracy };
  } finally {
    await session.release();
  }
}

/**
 * The rows trainImages trains on and holds out: its split is `trainingSplit` of the training seed over
 * the class indices of the sorted labels, so computing it here gives the same rows.
 */
function sameSplit(set: ImageSet): { train: Int32Array; validation: Int32Array } {
  const labels = [...new Set(set.labels)].sort(compareLabels);
  const index = new Map(labels.map((l, i) => [l, i]));
  const target = Float32Array.from(set.labels!, (l) => index.get(l)!);
  return trainingSplit(resolveTraining("cnn"), { task: "classification", classes: labels.length }, target);
}

function pytorchQuality(trainPath: string, validationPath: string): QualityRun & { torch: string } {
  const args = [PEER, "--mode", "quality", "--dir", DIR, "--train-rows", trainPath, "--validation-rows", validationPath];
  const training = resolveTraining("cnn", { epochs: EPOCHS, earlyStopping: false, threads: QUALITY_THREADS });
  const schedule = training.schedule.kind === "cosine" ? ["--cosine"] : [];
  const peerArgs = [...args, "--epochs", String(EPOCHS), "--threads", String(QUALITY_THREADS), "--lr", String(training.lr), "--batch", String(training.batchSize), ...schedule];
  const out = execFileSync(PYTHON, peerArgs, { stdio: ["ignore", "pipe", "inherit"] }).toString();
  const r = JSON.parse(out.trim().split("\n").pop()!) as {
    epochs: { validationAccuracy: number; seconds: number; samplesPerSecond: number }[];
    testAccuracy: number;
    torch: string;
  };
  r.epochs.forEach((e, i) => console.log(`  PyTorch  epoch ${i + 1}: validation accuracy ${pct(e.validationAccuracy)}, ${e.seconds.toFixed(1)} s, ${int(e.samplesPerSecond)} samples/s`));
  return { epochs: r.epochs.map((e) => ({ accuracy: e.validationAccuracy, seconds: e.seconds, samplesPerSecond: e.samplesPerSecond })), test: r.testAccuracy, torch: r.torch };
}

async function quality(train: ImageSet): Promise<{ table: string[]; torch: string; test: [number, number] }> {
  const test = await readIdx(`${DIR}/t10k-images-idx3-ubyte.gz`, `${DIR}/t10k-labels-idx1-ubyte.gz`);
  const split = sameSplit(train);
  const trainPath = `${OUT}/cnn-train-rows.i32`;
  const validationPath = `${OUT}/cnn-validation-rows.i32`;
  writeFileSync(trainPath, split.train);
  writeFileSync(validationPath, split.validation);
  console.log(`quality: ${EPOCHS} epochs, ${split.train.length} training rows, ${split.validation.length} validation rows, threads ${QUALITY_THREADS}`);
  const ours = await openmaasQuality(train, test, split.train.length);
  const theirs = pytorchQuality(trainPath, validationPath);
  const table = [
    "| epoch | OpenMaaS validation accuracy | OpenMaaS epoch s | PyTorch validation accuracy | PyTorch epoch s |",
    "|---:|---:|---:|---:|---:|",
    ...ours.epochs.map((e, i) => `| ${i + 1} | ${pct(e.accuracy)} | ${e.seconds.toFixed(1)} | ${pct(theirs.epochs[i].accuracy)} | ${theirs.epochs[i].seconds.toFixed(1)} |`),
    `| **test** (10,000 images) | **${pct(ours.test)}** | | **${pct(theirs.test)}** | |`,
  ];
  return { table, torch: theirs.torch, test: [ours.test, theirs.test] };
}

// ---------------------------------------------------------------- speed

/** The first `rows` images, normalised by their own mean and standard deviation, as training data. */
function subset(set: ImageSet, rows: number) {
  const all = Int32Array.from({ length: rows }, (_v, i) => i);
  const { mean, std } = channelStats(set, all);
  const features = Float32Array.from(set.pixels.subarray(0, rows * 784), (v) => (v - mean[0]) / std[0]);
  const target = Float32Array.from(set.labels!.slice(0, rows), Number);
  return { features, rows, columns: 784, target, shape: [1, 28, 28] };
}

/**
 * Samples/s of the last of SPEED_EPOCHS epochs over the first SPEED_ROWS images. The last 64 images of
 * the subset are the validation rows, so the per-epoch evaluation (not timed) stays short.
 */
async function openmaasSpeed(data: ReturnType<typeof subset>, threads: number): Promise<number> {
  const training = resolveTraining("cnn", { epochs: SPEED_EPOCHS, earlyStopping: false, threads });
  const rows = (from: number, n: number) => Int32Array.from({ length: n }, (_v, i) => from + i);
  const split = { train: rows(0, SPEED_ROWS), validation: rows(SPEED_ROWS, 64) };
  const result = await fit(defaultRuntime(), SPEC, training, PROBLEM, data, { split });
  return result.history[SPEED_EPOCHS - 1].samplesPerSecond;
}

function pytorchSpeed(threads: number): { rate: number; torch: string } {
  const args = [PEER, "--mode", "speed", "--dir", DIR, "--rows", String(SPEED_ROWS), "--epochs", String(SPEED_EPOCHS), "--threads", String(threads)];
  const r = JSON.parse(execFileSync(PYTHON, args).toString().trim().split("\n").pop()!) as { samplesPerSecond: number[]; torch: string };
  return { rate: r.samplesPerSecond[SPEED_EPOCHS - 1], torch: r.torch };
}

async function speed(train: ImageSet): Promise<Awaited<ReturnType<typeof compareSpeed>>> {
  const data = subset(train, SPEED_ROWS + 64);
  return compareSpeed(REPEATS, (threads) => openmaasSpeed(data, threads), pytorchSpeed);
}

// ---------------------------------------------------------------- profile

/** One profiled run of the compiled training step, batches of 64 real (normalised) images. */
async function profile(train: ImageSet, threads: number): Promise<StepProfile> {
  const data = subset(train, SPEED_ROWS);
  const training = resolveTraining("cnn", { threads });
  const step = compileTrainingStep((b) => objective(b, SPEC, PROBLEM), optimizerConfig(training));
  const batches = SPEED_ROWS / training.batchSize;
  const batch = (i: number) => {
    const start = (i % batches) * training.batchSize;
    const n = training.batchSize;
    return {
      features: new ort.Tensor("float32", data.features.slice(start * 784, (start + n) * 784), [n, 1, 28, 28]),
      target: new ort.Tensor("int64", BigInt64Array.from(data.target.subarray(start, start + n), (v) => BigInt(v)), [n]),
    };
  };
  return profileStep(step, batch, { threads, steps: 50, warmup: 10, dir: `${OUT}/cnn-profile-${threads}` });
}

/** Operators of the step's pointwise arithmetic and reductions. */
const ELEMENTWISE: readonly string[] = ["Mul", "Div", "Add", "Sub", "Neg", "Sqrt", "Pow", "Where", "Greater", "Relu", "ReduceSum", "ReduceMean"];

/** What a node of the step does, where its operator and shapes say so plainly. */
function role(n: StepProfile["nodes"][number]): string {
  const weight = n.inputs.split(" ")[1]?.slice(1, -1).split(",").map(Number) ?? [];
  if (n.op === "Conv" || n.op === "FusedConv") return weight.length === 4 && weight[2] > 3 ? "weight gradient (activations as the kernel)" : "forward";
  if (n.op === "ConvTranspose") return "input gradient";
  if (n.op === "MaxPool") return "forward, with argmax indices";
  if (n.op === "ScatterElements") return "max-pool gradient";
  return "";
}

function nodeTable(p: StepProfile): string[] {
  return [
    "| node | operator | role | input shapes | ms per step, 1 thread (share) |",
    "|---|---|---|---|---:|",
    ...p.nodes.slice(0, 10).map((n) => `| ${n.node} | ${n.op} | ${role(n)} | ${n.inputs} | ${n.ms.toFixed(2)} (${((100 * n.ms) / p.kernelMs).toFixed(0)}%) |`),
  ];
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
  const started = performance.now();
  mkdirSync(OUT, { recursive: true });
  const train = await readIdx(`${DIR}/train-images-idx3-ubyte.gz`, `${DIR}/train-labels-idx1-ubyte.gz`);
  console.log(`load average at start: ${load}`);

  console.log(`speed: ${SPEED_ROWS} images, ${SPEED_EPOCHS} epochs (the last timed), ${REPEATS} interleaved runs per setting`);
  const fast = await speed(train);
  console.log("profile: 10 + 50 steps per thread setting");
  const profiles = [await profile(train, 1), await profile(train, 2)];
  const ptable = stepTable([["1 thread", profiles[0]], ["2 threads", profiles[1]]]);
  const ntable = nodeTable(profiles[0]);
  const elementwise = profiles[0].ops.filter((o) => ELEMENTWISE.includes(o.op)).reduce((t, o) => ({ calls: t.calls + o.calls, ms: t.ms + o.ms }), { calls: 0, ms: 0 });
  console.log([...ptable, "", ...ntable].join("\n"));
  const good = SKIP_QUALITY ? undefined : await quality(train);
  const minutes = (performance.now() - started) / 60_000;
  const result = fast.medians.map((m) => speedRow("CNN, Fashion-MNIST (batch 64, Adam)", m.threads, m.openmaas, m.pytorch, FLOPS_PER_SAMPLE));
  const shares = result.map((r) => `${r.threads} thread${r.threads > 1 ? "s" : ""} ${pct(r.peakShare![0])} / ${pct(r.peakShare![1])}`).join(", ");
  const groups = { "Conv+ConvTranspose": ["Conv", "FusedConv", "ConvTranspose"], "MaxPool + ScatterElements": ["MaxPool", "ScatterElements"], "elementwise/reduction": ELEMENTWISE };
  writeResult({ id: "cnn", section: SECTION, rows: result, profile: profileLine(profiles[0], groups, 1) });

  const layers = "conv3x3(32, same, no bias) + batch norm + ReLU, maxpool 2, conv3x3(64) + batch norm + ReLU, maxpool 2, flatten, dense 128 + ReLU, dropout 0.25, dense 10";
  const body = [
    `The default \`cnn\` for 28x28x1 images (${layers}); softmax cross-entropy, the cnn training defaults (Adam, lr 0.002 with a per-step cosine decay to 0, batch 64, 10% held out) — the cnn`,
    `defaults of \`resolveTraining("cnn")\`. Peer: PyTorch ${fast.torch} (Debian python3-torch), \`${PEER}\`: the same layers, PyTorch's default`,
    "initialisation (OpenMaaS: He-uniform), the same loss, optimizer, batch size and loop. Command: `npm run bench:cnn`",
    "(`npm run bench:train` runs its speed and profile parts, `BENCH_SKIP_QUALITY=1`).",
    "",
    `Machine: ${machine()}. Load average (1, 5, 15 min) at start: ${load}; the machine is shared, so other`,
    `processes ran alongside. Whole run: ${minutes.toFixed(1)} min.`,
    "",
  ];
  if (good) {
    body.push(
      `### Quality: Fashion-MNIST, ${EPOCHS} epochs`,
      "",
      "Debian's `dataset-fashion-mnist` (60,000 training and 10,000 test images), read with `readIdx`. OpenMaaS: `trainImages`",
      `with \`ModelSpecSchema.parse({ kind: "cnn" })\` and \`resolveTraining("cnn", { epochs: ${EPOCHS}, earlyStopping: false, threads: ${QUALITY_THREADS} })\`, which`,
      "holds out a seeded, stratified 10% of the training images for validation (6,000) and normalises pixels by the mean",
      "and standard deviation of the other 48,000; the test accuracy is the returned ONNX file's (`ModelFile.evaluateImagesWith`).",
      "PyTorch trains on the same 48,000 rows (their indices written by the TypeScript side), validates on the same 12,000 and",
      "normalises by the same mean and standard deviation. Both sides run once, one after the other, with",
      `${QUALITY_THREADS} threads. Epoch seconds are wall time of training plus the validation pass. Goal: test accuracy >= 91% within ${EPOCHS} epochs.`,
      "",
      ...good.table,
      "",
    );
  }
  body.push(
    "### Speed: training samples/s",
    "",
    `The first ${SPEED_ROWS.toLocaleString("en")} training images, batch 64, ${SPEED_EPOCHS} epochs per run, samples/s of the last epoch (training steps only:`,
    "shuffle, batch gathering, forward, backward, update); median of",
    `${REPEATS} runs per setting, OpenMaaS and PyTorch interleaved (the runs in brackets). OpenMaaS: \`fit\` with \`training.threads\`;`,
    "PyTorch: `torch.set_num_threads`. Goal: OpenMaaS / PyTorch >= 1.0x.",
    "",
    "| threads | OpenMaaS samples/s | PyTorch samples/s | OpenMaaS / PyTorch |",
    "|---:|---:|---:|---:|",
    ...fast.rows,
    "",
    `Share of peak (OpenMaaS / PyTorch): ${shares}; samples/s x ${(FLOPS_PER_SAMPLE / 1e6).toFixed(1)} MFLOP a sample (the convolutions and matrix products,`,
    `forward and backward; \`bench/cnn.ts\` derives it) over the cores' peak float32 rate, ${peakText()}.`,
    "",
    "### Where an OpenMaaS training step goes",
    "",
    "The compiled training step (forward, loss, backward, Adam) of the same network, batch 64, under ONNX Runtime's profiler",
    "(`enableProfiling`; `bench/ort-profile.ts`), graph optimisation level \"all\": kernel time per step by operator type,",
    "averaged over 50 steps after 10 warm-up steps. The ten largest operators of each column:",
    "",
    ...ptable,
    "",
    `The ten largest nodes at 1 thread (names from the optimised graph). The ${int(elementwise.calls)} elementwise and reduction kernels per step`,
    `(${ELEMENTWISE.join(", ")}: ${elementwise.ms.toFixed(1)} ms, ${((100 * elementwise.ms) / profiles[0].kernelMs).toFixed(0)}% at 1 thread) are batch normalisation (the statistics and`,
    "the closed-form gradient of `BatchNormTraining`), ReLU's gradient, the loss and Adam's update of each parameter.",
    "",
    ...ntable,
  );
  replaceSection("docs/benchmarks.md", "cnn", SECTION, body.join("\n"));
  if (good) console.log(`\ntest accuracy: OpenMaaS ${pct(good.test[0])}, PyTorch ${pct(good.test[1])}`);
  console.log(`speed ratios (threads 1, 2): ${fast.ratios.map((r) => r.toFixed(2)).join(", ")}`);
  console.log(`written to docs/benchmarks.md (${minutes.toFixed(1)} min)`);
}

await main();
