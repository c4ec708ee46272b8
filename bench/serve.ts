// npm run bench:serve — single-row predictions of a small MLP over HTTP (autocannon, POST
// /api/v1/models/:name/predict) at concurrency 1 and 32, against a bare `node:http` hello-world server
// measured in the same run with the same load (interleaved); then predictions at concurrency 8 with and
// without a training job running. Both servers are child processes, the load comes from this process.
// Prints the tables and writes them to docs/benchmarks.md (default pool settings only).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Random } from "../src/engine/random.js";
import { MAAS, checkBuild } from "./maas-cli.js";
import { machine, median, replaceSection } from "./report.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const WARMUP_SECONDS = 3;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** When set, the OpenMaaS server runs under `node --cpu-prof` and writes its profiles to this folder. */
const PROFILE_DIR = process.env.BENCH_CPU_PROF;
const KEY = "bench-admin-key-0123456789";
const HELLO = "bench/.out/js/bench/peers/hello-http.js";
const AUTOCANNON = (createRequire(import.meta.url)("autocannon/package.json") as { version: string }).version;
const FEATURES = 4;
const CLASSES = ["a", "b", "c"];
const SERVED = { rows: 300, hidden: [32] };
const BACKGROUND = { rows: 20_000, hidden: [128, 128], batchSize: 32 };

/** Gaussian features x0..x3 (4 decimals); the label is the argmax of a fixed random linear map. */
function csv(rows: number, seed: number): string {
  const rng = new Random(seed);
  const map = Array.from({ length: FEATURES * CLASSES.length }, () => rng.normal());
  const lines = [[...Array.from({ length: FEATURES }, (_v, j) => `x${j}`), "label"].join(",")];
  for (let r = 0; r < rows; r++) {
    const x = Array.from({ length: FEATURES }, () => Number(rng.normal().toFixed(4)));
    const scores = CLASSES.map((_c, k) => x.reduce((s, v, j) => s + v * map[j * CLASSES.length + k], 0));
    lines.push(`${x.join(",")},${CLASSES[scores.indexOf(Math.max(...scores))]}`);
  }
  return lines.join("\n") + "\n";
}

// ---- child processes --------------------------------------------------------------------------

interface Server {
  name: string;
  url: string;
  child: ChildProcess;
}

/** Starts `node ...args` and resolves with the loopback URL it prints once listening. */
function start(name: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const url = out.match(/serving at (http:\/\/127\.0\.0\.1:\d+)/)?.[1];
      if (url) resolve({ name, url, child });
    });
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}) before listening:\n${out}${err}`)));
  });
}

/** SIGTERM (a graceful shutdown, which also writes --cpu-prof profiles), then waits for the exit. */
async function stop(s: Server): Promise<void> {
  if (s.child.exitCode !== null) return;
  const exited = new Promise((resolve) => s.child.once("exit", resolve));
  s.child.kill("SIGTERM");
  await exited;
}

// ---- the OpenMaaS API -------------------------------------------------------------------------

interface Job {
  id: string;
  status: string;
  progress: { epoch: number } | null;
  error: unknown;
}

async function api<T>(base: string, path: string, method = "GET", body?: string, type = "application/json"): Promise<T> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { "content-type": type }) };
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Polls a job until `done(job)` holds; fails if the job fails first. */
async function waitFor(base: string, id: string, done: (j: Job) => boolean): Promise<Job> {
  for (;;) {
    const j = await api<Job>(base, `/jobs/${id}`);
    if (done(j)) return j;
    if (j.status === "failed") throw new Error(`job ${id} failed: ${JSON.stringify(j.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const submit = (base: string, name: string, dataset: string, hidden: number[], training: object) =>
  api<{ id: string }>(base, "/jobs", "POST", JSON.stringify({ dataset, target: "label", name, model: { kind: "mlp", hidden }, training })).then((r) => r.id);

// ---- load -------------------------------------------------------------------------------------

interface Load {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time per request in microseconds: the whole process, and its main thread (NaN off Linux). */
  cpu: number;
  main: number;
}

/** CPU milliseconds a process (or its main thread) has used, from /proc (utime + stime, 100 ticks/s); NaN elsewhere. */
function cpuMs(pid: number, mainThread: boolean): number {
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const instance = Object.fromEntries(Array.from({ length: FEATURES }, (_v, j) => [`x${j}`, Number((0.1 * (j + 1)).toFixed(1))]));
const BODY = JSON.stringify({ instances: [instance] });
const HEADERS = { "content-type": "application/json", authorization: `Bearer ${KEY}` };

/** Nearest-rank quantile of sorted values. */
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** One autocannon run: `connections` clients, each with one request in flight; latencies to 0.01 ms. */
async function load(server: Server, url: string, connections: number, seconds: number): Promise<Load> {
  const ms: number[] = [];
  const pid = server.child.pid!;
  const [cpu0, main0] = [cpuMs(pid, false), cpuMs(pid, true)];
  const run = autocannon({ url, method: "POST", headers: HEADERS, body: BODY, connections, duration: seconds });
  run.on("response", (_client, _status, _bytes, t) => ms.push(t));
  const r = await run;
  if (r.errors || r.timeouts || r.non2xx) throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx responses`);
  const perRequest = (before: number, now: number) => ((now - before) * 1000) / r.requests.total;
  ms.sort((a, b) => a - b);
  return { rps: r.requests.total / r.duration, p50: quantile(ms, 0.5), p99: quantile(ms, 0.99), cpu: perRequest(cpu0, cpuMs(pid, false)), main: perRequest(main0, cpuMs(pid, true)) };
}

const summary = (runs: Load[]): Load => {
  const m = (k: keyof Load) => median(runs.map((r) => r[k]));
  return { rps: m("rps"), p50: m("p50"), p99: m("p99"), cpu: m("cpu"), main: m("main") };
};
const n = (v: number): string => Math.round(v).toLocaleString("en");
const ms = (v: number): string => v.toFixed(2);

// ---- the benchmark ----------------------------------------------------------------------------

async function main(): Promise<void> {
  checkBuild();
  const home = mkdtempSync(join(os.tmpdir(), "maas-bench-serve-"));
  const env = { ...process.env, MAAS_ADMIN_KEY: KEY, MAAS_LOG_LEVEL: "silent", MAAS_RATE_LIMIT: String(1e9) };
  const profile = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const servers: Server[] = [];
  const loadBefore = os.loadavg()[0];
  try {
    const maas = await start("OpenMaaS", [...profile, MAAS, "serve", "--port", "0", "--host", "127.0.0.1", "--home", home], env);
    servers.push(maas);
    const hello = await start("hello-world", [HELLO]);
    servers.push(hello);

    await api(maas.url, "/datasets?name=small", "POST", csv(SERVED.rows, 1), "text/csv");
    await api(maas.url, "/datasets?name=big", "POST", csv(BACKGROUND.rows, 2), "text/csv");
    await waitFor(maas.url, await submit(maas.url, "m", "small", SERVED.hidden, { epochs: 50 }), (j) => j.status === "succeeded");
    const predictUrl = `${maas.url}/api/v1/models/m/predict`;
    console.log(`one prediction: ${JSON.stringify(await api(maas.url, "/models/m/predict", "POST", BODY))}`);

    await load(maas, predictUrl, 32, WARMUP_SECONDS);
    await load(hello, hello.url, 32, WARMUP_SECONDS);
    const levels = [1, 32];
    const ours = new Map<number, Load[]>(levels.map((c) => [c, []]));
    const peer = new Map<number, Load[]>(levels.map((c) => [c, []]));
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const c of levels) {
        ours.get(c)!.push(await load(maas, predictUrl, c, SECONDS));
        peer.get(c)!.push(await load(hello, hello.url, c, SECONDS));
        console.log(`repeat ${rep + 1}, concurrency ${c}: OpenMaaS ${n(ours.get(c)!.at(-1)!.rps)} req/s, hello-world ${n(peer.get(c)!.at(-1)!.rps)} req/s`);
      }
    }

    // Interleaved: without a job, then with a fresh one (started, first epoch done), cancelled after.
    const idle: Load[] = [];
    const busy: Load[] = [];
    const epochs: number[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      idle.push(await load(maas, predictUrl, 8, SECONDS));
      const id = await submit(maas.url, `background${rep}`, "big", BACKGROUND.hidden, { epochs: 100_000, batchSize: BACKGROUND.batchSize, earlyStopping: false });
      const before = await waitFor(maas.url, id, (j) => j.status === "running" && j.progress !== null);
      busy.push(await load(maas, predictUrl, 8, SECONDS));
      const after = await api<Job>(maas.url, `/jobs/${id}`);
      if (after.status !== "running") throw new Error(`the training job ended (${after.status}) before the measurement did`);
      epochs.push(after.progress!.epoch - before.progress!.epoch);
      await api(maas.url, `/jobs/${id}/cancel`, "POST");
      await waitFor(maas.url, id, (j) => j.status === "cancelled");
      console.log(`repeat ${rep + 1}, concurrency 8: p99 ${ms(idle.at(-1)!.p99)} ms idle, ${ms(busy.at(-1)!.p99)} ms while training (${epochs.at(-1)} epochs)`);
    }

    const cores = os.availableParallelism();
    const pool = [
      `MAAS_PREDICT_WORKERS=${process.env.MAAS_PREDICT_WORKERS ?? `unset (default min(4, cores) = ${Math.min(4, cores)})`}`,
      `MAAS_THREADS=${process.env.MAAS_THREADS ?? "unset (1 ONNX Runtime thread per prediction worker)"}`,
    ].join(", ");
    const speed = levels.map((c) => {
      const [a, b] = [summary(ours.get(c)!), summary(peer.get(c)!)];
      return `| ${c} | ${n(a.rps)} | ${n(b.rps)} | ${(a.rps / b.rps).toFixed(2)}x | ${ms(a.p50)} | ${ms(a.p99)} | ${ms(b.p50)} | ${ms(b.p99)} | ${n(a.cpu)} (${n(a.main)}) | ${n(b.cpu)} |`;
    });
    const [i, b] = [summary(idle), summary(busy)];
    const body = [
      `Single-row predictions: \`POST /api/v1/models/m/predict\` with \`{"instances":[{4 numbers}]}\` and a bearer key, of an MLP`,
      `${FEATURES}-${SERVED.hidden.join("-")}-${CLASSES.length} (ReLU, 3 classes, trained by the platform on ${SERVED.rows} rows). OpenMaaS: \`maas serve\` (the built`,
      `server, SQLite, log level silent, rate limit raised) as a child process; ${pool}. Peer: a bare \`node:http\``,
      "server answering every request with a small JSON body (`bench/peers/hello-http.ts`), also a child process.",
      `Load: autocannon ${AUTOCANNON} in the benchmark process (on the same cores), the same request for both, one request in flight per`,
      `connection; ${SECONDS} s per run after a ${WARMUP_SECONDS} s warm-up each, OpenMaaS and peer interleaved, median of ${REPEATS} runs; latency of every`,
      "response (nearest rank); server CPU per request from /proc (all threads; OpenMaaS's main thread in brackets). Goals: OpenMaaS ≥ 0.5x the hello-world's requests/s; predict p99 < 50 ms at concurrency 8 while",
      "a training job runs. Command: `npm run bench:serve`.",
      "",
      `Machine: ${machine()}; 1-minute load average ${loadBefore.toFixed(1)} before the run, ${os.loadavg()[0].toFixed(1)} after (other processes included).`,
      "",
      "| concurrency | OpenMaaS req/s | hello-world req/s | OpenMaaS / hello | OpenMaaS p50 ms | OpenMaaS p99 ms | hello p50 ms | hello p99 ms | OpenMaaS CPU µs/req (main thread) | hello CPU µs/req |",
      "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
      ...speed,
      "",
      `Predictions at concurrency 8, alone and while a training job runs in its child process (MLP ${FEATURES}-${BACKGROUND.hidden.join("-")}-${CLASSES.length}, Adam,`,
      `batch ${BACKGROUND.batchSize}, ${n(BACKGROUND.rows)} rows, ONNX Runtime's default threads; submitted before each run, measured from its first epoch`,
      `on, cancelled after; ${epochs.join(", ")} epochs during the runs). Interleaved, median of ${REPEATS}.`,
      "",
      "| predict load | req/s | p50 ms | p99 ms |",
      "|---|---:|---:|---:|",
      `| concurrency 8, no training job | ${n(i.rps)} | ${ms(i.p50)} | ${ms(i.p99)} |`,
      `| concurrency 8, training job running | ${n(b.rps)} | ${ms(b.p50)} | ${ms(b.p99)} |`,
    ].join("\n");
    console.log(`\n${body}`);
    const defaults = process.env.MAAS_PREDICT_WORKERS === undefined && process.env.MAAS_THREADS === undefined && !PROFILE_DIR;
    if (defaults) replaceSection("docs/benchmarks.md", "serve", "Serving: single-row predictions over HTTP", body);
    console.log(defaults ? "\nwritten to docs/benchmarks.md" : "\nnot written to docs/benchmarks.md (pool settings not the defaults, or profiling)");
  } finally {
    for (const s of servers.reverse()) await stop(s);
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
