// npm run bench:e2e — `maas train` end to end on a CSV (start the process, parse 20,000 x 100, train an
// MLP 100-256-10 with SGD for 5 epochs, export) against a typical PyTorch script doing the same with
// NumPy's CSV loaders (bench/peers/train_csv.py). Whole processes, wall clock, interleaved, medians.
// Threads 1 and 2 on both sides. Prints the tables (times, and where the time goes) and writes them to
// docs/benchmarks.md (section "train-e2e") and bench/.out/results/train-e2e.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { readTable } from "../src/data/read.js";
import { Random } from "../src/engine/random.js";
import type { CallFrame } from "./cpu-profile.js";
import { inclusiveMs, named } from "./cpu-profile.js";
import { MAAS, checkBuild } from "./maas-cli.js";
import type { ResultRow } from "./report.js";
import { denseTrainingFlops, machine, median, peakShare, replaceSection, writeResult } from "./report.js";

const ROWS = 20_000;
const COLUMNS = 100;
const CLASSES = 10;
const HIDDEN = 256;
const BATCH = 128;
const EPOCHS = 5;
const LR = 0.01;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);
const PYTHON = "/usr/bin/python3";
const OUT = "bench/.out/e2e";
const CSV = `${OUT}/train-${ROWS}x${COLUMNS}.csv`;
/** Thread settings of both sides; the breakdown and the profile run at the last. */
const THREADS = [1, 2];
const BREAKDOWN_THREADS = THREADS[THREADS.length - 1];
/** Matrix-product flops of a training step, a sample (see denseTrainingFlops). */
const FLOPS_PER_SAMPLE = denseTrainingFlops([COLUMNS, HIDDEN, CLASSES]);
const SECTION = "End to end: `maas train` on a CSV vs a PyTorch script";
const WORKLOAD = `\`maas train\` end to end, ${ROWS.toLocaleString("en")}x${COLUMNS} CSV (vs np.loadtxt)`;

/** Gaussian features with 5 decimals; the label ("class_0".."class_9") is the argmax of a fixed random linear map. */
function writeData(): void {
  if (existsSync(CSV)) return;
  const rng = new Random(11);
  const map = Float64Array.from({ length: COLUMNS * CLASSES }, () => rng.normal());
  const lines = [[...Array.from({ length: COLUMNS }, (_v, j) => `x${j}`), "label"].join(",")];
  const x = new Float64Array(COLUMNS);
  for (let r = 0; r < ROWS; r++) {
    for (let j = 0; j < COLUMNS; j++) x[j] = Number(rng.normal().toFixed(5));
    let best = 0;
    let bestScore = -Infinity;
    for (let k = 0; k < CLASSES; k++) {
      let s = 0;
      for (let j = 0; j < COLUMNS; j++) s += x[j] * map[j * CLASSES + k];
      if (s > bestScore) [best, bestScore] = [k, s];
    }
    lines.push(`${Array.from(x, (v) => v.toFixed(5)).join(",")},class_${best}`);
  }
  writeFileSync(CSV, lines.join("\n") + "\n");
}

interface Run {
  seconds: number;
  stdout: string;
  stderr: string;
}

/** Runs a process to completion and times it, wall clock. */
function timed(command: string, args: string[]): Run {
  const started = performance.now();
  const r = spawnSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
  return { seconds, stdout: r.stdout, stderr: r.stderr };
}

const lastJson = <T>(out: string): T => JSON.parse(out.trim().split("\n").pop()!) as T;

const maasArgs = (threads: number): string[] => [
  MAAS, "train", "--data", CSV, "--target", "label", "--out", `${OUT}/model.onnx`,
  ...["--model", "mlp", "--hidden", String(HIDDEN), "--optimizer", "sgd", "--batch-size", String(BATCH)],
  ...["--epochs", String(EPOCHS), "--lr", String(LR), "--patience", "0", "--validation-split", "0"],
  "--threads", String(threads), "--json",
];

const torchArgs = (loader: string, threads: number): string[] => [
  "bench/peers/train_csv.py", "--data", CSV, "--out", `${OUT}/model.pt`, "--loader", loader,
  ...["--hidden", String(HIDDEN), "--epochs", String(EPOCHS), "--batch", String(BATCH), "--lr", String(LR), "--threads", String(threads)],
];

interface MaasSummary {
  seconds: number;
  metrics: Record<string, number>;
}

interface TorchSummary {
  accuracy: number;
  seconds: { import: number; load: number; train: number; save: number };
  torch: string;
  threads: number;
}

/** Seconds of training steps in a `maas train` run: the rows over each epoch's samples/s, from its progress lines. */
function stepSeconds(stderr: string): number | undefined {
  const rates = [...stderr.matchAll(/^epoch \d+\/\d+ .* (\d+) samples\/s$/gm)].map((m) => Number(m[1]));
  return rates.length === EPOCHS ? rates.reduce((s, r) => s + ROWS / r, 0) : undefined;
}

const s = (x: number | undefined): string => (x === undefined ? "n/a" : x.toFixed(2));

/** Phases of one profiled `maas train` (BREAKDOWN_THREADS), by the functions that run them. */
const PROFILE_PHASES: Record<string, (f: CallFrame) => boolean> = {
  "read the CSV (`parseCsvChunks`)": named("parseCsvChunks"),
  "column kinds (`inferSchema`)": named("inferSchema"),
  "means and scales (`fitEncodings`)": named("fitEncodings"),
  "feature matrix (`encodeTable`)": named("encodeTable"),
  "SHA-256 of the table for the model card (`tableFingerprint`)": named("tableFingerprint"),
  "ONNX Runtime calls, native (session creation, training steps, evaluation)": (f) => f.functionName === "" && f.url.endsWith("onnxruntime-node/dist/backend.js"),
  "training loop, JS side (`fit`: shuffles, batches, feeds)": named("fit"),
  "evaluation of the 20,000 training rows, once after training (nothing is held out), JS side (`evaluate`)": named("evaluate"),
  "… of which metrics (`classificationMetrics`: accuracy, F1, ROC AUC)": named("classificationMetrics"),
  "ONNX export (`encodeModel`)": named("encodeModel"),
  "garbage collection": named("(garbage collector)"),
  "idle (waiting)": named("(idle)"),
};

/** One `maas train` under `node --cpu-prof`: main-thread milliseconds per phase. */
function profileOnce(): Map<string, number> {
  const dir = `${OUT}/profile`;
  rmSync(dir, { recursive: true, force: true });
  timed(process.execPath, ["--cpu-prof", "--cpu-prof-dir", dir, ...maasArgs(BREAKDOWN_THREADS)]);
  return inclusiveMs(`${dir}/${readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))!}`, PROFILE_PHASES);
}

/** `readTable` of the CSV in this process, timed. */
async function timedRead(): Promise<Run> {
  const started = performance.now();
  await readTable(CSV);
  return { seconds: (performance.now() - started) / 1000, stdout: "", stderr: "" };
}

/**
 * All runs, interleaved so all see the same machine load; a table row per thread setting. At
 * BREAKDOWN_THREADS, also `maas --version` (start-up) and an in-process `readTable`, for the breakdown.
 */
async function timeAll(peers: readonly string[]): Promise<{ runs: Map<string, Run[]>; rows: string[]; results: ResultRow[] }> {
  // Warm-up: the file in the page cache, the modules on disk read once.
  timed(process.execPath, maasArgs(BREAKDOWN_THREADS));
  for (const loader of peers) timed(PYTHON, torchArgs(loader, BREAKDOWN_THREADS));
  const rows: string[] = [];
  const results: ResultRow[] = [];
  const runs = new Map<string, Run[]>();
  const add = (key: string, r: Run) => runs.set(key, [...(runs.get(key) ?? []), r]);
  for (const threads of THREADS) {
    for (let i = 0; i < REPEATS; i++) {
      add(`maas-${threads}`, timed(process.execPath, maasArgs(threads)));
      for (const loader of peers) add(`${loader}-${threads}`, timed(PYTHON, torchArgs(loader, threads)));
      if (threads !== BREAKDOWN_THREADS) continue;
      add("startup", timed(process.execPath, [MAAS, "--version"]));
      add("read", await timedRead());
    }
    const t = (key: string) => median(runs.get(key)!.map((r) => r.seconds));
    const ours = t(`maas-${threads}`);
    const [loadtxt, genfromtxt] = peers.map((p) => t(`${p}-${threads}`));
    results.push({ workload: WORKLOAD, threads, openmaas: ours, pytorch: loadtxt, unit: "s", ratio: loadtxt / ours, peakShare: stepShares(runs, threads) });
    const row = `| ${threads} | ${s(ours)} | ${s(loadtxt)} | ${s(genfromtxt)} | ${(loadtxt / ours).toFixed(2)}x | ${(genfromtxt / ours).toFixed(2)}x |`;
    rows.push(row);
    console.log(row);
  }
  return { runs, rows, results };
}

/**
 * Share of peak of the training steps alone (a whole process's share means little): rows x epochs x
 * flops a sample over the steps' seconds; OpenMaaS's from its epochs' samples/s, PyTorch's from its
 * training loop (which also holds one accuracy pass). Null when the progress lines were not found.
 */
function stepShares(runs: Map<string, Run[]>, threads: number): [number, number] | null {
  const steps = runs.get(`maas-${threads}`)!.map((r) => stepSeconds(r.stderr));
  if (steps.some((x) => x === undefined)) return null;
  const torch = median(runs.get(`loadtxt-${threads}`)!.map((r) => lastJson<TorchSummary>(r.stdout).seconds.train));
  const rate = (seconds: number) => peakShare((ROWS * EPOCHS) / seconds, FLOPS_PER_SAMPLE, threads);
  return [rate(median(steps as number[])), rate(torch)];
}

/** Where the time goes at BREAKDOWN_THREADS: medians over the timed runs; the table and a one-line summary. */
function wallBreakdown(runs: Map<string, Run[]>): { table: string[]; summary: string } {
  const maasRuns = runs.get(`maas-${BREAKDOWN_THREADS}`)!;
  const startup = median(runs.get("startup")!.map((r) => r.seconds));
  const readMedian = median(runs.get("read")!.map((r) => r.seconds));
  const total = median(maasRuns.map((r) => r.seconds));
  const trainTable = median(maasRuns.map((r) => lastJson<MaasSummary>(r.stdout).seconds));
  const steps = maasRuns.map((r) => stepSeconds(r.stderr));
  const stepsMedian = steps.every((x) => x !== undefined) ? median(steps as number[]) : undefined;
  const torch = runs.get(`loadtxt-${BREAKDOWN_THREADS}`)!.map((r) => ({ total: r.seconds, ...lastJson<TorchSummary>(r.stdout).seconds }));
  const phase = (f: (r: (typeof torch)[number]) => number) => s(median(torch.map(f)));
  const rest = stepsMedian === undefined ? undefined : trainTable - stepsMedian;
  const summary =
    `${BREAKDOWN_THREADS} threads, whole process ${s(total)} s: start ${s(startup)}, CSV read ${s(readMedian)}, training steps ${s(stepsMedian)},` +
    ` rest of trainTable ${s(rest)}, exit ${s(total - startup - readMedian - trainTable)} (PyTorch + np.loadtxt ${phase((r) => r.total)} s: start` +
    ` ${phase((r) => r.total - r.load - r.train - r.save)}, read ${phase((r) => r.load)}, training ${phase((r) => r.train)})`;
  const table = [
    "| phase | OpenMaaS s | PyTorch + np.loadtxt s |",
    "|---|---:|---:|",
    `| start the process, load modules (\`maas --version\`; Python: interpreter + \`import torch\`) | ${s(startup)} | ${phase((r) => r.total - r.load - r.train - r.save)} |`,
    `| read the CSV (\`readTable\`, in-process; Python: both \`loadtxt\` calls, \`np.unique\`, standardize) | ${s(readMedian)} | ${phase((r) => r.load)} |`,
    `| training steps, ${EPOCHS} epochs (OpenMaaS: rows / samples/s of each epoch; Python: the loop and one accuracy pass) | ${s(stepsMedian)} | ${phase((r) => r.train)} |`,
    `| rest of \`trainTable\`: column types, encoding, compiling the step, sessions, the final evaluation, export | ${s(rest)} | – |`,
    `| remainder: writing the file, exit (± the noise of the two separate measurements) | ${s(total - startup - readMedian - trainTable)} | ${phase((r) => r.save)} (\`torch.save\`) |`,
    `| **whole process** | **${s(total)}** | **${phase((r) => r.total)}** |`,
  ];
  return { table, summary };
}

async function main(): Promise<void> {
  checkBuild();
  mkdirSync(OUT, { recursive: true });
  writeData();
  const load = os.loadavg()[0];
  const { runs, rows, results } = await timeAll(["loadtxt", "genfromtxt"]);
  const maasRuns = runs.get(`maas-${BREAKDOWN_THREADS}`)!;
  const { table: breakdown, summary } = wallBreakdown(runs);
  writeResult({ id: "train-e2e", section: SECTION, rows: results, profile: summary });
  const profile = profileOnce();
  const profileTable = [
    "| phase (inclusive; rows can overlap) | main-thread ms |",
    "|---|---:|",
    ...Object.keys(PROFILE_PHASES).map((label) => `| ${label} | ${Math.round(profile.get(label)!)} |`),
    `| **whole profile** (start to exit) | **${Math.round(profile.get("(total)")!)}** |`,
  ];
  console.log(`\n${breakdown.join("\n")}\n\n${profileTable.join("\n")}`);

  const torch = lastJson<TorchSummary>(runs.get(`loadtxt-${BREAKDOWN_THREADS}`)!.at(-1)!.stdout);
  const ourAccuracy = lastJson<MaasSummary>(maasRuns.at(-1)!.stdout).metrics.accuracy;
  const body = [
    `\`maas train\` end to end: a ${ROWS.toLocaleString("en")}-row CSV of ${COLUMNS} numeric columns (Gaussian, 5 decimals) and a string label of ${CLASSES}`,
    `classes (the argmax of a fixed random linear map), ${(ROWS * COLUMNS).toLocaleString("en")} cells. MLP ${COLUMNS}-${HIDDEN}-${CLASSES}, ReLU, SGD lr ${LR}, batch ${BATCH}, ${EPOCHS} epochs,`,
    "nothing held out, no early stopping, features standardized, model written to disk:",
    "",
    `- OpenMaaS: \`node ${MAAS} train --data train.csv --target label --model mlp --hidden ${HIDDEN} --optimizer sgd --batch-size ${BATCH}`,
    `  --epochs ${EPOCHS} --lr ${LR} --patience 0 --validation-split 0 --threads N --json\` (writes an ONNX file with preprocessing and labels).`,
    `- PyTorch ${torch.torch} (Debian python3-torch): \`bench/peers/train_csv.py\` reads the CSV with \`np.loadtxt\` or \`np.genfromtxt\`,`,
    "  standardizes, trains the same network with `torch.optim.SGD` in shuffled mini-batches, reports training accuracy,",
    "  and `torch.save`s the state dict.",
    "",
    `Whole processes, wall clock, warm file cache, median of ${REPEATS} interleaved runs. Threads: ${THREADS.join(" or ")} on both sides (OpenMaaS`,
    `\`--threads N\`, PyTorch \`torch.set_num_threads(N)\`; ${os.cpus().length} logical cores here). Training accuracy after ${EPOCHS} epochs: OpenMaaS ${ourAccuracy.toFixed(3)},`,
    `PyTorch ${torch.accuracy.toFixed(3)} (different initialisations). Ratio > 1: OpenMaaS is faster. Command: \`npm run bench:e2e\` (or \`npm run bench:train\`).`,
    "",
    `Machine: ${machine()}; 1-minute load average ${load.toFixed(1)} when the run started.`,
    "",
    "| threads | OpenMaaS s | PyTorch + np.loadtxt s | PyTorch + np.genfromtxt s | loadtxt / OpenMaaS | genfromtxt / OpenMaaS |",
    "|---|---:|---:|---:|---:|---:|",
    ...rows,
    "",
    `Where the time goes (${BREAKDOWN_THREADS} threads; medians over the runs above; the first two OpenMaaS rows are measured`,
    "separately in the same interleaved loop, `maas --version` and `readTable` in the benchmark's process, and subtracted):",
    "",
    ...breakdown,
    "",
    `The same run under \`node --cpu-prof\` (one run, ${BREAKDOWN_THREADS} threads; the profiler adds some overhead), by function:`,
    "",
    ...profileTable,
  ].join("\n");
  replaceSection("docs/benchmarks.md", "train-e2e", SECTION, body);
  console.log("\nwritten to docs/benchmarks.md");
}

await main();
