// How well a recommender does on interactions it was not trained on, through its file's graphs:
//   explicit (mf): RMSE and MAE of the predicted ratings of the given (user, item, rating) rows;
//   implicit: for each user with interactions in the data, the top-10 list (the user's training
//   items excluded, as `excludeSeen` does) against the items of those interactions: precision,
//   recall, NDCG and MAP at 10, averaged over the users (see ranking-metrics.ts). Unknown users are
//   evaluated too: they get the fallback list.
import { readInteractions } from "../data/interactions.js";
import type { RawTable } from "../data/table.js";
import type { Session } from "../runtime/runtime.js";
import { rankingMetrics, ratingMetrics } from "./ranking-metrics.js";
import type { RecommenderMeta } from "./recommender-file.js";
import { rateWith, recommendWith, seenBy } from "./recommender-file.js";

/** The ranking cut-off of every recommender metric. */
export const RANK_K = 10;
/** Users ranked per run of the top-N graph. */
const USERS_PER_RUN = 256;

/** Precision, recall, NDCG and MAP at RANK_K of the lists `top` answers for the users of `relevant`, their training items excluded. */
export async function rankingWith(top: Session, meta: RecommenderMeta, relevant: ReadonlyMap<string, ReadonlySet<string>>): Promise<Record<string, number>> {
  const users = [...relevant.keys()];
  const lists: number[][] = [];
  const truth: Set<number>[] = [];
  // Items the model has never seen cannot be recommended; they still count as relevant (index -1 + n).
  let unseen = 0;
  for (let start = 0; start < users.length; start += USERS_PER_RUN) {
    const chunk = users.slice(start, start + USERS_PER_RUN);
    const answers = await recommendWith(top, meta, chunk, RANK_K, chunk.map((u) => seenBy(meta, u)));
    for (const [n, a] of answers.entries()) {
      lists.push(a.map((r) => meta.itemIndex.get(r.item)!));
      truth.push(new Set([...relevant.get(chunk[n])!].map((i) => meta.itemIndex.get(i) ?? -1 - unseen++)));
    }
  }
  const m = rankingMetrics(lists, truth, RANK_K);
  return { [`precision@${RANK_K}`]: m.precision, [`recall@${RANK_K}`]: m.recall, [`ndcg@${RANK_K}`]: m.ndcg, [`map@${RANK_K}`]: m.map, users: m.users };
}

/** RMSE and MAE of the ratings `pairs` predicts for (user, item, rating) triples. */
export async function ratingsWith(pairs: Session, users: readonly string[], items: readonly string[], ratings: ArrayLike<number>): Promise<Record<string, number>> {
  return { ...ratingMetrics(ratings, await rateWith(pairs, users, items)) };
}

/** A recommender's metrics on an interaction table with the columns it was trained on. */
export async function evaluateInteractionsWith(sessions: { top: Session; pairs: Session }, meta: RecommenderMeta, table: RawTable): Promise<{ task: "recommendation"; rows: number; metrics: Record<string, number> }> {
  const r = meta.card.recommender!;
  const x = readInteractions(table, { user: r.columns.user, item: r.columns.item, ...(r.columns.rating ? { rating: r.columns.rating } : {}) });
  const users = Array.from(x.user, (u) => x.users[u]);
  const items = Array.from(x.item, (i) => x.items[i]);
  if (r.feedback === "explicit") return { task: "recommendation", rows: users.length, metrics: await ratingsWith(sessions.pairs, users, items, x.rating!) };
  const relevant = new Map<string, Set<string>>();
  users.forEach((u, n) => relevant.set(u, (relevant.get(u) ?? new Set()).add(items[n])));
  return { task: "recommendation", rows: users.length, metrics: await rankingWith(sessions.top, meta, relevant) };
}
