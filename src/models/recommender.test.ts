// Recommenders end to end: training on planted data, the model file's graphs against brute force
// over the same weights, fallbacks for unknown ids, and bad input.
import { describe, expect, test } from "vitest";
import { tableFromRows } from "../data/table.js";
import { MaasError } from "../errors.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { FactorWeights } from "./factorization.js";
import { plantedRatings } from "./factor-fixtures.js";
import { derivedModel, parseRecommender, rateWith, recommendWith, seenBy, similarWith, weightsOf } from "./recommender-file.js";
import { crossValidate, trainRecommender } from "./recommender.js";
import { TabularSpecSchema } from "./spec.js";

const runtime = new OnnxRuntime();

function ratingsTable() {
  const planted = plantedRatings(300, 200, 0.1, 4, 0.3, 2);
  const { x } = planted;
  const rows = Array.from(x.user, (u, e) => [x.users[u], x.items[x.item[e]], x.rating![e].toFixed(3)]);
  return { table: tableFromRows("ratings.csv", ["user", "item", "rating"], rows), planted };
}

/** r̂(u, i) in plain arithmetic over the file's weights (index U or I: the zero row of unknown ids). */
function brute(w: FactorWeights, u: number, i: number): number {
  let s = w.mean + w.userBias[u] + w.itemBias[i];
  for (let k = 0; k < w.factors; k++) s += w.userFactors[u * w.factors + k] * w.itemFactors[i * w.factors + k];
  return s;
}

describe("mf", async () => {
  const { table, planted } = ratingsTable();
  const spec = TabularSpecSchema.parse({ target: "rating", model: { kind: "mf", factors: 8 }, training: { epochs: 30 } });
  const { onnx, card } = await trainRecommender(table, spec, { runtime });
  const meta = parseRecommender(onnx, "ratings")!;
  const w = weightsOf(onnx, meta);
  const [U, I] = [meta.users.length, meta.items.length];

  test("the card, and held-out RMSE well below predicting the mean", () => {
    expect(card).toMatchObject({ task: "recommendation", target: "rating", recommender: { kind: "mf", feedback: "explicit", users: U, items: I, factors: 8 } });
    const r = planted.x.rating!;
    const mean = r.reduce((a, b) => a + b, 0) / r.length;
    const spread = Math.sqrt(r.reduce((a, b) => a + (b - mean) ** 2, 0) / r.length);
    expect(card.metrics.rmse).toBeLessThan(0.6 * spread);
    expect(card.metrics.mae).toBeLessThan(card.metrics.rmse);
  });

  test("pairs: the graph's scores are μ + b_u + b_i + p_u·q_i; unknown ids drop their terms", async () => {
    const session = await runtime.createSession(derivedModel(onnx, meta, "pairs"));
    const scores = await rateWith(session, ["u0", "u7", "nobody", "u0", "nobody"], ["i0", "i3", "i0", "no-such-item", "nothing"]);
    const [u0, u7, i0, i3] = [meta.userIndex.get("u0")!, meta.userIndex.get("u7")!, meta.itemIndex.get("i0")!, meta.itemIndex.get("i3")!];
    const expected = [brute(w, u0, i0), brute(w, u7, i3), brute(w, U, i0), brute(w, u0, I), w.mean];
    scores.forEach((s, n) => expect(s).toBeCloseTo(expected[n], 4));
    await session.release();
  });

  test("top-N: the graph's lists are the brute-force ranking without the excluded items", async () => {
    const session = await runtime.createSession(onnx);
    const users = ["u0", "u5", "nobody"];
    const exclude = users.map((u) => seenBy(meta, u));
    expect(exclude[0].length).toBeGreaterThan(5);
    const lists = await recommendWith(session, meta, users, 7, exclude);
    users.forEach((user, n) => {
      const u = meta.userIndex.get(user) ?? U;
      const skip = new Set(exclude[n]);
      const ranked = meta.items.filter((i) => !skip.has(i)).map((i) => ({ item: i, score: brute(w, u, meta.itemIndex.get(i)!) })).sort((a, b) => b.score - a.score);
      expect(lists[n].map((r) => r.item)).toEqual(ranked.slice(0, 7).map((r) => r.item));
      lists[n].forEach((r, j) => expect(r.score).toBeCloseTo(ranked[j].score, 4));
    });
    // k past the catalogue: every item not excluded, once.
    const all = await recommendWith(session, meta, ["u0"], 10_000, [exclude[0]]);
    expect(all[0].length).toBe(I - exclude[0].length);
    await session.release();
  });

  test("similar items: the highest cosine of the item factors, the item itself left out", async () => {
    const session = await runtime.createSession(derivedModel(onnx, meta, "similar"));
    const [list] = await similarWith(session, meta, ["i3"], 4);
    const f = w.factors;
    const cos = (a: number, b: number) => {
      let [ab, aa, bb] = [0, 0, 0];
      for (let k = 0; k < f; k++) [ab, aa, bb] = [ab + w.itemFactors[a * f + k] * w.itemFactors[b * f + k], aa + w.itemFactors[a * f + k] ** 2, bb + w.itemFactors[b * f + k] ** 2];
      return ab / Math.sqrt(aa * bb);
    };
    const i3 = meta.itemIndex.get("i3")!;
    const ranked = meta.items.filter((i) => i !== "i3").map((i) => ({ item: i, score: cos(i3, meta.itemIndex.get(i)!) })).sort((a, b) => b.score - a.score);
    expect(list.map((r) => r.item)).toEqual(ranked.slice(0, 4).map((r) => r.item));
    await session.release();
  });
});

test("svd++ trains through the same file format, as good as mf on planted ratings", async () => {
  const { table } = ratingsTable();
  const mf = await trainRecommender(table, TabularSpecSchema.parse({ target: "rating", model: { kind: "mf", factors: 8 }, training: { epochs: 30 } }), { runtime });
  const svdpp = await trainRecommender(table, TabularSpecSchema.parse({ target: "rating", model: { kind: "svdpp", factors: 8 }, training: { epochs: 30 } }), { runtime });
  expect(svdpp.card.recommender).toMatchObject({ kind: "svdpp", feedback: "explicit" });
  expect(svdpp.card.metrics.rmse).toBeLessThan(1.1 * mf.card.metrics.rmse);
}, 60_000);

describe("implicit feedback", () => {
  /** Each user's items: the 15 of 150 with the highest planted score, so there is a preference to recover. */
  function implicitTable() {
    const { truth } = plantedRatings(400, 150, 0.01, 6, 0, 3);
    const rows: string[][] = [];
    for (let u = 0; u < 400; u++) {
      const order = Array.from({ length: 150 }, (_v, i) => i).sort((a, b) => truth[u * 150 + b] - truth[u * 150 + a]);
      for (const i of order.slice(0, 15)) rows.push([`user ${u}`, `item/${i}`]);
    }
    return tableFromRows("clicks.csv", ["user", "item"], rows);
  }

  test("bpr and als recover the planted preferences far better than popularity", async () => {
    const table = implicitTable();
    const bpr = await trainRecommender(table, TabularSpecSchema.parse({ model: { kind: "bpr", factors: 16 }, training: { epochs: 30, validationSplit: 0.2 } }), { runtime });
    const als = await trainRecommender(table, TabularSpecSchema.parse({ model: { kind: "als", factors: 16, reg: 0.1 }, training: { epochs: 10, validationSplit: 0.2 } }), { runtime });
    const pop = await trainRecommender(table, TabularSpecSchema.parse({ model: { kind: "popularity" }, training: { validationSplit: 0.2 } }), { runtime });
    expect(als.card.metrics["ndcg@10"]).toBeGreaterThan(2 * pop.card.metrics["ndcg@10"]);
    expect(bpr.card.recommender).toMatchObject({ kind: "bpr", feedback: "implicit", users: 400 });
    expect(bpr.card.target).toBe("item");
    expect(bpr.card.metrics["ndcg@10"]).toBeGreaterThan(2 * pop.card.metrics["ndcg@10"]);
    expect(bpr.card.metrics["recall@10"]).toBeGreaterThan(0.3);
  }, 60_000);
});

test("k-fold cross-validation: each fold held out once; mean and spread of its metrics", async () => {
  const { table } = ratingsTable();
  const spec = TabularSpecSchema.parse({ target: "rating", model: { kind: "mf", factors: 4 }, training: { epochs: 10 } });
  const cv = await crossValidate(table, spec, 3, { runtime });
  expect(cv.folds).toHaveLength(3);
  expect(cv.mean.rmse).toBeCloseTo((cv.folds[0].rmse + cv.folds[1].rmse + cv.folds[2].rmse) / 3, 10);
  expect(cv.std.rmse).toBeGreaterThan(0);
}, 60_000);

test("leave-last-out: each user's latest interaction by time is held out", async () => {
  // Four users with three clicks each, at times 1..3; user d's latest is written first.
  const rows = ["a", "b", "c", "d"].flatMap((u) => [1, 2, 3].map((t) => [u, `${u}-item-${t}`, String(u === "d" ? 4 - t : t)]));
  const table = tableFromRows("clicks.csv", ["user", "item", "at"], rows);
  const spec = TabularSpecSchema.parse({ model: { kind: "popularity" }, interactions: { timestamp: "at", holdout: "last" } });
  const { card } = await trainRecommender(table, spec, { runtime });
  expect([card.dataset.trainRows, card.dataset.validationRows]).toEqual([8, 4]);
  // The held-out items (a's, b's and c's at time 3, d's first row) were clicked by no one in
  // training: they score 0 in popularity, below the other users' 6 items, and tie among themselves,
  // broken by first appearance (TopK's rule): a's ranks 7th, b's 8th, c's 9th, d's 10th.
  expect(card.metrics["recall@10"]).toBe(1);
  expect(card.metrics["ndcg@10"]).toBeCloseTo([8, 9, 10, 11].reduce((s, r) => s + 1 / Math.log2(r), 0) / 4, 10);
});

describe("bad input", () => {
  test("a rating outside the declared scale names the row", async () => {
    const table = tableFromRows("r.csv", ["user", "item", "rating"], [["a", "x", "4"], ["b", "y", "7"]]);
    const spec = TabularSpecSchema.parse({ target: "rating", model: { kind: "mf" }, interactions: { scale: [1, 5] } });
    const e = await trainRecommender(table, spec, { runtime }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(MaasError);
    expect((e as MaasError).message).toMatch(/r\.csv.*row 2.*rating/);
  });

  test("mf without a rating column is refused by the spec", () => {
    const r = TabularSpecSchema.safeParse({ model: { kind: "mf" } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/rating column/);
  });
});
