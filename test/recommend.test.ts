// Recommenders through the service and its client: train mf and bpr jobs on interaction tables with
// string ids, recommend to known and unknown users, similar items, rate pairs through predict,
// evaluate on held-out interactions, and bad input.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MaasApiError, MaasClient } from "../src/client/client.js";
import { loadConfig } from "../src/config.js";
import { plantedRatings } from "../src/models/factor-fixtures.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const ADMIN = "recommend-test-admin-key-0123456789";
const home = mkdtempSync(join(tmpdir(), "maas-recommend-"));
let platform: Platform;
let client: MaasClient;

/** Planted ratings as CSV, ids with spaces, commas and accents (quoted), and the held-out rows. */
function ratingsCsv(): { train: string; test: string } {
  const { x } = plantedRatings(150, 80, 0.2, 3, 0.2, 5);
  const id = (kind: string, s: string) => `"${kind} ${s}, é"`;
  const lines = Array.from(x.user, (u, e) => `${id("user", x.users[u])},${id("item", x.items[x.item[e]])},${x.rating![e].toFixed(3)}`);
  const header = "who,what,stars";
  return { train: [header, ...lines.filter((_l, n) => n % 10 !== 0)].join("\n") + "\n", test: [header, ...lines.filter((_l, n) => n % 10 === 0)].join("\n") + "\n" };
}

beforeAll(async () => {
  platform = await startPlatform(loadConfig({ port: 0, home, adminKey: ADMIN, logLevel: "silent", predictWorkers: 1 }));
  client = new MaasClient({ url: platform.url, key: ADMIN });
  const { train, test: held } = ratingsCsv();
  await client.datasets.upload("ratings", { data: train });
  await client.datasets.upload("ratings-test", { data: held });
  const job = await client.jobs.create({ dataset: "ratings", target: "stars", name: "movies", model: { kind: "mf", factors: 6 }, interactions: { user: "who", item: "what" } });
  expect((await client.jobs.wait(job.id)).status).toBe("succeeded");
}, 120_000);

afterAll(async () => {
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

describe("mf over the API", () => {
  test("the version's card says what it is", async () => {
    const v = await client.models.version("movies", 1);
    expect(v.card).toMatchObject({ task: "recommendation", target: "stars", recommender: { kind: "mf", feedback: "explicit", factors: 6, columns: { user: "who", item: "what", rating: "stars" } } });
  });

  test("recommend: k items, none the user rated, best first; an unknown user gets the fallback", async () => {
    const r = await client.models.recommend("movies", { user: "user u3, é", k: 5 });
    expect(r.items).toHaveLength(5);
    expect(r.fallback).toBeUndefined();
    const scores = r.items.map((i) => i.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    const rated = ratingsCsv().train.split("\n").filter((l) => l.startsWith('"user u3, é"')).map((l) => l.split('","')[1].split('",')[0]);
    expect(rated.length).toBeGreaterThan(0);
    for (const item of r.items) expect(rated).not.toContain(item.item);
    const all = await client.models.recommend("movies", { user: "user u3, é", k: 1000, excludeSeen: false });
    expect(all.items.length).toBe(80); // k past the catalogue: every item, once
    const stranger = await client.models.recommend("movies", { user: "someone new", k: 3 });
    expect(stranger.fallback).toBe("popularity");
    expect(stranger.items).toHaveLength(3);
  });

  test("filters: only some items, or not some", async () => {
    const include = ["item i1, é", "item i2, é", "item i3, é", "no such item"];
    const only = await client.models.recommend("movies", { user: "user u7, é", k: 10, excludeSeen: false, filter: { include } });
    expect(only.items.map((i) => i.item).sort()).toEqual([...include].sort());
    const without = await client.models.recommend("movies", { user: "user u7, é", k: 5, filter: { exclude: [only.items[0].item] } });
    expect(without.items.map((i) => i.item)).not.toContain(only.items[0].item);
  });

  test("predict rates (user, item) pairs as recommend scores them; unknown ids still get a number", async () => {
    const r = await client.models.recommend("movies", { user: "user u9, é", k: 2, excludeSeen: false });
    const p = await client.models.predict("movies", { instances: [{ user: "user u9, é", item: r.items[0].item }, { user: "nobody", item: "nothing" }] });
    expect(p.predictions[0].prediction as number).toBeCloseTo(r.items[0].score, 4);
    expect(typeof p.predictions[1].prediction).toBe("number");
  });

  test("similar items, and the fallback for an item the model does not know", async () => {
    const s = await client.models.similarItems("movies", { item: "item i4, é", k: 4 });
    expect(s.items).toHaveLength(4);
    expect(s.items.map((i) => i.item)).not.toContain("item i4, é");
    expect((await client.models.similarItems("movies", { item: "brand new", k: 2 })).fallback).toBe("popularity");
  });

  test("evaluate on held-out ratings: RMSE and MAE", async () => {
    const e = await client.models.evaluate("movies", { dataset: "ratings-test" });
    expect(e.task).toBe("recommendation");
    expect(e.metrics.rmse).toBeGreaterThan(0);
    expect(e.metrics.rmse).toBeLessThan(0.6);
  });

  test("bad input is a 4xx that says what is wrong", async () => {
    const fail = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as MaasApiError);
    const k = await fail(client.models.recommend("movies", { user: "u", k: 0 }));
    expect([k?.status, k?.message]).toEqual([400, expect.stringMatching(/k/)]);
    const pair = await fail(client.models.predict("movies", { instances: [{ user: "u" }] }));
    expect([pair?.status, pair?.message]).toEqual([422, expect.stringMatching(/instance 0.*"item"/)]);
    const noRating = await fail(client.jobs.create({ dataset: "ratings", name: "x", model: { kind: "mf" }, interactions: { user: "who", item: "what" } }));
    expect([noRating?.status, noRating?.message]).toEqual([400, expect.stringMatching(/rating column/)]);
    const noColumn = await fail(client.jobs.create({ dataset: "ratings", name: "x", target: "stars", model: { kind: "mf" } }));
    expect([noColumn?.status, noColumn?.message]).toEqual([422, expect.stringMatching(/no column 'user', 'item'/)]);
    const notRecommender = await fail(client.models.similarItems("nope", { item: "x" }));
    expect(notRecommender?.status).toBe(404);
  });
});

test("bpr over the API: implicit feedback, ranking metrics in the card and from evaluate", async () => {
  const { x } = plantedRatings(120, 60, 0.25, 3, 0, 7);
  // Each user's items with the highest planted ratings count as interactions.
  const rows = Array.from(x.user, (u, e) => ({ u: x.users[u], i: x.items[x.item[e]], r: x.rating![e] })).filter((r) => r.r > 3.8);
  const csv = (part: number) => ["user,item", ...rows.filter((_r, n) => (n % 5 === 0) === (part === 1)).map((r) => `${r.u},${r.i}`)].join("\n") + "\n";
  await client.datasets.upload("clicks", { data: csv(0) });
  await client.datasets.upload("clicks-test", { data: csv(1) });
  const job = await client.jobs.create({ dataset: "clicks", name: "clicks", model: { kind: "bpr", factors: 8 }, training: { epochs: 20 } });
  const done = await client.jobs.wait(job.id);
  expect(done.status).toBe("succeeded");
  expect(Object.keys(done.metrics!)).toEqual(expect.arrayContaining(["ndcg@10", "precision@10", "recall@10", "map@10"]));
  const e = await client.models.evaluate("clicks", { dataset: "clicks-test" });
  expect(e.metrics["ndcg@10"]).toBeGreaterThan(0);
  const r = await client.models.recommend("clicks", { user: rows[0].u, k: 3 });
  expect(r.items).toHaveLength(3);
}, 120_000);
