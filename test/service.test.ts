// The service over a real socket: bad input gets the right 4xx, tenants never see each other's data,
// and a killed training process or server loses nothing.
import { execFileSync, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../src/config.js";
import type { Platform } from "../src/server/platform.js";
import { startPlatform } from "../src/server/platform.js";

const ADMIN = "service-test-admin-key-0123456789";
const home = mkdtempSync(join(tmpdir(), "maas-service-"));
let platform: Platform;
let url: string;

async function call(method: string, path: string, key: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } };
  if (body !== undefined) {
    if (typeof body === "string" || body instanceof Uint8Array) init.body = body;
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)["content-type"] = "application/json";
    }
  }
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json as Record<string, unknown> & { error?: { code: string; message: string; details?: unknown } } };
}

const csv = (rows: number) => "a,b,label\n" + Array.from({ length: rows }, (_v, i) => `${(i % 2) + ((i * 7) % 10) / 50},${1 - (i % 2) + ((i * 3) % 10) / 50},${i % 2 ? "yes" : "no"}`).join("\n") + "\n";

async function newKey(tenant: string, scopes: string[]) {
  const r = await call("POST", "/api/v1/keys", ADMIN, { name: `${tenant}-${scopes.join("-")}`, tenant, scopes });
  expect(r.status).toBe(201);
  return r.body.key as string;
}

async function waitJob(key: string, id: string, until: (status: string) => boolean = (s) => ["succeeded", "failed", "cancelled"].includes(s)) {
  for (let i = 0; i < 600; i++) {
    const r = await call("GET", `/api/v1/jobs/${id}`, key);
    if (until(r.body.status as string)) return r.body;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`job ${id} did not finish`);
}

let keyA: string;
let keyB: string;
let dsA: string;
let jobA: string;

beforeAll(async () => {
  platform = await startPlatform(loadConfig({ port: 0, home, adminKey: ADMIN, logLevel: "silent", uploadLimit: 64 * 1024, predictWorkers: 1 }));
  url = platform.url;
  keyA = await newKey("tenant-a", ["write", "predict"]);
  keyB = await newKey("tenant-b", ["admin"]);
  const up = await call("POST", "/api/v1/datasets?name=toy", keyA, csv(120), { "content-type": "text/csv" });
  expect(up.status).toBe(201);
  dsA = up.body.id as string;
  const job = await call("POST", "/api/v1/jobs", keyA, { dataset: dsA, target: "label", name: "toy", model: { kind: "logistic" } });
  expect(job.status).toBe(202);
  jobA = job.body.id as string;
  expect((await waitJob(keyA, jobA)).status).toBe("succeeded");
  expect((await call("PUT", "/api/v1/models/toy/aliases/production", keyA, { version: 1 })).status).toBe(200);
  // A recommender of A's, for the isolation of its routes.
  const ratings = "user,item,rating\n" + Array.from({ length: 60 }, (_v, n) => `u${n % 12},i${(n * 5) % 9},${1 + (n % 5)}`).join("\n") + "\n";
  expect((await call("POST", "/api/v1/datasets?name=ratings", keyA, ratings, { "content-type": "text/csv" })).status).toBe(201);
  const recs = await call("POST", "/api/v1/jobs", keyA, { dataset: "ratings", target: "rating", name: "recs", model: { kind: "mf", factors: 2 }, training: { epochs: 3 } });
  expect((await waitJob(keyA, recs.body.id as string)).status).toBe("succeeded");
}, 60_000);

afterAll(async () => {
  await platform?.close();
  rmSync(home, { recursive: true, force: true });
});

describe("bad input: the right 4xx with {error:{code,message}}", () => {
  test.each<[string, () => ReturnType<typeof call>, number, RegExp]>([
    ["malformed JSON", () => call("POST", "/api/v1/jobs", keyA, "{ nope", { "content-type": "application/json" }), 400, /JSON/],
    ["a wrong content type", () => call("POST", "/api/v1/datasets?name=x", keyA, "<a/>", { "content-type": "application/xml" }), 400, /unsupported Content-Type/],
    ["an upload over the limit", () => call("POST", "/api/v1/datasets?name=big", keyA, csv(5000), { "content-type": "text/csv" }), 413, /larger than/],
    ["a CSV with a ragged row", () => call("POST", "/api/v1/datasets?name=rag", keyA, "a,b\n1,2\n3,4,5\n", { "content-type": "text/csv" }), 400, /rag.csv, row 2.*expected 2 fields, found 3/],
    ["a job naming a missing dataset", () => call("POST", "/api/v1/jobs", keyA, { dataset: "nope", target: "label", name: "m", model: { kind: "mlp" } }), 422, /no dataset 'nope'/],
    ["a job naming a missing column", () => call("POST", "/api/v1/jobs", keyA, { dataset: dsA, target: "colour", name: "m", model: { kind: "mlp" } }), 422, /no column 'colour'/],
    ["an unknown model kind", () => call("POST", "/api/v1/jobs", keyA, { dataset: dsA, target: "label", name: "m", model: { kind: "forest" } }), 400, /model.kind/],
    ["predict: a missing feature", () => call("POST", "/api/v1/models/toy/predict", keyA, { instances: [{ a: 1 }] }), 422, /instance 0 'b': missing/],
    ["predict: an extra feature", () => call("POST", "/api/v1/models/toy/predict", keyA, { instances: [{ a: 1, b: 2, c: 3 }] }), 422, /'c': not a feature/],
    ["predict: a wrongly typed feature", () => call("POST", "/api/v1/models/toy/predict", keyA, { instances: [{ a: "x", b: 2 }] }), 422, /'a': expected a number/],
    ["an unknown key", () => call("GET", "/api/v1/models", "maas_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 401, /unknown API key/],
    ["no key", () => call("GET", "/api/v1/models", undefined), 401, /missing API key/],
    ["a scope the key lacks", () => call("POST", "/api/v1/keys", keyA, { name: "x", scopes: ["read"] }), 403, /lacks the 'admin' scope/],
  ])("%s", async (_name, request, status, message) => {
    const r = await request();
    expect(r.status).toBe(status);
    expect(r.body.error?.code).toEqual(expect.any(String));
    expect(r.body.error?.message).toMatch(message);
  });

  test("a revoked key", async () => {
    const created = await call("POST", "/api/v1/keys", ADMIN, { name: "short-lived", tenant: "tenant-a", scopes: ["read"] });
    expect((await call("GET", "/api/v1/models", created.body.key as string)).status).toBe(200);
    expect((await call("DELETE", `/api/v1/keys/${created.body.id}`, ADMIN)).status).toBe(204);
    const r = await call("GET", "/api/v1/models", created.body.key as string);
    expect(r.status).toBe(401);
    expect(r.body.error?.message).toMatch(/revoked/);
  });
});

describe("what the dashboard reads", () => {
  test("GET /datasets/:id/rows: a window of the cells as written, and the total", async () => {
    const r = await call("GET", `/api/v1/datasets/${dsA}/rows?offset=2&limit=3`, keyA);
    expect(r.status).toBe(200);
    const lines = csv(120).trim().split("\n").slice(1).map((l) => l.split(","));
    expect(r.body).toEqual({ columns: [{ name: "a", type: "numeric" }, { name: "b", type: "numeric" }, { name: "label", type: "categorical" }], rows: lines.slice(2, 5), offset: 2, total: 120 });
    expect(((await call("GET", "/api/v1/datasets/toy/rows?offset=119", keyA)).body.rows as unknown[]).length).toBe(1);
    const bad = await call("GET", "/api/v1/datasets/toy/rows?limit=5000", keyA);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.message).toMatch(/limit/);
  });

  test("GET /whoami: the key's tenant and scopes", async () => {
    expect((await call("GET", "/api/v1/whoami", keyA)).body).toEqual({ keyId: expect.any(String), tenant: "tenant-a", scopes: ["write", "predict"], platformAdmin: false });
    expect((await call("GET", "/api/v1/whoami", undefined)).status).toBe(401);
  });

  test("the dashboard's files answer without a key, under a same-origin Content-Security-Policy", async () => {
    const page = await fetch(`${url}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    expect(page.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    const asset = html.match(/src="(\/assets\/[^"]+\.js)"/)![1];
    const js = await fetch(`${url}${asset}`);
    expect([js.status, js.headers.get("cache-control")]).toEqual([200, "public, max-age=31536000, immutable"]);
    // Everything else still needs a key.
    expect((await fetch(`${url}/api/v1/models`)).status).toBe(401);
    expect((await fetch(`${url}/assets/../package.json`)).status).not.toBe(200);
  });
});

describe("isolation: another tenant's key sees nothing", () => {
  test("every route answers 404 (or 403) to tenant B for tenant A's resources", async () => {
    const routes: [string, string, unknown?][] = [
      ["GET", `/api/v1/datasets/${dsA}`],
      ["GET", `/api/v1/datasets/${dsA}/rows`],
      ["GET", "/api/v1/datasets/toy/rows"],
      ["DELETE", `/api/v1/datasets/${dsA}`],
      ["GET", `/api/v1/jobs/${jobA}`],
      ["GET", `/api/v1/jobs/${jobA}/events`],
      ["POST", `/api/v1/jobs/${jobA}/cancel`],
      ["DELETE", `/api/v1/jobs/${jobA}`],
      ["GET", "/api/v1/models/toy"],
      ["GET", "/api/v1/models/toy/versions"],
      ["GET", "/api/v1/models/toy/versions/1"],
      ["GET", "/api/v1/models/toy/versions/1/artifact"],
      ["PUT", "/api/v1/models/toy/aliases/staging", { version: 1 }],
      ["DELETE", "/api/v1/models/toy/aliases/production"],
      ["POST", "/api/v1/models/toy/predict", { instances: [{ a: 1, b: 0 }] }],
      ["POST", "/api/v1/models/toy/evaluate", { dataset: dsA }],
      ["POST", "/api/v1/models/recs/recommend", { user: "u1" }],
      ["POST", "/api/v1/models/recs/similar-items", { item: "i1" }],
      ["POST", "/api/v1/models/recs/predict", { instances: [{ user: "u1", item: "i1" }] }],
      ["POST", "/v1/completions", { model: "toy", prompt: "x" }],
      ["POST", "/v1/chat/completions", { model: "recs", messages: [{ role: "user", content: "x" }] }],
      ["POST", "/v1/embeddings", { model: "toy", input: "x" }],
      ["DELETE", "/api/v1/models/toy/versions/1"],
      ["DELETE", "/api/v1/models/toy"],
      ["POST", "/api/v1/jobs", { dataset: dsA, target: "label", name: "steal", model: { kind: "logistic" } }],
    ];
    for (const [method, path, body] of routes) {
      const r = await call(method, path, keyB, body);
      expect([403, 404, 422], `${method} ${path} -> ${r.status}`).toContain(r.status);
      expect(JSON.stringify(r.body)).not.toContain("yes"); // none of A's labels or data
    }
    // Lists are empty, and A's key is not among B's keys.
    for (const path of ["/api/v1/datasets", "/api/v1/jobs", "/api/v1/models", "/api/v1/keys"]) {
      const r = await call("GET", path, keyB);
      expect(r.status, path).toBe(200);
      expect((r.body.items as { tenant?: string }[]).filter((x) => x.tenant !== "tenant-b")).toEqual([]);
    }
    expect((await call("GET", "/v1/models", keyB)).body).toEqual({ object: "list", data: [] });
    // A non-platform admin cannot make keys for another tenant, nor revoke them.
    expect((await call("POST", "/api/v1/keys", keyB, { name: "x", tenant: "tenant-a", scopes: ["read"] })).status).toBe(403);
    const aKeys = await call("GET", "/api/v1/keys", ADMIN);
    expect(aKeys.status).toBe(200);
    // And everything of A's is still there.
    expect((await call("GET", "/api/v1/models/toy/versions/1", keyA)).status).toBe(200);
    expect((await call("GET", `/api/v1/datasets/${dsA}`, keyA)).status).toBe(200);
  });

  test("names are per tenant: B can have its own 'toy'", async () => {
    const up = await call("POST", "/api/v1/datasets?name=toy", keyB, csv(60), { "content-type": "text/csv" });
    expect(up.status).toBe(201);
    const job = await call("POST", "/api/v1/jobs", keyB, { dataset: "toy", target: "label", name: "toy", model: { kind: "logistic" } });
    expect((await waitJob(keyB, job.body.id as string)).model).toEqual({ name: "toy", version: 1 });
  });
});

describe("faults", () => {
  test("a training process killed mid-epoch fails its job with a reason; the server keeps serving", async () => {
    const job = await call("POST", "/api/v1/jobs", keyA, {
      dataset: dsA,
      target: "label",
      name: "killed",
      model: { kind: "mlp", hidden: [256, 256] },
      training: { epochs: 100000, batchSize: 1, earlyStopping: false },
    });
    const id = job.body.id as string;
    await waitJob(keyA, id, (s) => s === "running");
    // Mid-epoch: after the first epoch report, while the next one runs.
    for (let i = 0; i < 200 && !(await call("GET", `/api/v1/jobs/${id}`, keyA)).body.progress; i++) await new Promise((r) => setTimeout(r, 50));
    // The child is the only node process whose parent is this one and whose script is train-child.
    const children = execFileSync("pgrep", ["-P", String(process.pid), "-f", "jobs/train-child"]).toString().trim().split("\n").filter(Boolean);
    expect(children.length).toBe(1);
    process.kill(Number(children[0]), "SIGKILL");
    const done = await waitJob(keyA, id);
    expect(done.status).toBe("failed");
    expect((done.error as { message: string }).message).toMatch(/killed by SIGKILL/);
    const p = await call("POST", "/api/v1/models/toy/predict", keyA, { instances: [{ a: 0.1, b: 1.1 }] });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
  }, 60_000);
});

describe("a server killed mid-training", () => {
  const home2 = mkdtempSync(join(tmpdir(), "maas-restart-"));
  const cli = join(import.meta.dirname, "..", "dist", "cli", "main.js");
  let server: ChildProcess | undefined;
  afterAll(() => {
    server?.kill("SIGKILL");
    rmSync(home2, { recursive: true, force: true });
  });

  async function serve(): Promise<string> {
    server = spawn(process.execPath, [cli, "serve", "--port", "0", "--home", home2], { env: { ...process.env, MAAS_ADMIN_KEY: ADMIN, MAAS_LOG_LEVEL: "silent" }, stdio: ["ignore", "pipe", "pipe"] });
    return new Promise((resolve, reject) => {
      let out = "";
      server!.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = out.match(/serving at (http:\/\/\S+) /);
        if (m) resolve(m[1]);
      });
      server!.on("exit", (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
  }

  test("after kill -9 and a restart the job runs again and registers exactly one version", async () => {
    url = await serve();
    const up = await call("POST", "/api/v1/datasets?name=d", ADMIN, csv(200), { "content-type": "text/csv" });
    const job = await call("POST", "/api/v1/jobs", ADMIN, { dataset: up.body.id, target: "label", name: "resumed", model: { kind: "mlp", hidden: [64] }, training: { epochs: 40, batchSize: 4, earlyStopping: false } });
    const id = job.body.id as string;
    await waitJob(ADMIN, id, (s) => s === "running");
    server!.kill("SIGKILL");
    await new Promise((r) => server!.once("exit", r));

    url = await serve();
    const done = await waitJob(ADMIN, id);
    expect(done.status).toBe("succeeded");
    expect(done.attempts).toBe(2);
    const versions = await call("GET", "/api/v1/models/resumed/versions", ADMIN);
    expect((versions.body.items as unknown[]).length).toBe(1);
    // The upload survived too.
    expect((await call("GET", `/api/v1/datasets/${up.body.id}`, ADMIN)).body.rows).toBe(200);
    url = platform.url;
  }, 120_000);
});

describe("operations", () => {
  test("/metrics is the platform administrator's, in Prometheus text format", async () => {
    expect((await call("POST", "/api/v1/models/toy/predict", keyA, { instances: [{ a: 0.1, b: 1.1 }] })).status).toBe(200);
    const m = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(m.status).toBe(200);
    const text = await m.text();
    expect(text).toMatch(/maas_http_request_duration_seconds_bucket\{.*route="\/api\/v1\/models\/:name\/predict"/);
    expect(text).toMatch(/maas_predictions_total \d+/);
    expect((await call("GET", "/metrics", keyB)).status).toBe(403);
  });

  test("OpenAPI 3 lists the routes; /docs is a page", async () => {
    const doc = await call("GET", "/openapi.json", undefined);
    expect(String(doc.body.openapi)).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths as object)).toEqual(expect.arrayContaining(["/api/v1/jobs", "/api/v1/models/{name}/predict", "/api/v1/datasets"]));
    const page = await fetch(`${url}/docs`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);
  });

  test("a key over its rate limit gets 429", async () => {
    const limited = await startPlatform(loadConfig({ port: 0, home: mkdtempSync(join(tmpdir(), "maas-rate-")), adminKey: ADMIN, logLevel: "silent", rateLimit: 5, predictWorkers: 1 }));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await fetch(`${limited.url}/api/v1/models`, { headers: { authorization: `Bearer ${ADMIN}` } })).status);
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      const r = await fetch(`${limited.url}/api/v1/models`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe("rate_limited");
    } finally {
      await limited.close();
    }
  });
});
