// The client against a real server (the whole platform, in this process, on a free port).
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Job, JobEvent } from "../src/client/client.js";
import { MaasApiError, MaasClient, collect } from "../src/client/client.js";
import { loadConfig } from "../src/config.js";
import { MaasError } from "../src/errors.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const ADMIN = "test-admin-key-0123456789";
const home = mkdtempSync(join(tmpdir(), "maas-client-"));
let platform: Platform;
let client: MaasClient;

/** 120 rows: label is "hi" exactly when x > 0.5; color is noise. */
const csv = ["x,color,label", ...Array.from({ length: 120 }, (_v, i) => `${((i * 37) % 120) / 120},${i % 3 === 0 ? "red" : "blue"},${(i * 37) % 120 > 60 ? "hi" : "lo"}`)].join("\n") + "\n";
const csvPath = join(home, "train.csv");

const job = (name: string, epochs: number) => ({
  dataset: "train",
  name,
  target: "label",
  model: { kind: "mlp" as const, hidden: [8] },
  training: { epochs, earlyStopping: false, seed: 1, lr: 0.05 },
});

/** Expects `p` to reject with a MaasApiError matching `fields`; answers it. */
async function rejection(p: Promise<unknown>, fields: Partial<Pick<MaasApiError, "status" | "code">>): Promise<MaasApiError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(MaasApiError);
  expect(e).toBeInstanceOf(MaasError);
  expect(e).toMatchObject(fields);
  return e as MaasApiError;
}

beforeAll(async () => {
  writeFileSync(csvPath, csv);
  platform = await startPlatform(loadConfig({ port: 0, home: join(home, "data"), adminKey: ADMIN, logLevel: "silent", predictWorkers: 1 }, {}));
  client = new MaasClient({ url: platform.url, key: ADMIN });
});

afterAll(async () => {
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

describe("the whole flow through the client", () => {
  let trained: Job;
  const events: JobEvent[] = [];
  const probes = [
    { x: 0.05, color: "red" },
    { x: 0.95, color: null },
    { x: 0.8, color: "green" },
  ];

  test("health needs no key", async () => {
    const anonymous = new MaasClient({ url: platform.url });
    expect(await anonymous.health.live()).toBe(true);
    expect(await anonymous.health.ready()).toBe(true);
  });

  test("upload a file (streamed) and a string; list them page by page", async () => {
    const d = await client.datasets.upload("train", { path: csvPath });
    expect(d).toMatchObject({ name: "train", rows: 120, bytes: Buffer.byteLength(csv), sha256: createHash("sha256").update(csv).digest("hex") });
    expect(d.columns).toEqual([
      { name: "x", type: "numeric" },
      { name: "color", type: "categorical" },
      { name: "label", type: "categorical" },
    ]);
    const small = await client.datasets.upload("small", { data: '{"x":1,"label":"a"}\n{"x":2,"label":"b"}\n', contentType: "application/x-ndjson" });
    expect(small).toMatchObject({ name: "small", rows: 2, format: "ndjson" });

    const first = await client.datasets.list({ limit: 1 });
    expect(first.items.map((i) => i.name)).toEqual(["train"]);
    expect(first.next).toEqual(expect.any(String));
    expect((await collect(client.datasets.all(1))).map((i) => i.name)).toEqual(["train", "small"]);
    expect((await client.datasets.get("train")).id).toBe(d.id);
  });

  test("submit a job (idempotently) and follow its events to the end", async () => {
    const created = await client.jobs.create(job("clf", 8), { idempotencyKey: "first-clf" });
    expect(created.status).toBe("queued");
    expect((await client.jobs.create(job("clf", 8), { idempotencyKey: "first-clf" })).id).toBe(created.id);

    trained = await client.jobs.wait(created.id, { onEvent: (e) => events.push(e) });
    expect(trained).toMatchObject({ id: created.id, status: "succeeded", model: { name: "clf", version: 1 }, error: null });
    expect(events.map((e) => e.id)).toEqual(events.map((_e, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(["status", ...Array(8).fill("epoch"), "done", "status"]);
    expect(events[0].data).toMatchObject({ status: "running", attempt: 1 });
    expect(events[5].data).toMatchObject({ epoch: 5, epochs: 8, trainLoss: expect.any(Number) });
    expect(events.at(-1)!.data).toEqual({ status: "succeeded", model: { name: "clf", version: 1 } });
    expect((await collect(client.jobs.all())).map((j) => j.id)).toEqual([created.id]);
  });

  test("set an alias, predict, predict by alias", async () => {
    expect(await client.models.setAlias("clf", "production", 1)).toEqual({ model: "clf", alias: "production", version: 1 });
    expect((await client.models.get("clf")).aliases).toEqual({ production: 1, latest: 1 });

    const r = await client.models.predict("clf", { instances: probes });
    expect(r.model).toEqual({ name: "clf", version: 1 });
    expect(r.predictions.map((p) => p.prediction)).toEqual(["lo", "hi", "hi"]);
    for (const p of r.predictions) expect(Object.keys(p.probabilities!).sort()).toEqual(["hi", "lo"]);
    const byAlias = await client.models.predict("clf", { instances: probes, alias: "production" });
    expect(byAlias).toEqual(r);
  });

  test("turn dynamic batching on (defaults filled in) and off", async () => {
    const on = await client.models.setServing("clf", { batching: { maxBatchSize: 8 } });
    expect(on.serving).toEqual({ batching: { maxBatchSize: 8, maxQueueDelayMs: 2, maxQueueSize: 1024, timeoutMs: 10_000 } });
    expect((await client.models.get("clf")).serving).toEqual(on.serving);
    expect((await client.models.predict("clf", { instances: probes })).predictions.map((p) => p.prediction)).toEqual(["lo", "hi", "hi"]);
    expect((await client.models.setServing("clf", {})).serving).toEqual({});
    await expect(client.models.setServing("clf", { batching: { maxBatchSize: 0 } })).rejects.toThrow(/maxBatchSize/);
  });

  test("evaluate on the stored dataset", async () => {
    const e = await client.models.evaluate("clf", { dataset: "train", alias: "production" });
    expect(e).toMatchObject({ task: "classification", rows: 120, labels: ["hi", "lo"], model: { name: "clf", version: 1 } });
    expect(e.metrics.accuracy).toBeGreaterThan(0.9);
    expect(e.confusion!.flat().reduce((a, b) => a + b)).toBe(120);
  });

  test("download the model file and import it back as another model", async () => {
    const v = await client.models.version("clf", 1);
    expect(v).toMatchObject({ model: "clf", version: 1, source: "trained", job: trained.id });
    const bytes = await client.models.downloadArtifact("clf", 1);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.length).toBe(v.bytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(v.sha256);

    expect(await client.models.importOnnx("clf-copy", bytes)).toEqual({ name: "clf-copy", version: 1 });
    const copy = await client.models.version("clf-copy", 1);
    expect(copy).toMatchObject({ source: "imported", sha256: v.sha256, card: v.card });
    const original = await client.models.predict("clf", { instances: probes });
    expect((await client.models.predict("clf-copy", { instances: probes })).predictions).toEqual(original.predictions);
    expect((await collect(client.models.all())).map((m) => m.name)).toEqual(["clf", "clf-copy"]);
    expect((await collect(client.models.allVersions("clf"))).map((x) => x.version)).toEqual([1]);
  });

  test("delete: refused while an alias points at a version, then models, the job, datasets", async () => {
    await rejection(client.models.deleteVersion("clf", 1), { status: 409, code: "conflict" });
    await client.models.deleteAlias("clf", "production");
    await rejection(client.models.deleteAlias("clf", "production"), { status: 404, code: "not_found" });
    await client.models.delete("clf");
    await client.models.delete("clf-copy");
    await rejection(client.models.get("clf"), { status: 404, code: "not_found" });
    expect(await collect(client.models.all())).toEqual([]);

    await client.jobs.delete(trained.id);
    await rejection(client.jobs.get(trained.id), { status: 404, code: "not_found" });
    await client.datasets.delete("small");
    expect((await collect(client.datasets.all())).map((d) => d.name)).toEqual(["train"]);
  });
});

describe("errors", () => {
  test("a 404 is a MaasApiError with the server's code and message", async () => {
    const e = await rejection(client.models.get("nope"), { status: 404, code: "not_found" });
    expect(e.message).toBe("no model 'nope'");
    expect(e.isClientError).toBe(true);
  });

  test("a bad spec is bad_input with every issue in the details", async () => {
    const bad = { ...job("x", 1), training: { epochs: -1, lr: "fast" } };
    const e = await rejection(client.jobs.create(bad), { status: 400, code: "bad_input" });
    expect(e.message).toMatch(/training\.epochs/);
    expect(e.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: "training.epochs" }), expect.objectContaining({ path: "training.lr" })]));
  });

  test("an unknown key is unauthorized", async () => {
    await rejection(new MaasClient({ url: platform.url, key: "maas_nope_nope" }).models.list(), { status: 401, code: "unauthorized" });
  });

  test("an unreachable server is `unavailable` (status 0) naming the URL", async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as { port: number }).port;
    await new Promise((r) => closed.close(r));
    const e = await rejection(new MaasClient({ url: `http://127.0.0.1:${port}`, key: ADMIN }).models.list(), { status: 0, code: "unavailable" });
    expect(e.message).toBe(`cannot reach OpenMaaS at http://127.0.0.1:${port}/api/v1/models (ECONNREFUSED)`);
  });

  test("a missing upload file is bad input naming it, before any request", async () => {
    const e = await client.datasets.upload("x", { path: join(home, "missing.csv") }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MaasError);
    expect(e).not.toBeInstanceOf(MaasApiError);
    expect(e).toMatchObject({ code: "bad_input", message: `${join(home, "missing.csv")}: no such file` });
  });

  test("the events of an unknown job: 404 at once, no retries", async () => {
    await rejection(collect(client.jobs.events("no-such-job")), { status: 404, code: "not_found" });
  });
});

describe("job events: resuming", () => {
  let id: string;

  test("take the first events, stop, resume after the last one seen: the rest, no duplicates", async () => {
    id = (await client.jobs.create(job("resumed", 30))).id;
    const head: JobEvent[] = [];
    for await (const e of client.jobs.events(id)) {
      head.push(e);
      if (head.length === 3) break;
    }
    const tail = await collect(client.jobs.events(id, { lastEventId: head.at(-1)!.id }));
    const all = await collect(client.jobs.events(id));
    expect(all.map((e) => e.type)).toEqual(["status", ...Array(30).fill("epoch"), "done", "status"]);
    expect([...head, ...tail]).toEqual(all);
    // Nothing after the last event: the stream of a finished job ends at once.
    expect(await collect(client.jobs.events(id, { lastEventId: all.at(-1)!.id }))).toEqual([]);
  });

  test("a dropped connection is resumed with Last-Event-ID", async () => {
    const all = await collect(client.jobs.events(id));
    const asked: (string | null)[] = [];
    const dropping: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).endsWith("/events")) return response;
      asked.push(new Headers(init?.headers).get("last-event-id"));
      return asked.length === 1 ? new Response(dropAfter(response.body!, 2), { status: response.status, headers: response.headers }) : response;
    };
    const flaky = new MaasClient({ url: platform.url, key: ADMIN, fetch: dropping });
    expect(await collect(flaky.jobs.events(id, { retryDelayMs: 1 }))).toEqual(all);
    expect(asked).toEqual([null, "2"]);
  });

  test("an abort ends the iteration with the signal's reason", async () => {
    const stop = new AbortController();
    const seen: JobEvent[] = [];
    const reading = (async () => {
      for await (const e of client.jobs.events(id, { signal: stop.signal })) {
        seen.push(e);
        stop.abort(new Error("enough"));
      }
    })();
    await expect(reading).rejects.toThrow("enough");
    expect(seen.map((e) => e.id)).toEqual([1]);
  });

  test("a connection that keeps dropping gives up after `retries`", async () => {
    let connections = 0;
    const dead: typeof fetch = async (input, init) => {
      if (!String(input).endsWith("/events")) return fetch(input, init);
      connections++;
      throw new TypeError("fetch failed", { cause: { code: "ECONNRESET" } });
    };
    const flaky = new MaasClient({ url: platform.url, key: ADMIN, fetch: dead });
    const e = await rejection(collect(flaky.jobs.events(id, { retries: 2, retryDelayMs: 1 })), { status: 0, code: "unavailable" });
    expect(e.message).toMatch(/ended 3 times/);
    expect(connections).toBe(3);
  });
});

/** A copy of an event stream that fails, as a dropped connection does, after `events` complete events. */
function dropAfter(body: ReadableStream<Uint8Array>, events: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let text = "";
  return new ReadableStream({
    async pull(controller) {
      const { value, done } = await reader.read();
      if (done) return controller.close();
      text += decoder.decode(value, { stream: true });
      const blocks = text.split("\n\n");
      const complete = blocks.slice(0, -1).filter((b) => !b.startsWith(":"));
      if (complete.length >= events) {
        const upTo = blocks.findIndex((_b, i) => blocks.slice(0, i + 1).filter((b) => !b.startsWith(":")).length === events);
        controller.enqueue(encoder.encode(blocks.slice(0, upTo + 1).join("\n\n") + "\n\n"));
        await reader.cancel();
        controller.error(new TypeError("terminated"));
      }
    },
  });
}
