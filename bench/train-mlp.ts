// npm run bench:train — training throughput of an MLP 784-256-10 (ReLU, softmax cross-entropy, SGD
// and Adam, batch 128) on synthetic data: OpenMaaS against PyTorch, same data and loop, measured in
// the same run, for 1 and 2 threads, with the share of the cores' peak float32 rate each reaches.
// Prints a table and writes it to docs/benchmarks.md.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { Random } from "../src/engine/random.js";
import { Model } from "../src/models/model.js";
import { machine, median, replaceSection } from "./report.js";

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
/**
 * Peak float32 rate of one core: AVX-512 (16 lanes) on two full-width FMA units (AMD Zen 5, which
 * this machine's CPU flags indicate: avx512_vp2intersect), 2 flops per FMA, at the clock `os.cpus()`
 * reports. An upper bound no program reaches; the table reports the fraction of it.
 */
const peakFlopsPerCore = (): number => 16 * 2 * 2 * clockMHz() * 1e6;

/** The CPU clock: os.cpus() (0 in some VMs), else /proc/cpuinfo's "cpu MHz". */
function clockMHz(): number {
  const speed = os.cpus()[0]?.speed ?? 0;
  if (speed > 0) return speed;
  const m = readFileSync("/proc/cpuinfo", "utf8").match(/^cpu MHz\s*:\s*([\d.]+)/m);
  if (!m) throw new Error("cannot tell the CPU clock: os.cpus() reports 0 and /proc/cpuinfo has no 'cpu MHz'");
  return Math.round(Number(m[1]));
}
/** Forward 2·(784·256 + 256·10) flops a sample, backward twice that (the input gradient of the first layer is not needed: 1x). */
const FLOPS_PER_SAMPLE = 2 * (COLUMNS * HIDDEN + HIDDEN * CLASSES) * 3 - 2 * COLUMNS * HIDDEN;

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

async function main(): Promise<void> {
  const data = syntheticData();
  mkdirSync("bench/.out", { recursive: true });
  const dataPath = "bench/.out/mlp-data";
  writeFileSync(`${dataPath}.x`, data.features);
  writeFileSync(`${dataPath}.y`, BigInt64Array.from(data.target, (v) => BigInt(v)));

  const rows: string[] = [];
  let torchVersion = "";
  const peak = peakFlopsPerCore();
  const share = (rate: number, threads: number) => `${((100 * rate * FLOPS_PER_SAMPLE) / (peak * threads)).toFixed(1)}%`;
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
      const int = (x: number) => Math.round(x).toLocaleString("en");
      const row = `| ${optimizer === "sgd" ? `SGD (lr ${LR})` : `Adam (lr ${ADAM_LR})`} | ${threads} | ${int(a)} (${ours.map(int).join(", ")}) | ${int(b)} (${theirs.map(int).join(", ")}) | ${(a / b).toFixed(2)}x | ${share(a, threads)} / ${share(b, threads)} |`;
      rows.push(row);
      console.log(row);
    }
  }

  const table = [
    `MLP ${COLUMNS}-${HIDDEN}-${CLASSES}, ReLU, softmax cross-entropy, SGD (lr ${LR}) or Adam (lr ${ADAM_LR}), batch ${BATCH}, ${ROWS.toLocaleString("en")} synthetic rows,`,
    `${EPOCHS} epochs per run (first epoch excluded as warm-up), median of ${REPEATS} interleaved runs (in brackets). Samples/s counts`,
    "training steps only (shuffle, batch gathering, forward, backward, update), the same loop on both sides.",
    `Peer: PyTorch ${torchVersion} (Debian python3-torch), \`torch.set_num_threads\` = threads. Command: \`npm run bench:train\`.`,
    `Share of peak: samples/s x ${(FLOPS_PER_SAMPLE / 1e6).toFixed(2)} MFLOP a sample (forward and backward matrix products) over the cores' peak`,
    `float32 rate, ${(peak / 1e9).toFixed(0)} GFLOP/s a core (AVX-512, two full-width FMA units as on AMD Zen 5, at ${clockMHz()} MHz; a bound no program reaches).`,
    "",
    `Machine: ${machine()}.`,
    "",
    "| optimizer | threads | OpenMaaS samples/s | PyTorch samples/s | OpenMaaS / PyTorch | share of peak (OpenMaaS / PyTorch) |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
  ].join("\n");
  replaceSection("docs/benchmarks.md", "train-mlp", "Training speed: MLP", table);
  console.log("\nwritten to docs/benchmarks.md");
}

await main();
