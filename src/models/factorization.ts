// Matrix factorisation as graphs: the training objectives, which see only the rows of the user and
// item tables a batch touches (fed as blocks, so a step costs the same whatever the catalogue's
// size), and the scoring graphs of the exported model.
//
//   explicit (mf):  r̂(u, i) = μ + b_u + b_i + p_u · q_i, loss = Σ (r̂ - r)² + λ(|p_u|² + |q_i|² + b_u² + b_i²)
//                   with μ the training ratings' mean, fixed
//   svd++ (svdpp):  r̂(u, i) = μ + b_u + b_i + q_i · (p_u + |N(u)|^-½ Σ_{j ∈ N(u)} y_j), N(u) the user's
//                   training items, with λ|y_i|² added per example; exported with the sum folded into p_u
//   implicit (bpr): x(u, i) = b_i + p_u · q_i, loss = Σ -log σ(x(u, i) - x(u, j)) + λ(|p_u|² + |q_i|² + |q_j|² + b_i² + b_j²)
//                   for an observed pair (u, i) and an item j the user has not interacted with
//   popularity:     x(u, i) = log(1 + count_i), nothing trained.
// The losses sum over the batch's examples: a row's step is the sum of its examples' steps, as in
// the per-rating stochastic gradient descent these models were made with, whatever the batch size.
import type { Builder } from "../engine/builder.js";
import type { Value } from "../engine/graph.js";
import { Graph } from "../engine/graph.js";
import { add, apply, cast, expandLike, gather, labelEncode, matmul, mul, neg, reduceSum, slice, softplus, squeeze, sub, transpose, unsqueeze } from "../engine/ops.js";
import { topK } from "../engine/ops-rank.js";
import type { Objective } from "../engine/training-step.js";
import type { Tensor } from "../runtime/tensor.js";

export type FactorKind = "mf" | "svdpp" | "bpr" | "popularity";

/** The row tables of each side; every other parameter (μ) is dense. */
export const USER_TABLES = { factors: "user.factors", bias: "user.bias" } as const;
export const ITEM_TABLES = { factors: "item.factors", bias: "item.bias", implicit: "item.implicit" } as const;

/** The score of an excluded item: below any real one. */
const EXCLUDED = -3e38;

/** Batch inputs of the training graphs: local row indices into the blocks, and the ratings. */
export const BATCH = { user: "u", item: "i", negative: "j", rating: "r", members: "m" } as const;

export interface BlockShape {
  factors: number;
  /** λ, the L2 penalty on each example's rows. */
  reg: number;
  /** Rows of the user block and of the item block (a batch's distinct users and items fit). */
  userRows: number;
  itemRows: number;
  /** μ of explicit models: the training ratings' mean. */
  mean: number;
}

/** The user tables a kind trains (bpr has no user bias: it cancels in x(u, i) - x(u, j)). */
export function userTables(kind: FactorKind): string[] {
  return kind === "mf" || kind === "svdpp" ? [USER_TABLES.factors, USER_TABLES.bias] : [USER_TABLES.factors];
}

const sumSquares = (x: Value): Value => reduceSum(mul(x, x), [1]);

/** Explicit ratings: mean squared error plus the rows' L2 penalty (the biased "SVD" of the Netflix prize). */
export function mfObjective(b: Builder, s: BlockShape): Objective {
  const g = b.graph;
  const u = g.input(BATCH.user, "int64", ["batch"]);
  const i = g.input(BATCH.item, "int64", ["batch"]);
  const r = g.input(BATCH.rating, "float32", ["batch"]);
  const p = gather(b.param(USER_TABLES.factors, [s.userRows, s.factors], "zeros", false), u);
  const q = gather(b.param(ITEM_TABLES.factors, [s.itemRows, s.factors], "zeros", false), i);
  const bu = gather(b.param(USER_TABLES.bias, [s.userRows, 1], "zeros", false), u);
  const bi = gather(b.param(ITEM_TABLES.bias, [s.itemRows, 1], "zeros", false), i);
  const predicted = add(add(squeeze(add(bu, bi), [1]), reduceSum(mul(p, q), [1])), s.mean);
  const err = sub(predicted, r);
  const penalty = add(add(sumSquares(p), sumSquares(q)), squeeze(add(mul(bu, bu), mul(bi, bi)), [1]));
  return { loss: reduceSum(add(mul(err, err), mul(penalty, s.reg))) };
}

/**
 * SVD++ over a batch of whole users (every training rating of each user in the batch, so that the
 * batch's items are the users' N(u)): `m` [userRows, batch] holds |N(u)|^-½ where example e is
 * user slot s's, 0 elsewhere, and z = m · y_i sums each user's implicit vectors.
 */
export function svdppObjective(b: Builder, s: BlockShape): Objective {
  const g = b.graph;
  const u = g.input(BATCH.user, "int64", ["batch"]);
  const i = g.input(BATCH.item, "int64", ["batch"]);
  const r = g.input(BATCH.rating, "float32", ["batch"]);
  const members = g.input(BATCH.members, "float32", [s.userRows, "batch"]);
  const p = gather(b.param(USER_TABLES.factors, [s.userRows, s.factors], "zeros", false), u);
  const q = gather(b.param(ITEM_TABLES.factors, [s.itemRows, s.factors], "zeros", false), i);
  const y = gather(b.param(ITEM_TABLES.implicit, [s.itemRows, s.factors], "zeros", false), i);
  const bu = gather(b.param(USER_TABLES.bias, [s.userRows, 1], "zeros", false), u);
  const bi = gather(b.param(ITEM_TABLES.bias, [s.itemRows, 1], "zeros", false), i);
  const z = gather(matmul(members, y), u); // [batch, f]: each example's user's normalised Σ y_j
  const predicted = add(add(squeeze(add(bu, bi), [1]), reduceSum(mul(add(p, z), q), [1])), s.mean);
  const err = sub(predicted, r);
  const penalty = add(add(add(sumSquares(p), sumSquares(q)), sumSquares(y)), squeeze(add(mul(bu, bu), mul(bi, bi)), [1]));
  return { loss: reduceSum(add(mul(err, err), mul(penalty, s.reg))) };
}

/** Implicit feedback: Bayesian personalised ranking of an observed item over a sampled one. */
export function bprObjective(b: Builder, s: BlockShape): Objective {
  const g = b.graph;
  const u = g.input(BATCH.user, "int64", ["batch"]);
  const i = g.input(BATCH.item, "int64", ["batch"]);
  const j = g.input(BATCH.negative, "int64", ["batch"]);
  const P = b.param(USER_TABLES.factors, [s.userRows, s.factors], "zeros", false);
  const Q = b.param(ITEM_TABLES.factors, [s.itemRows, s.factors], "zeros", false);
  const B = b.param(ITEM_TABLES.bias, [s.itemRows, 1], "zeros", false);
  const p = gather(P, u);
  const [qi, qj] = [gather(Q, i), gather(Q, j)];
  const [bi, bj] = [squeeze(gather(B, i), [1]), squeeze(gather(B, j), [1])];
  const x = add(sub(bi, bj), reduceSum(mul(p, sub(qi, qj)), [1]));
  const penalty = add(add(add(sumSquares(p), sumSquares(qi)), sumSquares(qj)), add(mul(bi, bi), mul(bj, bj)));
  // -log σ(x) = softplus(-x), stable for large |x|
  return { loss: reduceSum(add(softplus(neg(x)), mul(penalty, s.reg))) };
}

/**
 * Trained tables of a factor model, each with one extra row of zeros at the end: the row an unknown
 * user or item maps to, so that it scores by what remains (μ + b_i for an unknown user, μ + b_u for an
 * unknown item).
 */
export interface FactorWeights {
  users: readonly string[];
  items: readonly string[];
  factors: number;
  /** [users + 1, factors], [users + 1] (zeros when the kind has no user bias). */
  userFactors: Float32Array;
  userBias: Float32Array;
  /** [items + 1, factors], [items + 1]. */
  itemFactors: Float32Array;
  itemBias: Float32Array;
  /** μ (0 for implicit models). */
  mean: number;
}

const floats = (data: Float32Array, dims: number[]): Tensor => ({ dtype: "float32", dims, data });

interface Lookups {
  g: Graph;
  /** A string id input [N] mapped to rows (unknown: the zero row). */
  userRows(ids: Value): Value;
  itemRows(ids: Value): Value;
  P: Value;
  Bu: Value;
  Q: Value;
  Bi: Value;
}

function lookups(name: string, w: FactorWeights): Lookups {
  const g = new Graph(name, "float32");
  const [U, I, f] = [w.users.length, w.items.length, w.factors];
  return {
    g,
    userRows: (ids) => labelEncode(ids, w.users, U),
    itemRows: (ids) => labelEncode(ids, w.items, I),
    P: g.constant(floats(w.userFactors, [U + 1, f]), USER_TABLES.factors),
    Bu: g.constant(floats(w.userBias, [U + 1]), USER_TABLES.bias),
    Q: g.constant(floats(w.itemFactors, [I + 1, f]), ITEM_TABLES.factors),
    Bi: g.constant(floats(w.itemBias, [I + 1]), ITEM_TABLES.bias),
  };
}

/**
 * The exported model: `user` [N] (string ids), `k` [1] (int64), `exclude` [N, E] (string ids of
 * items not to recommend, e.g. those the user has seen; "" pads) -> `items` [N, k] (string ids,
 * best first) and `scores` [N, k] (the predicted rating for mf). An unknown user gets the items
 * ranked by μ + b_i.
 */
export function topNGraph(w: FactorWeights): Graph {
  const { g, userRows, itemRows, P, Bu, Q, Bi } = lookups("openmaas_recommender", w);
  const I = w.items.length;
  const user = g.input("user", "string", ["N"]);
  const k = g.input("k", "int64", [1]);
  const exclude = g.input("exclude", "string", ["N", "E"]);
  const u = userRows(user);
  // [N, I + 1]: every item, and the zero row last (what excluded items are moved onto)
  const scores = add(add(matmul(gather(P, u), transpose(Q, [1, 0])), unsqueeze(Bi, [0])), add(unsqueeze(gather(Bu, u), [1]), w.mean));
  // Excluded items take a score below any real one; the padding column is cut off before ranking.
  const excluded = itemRows(exclude);
  const penalty = g.scalar(EXCLUDED);
  const masked = overwrite(scores, excluded, penalty);
  const ranked = topK(slice(masked, [1], [0], [I]), k, "k");
  g.output(gather(g.constant({ dtype: "string", dims: [I], data: [...w.items] }, "item.ids"), ranked.indices), "items");
  g.output(ranked.values, "scores");
  return g;
}

/** `scores` [N, M] with `value` (a scalar) written at the columns `columns` [N, E] of each row. */
function overwrite(scores: Value, columns: Value, value: Value): Value {
  const updates = expandLike(value, cast(columns, "float32"));
  return apply("ScatterElements", [scores, columns, updates], { axis: { i: 1 } })[0];
}

/** Predicted scores of (user, item) pairs: `user` [N], `item` [N] -> `score` [N]. */
export function pairGraph(w: FactorWeights): Graph {
  const { g, userRows, itemRows, P, Bu, Q, Bi } = lookups("openmaas_pairs", w);
  const u = userRows(g.input("user", "string", ["N"]));
  const i = itemRows(g.input("item", "string", ["N"]));
  const dot = reduceSum(mul(gather(P, u), gather(Q, i)), [1]);
  g.output(add(add(add(gather(Bu, u), gather(Bi, i)), dot), w.mean), "score");
  return g;
}

/**
 * Items like each of `item` [N]: the k with the highest cosine similarity of their factors, itself
 * excluded -> `items` [N, k], `scores` [N, k]. `normalized` holds the item factors scaled to unit
 * length (zero rows stay zero: an unknown item is like nothing).
 */
export function similarGraph(w: FactorWeights, normalized: Float32Array): Graph {
  const { g, itemRows } = lookups("openmaas_similar", w);
  const I = w.items.length;
  const Q = g.constant(floats(normalized, [I + 1, w.factors]), "item.unit");
  const k = g.input("k", "int64", [1]);
  const i = itemRows(g.input("item", "string", ["N"]));
  const cosine = matmul(gather(Q, i), transpose(Q, [1, 0]));
  const ranked = topK(slice(overwrite(cosine, unsqueeze(i, [1]), g.scalar(EXCLUDED)), [1], [0], [I]), k, "k");
  g.output(gather(g.constant({ dtype: "string", dims: [I], data: [...w.items] }, "item.ids"), ranked.indices), "items");
  g.output(ranked.values, "scores");
  return g;
}
