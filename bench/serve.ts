// npm run bench:serve — single-row inference over the Open Inference Protocol v2 (`POST
// /v2/models/{name}/infer`, JSON) of two models: a small MLP trained by the platform, and the default
// Fashion-MNIST CNN trained here (1 epoch) and imported as .onnx; each with and without dynamic batching,
// at concurrency 1, 8, 32 and 128 (autocannon). Peers measured in the same run, interleaved with
// OpenMaaS run by run: a bare `node:http` hello-world, and the same two models (the same weights) in
// PyTorch behind FastAPI + uvicorn (bench/peers/serve_fastapi.py). Then v2 inference of the MLP at
// concurrency 8 with and without a training job running. Every server is a child process; the load comes
// from this process. Non-2xx responses and socket errors are counted, not thrown. Prints the tables and
// writes them to docs/benchmarks.md (default pool settings only).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import type { ImageSet } from "../src/data/image-set.js";
import { readIdx } from "../src/data/idx.js";
import { Random } from "../src/engine/random.js";
import { trainImages } from "../src/models/images.js";
import { ModelSpecSchema, resolveTraining } from "../src/models/spec.js";
import { MAAS, checkBuild } from "./maas-cli.js";
import { machine, median, replaceSection } from "./report.js";

// ---- settings ---------------------------------------------------------------------------------

/** Seconds per measured run. */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
/** Seconds of the warm-up run of each target (concurrency 32), before any measurement. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
/** Interleaved runs per target and concurrency; the tables show medians. */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** Concurrency levels (connections, one request in flight each). */
const LEVELS = (process.env.BENCH_CONCURRENCY ?? "1,8,32,128").split(",").map(Number);
/** Fashion-MNIST training images the CNN is trained on (1 epoch). */
const CNN_ROWS = Number(process.env.BENCH_CNN_ROWS ?? 60_000);
/** When set, the OpenMaaS server runs under `node --cpu-prof` and writes its profiles to this folder. */
const PROFILE_DIR = process.env.BENCH_CPU_PROF;

const KEY = "bench-admin-key-0123456789";
const OUT = "bench/.out";
const HELLO = "bench/.out/js/bench/peers/hello-http.js";
const PYTHON = "/usr/bin/python3";
const FASTAPI = "bench/peers/serve_fastapi.py";
const FMNIST = process.env.FMNIST_DIR ?? "/usr/share/datasets/fashion-mnist";
const AUTOCANNON = (createRequire(import.meta.url)("autocannon/package.json") as { version: string }).version;
const BATCHING = { maxBatchSize: 64, maxQueueDelayMs: 2, maxQueueSize: 1024, timeoutMs: 10_000 };
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
  /** The rest of the line the server printed with its URL (the peer's torch version and threads). */
  note: string;
  child: ChildProcess;
  /** What the process wrote to stderr so far. */
  stderr: () => string;
}

/** Starts `command ...args` and resolves with the loopback URL it prints once listening. */
function start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = out.match(/serving at (http:\/\/127\.0\.0\.1:\d+)(.*)/);
      if (m) resolve({ name, url: m[1], note: m[2].trim(), child, stderr: () => err });
    });
    child.once("error", reject);
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

const HEADERS = { "content-type": "application/json", authorization: `Bearer ${KEY}` };

async function request(url: string, method = "GET", body?: string | Uint8Array, type = "application/json"): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { "content-type": type }) };
  const res = await fetch(url, { method, headers, body });
  return { status: res.status, text: await res.text() };
}

async function api<T>(base: string, path: string, method = "GET", body?: string | Uint8Array, type = "application/json"): Promise<T> {
  const { status, text } = await request(`${base}${path}`, method, body, type);
  if (status < 200 || status > 299) throw new Error(`${method} ${path}: ${status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Polls a job until `done(job)` holds; fails if the job fails first. */
async function waitFor(base: string, id: string, done: (j: Job) => boolean): Promise<Job> {
  for (;;) {
    const j = await api<Job>(base, `/api/v1/jobs/${id}`);
    if (done(j)) return j;
    if (j.status === "failed") throw new Error(`job ${id} failed: ${JSON.stringify(j.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const submit = (base: string, name: string, dataset: string, hidden: number[], training: object) =>
  api<{ id: string }>(base, "/api/v1/jobs", "POST", JSON.stringify({ dataset, target: "label", name, model: { kind: "mlp", hidden }, training })).then((r) => r.id);

// ---- the models and their requests ------------------------------------------------------------

/** The v2 request of one MLP row: one [1, 1] FP32 input per feature column. */
const MLP_BODY = JSON.stringify({
  inputs: Array.from({ length: FEATURES }, (_v, j) => ({ name: `x${j}`, shape: [1, 1], datatype: "FP32", data: [Number((0.1 * (j + 1)).toFixed(1))] })),
  outputs: [{ name: "prediction" }, { name: "probabilities" }],
});

/** The v2 request of one 28x28 image: `image` [1, 1, 28, 28] FP32, raw pixels 0..255. */
const cnnBody = (pixels: Uint8Array): string =>
  JSON.stringify({ inputs: [{ name: "image", shape: [1, 1, 28, 28], datatype: "FP32", data: Array.from(pixels) }], outputs: [{ name: "prediction" }, { name: "probabilities" }] });

/** The first `rows` images of a set. */
function head(set: ImageSet, rows: number): ImageSet {
  const n = Math.min(rows, set.count);
  const plane = set.channels * set.height * set.width;
  return { ...set, count: n, pixels: set.pixels.subarray(0, n * plane), labels: set.labels?.slice(0, n) };
}

/** The default cnn trained 1 epoch on Fashion-MNIST, its .onnx file, and the first test image. */
async function trainCnn(): Promise<{ onnx: Uint8Array; accuracy: number; seconds: number; image: Uint8Array; label: string }> {
  const train = head(await readIdx(`${FMNIST}/train-images-idx3-ubyte.gz`, `${FMNIST}/train-labels-idx1-ubyte.gz`), CNN_ROWS);
  const test = await readIdx(`${FMNIST}/t10k-images-idx3-ubyte.gz`, `${FMNIST}/t10k-labels-idx1-ubyte.gz`);
  const started = performance.now();
  const training = resolveTraining("cnn", { epochs: 1, earlyStopping: false, threads: os.availableParallelism() });
  const result = await trainImages(train, ModelSpecSchema.parse({ kind: "cnn" }), training);
  return { onnx: result.onnx, accuracy: result.card.metrics.accuracy, seconds: (performance.now() - started) / 1000, image: test.pixels.subarray(0, 784), label: test.labels![0] };
}

// ---- load -------------------------------------------------------------------------------------

/** A server, a URL and the body every request to it carries. */
interface Target {
  key: string;
  server: Server;
  url: string;
  body: string;
}

interface Load {
  /** 2xx responses per second. */
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time per request in microseconds: the whole process, and its main thread (NaN off Linux). */
  cpu: number;
  main: number;
  /** Responses other than 2xx, by status; socket errors and timeouts. */
  failed: Record<string, number>;
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

/** Nearest-rank quantile of sorted values. */
const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

/** One autocannon run: `connections` clients, each with one request in flight; latencies of 2xx responses. */
async function load(t: Target, connections: number, seconds: number): Promise<Load> {
  const ms: number[] = [];
  const failed: Record<string, number> = {};
  const pid = t.server.child.pid!;
  const [cpu0, main0] = [cpuMs(pid, false), cpuMs(pid, true)];
  const run = autocannon({ url: t.url, method: "POST", headers: HEADERS, body: t.body, connections, duration: seconds });
  run.on("response", (_client, status, _bytes, time) => {
    if (status >= 200 && status < 300) ms.push(time);
    else failed[String(status)] = (failed[String(status)] ?? 0) + 1;
  });
  const r = await run;
  if (r.errors) failed.errors = r.errors;
  if (r.timeouts) failed.timeouts = r.timeouts;
  ms.sort((a, b) => a - b);
  const perRequest = (before: number, now: number) => ((now - before) * 1000) / Math.max(1, r.requests.total);
  const [cpu, main] = [perRequest(cpu0, cpuMs(pid, false)), perRequest(main0, cpuMs(pid, true))];
  return { rps: ms.length / r.duration, p50: quantile(ms, 0.5) ?? NaN, p99: quantile(ms, 0.99) ?? NaN, cpu, main, failed };
}

const summary = (runs: Load[]): Load => {
  const m = (k: "rps" | "p50" | "p99" | "cpu" | "main") => median(runs.map((r) => r[k]));
  const failed: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.failed)) failed[k] = (failed[k] ?? 0) + v;
  return { rps: m("rps"), p50: m("p50"), p99: m("p99"), cpu: m("cpu"), main: m("main"), failed };
};
const n = (v: number): string => (Number.isFinite(v) ? Math.round(v).toLocaleString("en") : "-");
const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "-");
const failures = (f: Record<string, number>): string => Object.entries(f).map(([k, v]) => `${v} × ${k}`).join(", ") || "0";

/** Checks one request per target: 200, and the same prediction from OpenMaaS and the peer; returns a line per model. */
async function agree(targets: Target[]): Promise<string[]> {
  const outputs = new Map<string, { prediction: unknown[]; probabilities: number[] }>();
  for (const t of targets) {
    const { status, text } = await request(t.url, "POST", t.body);
    if (status !== 200) throw new Error(`${t.key}: ${status} ${text}`);
    if (t.key === "hello") continue;
    const out = (JSON.parse(text) as { outputs: { name: string; data: unknown[] }[] }).outputs;
    const get = (name: string) => out.find((o) => o.name === name)!.data;
    outputs.set(t.key, { prediction: get("prediction"), probabilities: get("probabilities") as number[] });
  }
  const lines: string[] = [];
  for (const model of ["mlp", "cnn"]) {
    const ours = outputs.get(model);
    const peer = outputs.get(`${model}-fastapi`);
    const peerAsync = outputs.get(`${model}-fastapi-async`);
    if (peer && JSON.stringify(peer) !== JSON.stringify(peerAsync)) throw new Error(`the peer's two routes answer differently for the ${model}`);
    if (!ours) continue;
    const line = `${model}: OpenMaaS predicts ${JSON.stringify(ours.prediction)}` + (peer
      ? `, PyTorch ${JSON.stringify(peer.prediction)}; largest probability difference ${Math.max(...ours.probabilities.map((p, i) => Math.abs(p - peer.probabilities[i]))).toExponential(1)}`
      : "");
    if (peer && JSON.stringify(ours.prediction) !== JSON.stringify(peer.prediction)) throw new Error(`the peer disagrees: ${line}`);
    lines.push(line);
  }
  return lines;
}

// ---- the benchmark ----------------------------------------------------------------------------

/** What each target is, for the tables. */
const LABEL: Record<string, string> = {
  hello: "hello-world (`node:http`)",
  mlp: "OpenMaaS v2 infer",
  "mlp-batched": "OpenMaaS v2 infer, dynamic batching",
  "mlp-fastapi": "FastAPI + PyTorch, `def` route",
  "mlp-fastapi-async": "FastAPI + PyTorch, `async def` route",
  cnn: "OpenMaaS v2 infer",
  "cnn-batched": "OpenMaaS v2 infer, dynamic batching",
  "cnn-fastapi": "FastAPI + PyTorch, `def` route",
  "cnn-fastapi-async": "FastAPI + PyTorch, `async def` route",
};

async function main(): Promise<void> {
  checkBuild();
  mkdirSync(OUT, { recursive: true });
  const loadBefore = os.loadavg()[0];
  const started = performance.now();
  console.log(`training the cnn: 1 epoch on ${n(CNN_ROWS)} Fashion-MNIST images`);
  const cnn = await trainCnn();
  console.log(`  ${cnn.seconds.toFixed(0)} s, validation accuracy ${(100 * cnn.accuracy).toFixed(2)}%`);
  const cnnPath = `${OUT}/serve-cnn.onnx`;
  const mlpPath = `${OUT}/serve-mlp.onnx`;
  writeFileSync(cnnPath, cnn.onnx);

  const home = mkdtempSync(join(os.tmpdir(), "maas-bench-serve-"));
  const env = { ...process.env, MAAS_ADMIN_KEY: KEY, MAAS_LOG_LEVEL: "silent", MAAS_RATE_LIMIT: String(1e9) };
  const profile = PROFILE_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const servers: Server[] = [];
  try {
    const maas = await start("OpenMaaS", process.execPath, [...profile, MAAS, "serve", "--port", "0", "--host", "127.0.0.1", "--home", home], env);
    servers.push(maas);
    const hello = await start("hello-world", process.execPath, [HELLO]);
    servers.push(hello);

    // the MLP, trained by the server; the CNN, imported; a second name of each with batching on
    await api(maas.url, "/api/v1/datasets?name=small", "POST", csv(SERVED.rows, 1), "text/csv");
    await api(maas.url, "/api/v1/datasets?name=big", "POST", csv(BACKGROUND.rows, 2), "text/csv");
    await waitFor(maas.url, await submit(maas.url, "mlp", "small", SERVED.hidden, { epochs: 50 }), (j) => j.status === "succeeded");
    const artifact = await fetch(`${maas.url}/api/v1/models/mlp/versions/1/artifact`, { headers: { authorization: `Bearer ${KEY}` } });
    writeFileSync(mlpPath, new Uint8Array(await artifact.arrayBuffer()));
    for (const [name, path] of [["mlp-batched", mlpPath], ["cnn", cnnPath], ["cnn-batched", cnnPath]]) {
      await api(maas.url, `/api/v1/models/import?name=${name}`, "POST", readFileSync(path), "application/octet-stream");
    }
    for (const name of ["mlp-batched", "cnn-batched"]) await api(maas.url, `/api/v1/models/${name}/serving`, "PUT", JSON.stringify({ batching: BATCHING }));
    const metadata = await api<{ inputs: unknown[] }>(maas.url, "/v2/models/cnn");
    console.log(`cnn metadata inputs: ${JSON.stringify(metadata.inputs)}`);

    let fastapi: Server | undefined;
    let skipped = "";
    try {
      fastapi = await start("FastAPI", PYTHON, [FASTAPI, "--model", `mlp=${mlpPath}`, "--model", `cnn=${cnnPath}`]);
      servers.push(fastapi);
      console.log(`peer: ${fastapi.note}`);
    } catch (e) {
      skipped = e instanceof Error ? e.message.split("\n").slice(-3).join(" ") : String(e);
      console.warn(`FastAPI + PyTorch peer skipped: ${skipped}`);
    }

    const image = cnnBody(cnn.image);
    const targets: Target[] = [
      { key: "hello", server: hello, url: hello.url, body: MLP_BODY },
      { key: "mlp", server: maas, url: `${maas.url}/v2/models/mlp/infer`, body: MLP_BODY },
      { key: "mlp-batched", server: maas, url: `${maas.url}/v2/models/mlp-batched/infer`, body: MLP_BODY },
      ...(fastapi ? [{ key: "mlp-fastapi", server: fastapi, url: `${fastapi.url}/models/mlp/predict`, body: MLP_BODY }] : []),
      ...(fastapi ? [{ key: "mlp-fastapi-async", server: fastapi, url: `${fastapi.url}/models/mlp/predict-async`, body: MLP_BODY }] : []),
      { key: "cnn", server: maas, url: `${maas.url}/v2/models/cnn/infer`, body: image },
      { key: "cnn-batched", server: maas, url: `${maas.url}/v2/models/cnn-batched/infer`, body: image },
      ...(fastapi ? [{ key: "cnn-fastapi", server: fastapi, url: `${fastapi.url}/models/cnn/predict`, body: image }] : []),
      ...(fastapi ? [{ key: "cnn-fastapi-async", server: fastapi, url: `${fastapi.url}/models/cnn/predict-async`, body: image }] : []),
    ];
    const agreement = await agree(targets);
    agreement.forEach((l) => console.log(l));
    console.log(`(the test image's label: ${cnn.label})`);

    for (const t of targets) await load(t, 32, WARMUP_SECONDS);
    const runs = new Map<string, Load[]>();
    const at = (key: string, c: number) => runs.get(`${key}@${c}`) ?? [];
    for (let rep = 0; rep < REPEATS; rep++) {
      for (const c of LEVELS) {
        const line: string[] = [];
        for (const t of targets) {
          const r = await load(t, c, SECONDS);
          runs.set(`${t.key}@${c}`, [...at(t.key, c), r]);
          const bad = failures(r.failed);
          line.push(`${t.key} ${n(r.rps)}${bad === "0" ? "" : ` (FAILED: ${bad})`}`);
        }
        console.log(`repeat ${rep + 1}, concurrency ${c}: ${line.join(", ")} req/s`);
      }
    }

    // Interleaved: without a job, then with a fresh one (started, first epoch done), cancelled after.
    const mlp = targets.find((t) => t.key === "mlp")!;
    const idle: Load[] = [];
    const busy: Load[] = [];
    const epochs: number[] = [];
    for (let rep = 0; rep < REPEATS; rep++) {
      idle.push(await load(mlp, 8, SECONDS));
      const id = await submit(maas.url, `background${rep}`, "big", BACKGROUND.hidden, { epochs: 100_000, batchSize: BACKGROUND.batchSize, earlyStopping: false });
      const before = await waitFor(maas.url, id, (j) => j.status === "running" && j.progress !== null);
      busy.push(await load(mlp, 8, SECONDS));
      const after = await api<Job>(maas.url, `/api/v1/jobs/${id}`);
      if (after.status !== "running") throw new Error(`the training job ended (${after.status}) before the measurement did`);
      epochs.push(after.progress!.epoch - before.progress!.epoch);
      await api(maas.url, `/api/v1/jobs/${id}/cancel`, "POST");
      await waitFor(maas.url, id, (j) => j.status === "cancelled");
      console.log(`repeat ${rep + 1}, concurrency 8: p99 ${ms(idle.at(-1)!.p99)} ms idle, ${ms(busy.at(-1)!.p99)} ms while training (${epochs.at(-1)} epochs)`);
    }
    console.log(`non-2xx responses and socket errors, all runs: ${failures(summary([...runs.values(), idle, busy].flat()).failed)}`);
    const serverErrors = maas.stderr().trim();
    if (serverErrors) console.log(`OpenMaaS stderr:\n${serverErrors.slice(-4000)}`);

    // ---- tables
    const s = (key: string, c: number) => summary(at(key, c));
    const row = (c: number, key: string) => {
      const r = s(key, c);
      return `| ${c} | ${LABEL[key]} | ${n(r.rps)} | ${ms(r.p50)} | ${ms(r.p99)} | ${n(r.cpu)} (${n(r.main)}) | ${failures(r.failed)} |`;
    };
    const table = (keys: string[]) => [
      "| concurrency | server | req/s | p50 ms | p99 ms | server CPU µs/req (main thread) | non-2xx, errors |",
      "|---:|---|---:|---:|---:|---:|---|",
      ...LEVELS.flatMap((c) => keys.filter((k) => runs.has(`${k}@${c}`)).map((k) => row(c, k))),
    ];
    const verdict = (ok: boolean) => (ok ? "met" : "**not met**");
    const ratio = (a: string, b: string, c: number) => s(a, c).rps / s(b, c).rps;
    const goals: string[] = ["| goal | measured | |", "|---|---:|---|"];
    for (const c of LEVELS) {
      const r = ratio("mlp", "hello", c);
      goals.push(`| MLP v2 infer ≥ 0.5x the hello-world's req/s, concurrency ${c} | ${r.toFixed(2)}x (batching on: ${ratio("mlp-batched", "hello", c).toFixed(2)}x) | ${verdict(r >= 0.5)} |`);
    }
    const c32 = LEVELS.includes(32) ? 32 : LEVELS.at(-1)!;
    for (const model of ["mlp", "cnn"]) {
      if (!fastapi) {
        goals.push(`| ${model.toUpperCase()} ≥ 3x FastAPI + PyTorch req/s, concurrency ${c32} | peer skipped: ${skipped} | not measured |`);
        continue;
      }
      // against the faster of the peer's two routes
      const peer = [`${model}-fastapi`, `${model}-fastapi-async`].reduce((x, y) => (s(x, c32).rps >= s(y, c32).rps ? x : y));
      const r = ratio(model, peer, c32);
      const rb = ratio(`${model}-batched`, peer, c32);
      const route = peer.endsWith("async") ? "`async def`" : "`def`";
      goals.push(`| ${model.toUpperCase()} ≥ 3x FastAPI + PyTorch req/s (its faster route, ${route}), concurrency ${c32} | ${r.toFixed(2)}x (batching on: ${rb.toFixed(2)}x) | ${verdict(r >= 3)}${r < 3 && rb >= 3 ? " (met with batching)" : ""} |`);
    }
    for (const model of ["cnn", "mlp"]) {
      const [on, off] = [s(`${model}-batched`, c32), s(model, c32)];
      const r = on.rps / off.rps;
      const goal = model === "cnn" ? verdict(r >= 2 && on.p99 <= off.p99) : "(no goal; for reference)";
      goals.push(`| ${model.toUpperCase()} dynamic batching ≥ 2x unbatched req/s at concurrency ${c32}, p99 no higher | ${r.toFixed(2)}x, p99 ${ms(on.p99)} vs ${ms(off.p99)} ms | ${goal} |`);
    }
    const [i, b] = [summary(idle), summary(busy)];
    goals.push(`| MLP v2 infer p99 < 50 ms at concurrency 8 while a training job runs | ${ms(b.p99)} ms | ${verdict(b.p99 < 50)} |`);

    const cores = os.availableParallelism();
    const pool = [
      `MAAS_PREDICT_WORKERS=${process.env.MAAS_PREDICT_WORKERS ?? `unset (default min(4, cores) = ${Math.min(4, cores)})`}`,
      `MAAS_THREADS=${process.env.MAAS_THREADS ?? "unset (1 ONNX Runtime thread per prediction worker)"}`,
    ].join(", ");
    const minutes = (performance.now() - started) / 60_000;
    const body = [
      "Single-row inference over the Open Inference Protocol v2: `POST /v2/models/{name}/infer`, JSON, a bearer key, one row per request,",
      "both outputs (`prediction`, `probabilities`) requested. Two models:",
      `- **MLP** ${FEATURES}-${SERVED.hidden.join("-")}-${CLASSES.length} (ReLU, 3 classes), trained by the platform on ${SERVED.rows} rows; the request has one \`[1, 1]\` FP32 input per column (x0..x3).`,
      `- **CNN**: the default \`cnn\` for 28x28x1 (conv 32 + BN + ReLU, pool, conv 64 + BN + ReLU, pool, dense 128, dense 10), trained in the benchmark`,
      `  process with \`trainImages\` for 1 epoch on ${n(Math.min(CNN_ROWS, 60_000))} Fashion-MNIST images (Debian \`dataset-fashion-mnist\`; validation accuracy ${(100 * cnn.accuracy).toFixed(1)}%), imported as .onnx`,
      "  (`POST /api/v1/models/import`); the request is the first test image, `image` `[1, 1, 28, 28]` FP32 raw pixels.",
      "",
      `Each model is served under two names, one with dynamic batching (\`PUT /api/v1/models/{name}/serving\` with \`${JSON.stringify({ batching: BATCHING })}\`)`,
      `and one without. OpenMaaS: \`maas serve\` (the built server, SQLite, log level silent, rate limit raised) as a child process; ${pool}.`,
      "Peers, child processes too: a bare `node:http` server answering every request with a small JSON body (`bench/peers/hello-http.ts`, sent the MLP's",
      `body); and ${fastapi ? `Debian bookworm's FastAPI + uvicorn + PyTorch (${fastapi.note.replace(/[()]/g, "")}: torch's default, which is 1 here), **1 uvicorn worker**, access log off` : `FastAPI + PyTorch (**skipped**: ${skipped})`}:`,
      "`bench/peers/serve_fastapi.py`, the same networks rebuilt from `torch.nn` layers with the weights and preprocessing constants read from the",
      "same .onnx files (`onnx.numpy_helper`), under `torch.inference_mode()`, taking the same JSON body (pydantic-validated) and answering the same",
      "outputs; each model twice, as a plain `def` route (FastAPI runs it in its thread pool, as its docs advise for blocking work) and as an",
      "`async def` route (on the event loop, one request at a time); the goal compares with the faster of the two. Before the load, one request to",
      "each checks that OpenMaaS and PyTorch agree:",
      ...agreement.map((l) => `  ${l}.`),
      "",
      `Load: autocannon ${AUTOCANNON} in the benchmark process (on the same cores), one request in flight per connection; ${SECONDS} s per run after a`,
      `${WARMUP_SECONDS} s warm-up of each target, all targets interleaved run by run at each concurrency, median of ${REPEATS} runs. req/s counts 2xx responses;`,
      "latency of every 2xx response (nearest rank); server CPU per response from /proc, all threads of the server process and, in brackets,",
      `its main thread (Node's event loop; uvicorn's event loop, where the async def route also runs the model). Command: \`npm run bench:serve\` (whole run ${minutes.toFixed(1)} min).`,
      "",
      `Machine: ${machine()}; 1-minute load average ${loadBefore.toFixed(1)} before the run, ${os.loadavg()[0].toFixed(1)} after (other processes included).`,
      "",
      "### Goals",
      "",
      ...goals,
      "",
      "### MLP, single rows",
      "",
      ...table(["hello", "mlp", "mlp-batched", "mlp-fastapi", "mlp-fastapi-async"]),
      "",
      "### CNN, one 28x28 image per request",
      "",
      ...table(["cnn", "cnn-batched", "cnn-fastapi", "cnn-fastapi-async"]),
      "",
      "### While a training job runs",
      "",
      `MLP v2 infer at concurrency 8 (no batching), alone and while a training job runs in its child process (MLP ${FEATURES}-${BACKGROUND.hidden.join("-")}-${CLASSES.length}, Adam,`,
      `batch ${BACKGROUND.batchSize}, ${n(BACKGROUND.rows)} rows, ONNX Runtime's default threads; submitted before each run, measured from its first epoch`,
      `on, cancelled after; ${epochs.join(", ")} epochs during the runs). Interleaved, median of ${REPEATS}.`,
      "",
      "| infer load | req/s | p50 ms | p99 ms | non-2xx, errors |",
      "|---|---:|---:|---:|---|",
      `| concurrency 8, no training job | ${n(i.rps)} | ${ms(i.p50)} | ${ms(i.p99)} | ${failures(i.failed)} |`,
      `| concurrency 8, training job running | ${n(b.rps)} | ${ms(b.p50)} | ${ms(b.p99)} | ${failures(b.failed)} |`,
    ].join("\n");
    console.log(`\n${body}`);
    const defaults = process.env.MAAS_PREDICT_WORKERS === undefined && process.env.MAAS_THREADS === undefined && !PROFILE_DIR;
    if (defaults) replaceSection("docs/benchmarks.md", "serve", "Serving: single-row inference over HTTP (Open Inference Protocol v2)", body);
    console.log(defaults ? "\nwritten to docs/benchmarks.md" : "\nnot written to docs/benchmarks.md (pool settings not the defaults, or profiling)");
  } finally {
    for (const s of servers.reverse()) await stop(s);
    rmSync(home, { recursive: true, force: true });
  }
}

await main();
