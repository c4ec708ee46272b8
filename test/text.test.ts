// Text classification through the service and its client: a fasttext job on a text column,
// predictions for {text} instances (Chinese included), evaluation, and bad instances.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { MaasApiError } from "../src/client/client.js";
import { MaasClient } from "../src/client/client.js";
import { loadConfig } from "../src/config.js";
import { Random } from "../src/engine/random.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const ADMIN = "text-test-admin-key-0123456789abcdef";
const home = mkdtempSync(join(tmpdir(), "maas-text-"));
let platform: Platform;
let client: MaasClient;

/** Reviews whose label is said by one word, English or Chinese: "good"/"好" positive, "bad"/"差" negative. */
function reviewsCsv(): string {
  const filler = ["the", "food", "service", "was", "服务", "菜", "today", "price"];
  const rng = new Random(2);
  const lines = ["review,sentiment"];
  for (let i = 0; i < 240; i++) {
    const words = Array.from({ length: 3 + rng.int(4) }, () => filler[rng.int(filler.length)]);
    const cue = ["good", "bad", "好", "差"][i % 4];
    words.splice(rng.int(words.length + 1), 0, cue);
    lines.push(`"${words.join(" ")}",${i % 2 === 0 ? "positive" : "negative"}`);
  }
  return lines.join("\n") + "\n";
}

beforeAll(async () => {
  platform = await startPlatform(loadConfig({ port: 0, home, adminKey: ADMIN, logLevel: "silent", predictWorkers: 1 }));
  client = new MaasClient({ url: platform.url, key: ADMIN });
  await client.datasets.upload("reviews", { data: reviewsCsv() });
  const job = await client.jobs.create({ dataset: "reviews", target: "sentiment", name: "sentiment", model: { kind: "fasttext", embedding: 16 }, text: { column: "review" }, training: { epochs: 30 } });
  const done = await client.jobs.wait(job.id);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
}, 120_000);

afterAll(async () => {
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

test("predict {text} instances, in English and Chinese, and evaluate on a table", async () => {
  const v = await client.models.version("sentiment", 1);
  expect(v.card).toMatchObject({ task: "classification", labels: ["negative", "positive"], text: { column: "review", tokenizer: "word", lengths: false } });
  const p = await client.models.predict("sentiment", { instances: [{ text: "the food was good" }, { text: "服务 差" }, { review: "bad price" }, { text: "" }] });
  expect(p.predictions.slice(0, 3).map((r) => r.prediction)).toEqual(["positive", "negative", "negative"]);
  expect(Object.keys(p.predictions[0].probabilities!).sort()).toEqual(["negative", "positive"]);
  const e = await client.models.evaluate("sentiment", { dataset: "reviews" });
  expect(e.metrics.accuracy).toBeGreaterThan(0.95);
  expect(e.confusion).toHaveLength(2);
});

test("an instance without text is a 422 that says what a text model takes", async () => {
  const e = await client.models.predict("sentiment", { instances: [{ words: 3 }] }).catch((err: unknown) => err as MaasApiError);
  expect([(e as MaasApiError).status, (e as MaasApiError).message]).toEqual([422, expect.stringMatching(/instance 0: a text model takes \{"text"/)]);
});

test("an lstm over the review tokens trains as a job and predicts {text} instances", async () => {
  const job = await client.jobs.create({ dataset: "reviews", target: "sentiment", name: "sentiment-lstm", model: { kind: "lstm", hidden: [16], embedding: 16 }, text: { column: "review", maxTokens: 20 }, training: { epochs: 30 } });
  const done = await client.jobs.wait(job.id);
  expect(done.status, JSON.stringify(done.error)).toBe("succeeded");
  expect(done.metrics!.accuracy).toBeGreaterThan(0.9);
  const v = await client.models.version("sentiment-lstm", 1);
  expect(v.card).toMatchObject({ text: { lengths: true } });
  const p = await client.models.predict("sentiment-lstm", { instances: [{ text: "the food was good" }, { text: "服务 差" }] });
  expect(p.predictions.map((r) => r.prediction)).toEqual(["positive", "negative"]);
}, 120_000);
