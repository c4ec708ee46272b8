// Training a recommender on an interaction table, as `maas train` and training jobs do: read the
// (user, item[, rating]) pairs, hold some out, fit, and write the model file with its card. The held
// out pairs are scored through the file's own graphs, as a server would answer them:
//   mf: RMSE and MAE of the predicted ratings of a random 10% (validationSplit) of the pairs;
//   bpr, popularity: precision, recall, NDCG and MAP at 10 of each user's held-out items (a
//   per-user holdout), the user's training items excluded from the lists (recommender-evaluation.ts).
import type { Interactions } from "../data/interactions.js";
import { readInteractions } from "../data/interactions.js";
import type { InteractionSplit } from "../data/interaction-splits.js";
import { kFolds, leaveLastOut, perUserHoldout, randomHoldout } from "../data/interaction-splits.js";
import type { RawTable } from "../data/table.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { Random } from "../engine/random.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import { VERSION } from "../version.js";
import type { ModelCard } from "./card.js";
import { cardMetadata } from "./card.js";
import type { FactorWeights } from "./factorization.js";
import { topNGraph } from "./factorization.js";
import type { FactorFit } from "./factor-trainer.js";
import { fitFactors } from "./factor-trainer.js";
import { fitAls } from "./als.js";
import { rankingMetrics } from "./ranking-metrics.js";
import type { RecommenderMeta } from "./recommender-file.js";
import { derivedModel, interactionsMetadata, parseRecommender } from "./recommender-file.js";
import { RANK_K, rankingWith, ratingsWith } from "./recommender-evaluation.js";
import type { RecommenderKind, TabularSpec } from "./spec.js";
import { tableFingerprint } from "./tabular.js";
import type { FitOptions } from "./trainer.js";

/** Validation users the training loop ranks for early stopping (a sample keeps epochs cheap). */
const MONITORED_USERS = 500;

export interface RecommenderResult {
  onnx: Uint8Array;
  card: ModelCard;
}

/** The interactions of a recommender's table, read with its spec's columns and policies. */
function interactionsOf(table: RawTable, spec: TabularSpec) {
  const kind = spec.model.kind as RecommenderKind;
  const roles = spec.interactions ?? { user: "user", item: "item", duplicates: "last" as const };
  const explicit = kind === "mf" || kind === "svdpp";
  // mf and svd++ predict ratings; als reads a value column, when named, as the strength of an interaction.
  const valued = explicit || (kind === "als" && spec.target !== undefined);
  const x = readInteractions(
    table,
    { user: roles.user, item: roles.item, ...(valued ? { rating: spec.target } : {}), ...(roles.timestamp ? { timestamp: roles.timestamp } : {}) },
    { ...(roles.scale ? { scale: roles.scale } : {}), duplicates: roles.duplicates },
  );
  return { x, kind, roles, explicit, valued };
}

/**
 * The held-out pairs: `random` (the default for ratings), `user` (a fraction of each user's, the
 * default for implicit feedback), or `last` (each user's latest, by the timestamp column, else the
 * file's order).
 */
function holdoutOf(x: Interactions, spec: TabularSpec, explicit: boolean, rng: Random): InteractionSplit {
  const fraction = spec.training.validationSplit || 0.1;
  const holdout = spec.interactions?.holdout ?? (explicit ? "random" : "user");
  if (holdout === "last") return leaveLastOut(x);
  return holdout === "random" ? randomHoldout(x, fraction, rng) : perUserHoldout(x, fraction, rng);
}

/** Trains the recommender `spec` describes on an interaction table. */
export async function trainRecommender(table: RawTable, spec: TabularSpec, options: FitOptions & { runtime?: Runtime } = {}): Promise<RecommenderResult> {
  const started = performance.now();
  const { x, kind, roles, explicit, valued } = interactionsOf(table, spec);
  const rng = new Random(spec.training.seed);
  const split = holdoutOf(x, spec, explicit, rng.fork());
  const { fit, metrics, encode } = await trainOn(x, split, spec, rng, table.source, options);
  const recommender: NonNullable<ModelCard["recommender"]> = {
    kind,
    feedback: explicit ? "explicit" : "implicit",
    users: x.users.length,
    items: x.items.length,
    factors: fit.weights.factors,
    columns: { user: roles.user, item: roles.item, ...(valued ? { rating: spec.target } : {}), ...(roles.timestamp ? { timestamp: roles.timestamp } : {}) },
    ...(roles.scale ? { scale: roles.scale } : {}),
  };
  const card: ModelCard = {
    task: "recommendation",
    target: valued ? spec.target! : roles.item,
    features: [],
    recommender,
    spec: { model: spec.model, training: spec.training },
    metrics,
    dataset: { source: table.source, rows: table.rows, columns: table.columns.length, sha256: tableFingerprint(table), trainRows: split.train.length, validationRows: split.test.length },
    training: { epochs: fit.history.length, bestEpoch: fit.bestEpoch, seconds: (performance.now() - started) / 1000 },
    version: VERSION,
  };
  return { onnx: encode(card), card };
}

/** Metrics of each of `k` folds (each fold held out once, the model trained on the rest), with their mean and standard deviation. */
export async function crossValidate(table: RawTable, spec: TabularSpec, k: number, options: FitOptions & { runtime?: Runtime } = {}): Promise<{ folds: Record<string, number>[]; mean: Record<string, number>; std: Record<string, number> }> {
  const { x } = interactionsOf(table, spec);
  const rng = new Random(spec.training.seed);
  const folds = kFolds(x.user.length, k, rng.fork());
  const results: Record<string, number>[] = [];
  for (const test of folds) {
    const held = new Uint8Array(x.user.length);
    for (const r of test) held[r] = 1;
    const train = new Int32Array(x.user.length - test.length);
    for (let r = 0, n = 0; r < held.length; r++) if (!held[r]) train[n++] = r;
    results.push((await trainOn(x, { train, test }, spec, rng, table.source, { ...options, onEpoch: undefined })).metrics);
  }
  const keys = Object.keys(results[0]);
  const mean = Object.fromEntries(keys.map((key) => [key, results.reduce((a, r) => a + r[key], 0) / k]));
  const std = Object.fromEntries(keys.map((key) => [key, Math.sqrt(results.reduce((a, r) => a + (r[key] - mean[key]) ** 2, 0) / Math.max(1, k - 1))]));
  return { folds: results, mean, std };
}

/** Fits on `split.train` and scores `split.test` through the file's own graphs. */
async function trainOn(x: Interactions, split: InteractionSplit, spec: TabularSpec, rng: Random, source: string, options: FitOptions & { runtime?: Runtime }) {
  const runtime = options.runtime ?? defaultRuntime();
  const kind = spec.model.kind as RecommenderKind;
  const explicit = kind === "mf" || kind === "svdpp";
  const seen = seenLists(x, split.train);
  let fit: FactorFit;
  if (kind === "popularity") fit = popularity(x, split.train);
  else if (kind === "als") {
    fit = await fitAls(runtime, { factors: spec.model.factors, reg: spec.model.reg, alpha: spec.model.alpha }, spec.training, x, split.train, { ...options, validate: monitorRanking(x, split.test, seen, rng.fork()) });
  } else {
    const monitor = explicit ? monitorRatings(x, split.test) : monitorRanking(x, split.test, seen, rng.fork());
    fit = await fitFactors(runtime, { kind, factors: spec.model.factors, reg: spec.model.reg }, spec.training, x, split.train, { ...options, validate: monitor });
  }
  const encode = (card: ModelCard) =>
    encodeModel(topNGraph(fit.weights), {
      metadata: { ...cardMetadata(card), "openmaas.interactions": interactionsMetadata(x.users, x.items, seen.offsets, seen.items), "openmaas.mean": String(fit.weights.mean) },
      producerVersion: VERSION,
    });
  // Held-out metrics come from the file's own graphs (a draft without them; the caller writes the final file).
  const draftCard = { task: "recommendation", target: "", features: [], recommender: { kind, feedback: explicit ? "explicit" : "implicit", users: x.users.length, items: x.items.length, factors: fit.weights.factors, columns: { user: "", item: "" } }, spec: { model: spec.model, training: spec.training }, metrics: {}, dataset: { source, rows: 0, columns: 0, sha256: "", trainRows: 0, validationRows: 0 }, training: { epochs: 0, bestEpoch: 0, seconds: 0 }, version: VERSION } satisfies ModelCard;
  const onnx = encode(draftCard);
  const meta = parseRecommender(onnx, source)!;
  const metrics = explicit ? await heldOutRatings(runtime, onnx, meta, x, split.test) : await heldOutRanking(runtime, onnx, meta, x, split.test);
  return { fit, onnx, metrics, encode };
}

/** Each user's training items, as CSR over user indices. */
function seenLists(x: Interactions, rows: Int32Array): { offsets: Int32Array; items: Int32Array } {
  const offsets = new Int32Array(x.users.length + 1);
  for (const r of rows) offsets[x.user[r] + 1]++;
  for (let u = 0; u < x.users.length; u++) offsets[u + 1] += offsets[u];
  const items = new Int32Array(rows.length);
  const fill = offsets.slice(0, -1);
  for (const r of rows) items[fill[x.user[r]]++] = x.item[r];
  return { offsets, items };
}

/** The baseline: no factors, an item scores log(1 + its training interactions). */
function popularity(x: Interactions, rows: Int32Array): FactorFit {
  const [U, I] = [x.users.length, x.items.length];
  const itemBias = new Float32Array(I + 1);
  for (const r of rows) itemBias[x.item[r]]++;
  for (let i = 0; i < I; i++) itemBias[i] = Math.log1p(itemBias[i]);
  const weights: FactorWeights = { users: x.users, items: x.items, factors: 1, userFactors: new Float32Array(U + 1), userBias: new Float32Array(U + 1), itemFactors: new Float32Array(I + 1), itemBias, mean: 0 };
  return { weights, history: [{ epoch: 1, epochs: 1, trainLoss: 0, metrics: {}, lr: 0, samplesPerSecond: rows.length, seconds: 0 }], bestEpoch: 1, stoppedEarly: false };
}

/** x(u, i) from the weights, in JavaScript: the training loop's cheap look at held-out data. */
function score(w: FactorWeights, u: number, i: number): number {
  let s = w.mean + w.userBias[u] + w.itemBias[i];
  for (let k = 0; k < w.factors; k++) s += w.userFactors[u * w.factors + k] * w.itemFactors[i * w.factors + k];
  return s;
}

function monitorRatings(x: Interactions, rows: Int32Array) {
  return (w: FactorWeights) => {
    let se = 0;
    for (const r of rows) se += (score(w, x.user[r], x.item[r]) - x.rating![r]) ** 2;
    const rmse = Math.sqrt(se / rows.length);
    return { loss: rmse * rmse, metrics: { rmse } };
  };
}

/** 1 - NDCG@10 over a sample of the held-out users, ranked in JavaScript. */
function monitorRanking(x: Interactions, rows: Int32Array, seen: { offsets: Int32Array; items: Int32Array }, rng: Random) {
  const relevant = heldOutSets(x, rows);
  const users = [...relevant.keys()];
  for (let k = users.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [users[k], users[j]] = [users[j], users[k]];
  }
  const sample = users.slice(0, MONITORED_USERS);
  return (w: FactorWeights) => {
    const I = x.items.length;
    const lists = sample.map((u) => {
      const scores = Float64Array.from({ length: I }, (_v, i) => score(w, u, i));
      for (let j = seen.offsets[u]; j < seen.offsets[u + 1]; j++) scores[seen.items[j]] = -Infinity;
      return topIndices(scores, RANK_K);
    });
    const m = rankingMetrics(lists, sample.map((u) => relevant.get(u)!), RANK_K);
    return { loss: 1 - m.ndcg, metrics: { ndcg: m.ndcg } };
  };
}

function topIndices(scores: Float64Array, k: number): number[] {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  return order.slice(0, k);
}

/** Each user's held-out items. */
function heldOutSets(x: Interactions, rows: Int32Array): Map<number, Set<number>> {
  const sets = new Map<number, Set<number>>();
  for (const r of rows) {
    const set = sets.get(x.user[r]) ?? new Set<number>();
    set.add(x.item[r]);
    sets.set(x.user[r], set);
  }
  return sets;
}

async function withSession<T>(runtime: Runtime, model: Uint8Array, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await runtime.createSession(model);
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

async function heldOutRatings(runtime: Runtime, bytes: Uint8Array, meta: RecommenderMeta, x: Interactions, rows: Int32Array): Promise<Record<string, number>> {
  const users = Array.from(rows, (r) => x.users[x.user[r]]);
  const items = Array.from(rows, (r) => x.items[x.item[r]]);
  return withSession(runtime, derivedModel(bytes, meta, "pairs"), (s) => ratingsWith(s, users, items, Array.from(rows, (r) => x.rating![r])));
}

async function heldOutRanking(runtime: Runtime, bytes: Uint8Array, meta: RecommenderMeta, x: Interactions, rows: Int32Array): Promise<Record<string, number>> {
  const relevant = new Map<string, Set<string>>();
  for (const r of rows) {
    const user = x.users[x.user[r]];
    relevant.set(user, (relevant.get(user) ?? new Set()).add(x.items[x.item[r]]));
  }
  const { users: _users, ...metrics } = await withSession(runtime, bytes, (s) => rankingWith(s, meta, relevant));
  return metrics;
}
