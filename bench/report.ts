// Shared pieces of the benchmark programs: medians, the machine line, the cores' peak rate,
// docs/benchmarks.md sections, and the result files `npm run bench:train` summarises.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import type { StepProfile } from "./ort-profile.js";

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** One line describing where a benchmark ran. */
export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const ort = (createRequire(import.meta.url)("onnxruntime-node/package.json") as { version: string }).version;
  const gib = (os.totalmem() / 2 ** 30).toFixed(0);
  return `${cpu}, ${os.cpus().length} cores, ${gib} GiB, ${os.platform()} ${os.release()}, Node.js ${process.version}, onnxruntime-node ${ort}, ${new Date().toISOString().slice(0, 10)}`;
}

/** The header of a new docs/benchmarks.md. */
const HEADER = [
  "# Benchmarks",
  "",
  "Each section is written by the program it names; numbers are medians, peers run in the same process tree.",
  "The first section summarises the training goals against PyTorch; `npm run bench:train` reproduces it and the",
  "sections it links to.",
  "",
].join("\n");

/**
 * Replaces the section `id` of a Markdown file, atomically. A new section goes at the end, or with
 * `first` right after the file's header (before the first section).
 */
export function replaceSection(path: string, id: string, title: string, body: string, options: { first?: boolean } = {}): void {
  const begin = `<!-- bench:${id} -->`;
  const end = `<!-- /bench:${id} -->`;
  const section = `${begin}\n## ${title}\n\n${body}\n${end}`;
  const old = existsSync(path) ? readFileSync(path, "utf8") : HEADER;
  const i = old.indexOf(begin);
  const j = old.indexOf(end);
  const firstSection = old.indexOf("<!-- bench:");
  let next: string;
  if (i >= 0 && j > i) next = old.slice(0, i) + section + old.slice(j + end.length);
  else if (options.first && firstSection >= 0) next = `${old.slice(0, firstSection)}${section}\n\n${old.slice(firstSection)}`;
  else next = `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(`${path}.tmp`, next);
  renameSync(`${path}.tmp`, path);
}

/** A number rounded, with thousands separators: "149,176". */
export const int = (x: number): string => Math.round(x).toLocaleString("en");

/**
 * Training samples/s of OpenMaaS and the peer at 1 and 2 threads, interleaved run by run so both
 * see the same machine load; medians, and a Markdown row per thread count.
 */
export async function compareSpeed(
  repeats: number,
  ours: (threads: number) => Promise<number>,
  peer: (threads: number) => { rate: number; torch: string },
): Promise<{ rows: string[]; ratios: number[]; medians: { threads: number; openmaas: number; pytorch: number }[]; torch: string }> {
  const rows: string[] = [];
  const ratios: number[] = [];
  const medians: { threads: number; openmaas: number; pytorch: number }[] = [];
  let torch = "";
  for (const threads of [1, 2]) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < repeats; r++) {
      a.push(await ours(threads));
      const t = peer(threads);
      b.push(t.rate);
      torch = t.torch;
      console.log(`  threads ${threads}, run ${r + 1}: OpenMaaS ${int(a[r])}, PyTorch ${int(t.rate)} samples/s`);
    }
    const [ma, mb] = [median(a), median(b)];
    ratios.push(ma / mb);
    medians.push({ threads, openmaas: ma, pytorch: mb });
    const row = `| ${threads} | ${int(ma)} (${a.map(int).join(", ")}) | ${int(mb)} (${b.map(int).join(", ")}) | ${(ma / mb).toFixed(2)}x |`;
    rows.push(row);
    console.log(row);
  }
  return { rows, ratios, medians, torch };
}

// ---------------------------------------------------------------- peak rate

/** The CPU clock: os.cpus() (0 in some VMs), else /proc/cpuinfo's "cpu MHz". */
export function clockMHz(): number {
  const speed = os.cpus()[0]?.speed ?? 0;
  if (speed > 0) return speed;
  const m = readFileSync("/proc/cpuinfo", "utf8").match(/^cpu MHz\s*:\s*([\d.]+)/m);
  if (!m) throw new Error("cannot tell the CPU clock: os.cpus() reports 0 and /proc/cpuinfo has no 'cpu MHz'");
  return Math.round(Number(m[1]));
}

/**
 * Peak float32 rate of one core: AVX-512 (16 lanes) on two full-width FMA units (AMD Zen 5, which
 * this machine's CPU flags indicate: avx512_vp2intersect), 2 flops per FMA, at the clock `os.cpus()`
 * reports. An upper bound no program reaches; the tables report the fraction of it.
 */
export const peakFlopsPerCore = (): number => 16 * 2 * 2 * clockMHz() * 1e6;

/** The fraction of `threads` cores' peak float32 rate that `samplesPerSecond` x `flopsPerSample` is. */
export function peakShare(samplesPerSecond: number, flopsPerSample: number, threads: number): number {
  return (samplesPerSecond * flopsPerSample) / (peakFlopsPerCore() * threads);
}

/** How the tables explain the peak: "166 GFLOP/s a core (AVX-512, ...)". */
export const peakText = (): string =>
  `${(peakFlopsPerCore() / 1e9).toFixed(0)} GFLOP/s a core (AVX-512, two full-width FMA units as on AMD Zen 5, at ${clockMHz()} MHz; a bound no program reaches)`;

/**
 * Matrix-product flops of a dense layer chain's training step, a sample: forward 2·in·out a layer,
 * backward twice that (weight and input gradients) except the first layer's input gradient.
 * @example denseTrainingFlops([784, 256, 10]) // MLP 784-256-10
 */
export function denseTrainingFlops(widths: readonly number[]): number {
  let flops = 0;
  for (let i = 1; i < widths.length; i++) flops += 3 * 2 * widths[i - 1] * widths[i];
  return flops - 2 * widths[0] * widths[1];
}

// ---------------------------------------------------------------- results for the summary

/** One row of the summary: a workload at a thread count. */
export interface ResultRow {
  workload: string;
  threads: number;
  /** Samples/s (higher is better) or seconds (lower is better): see `unit`. */
  openmaas: number;
  pytorch: number;
  unit: "samples/s" | "s";
  /** OpenMaaS / PyTorch as a speed: > 1 means OpenMaaS is faster, whatever the unit. */
  ratio: number;
  /** Fractions of the cores' peak float32 rate (OpenMaaS, PyTorch), or null where it means nothing. */
  peakShare: [number, number] | null;
  /** Where this row's time goes, when it differs from the result's `profile` (e.g. per optimizer). */
  profile?: string;
}

/** What one benchmark hands `npm run bench:train`: its rows, where the time goes, its section. */
export interface BenchResult {
  id: string;
  /** The title of the benchmark's section in docs/benchmarks.md (the summary links to it). */
  section: string;
  rows: ResultRow[];
  /** One or two lines: where a step's (or the run's) time goes. */
  profile: string;
}

export const RESULTS_DIR = "bench/.out/results";

/** Writes a benchmark's result file, `bench/.out/results/<id>.json`. */
export function writeResult(result: BenchResult): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(`${RESULTS_DIR}/${result.id}.json`, JSON.stringify(result, null, 2));
}

/** A row at samples/s, with the share of peak from the flops a sample. */
export function speedRow(workload: string, threads: number, openmaas: number, pytorch: number, flopsPerSample: number): ResultRow {
  const share: [number, number] = [peakShare(openmaas, flopsPerSample, threads), peakShare(pytorch, flopsPerSample, threads)];
  return { workload, threads, openmaas, pytorch, unit: "samples/s", ratio: openmaas / pytorch, peakShare: share };
}

/**
 * A step profile in one line: each group's kernel time as a share of the step's `session.run` wall
 * time, the other kernels (`rest` names them), ONNX Runtime's time around its kernels (`model_run`
 * less the kernels: scheduling, allocation) and the rest of the call (copies of feeds and fetches,
 * the crossing from JavaScript).
 */
export function profileLine(p: StepProfile, groups: Record<string, readonly string[]>, threads: number, rest = "other kernels"): string {
  const share = (ms: number) => `${Math.round((100 * Math.max(0, ms)) / p.wallMs)}%`;
  let grouped = 0;
  const parts = Object.entries(groups).map(([label, ops]) => {
    const mine = p.ops.filter((o) => ops.includes(o.op));
    const ms = mine.reduce((s, o) => s + o.ms, 0);
    grouped += ms;
    return `${label} ${share(ms)} (${Math.round(mine.reduce((s, o) => s + o.calls, 0))} kernels)`;
  });
  const others = p.ops.filter((o) => !Object.values(groups).some((ops) => ops.includes(o.op)));
  parts.push(`${rest} ${share(p.kernelMs - grouped)} (${Math.round(others.reduce((s, o) => s + o.calls, 0))} kernels)`);
  parts.push(`ONNX Runtime around its kernels ${share(p.runMs - p.kernelMs)}`, `copies and the call from JavaScript ${share(p.wallMs - p.runMs)}`);
  return `step ${p.wallMs.toFixed(2)} ms at ${threads} thread${threads > 1 ? "s" : ""}: ${parts.join(", ")}`;
}
