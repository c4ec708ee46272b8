// Evaluation metrics for recommenders: top-k ranking quality against held-out items, and rating
// error. The ranking definitions are the standard ones of Microsoft Recommenders and implicit
// (binary relevance), averaged over users; each is one pass over each user's top k.
import { regressionMetrics } from "./metrics.js";

/** Top-k ranking quality, each a mean over the users counted in `users`. */
export interface RankingMetrics {
  /** Mean of hits / k. */
  precision: number;
  /** Mean of hits / |relevant|. */
  recall: number;
  /** Mean of DCG / IDCG with binary gains. */
  ndcg: number;
  /** Mean average precision at k. */
  map: number;
  /** Users evaluated: those with at least one relevant item. */
  users: number;
}

/**
 * Precision, recall, NDCG and MAP at `k`. `recommended[u]` is user u's ranked list (best first, its
 * items distinct, seen training items already removed), of which the first k count; `relevant[u]`
 * is the set of u's held-out items. Users with no relevant item are skipped; with none left, every
 * mean is NaN and `users` is 0. For a user with hits at 1-based ranks r ≤ k and R = |relevant|:
 *
 * - precision@k = hits / k (a list shorter than k still divides by k);
 * - recall@k = hits / R;
 * - NDCG@k = DCG / IDCG, DCG = Σ_hits 1 / log2(r + 1), IDCG = Σ_{i=1..min(R,k)} 1 / log2(i + 1);
 * - MAP@k = (1 / min(R, k)) Σ_hits precision@r, where precision@r = (hits at ranks ≤ r) / r.
 * @example rankingMetrics([[3, 1]], [new Set([1])], 2).ndcg // (1 / log2 3) / 1 = 0.6309...
 */
export function rankingMetrics(recommended: readonly (readonly number[] | Int32Array)[], relevant: readonly ReadonlySet<number>[], k: number): RankingMetrics {
  if (recommended.length !== relevant.length) {
    throw new Error(`rankingMetrics: ${recommended.length} recommendation lists for ${relevant.length} relevant sets`);
  }
  if (!Number.isInteger(k) || k < 1) throw new Error(`rankingMetrics needs a positive integer k; got ${k}`);
  // 1 / log2(r + 1) for r = 1..k, and its prefix sums (the IDCG of min(R, k) relevant items).
  const discount = Float64Array.from({ length: k }, (_v, i) => 1 / Math.log2(i + 2));
  const idcg = new Float64Array(k + 1);
  for (let i = 0; i < k; i++) idcg[i + 1] = idcg[i] + discount[i];

  let users = 0;
  let precision = 0;
  let recall = 0;
  let ndcg = 0;
  let map = 0;
  for (let u = 0; u < recommended.length; u++) {
    const truth = relevant[u];
    if (truth.size === 0) continue;
    const list = recommended[u];
    const depth = Math.min(k, list.length);
    let hits = 0;
    let dcg = 0;
    let sumPrecision = 0;
    for (let i = 0; i < depth; i++) {
      if (!truth.has(list[i])) continue;
      hits++;
      dcg += discount[i];
      sumPrecision += hits / (i + 1);
    }
    const ideal = Math.min(truth.size, k);
    users++;
    precision += hits / k;
    recall += hits / truth.size;
    ndcg += dcg / idcg[ideal];
    map += sumPrecision / ideal;
  }
  return { precision: precision / users, recall: recall / users, ndcg: ndcg / users, map: map / users, users };
}

/** Rating-prediction error: root mean squared and mean absolute. */
export interface RatingMetrics {
  /** √(Σ(y - ŷ)² / N). */
  rmse: number;
  /** Σ|y - ŷ| / N. */
  mae: number;
}

/**
 * RMSE and MAE of predicted ratings against true ones (`regressionMetrics`' definitions).
 * @example ratingMetrics([4, 2], [3, 2]) // { rmse: 0.7071..., mae: 0.5 }
 */
export function ratingMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>): RatingMetrics {
  const { rmse, mae } = regressionMetrics(truth, predicted);
  return { rmse, mae };
}
