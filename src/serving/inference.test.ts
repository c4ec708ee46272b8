// Where Inference runs a request: on a worker until the model's time per row (the median of its
// recent worker runs) times the request's rows is under the threshold, then on the event loop. A
// fake pool reports the worker run times the test sets.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import { Inference } from "./inference.js";
import type { ModelRef, PredictionPool } from "./prediction-pool.js";

const dir = mkdtempSync(join(tmpdir(), "maas-inference-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(threshold: number) {
  const where: string[] = [];
  const timing = { worker: 0 };
  const out: Record<string, Tensor> = { y: { dtype: "float32", dims: [1], data: Float32Array.of(1) } };
  const pool = {
    infer: async () => (where.push("worker"), { outputs: out, micros: timing.worker }),
    status: () => ({ workers: 1, busy: 0, queued: 0, sessions: 0, bytes: 0 }),
  } as unknown as PredictionPool;
  const session: Session = { inputNames: [], outputNames: ["y"], run: async () => (where.push("inline"), out), release: async () => undefined };
  const runtime: Runtime = { createSession: async () => session };
  const inference = new Inference(pool, {}, { inlineMicros: threshold, inlineMemory: 2 ** 20, runtime });
  const path = join(dir, "m.onnx");
  writeFileSync(path, Uint8Array.of(1, 2, 3));
  const ref: ModelRef = { key: "t/m/1/abc", path };
  const run = async (n: number, rows = 1) => {
    where.length = 0;
    const inputs: Record<string, Tensor> = { x: { dtype: "float32", dims: [rows, 2], data: new Float32Array(2 * rows) } };
    for (let i = 0; i < n; i++) await inference.infer(ref, inputs, ["y"]);
    return [...where];
  };
  return { timing, run, inference };
}

describe("Inference: event loop or worker", () => {
  test("a model whose runs are fast moves to the event loop after nine runs", async () => {
    const { timing, run } = setup(1000);
    timing.worker = 50;
    expect(await run(9)).toEqual(new Array(9).fill("worker"));
    expect(await run(3)).toEqual(["inline", "inline", "inline"]);
  });

  test("a slow model stays on the workers", async () => {
    const { timing, run } = setup(1000);
    timing.worker = 5000;
    expect(new Set(await run(20))).toEqual(new Set(["worker"]));
  });

  test("a large request of a fast model still goes to a worker", async () => {
    const { timing, run } = setup(1000);
    timing.worker = 50;
    await run(9);
    expect(await run(1, 10)).toEqual(["inline"]); // 10 rows x 50 µs = 500 µs
    expect(await run(1, 100)).toEqual(["worker"]); // 100 rows x 50 µs = 5 ms: too long for the event loop
    expect(await run(1, 1)).toEqual(["inline"]); // one odd run does not move the median
  });

  test("0 keeps every model on the workers", async () => {
    const { timing, run } = setup(0);
    timing.worker = 1;
    expect(new Set(await run(20))).toEqual(new Set(["worker"]));
  });
});
