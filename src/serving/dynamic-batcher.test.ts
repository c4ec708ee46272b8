// The dynamic batcher against a model whose answer per row is known (y = 2 x, and the row's label
// echoed): every request gets exactly its own rows back, whatever batch it ran in.
import { describe, expect, test } from "vitest";
import { MaasError } from "../errors.js";
import type { Tensor } from "../runtime/tensor.js";
import type { BatchingOptions } from "./dynamic-batcher.js";
import { DynamicBatcher } from "./dynamic-batcher.js";

const tick = () => new Promise((r) => setImmediate(r));
const OPTIONS: BatchingOptions = { maxBatchSize: 8, maxQueueDelayMs: 20, maxQueueSize: 100, timeoutMs: 5000 };

/** A model over x [N, F] float32 and tag [N] string: y = 2 x, and the tags back; records each run's rows. */
function doubler(options: { delayMs?: number; failOnNegative?: boolean; ignoreBatch?: boolean } = {}) {
  const runs: number[] = [];
  const run = async (inputs: Record<string, Tensor>): Promise<Record<string, Tensor>> => {
    const x = inputs.x.data as Float32Array;
    runs.push(inputs.x.dims[0]);
    await new Promise((r) => setTimeout(r, options.delayMs ?? 1));
    if (options.failOnNegative && x.some((v) => v < 0)) throw new MaasError("bad_input", "negative input");
    if (options.ignoreBatch) return { y: { dtype: "float32", dims: [1], data: Float32Array.of(x[0] * 2) } };
    return { y: { dtype: "float32", dims: inputs.x.dims, data: x.map((v) => 2 * v) }, tag: inputs.tag };
  };
  return { run, runs };
}

/** A request of `rows` rows of `features` values starting at `start`, tagged with its rows' numbers. */
function request(rows: number, start: number, features = 2): Record<string, Tensor> {
  return {
    x: { dtype: "float32", dims: [rows, features], data: Float32Array.from({ length: rows * features }, (_v, i) => start + i) },
    tag: { dtype: "string", dims: [rows], data: Array.from({ length: rows }, (_v, i) => `r${start + i}`) },
  };
}

/** What the request's answer must be. */
function answer(req: Record<string, Tensor>): { y: number[]; tag: string[] } {
  return { y: Array.from(req.x.data as Float32Array, (v) => 2 * v), tag: req.tag.data as string[] };
}

const plain = (out: Record<string, Tensor>) => ({ y: Array.from(out.y.data as Float32Array), tag: out.tag.data as string[] });

describe("DynamicBatcher", () => {
  test("requests that arrive together run as one batch, each answered with its own rows", async () => {
    const { run, runs } = doubler();
    const sizes: number[] = [];
    const batcher = new DynamicBatcher(run, OPTIONS, 1, (rows) => sizes.push(rows));
    const reqs = [request(1, 0), request(3, 10), request(2, 20)];
    const outs = await Promise.all(reqs.map((r) => batcher.submit(r, ["y", "tag"])));
    expect(runs).toEqual([6]);
    expect(sizes).toEqual([6]);
    outs.forEach((out, i) => {
      expect(plain(out)).toEqual(answer(reqs[i]));
      expect(out.y.dims).toEqual([reqs[i].x.dims[0], 2]);
    });
  });

  test("a batch holds at most maxBatchSize rows; later batches take the rest in arrival order", async () => {
    const { run, runs } = doubler({ delayMs: 5 });
    const batcher = new DynamicBatcher(run, OPTIONS, 1);
    const reqs = Array.from({ length: 5 }, (_v, i) => request(3, 100 * i));
    const outs = await Promise.all(reqs.map((r) => batcher.submit(r, ["y", "tag"])));
    expect(runs).toEqual([6, 6, 3]);
    outs.forEach((out, i) => expect(plain(out)).toEqual(answer(reqs[i])));
  });

  test("requests of other shapes or outputs do not share a batch", async () => {
    const { run, runs } = doubler();
    const batcher = new DynamicBatcher(run, OPTIONS, 1);
    const [a, b, c] = [request(2, 0, 2), request(2, 10, 3), request(1, 20, 2)];
    const outs = await Promise.all([batcher.submit(a, ["y", "tag"]), batcher.submit(b, ["y", "tag"]), batcher.submit(c, ["y"])]);
    expect(runs.sort()).toEqual([1, 2, 2]);
    expect(plain(outs[1])).toEqual(answer(b));
  });

  test("a request leaves at once when no batch of the model runs, and waits up to maxQueueDelayMs behind one that does", async () => {
    const starts: number[] = [];
    const ends: number[] = [];
    const slow = async (inputs: Record<string, Tensor>) => {
      starts.push(performance.now());
      await new Promise((r) => setTimeout(r, 300));
      ends.push(performance.now());
      return { y: inputs.x };
    };
    const batcher = new DynamicBatcher(slow, { ...OPTIONS, maxQueueDelayMs: 40 }, 2);
    const t0 = performance.now();
    const first = batcher.submit(request(1, 0), ["y"]);
    await tick();
    const t1 = performance.now();
    const second = batcher.submit(request(1, 1), ["y"]); // one batch runs, a worker is free: waits for company
    await Promise.all([first, second]);
    expect(starts[0] - t0).toBeLessThan(35); // at once (but for a turn of the event loop)
    expect(starts[1] - t1).toBeGreaterThanOrEqual(35);
    expect(starts[1]).toBeLessThan(ends[0]); // did not wait for the first batch to end
  });

  test("a full queue refuses at once and a request that waits past timeoutMs fails, both with a retry hint; the others are answered", async () => {
    const { run } = doubler({ delayMs: 80 });
    const batcher = new DynamicBatcher(run, { maxBatchSize: 1, maxQueueDelayMs: 0, maxQueueSize: 1, timeoutMs: 30 }, 1);
    const first = batcher.submit(request(1, 0), ["y", "tag"]); // runs at once, for 80 ms
    await tick();
    const waiting = batcher.submit(request(1, 1), ["y", "tag"]).catch((e: unknown) => e);
    const refused = (await batcher.submit(request(1, 2), ["y", "tag"]).catch((e: unknown) => e)) as MaasError;
    expect(refused.code).toBe("unavailable");
    expect(refused.message).toBe("the model's batch queue is full (1 requests waiting); retry shortly");
    expect(refused.details).toEqual({ retryAfterSeconds: 1 });
    const late = (await waiting) as MaasError;
    expect(late.code).toBe("unavailable");
    expect(late.message).toBe("the request waited 30 ms for its batch to start; retry shortly");
    expect(plain(await first)).toEqual(answer(request(1, 0)));
    expect(batcher.depth).toBe(0);
  });

  test("a request that fails its batch fails alone: the others are answered", async () => {
    const { run } = doubler({ failOnNegative: true });
    const batcher = new DynamicBatcher(run, OPTIONS, 1);
    const good = request(2, 0);
    const bad = request(1, -5);
    const [a, b] = await Promise.all([batcher.submit(good, ["y", "tag"]), batcher.submit(bad, ["y", "tag"]).catch((e: unknown) => e)]);
    expect(plain(a as Record<string, Tensor>)).toEqual(answer(good));
    expect((b as MaasError).message).toBe("negative input");
  });

  test("a model whose outputs do not follow the batch dim is run one request at a time", async () => {
    const { run, runs } = doubler({ ignoreBatch: true });
    const batcher = new DynamicBatcher(run, OPTIONS, 1);
    const outs = await Promise.all([batcher.submit(request(1, 3), ["y"]), batcher.submit(request(1, 7), ["y"])]);
    expect(outs.map((o) => Array.from(o.y.data as Float32Array))).toEqual([[6], [14]]);
    expect(runs).toEqual([2, 1, 1]);
    await batcher.submit(request(1, 9), ["y"]);
    expect(runs).toEqual([2, 1, 1, 1]);
  });

  test("int64 and bool inputs concatenate and split like floats", async () => {
    const runs: number[] = [];
    const echo = async (inputs: Record<string, Tensor>) => (runs.push(inputs.ids.dims[0]), { ids: inputs.ids, on: inputs.on });
    const batcher = new DynamicBatcher(echo, OPTIONS, 1);
    const req = (ids: bigint[], on: number[]): Record<string, Tensor> => ({
      ids: { dtype: "int64", dims: [ids.length], data: BigInt64Array.from(ids) },
      on: { dtype: "bool", dims: [on.length], data: Uint8Array.from(on) },
    });
    const outs = await Promise.all([batcher.submit(req([1n, 2n], [1, 0]), ["ids", "on"]), batcher.submit(req([3n], [1]), ["ids", "on"])]);
    expect(runs).toEqual([3]);
    expect(outs.map((o) => [Array.from(o.ids.data as BigInt64Array), Array.from(o.on.data as Uint8Array)])).toEqual([
      [[1n, 2n], [1, 0]],
      [[3n], [1]],
    ]);
  });
});
