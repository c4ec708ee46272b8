// Inference off the event loop: a pool of worker threads, each with its own sessions. Requests wait
// in one bounded FIFO queue and go to an idle worker as one frees up, preferring a worker that
// already has the model loaded (AffinityRouter). Each worker runs one request at a time. A request
// the queue cannot take, or that waits in it too long, fails with `unavailable` and a retry hint:
// none is dropped silently.
import { existsSync } from "node:fs";
import { availableParallelism, totalmem } from "node:os";
import { Worker } from "node:worker_threads";
import type { SequenceSet } from "../data/sequences.js";
import { MaasError } from "../errors.js";
import type { Evaluation, PredictionRecord } from "../models/model-file.js";
import { distEntry } from "../util/paths.js";
import { AffinityRouter } from "./affinity-router.js";
import type { ModelInfo } from "../engine/onnx-codec.js";
import type { Tensor } from "../runtime/tensor.js";
import type { CacheStats, ImageBatch, InferResult, ModelRef, RecommendResult, RowTable, WorkRequest, WorkResult, WorkerConfig, WorkerControl, WorkerMessage } from "./protocol.js";
import { fromWireError } from "./protocol.js";

export type { ImageBatch, ModelRef, RowTable } from "./protocol.js";

export interface PoolOptions {
  /** Worker threads; each runs one request at a time. */
  workers: number;
  /** ONNX Runtime intra-op threads of each worker's sessions. */
  threadsPerWorker: number;
  /** Sessions each worker keeps loaded while idle (least recently used beyond that are released). */
  sessionsPerWorker: number;
  /** Bytes all loaded sessions may cost together, shared equally by the workers (see SessionCache). */
  memoryBudget: number;
  /** Requests waiting at most; beyond it a request fails at once with `unavailable`. */
  maxQueue: number;
  /** Milliseconds a request may wait for a worker before it fails with `unavailable`. */
  queueTimeoutMs: number;
}

/**
 * One worker per core, one thread per session: the cores are shared by the workers, not
 * oversubscribed. Models may take a quarter of the machine's memory, at most 4 GiB.
 */
export const DEFAULT_POOL_OPTIONS: PoolOptions = {
  workers: availableParallelism(),
  threadsPerWorker: 1,
  sessionsPerWorker: 8,
  memoryBudget: Math.min(4 * 2 ** 30, Math.floor(totalmem() / 4)),
  maxQueue: 1000,
  queueTimeoutMs: 30_000,
};

/** Seconds a client is told to wait before retrying a request the pool could not take. */
const RETRY_AFTER_SECONDS = 1;

const WORKER_ENTRY = "serving/predict-worker.js";

interface Job {
  request: WorkRequest;
  resolve: (result: WorkResult) => void;
  reject: (error: Error) => void;
  /** Fails the job if it is still queued when it fires. */
  timer: NodeJS.Timeout;
}

interface Slot {
  /** Undefined once the slot is down for good (its replacement failed to start). */
  worker: Worker | undefined;
  ready: boolean;
  job: Job | undefined;
  /** Why the worker is being stopped, when the pool stops it. */
  stopping: string | undefined;
  /** The last error the worker threw, for the message of the requests it fails. */
  error: Error | undefined;
  /** The worker's loaded sessions, as of its last answer. */
  cache: CacheStats;
}

export class PredictionPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private readonly router: AffinityRouter;

  private nextId = 1;
  private closed = false;

  private constructor(private readonly options: PoolOptions) {
    this.router = new AffinityRouter(options.workers, 64 * options.workers * options.sessionsPerWorker);
  }

  /**
   * Starts the workers and waits until each is ready. Needs the compiled worker (`npm run build`).
   * @example const pool = await PredictionPool.start({ workers: 2 });
   */
  static async start(options: Partial<PoolOptions> = {}): Promise<PredictionPool> {
    const given = Object.entries(options).filter(([, v]) => v !== undefined);
    const o: PoolOptions = { ...DEFAULT_POOL_OPTIONS, ...Object.fromEntries(given) };
    for (const [name, value] of Object.entries(o)) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`PredictionPool: ${name} must be a positive integer; got ${value}`);
    }
    const entry = distEntry(WORKER_ENTRY);
    if (!existsSync(entry)) throw new Error(`the prediction worker ${entry} is missing: run \`npm run build\``);
    const pool = new PredictionPool(o);
    const started = Array.from({ length: o.workers }, (_v, i) => pool.spawn(i));
    try {
      await Promise.all(started);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  /** Predictions for every record of `table`, in record order. */
  predict(model: ModelRef, table: RowTable): Promise<PredictionRecord[]> {
    return this.submit({ id: this.nextId++, kind: "predict", model, table }) as Promise<PredictionRecord[]>;
  }

  /** The model's metrics on a labelled dataset file (read by the worker). */
  /** Predictions for decoded images (an image model). */
  predictImages(model: ModelRef, images: ImageBatch): Promise<PredictionRecord[]> {
    return this.submit({ id: this.nextId++, kind: "predictImages", model, images }) as Promise<PredictionRecord[]>;
  }

  /** Predictions for sequences (a sequence model). */
  predictSequences(model: ModelRef, sequences: SequenceSet): Promise<PredictionRecord[]> {
    return this.submit({ id: this.nextId++, kind: "predictSequences", model, sequences }) as Promise<PredictionRecord[]>;
  }

  /** Metrics of the model on a stored dataset: a table, or (image models) a folder, zip or IDX file of labelled images. */
  evaluate(model: ModelRef, datasetPath: string, target?: string): Promise<Evaluation> {
    return this.submit({ id: this.nextId++, kind: "evaluate", model, datasetPath, target }) as Promise<Evaluation>;
  }

  /** The named outputs of the model for raw input tensors, and how long the worker's session ran (µs). */
  infer(model: ModelRef, inputs: Record<string, Tensor>, outputs: string[]): Promise<InferResult> {
    return this.submit({ id: this.nextId++, kind: "infer", model, inputs, outputs }) as Promise<InferResult>;
  }

  /** A recommender's top-k lists for `users` (see the "recommend" request). */
  recommend(model: ModelRef, users: string[], k: number, exclude: string[][], excludeSeen: boolean, include?: string[]): Promise<RecommendResult> {
    return this.submit({ id: this.nextId++, kind: "recommend", model, users, k, exclude, excludeSeen, ...(include ? { include } : {}) }) as Promise<RecommendResult>;
  }

  /** A recommender's k items most like each of `items`. */
  similar(model: ModelRef, items: string[], k: number): Promise<RecommendResult> {
    return this.submit({ id: this.nextId++, kind: "similar", model, items, k }) as Promise<RecommendResult>;
  }

  /** A recommender's scores of (user, item) pairs. */
  rate(model: ModelRef, users: string[], items: string[]): Promise<number[]> {
    return this.submit({ id: this.nextId++, kind: "rate", model, users, items }) as Promise<number[]>;
  }

  /** Loads the model on a worker (if none has it) and answers its interface. */
  load(model: ModelRef): Promise<ModelInfo> {
    return this.submit({ id: this.nextId++, kind: "load", model }) as Promise<ModelInfo>;
  }

  /** Releases, on every worker, the sessions of models whose key starts with `keyPrefix` (those running finish first). */
  unload(keyPrefix: string): void {
    for (const slot of this.slots) slot.worker?.postMessage({ kind: "unload", keyPrefix } satisfies WorkerControl);
  }

  /** Whether some worker has the model loaded (as of the workers' last answers). */
  isLoaded(key: string): boolean {
    return this.slots.some((s) => s.worker && s.cache.keys.includes(key));
  }

  /** Workers, busy workers, queued requests, and the sessions loaded and their measured bytes over all workers. */
  status(): { workers: number; busy: number; queued: number; sessions: number; bytes: number } {
    const live = this.slots.filter((s) => s.worker);
    const sum = (f: (c: CacheStats) => number) => live.reduce((a, s) => a + f(s.cache), 0);
    return { workers: live.length, busy: live.filter((s) => s.job).length, queued: this.queue.length, sessions: sum((c) => c.sessions), bytes: sum((c) => c.bytes) };
  }

  /**
   * Ends a worker as a crash would and starts a replacement: its request in flight rejects, queued
   * requests wait for the replacement. For a stuck worker (and for tests).
   */
  async restartWorker(index: number): Promise<void> {
    const slot = this.slots[index];
    if (!slot?.worker) throw new Error(`PredictionPool: there is no running worker ${index}`);
    slot.stopping = "it was restarted";
    await slot.worker.terminate();
  }

  /** Stops every worker; requests in flight or queued reject with an `unavailable` MaasError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = () => new MaasError("unavailable", "the prediction pool closed before this request finished");
    for (const job of this.queue.splice(0)) {
      clearTimeout(job.timer);
      job.reject(error());
    }
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.job?.reject(error());
        slot.job = undefined;
        slot.stopping = "the pool closed";
        await slot.worker?.terminate();
      }),
    );
  }

  // ---- scheduling ---------------------------------------------------------------------------------

  private submit(request: WorkRequest): Promise<WorkResult> {
    if (this.closed) return Promise.reject(new MaasError("unavailable", "the prediction pool is closed"));
    if (!this.slots.some((s) => s.worker)) return Promise.reject(new MaasError("unavailable", "no prediction worker is running"));
    const { maxQueue, queueTimeoutMs } = this.options;
    if (this.queue.length >= maxQueue) {
      return Promise.reject(new MaasError("unavailable", `the prediction queue is full (${maxQueue} requests waiting); retry shortly`, { retryAfterSeconds: RETRY_AFTER_SECONDS }));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.queue.indexOf(job);
        if (i < 0) return; // already running
        this.queue.splice(i, 1);
        reject(new MaasError("unavailable", `no prediction worker was free within ${queueTimeoutMs} ms; retry shortly`, { retryAfterSeconds: RETRY_AFTER_SECONDS }));
      }, queueTimeoutMs);
      const job: Job = { request, resolve, reject, timer };
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Hands queued requests, oldest first, to idle workers. */
  private dispatch(): void {
    const idle = (i: number) => {
      const s = this.slots[i];
      return Boolean(s?.worker && s.ready && !s.job && !s.stopping);
    };
    while (this.queue.length) {
      const w = this.router.pick(this.queue[0].request.model.key, idle);
      if (w === undefined) return;
      const job = this.queue.shift()!;
      clearTimeout(job.timer);
      this.slots[w].job = job;
      this.slots[w].worker!.postMessage(job.request);
    }
  }

  // ---- workers ------------------------------------------------------------------------------------

  /** Starts the worker in slot `index`; resolves when it is ready, rejects if it fails first. */
  private spawn(index: number): Promise<void> {
    const { threadsPerWorker, sessionsPerWorker, memoryBudget, workers } = this.options;
    const config: WorkerConfig = { threads: threadsPerWorker, sessions: sessionsPerWorker, memoryBudget: Math.floor(memoryBudget / workers) };
    const worker = new Worker(distEntry(WORKER_ENTRY), { workerData: config });
    const slot: Slot = { worker, ready: false, job: undefined, stopping: undefined, error: undefined, cache: { sessions: 0, bytes: 0, keys: [] } };
    this.slots[index] = slot;
    return new Promise((resolve, reject) => {
      worker.on("message", (m: WorkerMessage) => {
        if (m.kind === "ready") {
          slot.ready = true;
          resolve();
        } else if (m.kind === "unloaded") slot.cache = m.cache;
        else this.settle(slot, m);
        this.dispatch();
      });
      worker.on("error", (e) => (slot.error = e));
      worker.on("exit", (code) => {
        reject(new Error(`prediction worker ${index} failed to start: ${slot.error?.message ?? `exit code ${code}`}`));
        this.exited(index, slot, code);
      });
    });
  }

  private settle(slot: Slot, m: Extract<WorkerMessage, { kind: "done" | "failed" }>): void {
    slot.cache = m.cache;
    const job = slot.job;
    if (!job || job.request.id !== m.id) return; // already rejected (the pool closed)
    slot.job = undefined;
    if (m.kind === "done") job.resolve(m.result);
    else job.reject(fromWireError(m.error));
  }

  /** A worker ended: fail its request in flight, and replace it unless the pool is closing. */
  private exited(index: number, slot: Slot, code: number): void {
    if (this.slots[index] !== slot) return;
    const reason = slot.stopping ?? (slot.error ? `it crashed: ${slot.error.message}` : `it exited with code ${code}`);
    slot.job?.reject(new Error(`prediction worker ${index} stopped while running this request (${reason})`));
    slot.job = undefined;
    slot.worker = undefined;
    slot.cache = { sessions: 0, bytes: 0, keys: [] };
    this.router.forget(index);
    if (this.closed) return;
    // A worker that failed before it was ready would fail again: leave its slot down rather than loop.
    if (slot.ready || slot.stopping) this.spawn(index).catch(() => undefined);
    if (!this.slots.some((s) => s.worker)) {
      const error = new MaasError("unavailable", "no prediction worker is running");
      for (const job of this.queue.splice(0)) {
        clearTimeout(job.timer);
        job.reject(error);
      }
    }
    this.dispatch();
  }
}
