// The pool against the in-process oracle (ModelFile.predict / evaluate), errors across the thread
// boundary, a free event loop while a worker computes, crashed workers and closing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tableFromRows } from "../data/table.js";
import { Random } from "../engine/random.js";
import { MaasError } from "../errors.js";
import { ModelFile } from "../models/model-file.js";
import type { TabularSpecInput } from "../models/spec.js";
import { TabularSpecSchema } from "../models/spec.js";
import { trainTable } from "../models/tabular.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { ModelRef, RowTable } from "./prediction-pool.js";
import { PredictionPool } from "./prediction-pool.js";

const runtime = defaultRuntime();
const dir = mkdtempSync(join(tmpdir(), "maas-pool-"));

/** Three classes in two features, row-major, with the label last. */
function speciesRows(rows: number, seed: number): string[][] {
  const rng = new Random(seed);
  const names = ["setosa", "versicolor", "virginica"];
  return Array.from({ length: rows }, (_v, i) => {
    const k = i % 3;
    return [String(k + 0.3 * rng.uniform()), String(2 * k - 0.3 * rng.uniform()), names[k]];
  });
}

/** y = 3 x - 1 + noise, with a colour that adds 0 or 2. */
function lineRows(rows: number, seed: number): string[][] {
  const rng = new Random(seed);
  return Array.from({ length: rows }, () => {
    const x = rng.uniform();
    const colour = rng.int(2) ? "red" : "blue";
    return [String(x), colour, String(3 * x - 1 + (colour === "red" ? 2 : 0) + 0.01 * rng.normal())];
  });
}

/** Trains a model on row-major cells and writes its .onnx; returns its reference and parsed file. */
async function train(name: string, columns: string[], rows: string[][], spec: TabularSpecInput): Promise<{ ref: ModelRef; file: ModelFile }> {
  const { onnx } = await trainTable(tableFromRows(`${name}.csv`, columns, rows), TabularSpecSchema.parse(spec));
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, onnx);
  return { ref: { key: `default/${name}/1`, path }, file: ModelFile.parse(onnx, path) };
}

/** The in-process answer for a request table. */
function oracle(file: ModelFile, t: RowTable) {
  return file.predict(runtime, tableFromRows("request", t.columns, t.values));
}

const HEAVY_ROWS = 20_000;

const rowTable = (columns: string[], values: (string | null)[][]): RowTable => ({ columns, values, rows: values.length });

/** The longest gap between 5 ms timer ticks while `work` runs, and how long it ran. */
async function loopGap<T>(work: () => Promise<T>): Promise<{ gap: number; ms: number; result: T }> {
  let last = performance.now();
  let gap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    gap = Math.max(gap, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    gap = Math.max(gap, performance.now() - last);
    return { gap, ms, result };
  } finally {
    clearInterval(timer);
  }
}

let species: { ref: ModelRef; file: ModelFile };
let line: { ref: ModelRef; file: ModelFile };
/** A wide MLP: predicting HEAVY_ROWS rows keeps a worker busy for a few hundred ms. */
let heavy: { ref: ModelRef; file: ModelFile };
let heavyTable: RowTable;
let pool: PredictionPool;

beforeAll(async () => {
  species = await train("species", ["f1", "f2", "species"], speciesRows(150, 1), { target: "species", model: { kind: "logistic" } });
  line = await train("line", ["x", "colour", "y"], lineRows(100, 2), { target: "y", model: { kind: "linear" } });
  heavy = await train("heavy", ["f1", "f2", "species"], speciesRows(60, 3), {
    target: "species",
    model: { kind: "mlp", hidden: [1024, 1024] },
    training: { epochs: 1, validationSplit: 0 },
  });
  heavyTable = rowTable(["f1", "f2"], speciesRows(HEAVY_ROWS, 4).map((r) => r.slice(0, 2)));
  pool = await PredictionPool.start({ workers: 2, threadsPerWorker: 1, sessionsPerWorker: 4 });
}, 120_000);

afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("PredictionPool", () => {
  test("answers as ModelFile.predict does in-process", async () => {
    const t = rowTable(["f2", "f1", "extra"], [["-0.1", "0.1", "x"], ["1.9", "1.1", null], ["3.9", "2.1", "y"], [null, "1", "z"]]);
    const got = await pool.predict(species.ref, t);
    expect(got).toEqual(await oracle(species.file, t));
    expect(got.map((r) => r.prediction).slice(0, 3)).toEqual(["setosa", "versicolor", "virginica"]);
  });

  test("serves two models side by side", async () => {
    const a = rowTable(["f1", "f2"], speciesRows(30, 5).map((r) => r.slice(0, 2)));
    const b = rowTable(["x", "colour"], lineRows(30, 6).map((r) => r.slice(0, 2)));
    const requests = Array.from({ length: 12 }, (_v, i) => (i % 2 ? pool.predict(line.ref, b) : pool.predict(species.ref, a)));
    const answers = await Promise.all(requests);
    const [wantA, wantB] = [await oracle(species.file, a), await oracle(line.file, b)];
    answers.forEach((got, i) => expect(got).toEqual(i % 2 ? wantB : wantA));
    expect(typeof answers[1][0].prediction).toBe("number");
  });

  test("evaluates a dataset file as ModelFile.evaluate does", async () => {
    const rows = speciesRows(90, 7);
    const path = join(dir, "eval.csv");
    writeFileSync(path, ["f1,f2,species", ...rows.map((r) => r.join(","))].join("\n"));
    const got = await pool.evaluate(species.ref, path);
    expect(got).toEqual(await species.file.evaluate(runtime, tableFromRows("eval.csv", ["f1", "f2", "species"], rows)));
    expect(got.rows).toBe(90);
  });

  test("a MaasError in the worker arrives as a MaasError with its code, message and details", async () => {
    const missing = rowTable(["f1"], [["0.5"]]);
    const local = await oracle(species.file, missing).catch((e: unknown) => e);
    const remote = await pool.predict(species.ref, missing).catch((e: unknown) => e);
    expect(local).toBeInstanceOf(MaasError);
    expect(remote).toBeInstanceOf(MaasError);
    expect((remote as MaasError).code).toBe("bad_input");
    expect((remote as MaasError).message).toBe((local as MaasError).message);
    expect((remote as MaasError).message).toContain("'f2'");

    const ragged = await pool.predict(species.ref, { columns: ["f1", "f2"], values: [["1", "2"], ["1"]], rows: 3 }).catch((e: unknown) => e);
    expect(ragged).toBeInstanceOf(MaasError);
    expect((ragged as MaasError).details).toEqual({ issues: ["rows is 3 but there are 2 records", "record 2 has 1 values for 2 columns"] });
  });

  test("other errors arrive as plain Errors with their message", async () => {
    const gone: ModelRef = { key: "default/gone/1", path: join(dir, "gone.onnx") };
    const e = await pool.predict(gone, rowTable(["f1", "f2"], [["1", "2"]])).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(MaasError);
    expect((e as Error).message).toContain("gone.onnx");
    // A failed load is not cached: the same key answers once the file exists.
    writeFileSync(gone.path, readFileSync(species.ref.path));
    expect(await pool.predict(gone, rowTable(["f1", "f2"], [["0", "0"]]))).toHaveLength(1);
  });

  test("the event loop stays free while a worker runs a heavy request", async () => {
    const local = await loopGap(() => oracle(heavy.file, heavyTable));
    const remote = await loopGap(() => pool.predict(heavy.ref, heavyTable));
    expect(remote.result).toEqual(local.result);
    // In-process, the request blocks the loop for most of its run; through the pool it does not.
    expect(local.gap).toBeGreaterThan(local.ms / 2);
    expect(remote.ms).toBeGreaterThan(100);
    expect(remote.gap).toBeLessThan(remote.ms / 4);
  });
});

describe("PredictionPool workers", () => {
  test("a worker that stops mid-request fails that request, and its replacement answers the rest", async () => {
    const one = await PredictionPool.start({ workers: 1, threadsPerWorker: 1, sessionsPerWorker: 2 });
    try {
      const small = rowTable(["f1", "f2"], [["0.1", "-0.1"]]);
      const busy = one.predict(heavy.ref, heavyTable);
      const queued = one.predict(species.ref, small);
      await until(() => one.status().busy === 1);
      await one.restartWorker(0);
      await expect(busy).rejects.toThrow(/worker 0 stopped while running this request \(it was restarted\)/);
      expect(await queued).toEqual(await oracle(species.file, small)); // waited for the replacement
      expect(one.status()).toMatchObject({ workers: 1, busy: 0, queued: 0 });
    } finally {
      await one.close();
    }
  });

  test("a full queue and a long wait fail the request with unavailable and a retry hint, and the rest are answered", async () => {
    const one = await PredictionPool.start({ workers: 1, threadsPerWorker: 1, sessionsPerWorker: 2, maxQueue: 1, queueTimeoutMs: 50 });
    try {
      const small = rowTable(["f1", "f2"], [["0.1", "-0.1"]]);
      const busy = one.predict(heavy.ref, heavyTable);
      await until(() => one.status().busy === 1);
      const waiting = one.predict(species.ref, small).catch((e: unknown) => e);
      const refused = await one.predict(species.ref, small).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(MaasError);
      expect((refused as MaasError).message).toBe("the prediction queue is full (1 requests waiting); retry shortly");
      expect((refused as MaasError).details).toEqual({ retryAfterSeconds: 1 });
      const late = (await waiting) as MaasError; // the heavy request holds the only worker for > 50 ms
      expect(late.code).toBe("unavailable");
      expect(late.message).toBe("no prediction worker was free within 50 ms; retry shortly");
      expect(await busy).toHaveLength(HEAVY_ROWS);
      expect(one.status().queued).toBe(0);
      expect(await one.predict(species.ref, small)).toEqual(await oracle(species.file, small));
    } finally {
      await one.close();
    }
  });

  test("infer runs raw tensors; load answers the interface; unload releases the sessions", async () => {
    const one = await PredictionPool.start({ workers: 1, threadsPerWorker: 1, sessionsPerWorker: 4 });
    try {
      const info = await one.load(line.ref);
      expect(info.inputs.map((i) => [i.name, i.dtype])).toEqual([["x", "float32"], ["colour", "string"]]);
      expect(one.status().sessions).toBe(1);
      expect(one.status().bytes).toBeGreaterThan(0);
      const inputs = { x: { dtype: "float32" as const, dims: [2, 1], data: Float32Array.of(0.5, 0.25) }, colour: { dtype: "string" as const, dims: [2, 1], data: ["red", "blue"] } };
      const { outputs: out, micros } = await one.infer(line.ref, inputs, ["prediction"]);
      expect(micros).toBeGreaterThan(0);
      const want = await oracle(line.file, rowTable(["x", "colour"], [["0.5", "red"], ["0.25", "blue"]]));
      expect(Math.max(...Array.from(out.prediction.data as Float32Array, (v, i) => Math.abs(v - (want[i].prediction as number))))).toBeLessThan(1e-6);
      one.unload("default/line/");
      await until(() => one.status().sessions === 0);
    } finally {
      await one.close();
    }
  });

  test("close() rejects requests in flight and queued, and later ones", async () => {
    const one = await PredictionPool.start({ workers: 1, threadsPerWorker: 1, sessionsPerWorker: 2 });
    const busy = one.predict(heavy.ref, heavyTable).catch((e: unknown) => e);
    const queued = one.predict(species.ref, rowTable(["f1", "f2"], [["0", "0"]])).catch((e: unknown) => e);
    await until(() => one.status().busy === 1);
    await one.close();
    for (const e of [await busy, await queued]) {
      expect(e).toBeInstanceOf(MaasError);
      expect((e as MaasError).code).toBe("unavailable");
    }
    await expect(one.predict(species.ref, rowTable(["f1", "f2"], [["0", "0"]]))).rejects.toThrow("the prediction pool is closed");
  });
});

/** Waits until `ready()` holds (polling), or fails after 10 s. */
async function until(ready: () => boolean): Promise<void> {
  for (const started = Date.now(); !ready(); await new Promise((r) => setTimeout(r, 2))) {
    if (Date.now() - started > 10_000) throw new Error("timed out waiting for the pool");
  }
}
