// Image classifiers end to end through `maas`: class folders of PNGs and IDX files in, a cnn out,
// predictions back with the labels the data had.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { gzip, idx, png, writeTree } from "../src/data/image-fixtures.js";
import { Random } from "../src/engine/random.js";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "maas-img-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maas(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SIZE = 12;
const KINDS = ["horizontal", "vertical", "diagonal"] as const;

/** A 12x12 gray image of one kind of stripe, with noise: easy for a cnn, and not by mean brightness. */
function stripes(kind: (typeof KINDS)[number], rng: Random): number[] {
  const phase = rng.int(3);
  return Array.from({ length: SIZE * SIZE }, (_v, i) => {
    const [y, x] = [Math.floor(i / SIZE), i % SIZE];
    const on = kind === "horizontal" ? (y + phase) % 3 === 0 : kind === "vertical" ? (x + phase) % 3 === 0 : (x + y + phase) % 3 === 0;
    return Math.max(0, Math.min(255, (on ? 200 : 40) + Math.round(30 * rng.normal())));
  });
}

const trainArgs = ["--epochs", "8", "--batch-size", "16", "--seed", "1"];

describe("class folders of PNGs", () => {
  test("train a cnn, predict in file-name order with a file field, evaluate", async () => {
    const rng = new Random(3);
    const files: Record<string, Buffer> = {};
    for (const kind of KINDS) for (let i = 0; i < 40; i++) files[`train/${kind}/${String(i).padStart(3, "0")}.png`] = png(SIZE, SIZE, 1, stripes(kind, rng));
    for (const kind of KINDS) for (let i = 0; i < 3; i++) files[`test/${kind}/${i}.png`] = png(SIZE, SIZE, 1, stripes(kind, rng));
    for (let i = 0; i < 3; i++) files[`unlabelled/${KINDS[i]}-${i}.png`] = png(SIZE, SIZE, 1, stripes(KINDS[i], rng));
    await writeTree(dir, files);

    const t = maas("train", "--data", "train", "--out", "stripes.onnx", "--json", ...trainArgs);
    expect(t.code, t.stderr).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ kind: "cnn", task: "classification", labels: ["diagonal", "horizontal", "vertical"] });

    const p = maas("predict", "--model", "stripes.onnx", "--data", "unlabelled", "--json");
    expect(p.code, p.stderr).toBe(0);
    const rows = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => r.file)).toEqual(["diagonal-2.png", "horizontal-0.png", "vertical-1.png"]);
    expect(rows.map((r) => r.prediction)).toEqual(["diagonal", "horizontal", "vertical"]);
    for (const r of rows) expect(Object.values(r.probabilities as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);

    const e = maas("eval", "--model", "stripes.onnx", "--data", "test", "--json");
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).metrics.accuracy).toBe(1);

    const i = JSON.parse(maas("inspect", "stripes.onnx", "--json").stdout);
    expect(i.inputs).toEqual([{ name: "image", dtype: "float32", shape: ["batch", 1, SIZE, SIZE] }]);
    expect(i.card.image).toMatchObject({ channels: 1, height: SIZE, width: SIZE });
  }, 120_000);
});

describe("IDX files", () => {
  test("labels are integers, in record order", () => {
    const rng = new Random(5);
    const n = 120;
    const labels = Array.from({ length: n }, (_v, i) => i % 3);
    const pixels = labels.flatMap((k) => stripes(KINDS[k], rng));
    writeFileSync(join(dir, "images-idx3-ubyte.gz"), gzip(idx([n, SIZE, SIZE], pixels)));
    writeFileSync(join(dir, "labels-idx1-ubyte"), idx([n], labels));
    const t = maas("train", "--data", "images-idx3-ubyte.gz", "--labels", "labels-idx1-ubyte", "--out", "idx.onnx", "--json", ...trainArgs);
    expect(t.code, t.stderr).toBe(0);
    const p = maas("predict", "--model", "idx.onnx", "--data", "images-idx3-ubyte.gz", "--json");
    expect(p.code, p.stderr).toBe(0);
    const rows = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows).toHaveLength(n);
    expect(rows.every((r) => Number.isInteger(r.prediction))).toBe(true);
    const correct = rows.filter((r, i) => r.prediction === labels[i]).length;
    expect(correct / n).toBeGreaterThan(0.95);
  }, 120_000);

  test("a corrupt IDX header: exit 2, one line naming the file", () => {
    writeFileSync(join(dir, "bad-idx3-ubyte"), Buffer.from([0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 4]));
    const r = maas("train", "--data", "bad-idx3-ubyte", "--out", "bad.onnx");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^maas: bad-idx3-ubyte: /);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("over HTTP", () => {
  test("upload a zip of class folders, train a cnn job, predict {image: base64}, evaluate", async () => {
    const { zipSync } = await import("fflate");
    const { loadConfig } = await import("../src/config.js");
    const { startPlatform } = await import("../src/server/platform.js");
    const rng = new Random(9);
    const entries: Record<string, Uint8Array> = {};
    for (const kind of KINDS) for (let i = 0; i < 30; i++) entries[`${kind}/${i}.png`] = png(SIZE, SIZE, 1, stripes(kind, rng));
    const admin = "images-admin-key-0123456789";
    const platform = await startPlatform(loadConfig({ port: 0, home: join(dir, "home"), adminKey: admin, logLevel: "silent", predictWorkers: 1 }));
    const call = async (method: string, path: string, body?: unknown, type = "application/json") => {
      const res = await fetch(`${platform.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${admin}`, ...(body !== undefined ? { "content-type": type } : {}) },
        body: body === undefined ? undefined : body instanceof Uint8Array || typeof body === "string" ? body : JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      const up = await call("POST", "/api/v1/datasets?name=stripes", zipSync(entries), "application/zip");
      expect(up.status, JSON.stringify(up.body)).toBe(201);
      expect(up.body).toMatchObject({ rows: 90, format: "zip", columns: [{ name: "image", type: `image 1x${SIZE}x${SIZE}` }, { name: "label", type: "label" }] });
      const job = await call("POST", "/api/v1/jobs", { dataset: "stripes", name: "stripes", model: { kind: "cnn" }, training: { epochs: 8, batchSize: 16, seed: 1 } });
      expect(job.status, JSON.stringify(job.body)).toBe(202);
      let status = "";
      for (let i = 0; i < 600 && !["succeeded", "failed"].includes(status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await call("GET", `/api/v1/jobs/${job.body.id}`)).body.status as string;
      }
      expect(status).toBe("succeeded");
      const images = KINDS.map((k) => ({ image: png(SIZE, SIZE, 1, stripes(k, rng)).toString("base64") }));
      const p = await call("POST", "/api/v1/models/stripes/predict", { instances: images });
      expect(p.status, JSON.stringify(p.body)).toBe(200);
      expect((p.body.predictions as { prediction: string }[]).map((x) => x.prediction)).toEqual([...KINDS]);
      const bad = await call("POST", "/api/v1/models/stripes/predict", { instances: [{ image: "bm90IGFuIGltYWdl" }] });
      expect(bad.status, JSON.stringify(bad.body)).toBe(422);
      expect((bad.body.error as { message: string }).message).toMatch(/instances\[0\]\.image/);
      const e = await call("POST", "/api/v1/models/stripes/evaluate", { dataset: "stripes" });
      expect(e.status, JSON.stringify(e.body)).toBe(200);
      expect((e.body.metrics as { accuracy: number }).accuracy).toBe(1);
      const cnnOnTable = await call("POST", "/api/v1/datasets?name=t", "a,b\n1,2\n3,4\n", "text/csv");
      expect((await call("POST", "/api/v1/jobs", { dataset: cnnOnTable.body.id, target: "b", name: "x", model: { kind: "cnn" } })).status).toBe(422);
    } finally {
      await platform.close();
    }
  }, 120_000);
});
