// npm run bench:train — the training goals against PyTorch in one run: the MLP, the Fashion-MNIST CNN,
// the LSTM and `maas train` end to end, each as its own process (its speed part only), one after the
// other. Each writes its detailed section of docs/benchmarks.md and a result file
// (bench/.out/results/<id>.json); this program then writes the summary section at the top of
// docs/benchmarks.md: every goal at 1 and 2 threads, the share of peak and where the time goes.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { checkBuild } from "./maas-cli.js";
import type { BenchResult, ResultRow } from "./report.js";
import { RESULTS_DIR, machine, replaceSection } from "./report.js";

/** The benchmarks, in the order they run: result id, compiled program, environment that keeps only the speed parts. */
const BENCHES: { id: string; program: string; env: Record<string, string> }[] = [
  { id: "train-mlp", program: "train-mlp.js", env: {} },
  { id: "cnn", program: "cnn.js", env: { BENCH_SKIP_QUALITY: "1" } },
  { id: "rnn", program: "rnn.js", env: { BENCH_SKIP: "varying,forecast,adding" } },
  { id: "train-e2e", program: "train-e2e.js", env: {} },
];
/** Where `tsc -p bench/tsconfig.json` puts the compiled programs. */
const JS = "bench/.out/js/bench";
/** The goal of every row: OpenMaaS / PyTorch at least this. */
const GOAL = 1.0;
const DOC = "docs/benchmarks.md";

/** Runs one benchmark to completion, its output on ours; true when it succeeded. The child inherits our environment. */
function run(bench: (typeof BENCHES)[number]): boolean {
  rmSync(`${RESULTS_DIR}/${bench.id}.json`, { force: true });
  const pass = process.env.BENCH_REPEATS ? { BENCH_REPEATS: process.env.BENCH_REPEATS } : {};
  console.log(`\n=== ${bench.id}: node ${JS}/${bench.program} ${Object.entries(bench.env).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  const r = spawnSync(process.execPath, [`${JS}/${bench.program}`], { stdio: "inherit", env: { ...process.env, ...bench.env, ...pass } });
  if (r.status !== 0) console.error(`${bench.id} failed (exit ${r.status ?? r.signal})`);
  return r.status === 0;
}

/** GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces to hyphens. */
const anchor = (heading: string): string =>
  heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");

const int = (x: number): string => Math.round(x).toLocaleString("en");
const value = (x: number, unit: ResultRow["unit"]): string => (unit === "s" ? `${x.toFixed(2)} s` : `${int(x)} samples/s`);
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function rowsOf(result: BenchResult): string[] {
  const link = `[${result.section.replace(/`/g, "")}](#${anchor(result.section)})`;
  return result.rows.map((r, i) => {
    const share = r.peakShare ? `${pct(r.peakShare[0])} / ${pct(r.peakShare[1])}` : "–";
    const profile = r.profile ?? (i === 0 ? result.profile : undefined);
    const where = profile ? `${profile} (${link})` : "〃";
    return `| ${r.workload} | ${r.threads} | ${value(r.openmaas, r.unit)} | ${value(r.pytorch, r.unit)} | ${r.ratio.toFixed(2)}x | ${r.ratio >= GOAL ? "✓" : "✗"} | ${share} | ${where} |`;
  });
}

async function main(): Promise<void> {
  checkBuild(); // the end-to-end benchmark runs dist/cli/main.js: fail now, not after the others
  const load = os.loadavg().map((x) => x.toFixed(2)).join(", ");
  const started = performance.now();
  const failed = BENCHES.filter((b) => !run(b)).map((b) => b.id);
  const minutes = (performance.now() - started) / 60_000;

  const results = BENCHES.map((b) => `${RESULTS_DIR}/${b.id}.json`)
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, "utf8")) as BenchResult);
  const rows = results.flatMap(rowsOf);
  const met = results.flatMap((r) => r.rows).filter((r) => r.ratio >= GOAL).length;
  const total = results.flatMap((r) => r.rows).length;
  // The children inherit the environment: name the BENCH_ settings that shaped this run.
  const settings = Object.entries(process.env).filter(([k]) => k.startsWith("BENCH_")).map(([k, v]) => `${k}=${v} `).join("");
  const body = [
    `Issue 8's goals: OpenMaaS / PyTorch >= ${GOAL.toFixed(1)}x for every workload at 1 and 2 threads. Training samples/s (the MLP, the CNN,`,
    "the LSTM; higher is better) or whole-process seconds (`maas train`; lower is better), medians of interleaved runs; the",
    "ratio is always OpenMaaS's speed over PyTorch's. Share of peak: the workload's matrix-product and convolution flops",
    "over the cores' peak float32 rate (for `maas train`, of its training steps alone). Where the time goes: OpenMaaS's",
    "step under ONNX Runtime's profiler (shares of the step's `session.run` time), or the process's phases; the details",
    "are in each workload's section.",
    "",
    "| workload | threads | OpenMaaS | PyTorch | OpenMaaS / PyTorch | goal met | share of peak (OpenMaaS / PyTorch) | where the time goes |",
    "|---|---:|---:|---:|---:|:-:|---:|---|",
    ...rows,
    "",
    `Goals met: ${met} of ${total}.${failed.length > 0 ? ` Failed to run: ${failed.join(", ")}.` : ""}`,
    "",
    `Machine: ${machine()}. Load average (1, 5, 15 min) at start: ${load}; the machine is shared, so other processes ran`,
    `alongside. Command: \`npm run build && ${settings}npm run bench:train\` (the end-to-end benchmark runs the built \`maas\`). Whole run: ${minutes.toFixed(1)} min.`,
  ].join("\n");
  replaceSection(DOC, "train", "Training speed against PyTorch: summary", body, { first: true });
  console.log(`\n${rows.join("\n")}\n\nwritten to ${DOC} (${minutes.toFixed(1)} min)`);
  if (failed.length > 0) process.exitCode = 1;
}

await main();
