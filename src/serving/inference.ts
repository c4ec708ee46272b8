// Raw-tensor inference over the prediction pool: each model version's interface, learnt once from
// a worker that loads it, and a dynamic batcher per model version and batching setting for the
// models whose owners turned batching on.
//
// Small requests to small models run on the event loop. Handing a request to a worker thread and
// back costs the event loop tens of microseconds (copying the tensors both ways, waking the thread);
// a request whose run would take less than that runs here instead, on a session of its own, which
// blocks the loop for about as long as the hop would have cost. The estimate is the median time
// per row of the model's recent runs on a worker, times the request's rows: only workers' runs are
// timed (a run timed here would include its wait for a turn of the busy loop), and a large
// request or batch of a small model still goes to a worker.
import { readFile } from "node:fs/promises";
import type { ModelInfo } from "../engine/onnx-codec.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Runtime } from "../runtime/runtime.js";
import { SessionCache } from "../runtime/session-cache.js";
import type { Tensor } from "../runtime/tensor.js";
import type { BatchingOptions } from "./dynamic-batcher.js";
import { DynamicBatcher } from "./dynamic-batcher.js";
import type { ModelRef, PredictionPool } from "./prediction-pool.js";

/** Interfaces, batchers and run times kept at most; idle batchers and old entries beyond it are dropped. */
const KEEP = 1000;
/** Run times a model's typical one is the median of. */
const RECENT_RUNS = 9;


export interface InferenceObserver {
  /** Rows of each batch a batcher ran. */
  batch?(rows: number): void;
}

export interface InferenceOptions {
  /** Requests whose estimated run is shorter than this (µs) run on the event loop; 0: never. */
  inlineMicros: number;
  /** Bytes the event loop's sessions may cost together (see SessionCache). */
  inlineMemory: number;
  runtime?: Runtime;
}

export const DEFAULT_INFERENCE_OPTIONS: InferenceOptions = { inlineMicros: 100, inlineMemory: 256 * 2 ** 20 };

export class Inference {
  private readonly interfaces = new Map<string, Promise<ModelInfo>>();
  private readonly batchers = new Map<string, DynamicBatcher>();
  private readonly inline: SessionCache;
  /** Model key -> the time per row (µs) of its recent runs on a worker. */
  private readonly runTimes = new Map<string, number[]>();

  constructor(
    private readonly pool: PredictionPool,
    private readonly observer: InferenceObserver = {},
    private readonly options: InferenceOptions = DEFAULT_INFERENCE_OPTIONS,
  ) {
    this.inline = new SessionCache(options.runtime ?? defaultRuntime(), 16, { bytes: options.inlineMemory });
  }

  /** The model's inputs and outputs; the first call loads it on a worker. */
  interfaceOf(ref: ModelRef): Promise<ModelInfo> {
    let info = this.interfaces.get(ref.key);
    if (!info) {
      if (this.interfaces.size >= KEEP) this.interfaces.delete(this.interfaces.keys().next().value!);
      info = this.pool.load(ref);
      info.catch(() => this.interfaces.delete(ref.key));
      this.interfaces.set(ref.key, info);
    }
    return info;
  }

  /** The named outputs for the inputs: batched with other requests when `batching` is given. */
  infer(ref: ModelRef, inputs: Record<string, Tensor>, outputs: string[], batching?: BatchingOptions): Promise<Record<string, Tensor>> {
    if (!batching) return this.run(ref, inputs, outputs);
    return this.batcher(ref, batching).submit(inputs, outputs);
  }

  /** Runs on the event loop when the request is small enough (see above), else on a worker. */
  private async run(ref: ModelRef, inputs: Record<string, Tensor>, outputs: string[]): Promise<Record<string, Tensor>> {
    const rows = Math.max(1, Object.values(inputs)[0]?.dims[0] ?? 1);
    const perRow = this.typicalMicrosPerRow(ref.key);
    if (perRow === undefined || perRow * rows >= this.options.inlineMicros) {
      const r = await this.pool.infer(ref, inputs, outputs);
      this.noteRunTime(ref.key, r.micros / rows);
      return r.outputs;
    }
    const load = async () => ({ bytes: await readFile(ref.path), meta: undefined });
    return this.inline.use(ref.key, load, { threads: 1, spinning: false }, (session) => session.run(inputs, outputs));
  }

  /** Records the time per row of a run of the model on a worker. */
  private noteRunTime(key: string, microsPerRow: number): void {
    const recent = this.runTimes.get(key) ?? [];
    this.runTimes.delete(key); // re-inserted as the most recent
    recent.push(microsPerRow);
    if (recent.length > RECENT_RUNS) recent.shift();
    this.runTimes.set(key, recent);
    if (this.runTimes.size > KEEP) this.runTimes.delete(this.runTimes.keys().next().value!);
  }

  /**
   * The median time per row of the model's recent runs on a worker, once there are enough: a run's
   * time includes a turn of the worker's event loop, and the median is robust to the odd slow one.
   */
  private typicalMicrosPerRow(key: string): number | undefined {
    const recent = this.runTimes.get(key);
    if (!recent || recent.length < RECENT_RUNS) return undefined;
    return [...recent].sort((a, b) => a - b)[RECENT_RUNS >> 1];
  }

  /** Releases the event loop's sessions. */
  close(): Promise<void> {
    return this.inline.clear();
  }

  /** Whether a worker has the model loaded. */
  loaded(ref: ModelRef): boolean {
    return this.pool.isLoaded(ref.key);
  }

  /** Unloads every model whose key starts with `keyPrefix` from the workers (requests running finish first). */
  unload(keyPrefix: string): void {
    this.pool.unload(keyPrefix);
    this.inline.evictWhere((key) => key.startsWith(keyPrefix));
    for (const key of this.interfaces.keys()) if (key.startsWith(keyPrefix)) this.interfaces.delete(key);
    for (const [key, b] of this.batchers) if (key.startsWith(keyPrefix) && b.depth === 0) this.batchers.delete(key);
  }

  /** Sessions loaded on the event loop. */
  get inlineSessions(): number {
    return this.inline.size;
  }

  /** Requests waiting in batch queues. */
  get queued(): number {
    let n = 0;
    for (const b of this.batchers.values()) n += b.depth;
    return n;
  }

  private batcher(ref: ModelRef, batching: BatchingOptions): DynamicBatcher {
    const key = `${ref.key}\u0000${JSON.stringify(batching)}`;
    let b = this.batchers.get(key);
    if (!b) {
      if (this.batchers.size >= KEEP) {
        for (const [k, old] of this.batchers) if (old.depth === 0) this.batchers.delete(k);
      }
      const run = (inputs: Record<string, Tensor>, outputs: string[]) => this.run(ref, inputs, outputs);
      b = new DynamicBatcher(run, batching, this.pool.status().workers, (rows) => this.observer.batch?.(rows));
      this.batchers.set(key, b);
    }
    return b;
  }
}

