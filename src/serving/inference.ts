// Raw-tensor inference over the prediction pool: each model version's interface, learnt once from
// a worker that loads it, and a dynamic batcher per model version and batching setting for the
// models whose owners turned batching on.
import type { ModelInfo } from "../engine/onnx-codec.js";
import type { Tensor } from "../runtime/tensor.js";
import type { BatchingOptions } from "./dynamic-batcher.js";
import { DynamicBatcher } from "./dynamic-batcher.js";
import type { ModelRef, PredictionPool } from "./prediction-pool.js";

/** Interfaces and batchers kept at most; idle batchers and old interfaces beyond it are dropped. */
const KEEP = 1000;

export interface InferenceObserver {
  /** Rows of each batch a batcher ran. */
  batch?(rows: number): void;
}

export class Inference {
  private readonly interfaces = new Map<string, Promise<ModelInfo>>();
  private readonly batchers = new Map<string, DynamicBatcher>();

  constructor(
    private readonly pool: PredictionPool,
    private readonly observer: InferenceObserver = {},
  ) {}

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
    if (!batching) return this.pool.infer(ref, inputs, outputs);
    return this.batcher(ref, batching).submit(inputs, outputs);
  }

  /** Whether a worker has the model loaded. */
  loaded(ref: ModelRef): boolean {
    return this.pool.isLoaded(ref.key);
  }

  /** Unloads every model whose key starts with `keyPrefix` from the workers (requests running finish first). */
  unload(keyPrefix: string): void {
    this.pool.unload(keyPrefix);
    for (const key of this.interfaces.keys()) if (key.startsWith(keyPrefix)) this.interfaces.delete(key);
    for (const [key, b] of this.batchers) if (key.startsWith(keyPrefix) && b.depth === 0) this.batchers.delete(key);
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
      const run = (inputs: Record<string, Tensor>, outputs: string[]) => this.pool.infer(ref, inputs, outputs);
      b = new DynamicBatcher(run, batching, this.pool.status().workers, (rows) => this.observer.batch?.(rows));
      this.batchers.set(key, b);
    }
    return b;
  }
}
