// Dynamic batching, as Triton's dynamic batcher does it: requests for one model wait briefly in a
// queue, and those with the same inputs (names, types, every dim but the first) and the same
// requested outputs run as one batch along the first dim; each request gets its own rows of every
// output back. A batch leaves when it is full (`maxBatchSize` rows) or when its oldest request has
// waited `maxQueueDelayMs`, and only while fewer than `maxInFlight` batches run, so under load
// the requests that queue up behind busy workers form larger batches. Unlike Triton's, a batch
// also leaves at once when no batch of the model is running: on a CPU an idle model gains nothing
// by waiting, and a lone client would pay the delay on every request. (The requests that arrive in
// the same turn of the event loop still go together.)
//
// Nothing is dropped silently: a request the queue cannot take, or one that waits longer than
// `timeoutMs` before its batch starts, fails with `unavailable` and a retry hint.
import { MaasError } from "../errors.js";
import type { Tensor, TensorData } from "../runtime/tensor.js";
import { sizeOf } from "../runtime/tensor.js";

export interface BatchingOptions {
  /** Rows per batch at most (a larger request runs alone). */
  maxBatchSize: number;
  /** How long the oldest request waits for others before its batch leaves anyway. */
  maxQueueDelayMs: number;
  /** Requests waiting at most; more fail at once. */
  maxQueueSize: number;
  /** How long a request may wait for its batch to start. */
  timeoutMs: number;
}

/** Runs one batch: the model's named outputs for the inputs. */
export type RunBatch = (inputs: Record<string, Tensor>, outputs: string[]) => Promise<Record<string, Tensor>>;

interface Pending {
  inputs: Record<string, Tensor>;
  outputs: string[];
  rows: number;
  /** Requests batch together only with equal signatures. */
  signature: string;
  arrived: number;
  /** Fails the request if it is still queued when it fires. */
  timer?: NodeJS.Timeout;
  resolve: (out: Record<string, Tensor>) => void;
  reject: (e: Error) => void;
}

const RETRY_AFTER_SECONDS = 1;

export class DynamicBatcher {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  private wakeup: NodeJS.Timeout | undefined;
  private pending: NodeJS.Immediate | undefined;
  /** Set when the model's outputs turned out not to follow the batch dim: requests then run one by one. */
  private unbatchable = false;

  /**
   * @param run runs a batch (the prediction pool's infer)
   * @param maxInFlight batches running at once (the pool's workers)
   * @param observe told the rows of every batch that runs (a metrics histogram)
   */
  constructor(
    private readonly run: RunBatch,
    private readonly options: BatchingOptions,
    private readonly maxInFlight: number,
    private readonly observe: (rows: number) => void = () => undefined,
  ) {}

  /** Requests waiting for a batch. */
  get depth(): number {
    return this.queue.length;
  }

  /** The request's outputs, computed in a batch with others where they fit. */
  submit(inputs: Record<string, Tensor>, outputs: string[]): Promise<Record<string, Tensor>> {
    const { maxQueueSize, timeoutMs } = this.options;
    if (this.queue.length >= maxQueueSize) {
      return Promise.reject(new MaasError("unavailable", `the model's batch queue is full (${maxQueueSize} requests waiting); retry shortly`, { retryAfterSeconds: RETRY_AFTER_SECONDS }));
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { inputs, outputs, ...shapeOf(inputs, outputs), arrived: performance.now(), resolve, reject };
      p.timer = setTimeout(() => {
        const i = this.queue.indexOf(p);
        if (i < 0) return;
        this.queue.splice(i, 1);
        reject(new MaasError("unavailable", `the request waited ${timeoutMs} ms for its batch to start; retry shortly`, { retryAfterSeconds: RETRY_AFTER_SECONDS }));
      }, timeoutMs);
      this.queue.push(p);
      this.pending ??= setImmediate(() => this.schedule());
    });
  }

  /** Starts every batch that is due while there is room; otherwise wakes up when the oldest is due. */
  private schedule(): void {
    clearTimeout(this.wakeup);
    clearImmediate(this.pending);
    this.wakeup = undefined;
    this.pending = undefined;
    while (this.queue.length > 0 && this.inFlight < this.maxInFlight) {
      const batch = this.unbatchable ? [this.queue[0]] : this.gather();
      const rows = batch.reduce((n, p) => n + p.rows, 0);
      const waited = performance.now() - this.queue[0].arrived;
      const due = rows >= this.options.maxBatchSize || waited >= this.options.maxQueueDelayMs || this.inFlight === 0 || this.unbatchable;
      if (!due) {
        this.wakeup = setTimeout(() => this.schedule(), this.options.maxQueueDelayMs - waited);
        return;
      }
      for (const p of batch) {
        this.queue.splice(this.queue.indexOf(p), 1);
        clearTimeout(p.timer);
      }
      this.inFlight++;
      void this.execute(batch, rows).finally(() => {
        this.inFlight--;
        this.schedule();
      });
    }
  }

  /** The oldest request and, in arrival order, the others that fit its batch. */
  private gather(): Pending[] {
    const head = this.queue[0];
    const batch = [head];
    let rows = head.rows;
    if (head.signature === "") return batch;
    for (const p of this.queue.slice(1)) {
      if (p.signature !== head.signature || rows + p.rows > this.options.maxBatchSize) continue;
      batch.push(p);
      rows += p.rows;
    }
    return batch;
  }

  private async execute(batch: Pending[], rows: number): Promise<void> {
    this.observe(rows);
    if (batch.length === 1) {
      const [p] = batch;
      await this.run(p.inputs, p.outputs).then(p.resolve, p.reject);
      return;
    }
    let out: Record<string, Tensor>;
    try {
      out = await this.run(concatInputs(batch), batch[0].outputs);
    } catch {
      // One request's bad values (or a crash) must not fail the others: each runs alone.
      await Promise.all(batch.map((p) => this.run(p.inputs, p.outputs).then(p.resolve, p.reject)));
      return;
    }
    if (Object.values(out).some((t) => t.dims[0] !== rows)) {
      this.unbatchable = true; // an output that does not follow the batch dim cannot be split by rows
      await Promise.all(batch.map((p) => this.run(p.inputs, p.outputs).then(p.resolve, p.reject)));
      return;
    }
    let offset = 0;
    for (const p of batch) {
      p.resolve(Object.fromEntries(Object.entries(out).map(([name, t]) => [name, rowsOf(t, offset, p.rows)])));
      offset += p.rows;
    }
  }
}

/**
 * A request's rows (the first dim, shared by its inputs) and signature: input names, types and
 * every dim but the first, and the outputs. An empty signature (inputs without a common first
 * dim, or scalars) never batches.
 */
function shapeOf(inputs: Record<string, Tensor>, outputs: string[]): { rows: number; signature: string } {
  const tensors = Object.entries(inputs).sort(([a], [b]) => (a < b ? -1 : 1));
  const rows = tensors[0]?.[1].dims[0];
  if (rows === undefined || tensors.some(([, t]) => t.dims.length === 0 || t.dims[0] !== rows)) return { rows: rows ?? 1, signature: "" };
  const parts = tensors.map(([name, t]) => `${name}:${t.dtype}:${t.dims.slice(1).join("x")}`);
  return { rows, signature: `${parts.join(",")}|${outputs.join(",")}` };
}

/** The batch's inputs, each request's rows one after the other. */
function concatInputs(batch: Pending[]): Record<string, Tensor> {
  const rows = batch.reduce((n, p) => n + p.rows, 0);
  return Object.fromEntries(
    Object.entries(batch[0].inputs).map(([name, first]) => {
      const dims = [rows, ...first.dims.slice(1)];
      const parts = batch.map((p) => p.inputs[name].data);
      return [name, { dtype: first.dtype, dims, data: concatData(parts, sizeOf(dims)) }];
    }),
  );
}

function concatData(parts: TensorData[], size: number): TensorData {
  if (Array.isArray(parts[0])) return (parts as string[][]).flat();
  const Ctor = (parts[0] as Exclude<TensorData, string[]>).constructor as new (n: number) => Exclude<TensorData, string[]>;
  const out = new Ctor(size);
  let offset = 0;
  for (const part of parts as Exclude<TensorData, string[]>[]) {
    (out as Float32Array).set(part as Float32Array, offset);
    offset += part.length;
  }
  return out;
}

/** Rows [offset, offset + n) of a tensor whose first dim is the batch, as a tensor of its own. */
function rowsOf(t: Tensor, offset: number, n: number): Tensor {
  const perRow = sizeOf(t.dims.slice(1));
  return { dtype: t.dtype, dims: [n, ...t.dims.slice(1)], data: t.data.slice(offset * perRow, (offset + n) * perRow) as TensorData };
}
