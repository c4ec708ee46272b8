// npm run bench:recommend — the recommenders against their quality targets and PyTorch, in one run:
// (1) biased MF on planted ratings with a known answer (2,000 x 1,000, 5% observed, rank 10, noise
// sigma 0.5): test RMSE against sigma, with three oracles computed here (the noiseless truth, biases
// only, and a ridge estimator given the true item side); (2) the same model in PyTorch on the same
// pairs (dense and sparse embeddings), test RMSE and training seconds at 1 and 2 threads,
// interleaved; (3) ranking: bpr and popularity on implicit data planted from the same model,
// precision/recall/NDCG/MAP@10; (4) serving: top-10 latency over 100,000 items. Prints the tables
// and writes docs/benchmarks.md (section "recommend").
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import type { Interactions } from "../src/data/interactions.js";
import { readInteractions } from "../src/data/interactions.js";
import { perUserHoldout, randomHoldout } from "../src/data/interaction-splits.js";
import { tableFromRows } from "../src/data/table.js";
import { encodeModel } from "../src/engine/onnx-codec.js";
import { Random } from "../src/engine/random.js";
import { defaultRuntime } from "../src/runtime/onnxruntime.js";
import type { ModelCard } from "../src/models/card.js";
import { cardMetadata } from "../src/models/card.js";
import type { FactorWeights } from "../src/models/factorization.js";
import { pairGraph, topNGraph } from "../src/models/factorization.js";
import { plantedRatings } from "../src/models/factor-fixtures.js";
import type { FactorFit } from "../src/models/factor-trainer.js";
import { fitFactors } from "../src/models/factor-trainer.js";
import { rankingMetrics } from "../src/models/ranking-metrics.js";
import { interactionsMetadata, parseRecommender, rateWith, recommendWith } from "../src/models/recommender-file.js";
import { trainRecommender } from "../src/models/recommender.js";
import { ModelSpecSchema, TabularSpecSchema, resolveTraining } from "../src/models/spec.js";
import { int, machine, median, replaceSection } from "./report.js";

const SEED = 1;
const [USERS, ITEMS, DENSITY, RANK, SIGMA] = [2000, 1000, 0.05, 10, 0.5];
const FACTORS = 10;
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 50);
const REGS = (process.env.BENCH_REGS ?? "0.02,0.03,0.05,0.1").split(",").map(Number);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
/** Threads of the quality runs (the sweep, the headline fit, bpr). */
const QUALITY_THREADS = 2;
const SERVE_ITEMS = Number(process.env.BENCH_SERVE_ITEMS ?? 100_000);
const SERVE_CALLS = Number(process.env.BENCH_SERVE_CALLS ?? 1000);
const SKIP = new Set((process.env.BENCH_SKIP ?? "").split(",").filter(Boolean));
const OUT = "bench/.out";
const PEER = "bench/peers/mf.py";
const PYTHON = "/usr/bin/python3";
const SECTION = "Recommendation: matrix factorisation and ranking, OpenMaaS vs PyTorch";

const runtime = defaultRuntime();
const f3 = (x: number): string => x.toFixed(3);
const f4 = (x: number): string => x.toFixed(4);
const s1 = (x: number): string => x.toFixed(1);

// ---------------------------------------------------------------- planted model, oracles

/** The planted factors and biases, drawn again exactly as plantedRatings draws them (checked against its truth). */
function plantedTruth(truth: Float32Array) {
  const rng = new Random(SEED);
  const scale = RANK ** -0.25;
  const P = Float64Array.from({ length: USERS * RANK }, () => rng.normal() * scale);
  const Q = Float64Array.from({ length: ITEMS * RANK }, () => rng.normal() * scale);
  const bu = Float64Array.from({ length: USERS }, () => 0.5 * rng.normal());
  const bi = Float64Array.from({ length: ITEMS }, () => 0.5 * rng.normal());
  const mu = 3.5;
  for (let a = 0; a < USERS; a += 97) {
    for (let b = 0; b < ITEMS; b += 13) {
      let s = mu + bu[a] + bi[b];
      for (let k = 0; k < RANK; k++) s += P[a * RANK + k] * Q[b * RANK + k];
      if (Math.abs(s - truth[a * ITEMS + b]) > 1e-4) throw new Error(`the planted model drawn again differs from plantedRatings' at (${a}, ${b})`);
    }
  }
  return { P, Q, bu, bi, mu, scale };
}

/** Dense index of planted user "u12" / item "i7" (plantedRatings' ids). */
const plantedIndex = (id: string): number => Number(id.slice(1));

const rmse = (se: number, n: number): number => Math.sqrt(se / n);

/** (a) The noiseless truth as the prediction: ≈ sigma, the floor. */
function truthRmse(x: Interactions, truth: Float32Array, rows: Int32Array): number {
  let se = 0;
  for (const r of rows) se += (truth[plantedIndex(x.users[x.user[r]]) * ITEMS + plantedIndex(x.items[x.item[r]])] - x.rating![r]) ** 2;
  return rmse(se, rows.length);
}

/** (b) μ + b_u + b_i by alternating ridge least squares on the training ratings (λ = 5, 20 rounds). */
function biasesOnly(x: Interactions, train: Int32Array, test: Int32Array): number {
  const LAMBDA = 5;
  const [U, I] = [x.users.length, x.items.length];
  let mu = 0;
  for (const r of train) mu += x.rating![r];
  mu /= train.length;
  const bu = new Float64Array(U);
  const bi = new Float64Array(I);
  for (let round = 0; round < 20; round++) {
    const sums = new Float64Array(I);
    const counts = new Float64Array(I);
    for (const r of train) {
      sums[x.item[r]] += x.rating![r] - mu - bu[x.user[r]];
      counts[x.item[r]]++;
    }
    for (let i = 0; i < I; i++) bi[i] = sums[i] / (counts[i] + LAMBDA);
    const usum = new Float64Array(U);
    const ucount = new Float64Array(U);
    for (const r of train) {
      usum[x.user[r]] += x.rating![r] - mu - bi[x.item[r]];
      ucount[x.user[r]]++;
    }
    for (let u = 0; u < U; u++) bu[u] = usum[u] / (ucount[u] + LAMBDA);
  }
  let se = 0;
  for (const r of test) se += (mu + bu[x.user[r]] + bi[x.item[r]] - x.rating![r]) ** 2;
  return rmse(se, test.length);
}

/** Solves A w = b for a symmetric positive definite A (n x n, row-major), by Cholesky. */
function solveSpd(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= L[i * n + k] * L[j * n + k];
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j];
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * y[k];
    y[i] = s / L[i * n + i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * w[k];
    w[i] = s / L[i * n + i];
  }
  return w;
}

/**
 * (c) The estimation bound: each user's (p_u, b_u) by exact ridge regression on their training
 * ratings given the TRUE μ, item factors and item biases, with the prior's penalties (the posterior
 * mean: λ = σ² / prior variance, 1/√rank for a factor, 0.25 for the bias). What the best model can
 * do with ~40 ratings a user when the item side is known exactly.
 */
function ridgeBound(x: Interactions, planted: ReturnType<typeof plantedTruth>, train: Int32Array, test: Int32Array): { rmse: number; ratingsPerUser: number } {
  const n = RANK + 1;
  const U = x.users.length;
  const A = Array.from({ length: U }, () => new Float64Array(n * n));
  const b = Array.from({ length: U }, () => new Float64Array(n));
  const z = new Float64Array(n);
  const features = (r: number) => {
    const i = plantedIndex(x.items[x.item[r]]);
    for (let k = 0; k < RANK; k++) z[k] = planted.Q[i * RANK + k];
    z[RANK] = 1;
    return x.rating![r] - planted.mu - planted.bi[i];
  };
  for (const r of train) {
    const y = features(r);
    const [Au, bu] = [A[x.user[r]], b[x.user[r]]];
    for (let p = 0; p < n; p++) {
      bu[p] += z[p] * y;
      for (let q = 0; q < n; q++) Au[p * n + q] += z[p] * z[q];
    }
  }
  const sigma2 = SIGMA * SIGMA;
  const w = A.map((Au, u) => {
    for (let k = 0; k < RANK; k++) Au[k * n + k] += sigma2 / planted.scale ** 2;
    Au[RANK * n + RANK] += sigma2 / 0.25;
    return solveSpd(Au, b[u], n);
  });
  let se = 0;
  for (const r of test) {
    const y = features(r);
    const wu = w[x.user[r]];
    let s = 0;
    for (let p = 0; p < n; p++) s += wu[p] * z[p];
    se += (s - y) ** 2;
  }
  return { rmse: rmse(se, test.length), ratingsPerUser: train.length / U };
}

/** r̂ in JavaScript over the weights (the training loop's own check). */
function weightsRmse(w: FactorWeights, x: Interactions, rows: Int32Array): number {
  let se = 0;
  for (const r of rows) {
    const [u, i] = [x.user[r], x.item[r]];
    let s = w.mean + w.userBias[u] + w.itemBias[i];
    for (let k = 0; k < w.factors; k++) s += w.userFactors[u * w.factors + k] * w.itemFactors[i * w.factors + k];
    se += (s - x.rating![r]) ** 2;
  }
  return rmse(se, rows.length);
}

// ---------------------------------------------------------------- (1) and (2): mf, OpenMaaS and PyTorch

interface MfRun {
  rmse: number;
  epochSeconds: number;
  runSeconds: number;
  /** The peer's process, interpreter start and `import torch` included. */
  processSeconds?: number;
}

const mfTraining = (threads: number) => resolveTraining("mf", { epochs: EPOCHS, earlyStopping: false, threads, seed: SEED });

async function openmaasMf(x: Interactions, train: Int32Array, test: Int32Array, reg: number, threads: number): Promise<MfRun & { fit: FactorFit }> {
  const started = performance.now();
  const fit = await fitFactors(runtime, { kind: "mf", factors: FACTORS, reg }, mfTraining(threads), x, train);
  const r = weightsRmse(fit.weights, x, test);
  const epochSeconds = fit.history.reduce((s, h) => s + train.length / h.samplesPerSecond, 0);
  return { rmse: r, epochSeconds, runSeconds: (performance.now() - started) / 1000, fit };
}

/** Writes the pairs where the peer reads them (dense indices, int32 / float32). */
function writePairs(x: Interactions, split: { train: Int32Array; test: Int32Array }): string {
  mkdirSync(OUT, { recursive: true });
  const path = `${OUT}/mf`;
  for (const [side, rows] of Object.entries(split)) {
    writeFileSync(`${path}.${side}.u.i32`, Int32Array.from(rows, (r) => x.user[r]));
    writeFileSync(`${path}.${side}.i.i32`, Int32Array.from(rows, (r) => x.item[r]));
    writeFileSync(`${path}.${side}.r.f32`, Float32Array.from(rows, (r) => x.rating![r]));
  }
  return path;
}

function pytorchMf(path: string, x: Interactions, reg: number, threads: number, sparse: boolean): MfRun & { torch: string; processSeconds: number } {
  const t = resolveTraining("mf");
  const started = performance.now();
  const out = execFileSync(PYTHON, [
    PEER,
    ...["--data", path, "--users", String(x.users.length), "--items", String(x.items.length), "--factors", String(FACTORS)],
    ...["--reg", String(reg), "--lr", String(t.lr), "--batch", String(t.batchSize), "--epochs", String(EPOCHS), "--threads", String(threads)],
    ...(sparse ? ["--sparse"] : []),
  ]).toString();
  const r = JSON.parse(out.trim().split("\n").pop()!) as { rmse: number; epochSeconds: number; runSeconds: number; torch: string };
  return { ...r, processSeconds: (performance.now() - started) / 1000 };
}

/** A deterministic 10% of the training rows as a validation split for choosing reg. */
function validationSplit(train: Int32Array): { fit: Int32Array; validation: Int32Array } {
  const order = new Random(SEED + 1).permutation(train.length);
  const held = Math.round(0.1 * train.length);
  return { validation: Int32Array.from(order.subarray(0, held), (k) => train[k]).sort(), fit: Int32Array.from(order.subarray(held), (k) => train[k]).sort() };
}

async function explicit(): Promise<string[]> {
  const planted = plantedRatings(USERS, ITEMS, DENSITY, RANK, SIGMA, SEED);
  const { x } = planted;
  const split = randomHoldout(x, 0.2, new Random(SEED));
  const truthModel = plantedTruth(planted.truth);
  console.log(`planted: ${x.user.length} ratings, ${split.train.length} train, ${split.test.length} test`);

  // Choosing reg on a validation split of the training part.
  const inner = validationSplit(split.train);
  const sweep: { reg: number; rmse: number }[] = [];
  for (const reg of REGS) {
    const fit = await fitFactors(runtime, { kind: "mf", factors: FACTORS, reg }, mfTraining(QUALITY_THREADS), x, inner.fit);
    sweep.push({ reg, rmse: weightsRmse(fit.weights, x, inner.validation) });
    console.log(`  reg ${reg}: validation RMSE ${f4(sweep[sweep.length - 1].rmse)}`);
  }
  const best = sweep.reduce((a, b) => (b.rmse < a.rmse ? b : a)).reg;

  // The headline fit, scored through the model's pair graph as a server would.
  const head = await openmaasMf(x, split.train, split.test, best, QUALITY_THREADS);
  const session = await runtime.createSession(encodeModel(pairGraph(head.fit.weights)));
  const predicted = await rateWith(session, Array.from(split.test, (r) => x.users[x.user[r]]), Array.from(split.test, (r) => x.items[x.item[r]]));
  await session.release();
  let se = 0;
  split.test.forEach((r, n) => (se += (predicted[n] - x.rating![r]) ** 2));
  const testRmse = rmse(se, split.test.length);
  const oracleTruth = truthRmse(x, planted.truth, split.test);
  const oracleBiases = biasesOnly(x, split.train, split.test);
  const bound = ridgeBound(x, truthModel, split.train, split.test);
  console.log(`OpenMaaS test RMSE ${f4(testRmse)} (${f3(testRmse / SIGMA)} sigma); truth ${f4(oracleTruth)}, biases only ${f4(oracleBiases)}, ridge bound ${f4(bound.rmse)}`);

  // Against PyTorch: the same pairs, reg and loop; interleaved runs.
  const path = writePairs(x, split);
  const speedRows: string[] = [];
  const rmses: Record<string, number[]> = { openmaas: [], dense: [], sparse: [] };
  let torch = "";
  for (const threads of [1, 2]) {
    const runs: Record<string, MfRun[]> = { openmaas: [], dense: [], sparse: [] };
    for (let r = 0; r < REPEATS; r++) {
      runs.openmaas.push(await openmaasMf(x, split.train, split.test, best, threads));
      for (const sparse of [false, true]) {
        const t = pytorchMf(path, x, best, threads, sparse);
        torch = t.torch;
        runs[sparse ? "sparse" : "dense"].push(t);
      }
      const last = (k: string) => runs[k][r];
      console.log(`  threads ${threads}, run ${r + 1}: epochs ${["openmaas", "dense", "sparse"].map((k) => `${k} ${s1(last(k).epochSeconds)} s`).join(", ")}`);
    }
    const ours = median(runs.openmaas.map((m) => m.epochSeconds));
    for (const [key, label] of [["openmaas", "OpenMaaS (fitFactors)"], ["dense", "PyTorch, dense nn.Embedding"], ["sparse", "PyTorch, sparse=True"]] as const) {
      const e = runs[key].map((m) => m.epochSeconds);
      const w = runs[key].map((m) => m.runSeconds);
      const rm = runs[key].map((m) => m.rmse);
      const process = runs[key].map((m) => m.processSeconds ?? NaN);
      const whole = key === "openmaas" ? s1(median(w)) : `${s1(median(w))} (${s1(median(process))} with start-up)`;
      rmses[key].push(...rm);
      const speed = key === "openmaas" ? "1.00x" : `${(median(e) / ours).toFixed(2)}x`;
      const row = `| ${threads} | ${label} | ${f4(median(rm))} | ${s1(median(e))} (${e.map(s1).join(", ")}) | ${whole} | ${int((split.train.length * EPOCHS) / median(e))} | ${speed} |`;
      speedRows.push(row);
      console.log(row);
    }
  }
  const bestTorch = Math.min(median(rmses.dense), median(rmses.sparse));
  return [
    "### Explicit ratings: planted data with a known answer",
    "",
    `\`plantedRatings(${USERS}, ${ITEMS}, ${DENSITY}, ${RANK}, ${SIGMA}, ${SEED})\`: ratings μ + b_u + b_i + p_u·q_i + N(0, ${SIGMA}²) with rank-${RANK} factors, ${int(x.user.length)} of`,
    `the ${int(USERS * ITEMS)} pairs observed, split by \`randomHoldout(x, 0.2, new Random(${SEED}))\` into ${int(split.train.length)} training and ${int(split.test.length)} test ratings.`,
    `OpenMaaS: \`fitFactors\` with factors ${FACTORS} and \`resolveTraining("mf", { epochs: ${EPOCHS}, earlyStopping: false })\` (SGD, lr 0.02, batch 256,`,
    `loss summed over the batch, factors N(0, 0.1²), biases 0, μ fixed to the training mean), ${QUALITY_THREADS} threads. reg chosen on a 10% validation`,
    `split of the training part (${int(inner.validation.length)} ratings), ${EPOCHS} epochs each:`,
    "",
    "| reg | validation RMSE |",
    "|---:|---:|",
    ...sweep.map((s) => `| ${s.reg}${s.reg === best ? " (chosen)" : ""} | ${f4(s.rmse)} |`),
    "",
    `Test RMSE with reg ${best} refit on the whole training part, scored through the model's pair graph (\`pairGraph\`, \`rateWith\`),`,
    "against oracles computed in the same run on the same test ratings:",
    "",
    "| predictor | test RMSE | / sigma |",
    "|---|---:|---:|",
    `| OpenMaaS mf (factors ${FACTORS}, reg ${best}, ${EPOCHS} epochs) | ${f4(testRmse)} | ${f3(testRmse / SIGMA)} |`,
    `| (a) the noiseless truth μ + b_u + b_i + p_u·q_i (the floor, ≈ sigma) | ${f4(oracleTruth)} | ${f3(oracleTruth / SIGMA)} |`,
    `| (b) biases only: μ + b_u + b_i by alternating ridge least squares (λ 5) | ${f4(oracleBiases)} | ${f3(oracleBiases / SIGMA)} |`,
    `| (c) bound: each user's p_u, b_u by exact ridge (Bayes posterior mean) given the true item factors, item biases and μ, ${s1(bound.ratingsPerUser)} training ratings a user | ${f4(bound.rmse)} | ${f3(bound.rmse / SIGMA)} |`,
    "",
    `Target: test RMSE within 5% of sigma (<= ${f3(1.05 * SIGMA)}): **${testRmse <= 1.05 * SIGMA ? "met" : "not met"}** (${f4(testRmse)}). The bound (c) shows what any estimator can reach with`,
    `this many ratings a user even knowing the item side exactly: ${f3(bound.rmse / SIGMA)} sigma; the gap of OpenMaaS above (c) is`,
    `${f4(testRmse - bound.rmse)}.`,
    "",
    "### Explicit ratings: against PyTorch",
    "",
    `The same model in PyTorch ${torch} (Debian python3-torch), \`${PEER}\`: \`nn.Embedding\` tables for p, q, b_u, b_i, the same loss summed`,
    `over the batch, the same per-example L2 (reg ${best}), init, plain \`optim.SGD\` (lr 0.02), batch 256, ${EPOCHS} epochs, μ fixed; the same training`,
    "and test pairs (written by the TypeScript side); dense embedding gradients, and `sparse=True` (SGD updates only the rows a batch",
    `touches, as OpenMaaS does). Median of ${REPEATS} runs per setting, OpenMaaS and both PyTorch variants interleaved (the runs' epoch seconds in`,
    "brackets). Epoch seconds: the training epochs only (shuffle, batch gathering, forward, backward, update). Whole run: OpenMaaS from",
    "the pairs in memory to test RMSE (step compilation, session creation, epochs, scoring); PyTorch from reading the pair files to test",
    "RMSE (interpreter start and `import torch` excluded; in brackets the whole process). Threads: OpenMaaS `training.threads`, PyTorch `torch.set_num_threads`.",
    "",
    "| threads | run | test RMSE | epoch seconds | whole run s | samples/s | PyTorch / OpenMaaS time |",
    "|---:|---|---:|---:|---:|---:|---:|",
    ...speedRows,
    "",
    `Target: OpenMaaS's RMSE matches or beats the reference's (OpenMaaS median ${f4(median(rmses.openmaas))}, best PyTorch ${f4(bestTorch)}: ${median(rmses.openmaas) <= bestTorch + 0.002 ? "**met**" : "**not met**"},`,
    "within 0.002 counting as a match) and trains at least as fast (last column >= 1.00x).",
    "",
  ];
}

// ---------------------------------------------------------------- (3) ranking

async function ranking(): Promise<string[]> {
  const planted = plantedRatings(USERS, ITEMS, DENSITY, RANK, SIGMA, SEED);
  const { truth } = planted;
  const TOP = Math.round(0.1 * ITEMS);
  const KEEP = 0.5;
  const rng = new Random(SEED + 2);
  const rows: string[][] = [];
  for (let u = 0; u < USERS; u++) {
    const order = Array.from({ length: ITEMS }, (_v, i) => i).sort((a, b) => truth[u * ITEMS + b] - truth[u * ITEMS + a]);
    for (const i of order.slice(0, TOP)) if (rng.uniform() < KEEP) rows.push([`u${u}`, `i${i}`]);
  }
  const table = tableFromRows("implicit.csv", ["user", "item"], rows);
  const training = { threads: QUALITY_THREADS, seed: SEED, earlyStopping: false };
  const results: { label: string; metrics: Record<string, number>; seconds: number }[] = [];
  for (const model of [{ kind: "bpr", factors: FACTORS }, { kind: "popularity" }]) {
    const { card } = await trainRecommender(table, TabularSpecSchema.parse({ model, training }), { runtime });
    results.push({ label: model.kind === "bpr" ? `bpr (factors ${FACTORS}, Adam lr 0.01, 30 epochs)` : "popularity", metrics: card.metrics, seconds: card.training.seconds });
    console.log(model.kind, card.metrics);
  }
  // The ceiling: each user's unseen items ranked by the planted truth, on the same split.
  const x = readInteractions(table, { user: "user", item: "item" });
  const split = perUserHoldout(x, 0.1, new Random(SEED).fork());
  const seen = new Map<number, Set<number>>();
  const held = new Map<number, Set<number>>();
  for (const [side, map] of [[split.train, seen], [split.test, held]] as const) {
    for (const r of side) map.set(x.user[r], (map.get(x.user[r]) ?? new Set<number>()).add(x.item[r]));
  }
  const users = [...held.keys()];
  const lists = users.map((u) => {
    const pu = plantedIndex(x.users[u]);
    const candidates = x.items.map((_id, i) => i).filter((i) => !seen.get(u)?.has(i));
    return candidates.sort((a, b) => truth[pu * ITEMS + plantedIndex(x.items[b])] - truth[pu * ITEMS + plantedIndex(x.items[a])]).slice(0, 10);
  });
  const m = rankingMetrics(lists, users.map((u) => held.get(u)!), 10);
  results.push({ label: "oracle: the planted truth's ranking", metrics: { "precision@10": m.precision, "recall@10": m.recall, "ndcg@10": m.ndcg, "map@10": m.map }, seconds: NaN });
  const ratio = results[0].metrics["ndcg@10"] / results[1].metrics["ndcg@10"];
  return [
    "### Implicit feedback: ranking",
    "",
    `From the same planted model: each user's top ${TOP} items (10%) by true score, each observed with probability ${KEEP} (\`Random(${SEED + 2})\`):`,
    `${int(rows.length)} interactions. \`trainRecommender\` on the table (\`tableFromRows\`), \`training: { threads: ${QUALITY_THREADS}, seed: ${SEED}, earlyStopping: false }\` and the`,
    "kind's other defaults; metrics are the card's: a per-user holdout of 10% of each user's items, ranked through the model file's top-N graph",
    "with the user's training items excluded, at 10. The oracle ranks each user's unseen items by the noiseless planted score on the same split.",
    "Note the planted item biases make popular items really preferred, so popularity is not a straw man here.",
    "",
    "| model | precision@10 | recall@10 | NDCG@10 | MAP@10 | seconds |",
    "|---|---:|---:|---:|---:|---:|",
    ...results.map((r) => `| ${r.label} | ${f4(r.metrics["precision@10"])} | ${f4(r.metrics["recall@10"])} | ${f4(r.metrics["ndcg@10"])} | ${f4(r.metrics["map@10"])} | ${Number.isNaN(r.seconds) ? "" : s1(r.seconds)} |`),
    "",
    `bpr's NDCG@10 is ${ratio.toFixed(2)}x popularity's and ${f3(results[0].metrics["ndcg@10"] / m.ndcg)} of the oracle's.`,
    "",
  ];
}

// ---------------------------------------------------------------- (4) serving latency

async function serving(): Promise<string[]> {
  const [U, I, F, SEEN] = [1000, SERVE_ITEMS, 32, 50];
  const rng = new Random(SEED + 3);
  const users = Array.from({ length: U }, (_v, u) => `user-${u}`);
  const items = Array.from({ length: I }, (_v, i) => `item-${i}`);
  const w: FactorWeights = {
    users,
    items,
    factors: F,
    userFactors: Float32Array.from({ length: (U + 1) * F }, (_v, k) => (k < U * F ? 0.1 * rng.normal() : 0)),
    userBias: new Float32Array(U + 1),
    itemFactors: Float32Array.from({ length: (I + 1) * F }, (_v, k) => (k < I * F ? 0.1 * rng.normal() : 0)),
    itemBias: Float32Array.from({ length: I + 1 }, (_v, k) => (k < I ? 0.1 * rng.normal() : 0)),
    mean: 0,
  };
  const offsets = Int32Array.from({ length: U + 1 }, (_v, u) => u * SEEN);
  const seenItems = Int32Array.from({ length: U * SEEN }, () => rng.int(I));
  const card: ModelCard = {
    task: "recommendation",
    target: "item",
    features: [],
    recommender: { kind: "bpr", feedback: "implicit", users: U, items: I, factors: F, columns: { user: "user", item: "item" } },
    spec: { model: ModelSpecSchema.parse({ kind: "bpr", factors: F }), training: resolveTraining("bpr") },
    metrics: {},
    dataset: { source: "synthetic", rows: U * SEEN, columns: 2, sha256: "", trainRows: U * SEEN, validationRows: 0 },
    training: { epochs: 0, bestEpoch: 0, seconds: 0 },
    version: "bench",
  };
  const bytes = encodeModel(topNGraph(w), { metadata: { ...cardMetadata(card), "openmaas.interactions": interactionsMetadata(users, items, offsets, seenItems), "openmaas.mean": "0" } });
  const meta = parseRecommender(bytes, "synthetic")!;
  const exclude = users.map((_u, n) => Array.from(seenItems.subarray(offsets[n], offsets[n + 1]), (i) => items[i]));
  // The graph's list for one user against brute force over the same weights.
  const skip = new Set(seenItems.subarray(offsets[7], offsets[8]));
  const brute = Array.from({ length: I }, (_v, i) => i)
    .filter((i) => !skip.has(i))
    .map((i) => {
      let s = w.itemBias[i];
      for (let k = 0; k < F; k++) s += w.userFactors[7 * F + k] * w.itemFactors[i * F + k];
      return { i, s };
    })
    .sort((a, b) => b.s - a.s);
  const rows: string[] = [];
  for (const threads of [0, 1, 2]) {
    const session = await runtime.createSession(bytes, { threads });
    const [check] = await recommendWith(session, meta, [users[7]], 10, [exclude[7]]);
    if (check.map((r) => r.item).join() !== brute.slice(0, 10).map((b) => items[b.i]).join()) throw new Error("the top-10 list differs from brute force");
    for (let c = 0; c < 50; c++) await recommendWith(session, meta, [users[c % U]], 10, [exclude[c % U]]);
    const ms: number[] = [];
    for (let c = 0; c < SERVE_CALLS; c++) {
      const t = performance.now();
      const [list] = await recommendWith(session, meta, [users[c % U]], 10, [exclude[c % U]]);
      ms.push(performance.now() - t);
      if (list.length !== 10) throw new Error(`expected 10 items, got ${list.length}`);
    }
    await session.release();
    ms.sort((a, b) => a - b);
    const p99 = ms[Math.min(ms.length - 1, Math.ceil(0.99 * ms.length) - 1)];
    const row = `| ${threads === 0 ? "default (0: ONNX Runtime chooses)" : threads} | ${median(ms).toFixed(2)} | ${p99.toFixed(2)} | ${ms[ms.length - 1].toFixed(2)} |`;
    rows.push(row);
    console.log(row);
  }
  return [
    "### Serving: top-10 latency",
    "",
    `A model file with ${int(I)} items and ${int(U)} users, factors ${F} (random weights, \`FactorWeights\` built directly, \`topNGraph\` encoded`,
    `with a card and each user's ${SEEN} seen items), read back with \`parseRecommender\`; \`recommendWith(session, meta, [user], 10, [seen])\``,
    `for one user a call, excluding the user's ${SEEN} items, ${int(SERVE_CALLS)} calls (users in turn) after 50 warm-up calls, in process (session from`,
    "`defaultRuntime()`); the list checked against brute force over the same weights first. Milliseconds a call, including building the",
    "string tensors and reading the answer. Goal: < 10 ms.",
    "",
    "| session threads | median ms | p99 ms | max ms |",
    "|---|---:|---:|---:|",
    ...rows,
    "",
  ];
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = performance.now();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(", ");
  const parts: string[] = [];
  if (!SKIP.has("explicit")) parts.push(...(await explicit()));
  if (!SKIP.has("ranking")) parts.push(...(await ranking()));
  if (!SKIP.has("serving")) parts.push(...(await serving()));
  const minutes = (performance.now() - started) / 60_000;
  const body = [
    "Command: `npm run bench:recommend` (`BENCH_SKIP=explicit,ranking,serving` skips parts).",
    "",
    `Machine: ${machine()}. Load average (1, 5, 15 min) at start: ${load}; the machine is shared, so other`,
    `processes ran alongside. Whole run: ${minutes.toFixed(1)} min.`,
    "",
    ...parts,
  ];
  if (SKIP.size === 0) replaceSection("docs/benchmarks.md", "recommend", SECTION, body.join("\n").trimEnd());
  console.log(`${SKIP.size === 0 ? "written to docs/benchmarks.md" : "partial run: docs/benchmarks.md left as it was"} (${minutes.toFixed(1)} min)`);
}

await main();
