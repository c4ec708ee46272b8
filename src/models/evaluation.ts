// Feeding rows to the graphs, and evaluating the current parameters each epoch.
import { Builder } from "../engine/builder.js";
import { encodeModel } from "../engine/onnx-codec.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import { classificationMetrics, regressionMetrics } from "./metrics.js";
import type { Problem } from "./network.js";
import { FEATURES_INPUT, LENGTHS_INPUT, TARGET_INPUT, head, objective } from "./network.js";
import type { ModelSpec } from "./spec.js";

/** A numeric training table: row-major features and one target per row (a class index for classifiers). */
export interface TrainingData {
  features: Float32Array;
  rows: number;
  /** Values per row. */
  columns: number;
  target: Float32Array;
  /** The shape of one row when it is not flat ([C, H, W] for images); its product is `columns`. */
  shape?: readonly number[];
  /** Per row, the length of a sequence shorter than its padded steps (fed as `lengths`). */
  lengths?: Int32Array;
}

/** Rows evaluated per run of the evaluation graph (bounds memory on large validation sets). */
const EVAL_CHUNK = 8192;

/**
 * Gathers rows into the batch feeds of the graphs (features, and the target in the form the loss
 * takes), reusing its buffers: the feeds it returns are valid until its next call. With a `steps`
 * shorter than the data's, sequences are cut to their first `steps` steps (a length bucket's graph).
 */
export class Batcher {
  private readonly x: Float32Array;
  private readonly y: Float32Array | BigInt64Array;
  private readonly rowShape: readonly number[];
  /** Values fed per row: a prefix of each row of the data. */
  private readonly perRow: number;

  constructor(
    private readonly data: TrainingData,
    p: Problem,
    capacity: number,
    steps?: number,
  ) {
    const shape = data.shape ?? [data.columns];
    this.rowShape = steps === undefined ? shape : [steps, ...shape.slice(1)];
    this.perRow = this.rowShape.reduce((a, d) => a * d, 1);
    this.x = new Float32Array(capacity * this.perRow);
    this.y = p.task === "classification" && p.classes > 2 ? new BigInt64Array(capacity) : new Float32Array(capacity);
  }

  feeds(rows: Int32Array): Record<string, Tensor> {
    const { data } = this;
    const n = rows.length;
    const stride = data.columns;
    const c = this.perRow;
    const x = this.x.subarray(0, n * c);
    for (let i = 0; i < n; i++) x.set(data.features.subarray(rows[i] * stride, rows[i] * stride + c), i * c);
    const feeds: Record<string, Tensor> = { [FEATURES_INPUT]: { dtype: "float32", dims: [n, ...this.rowShape], data: x } };
    if (data.lengths) feeds[LENGTHS_INPUT] = { dtype: "int64", dims: [n], data: BigInt64Array.from(rows, (r) => BigInt(data.lengths![r])) };
    if (this.y instanceof BigInt64Array) {
      const y = this.y.subarray(0, n);
      for (let i = 0; i < n; i++) y[i] = BigInt(data.target[rows[i]]);
      feeds[TARGET_INPUT] = { dtype: "int64", dims: [n], data: y };
    } else {
      const y = this.y.subarray(0, n);
      for (let i = 0; i < n; i++) y[i] = data.target[rows[i]];
      feeds[TARGET_INPUT] = { dtype: "float32", dims: [n, 1], data: y };
    }
    return feeds;
  }
}

/** Loss and task metrics of parameters on a fixed set of rows, through an evaluation graph (no dropout). */
export class Evaluator {
  /** The rows' feeds, chunk by chunk, gathered once: the rows do not change between epochs. */
  private readonly chunks: Record<string, Tensor>[] = [];
  private readonly truth: Float64Array;

  private constructor(
    private readonly session: Session,
    data: TrainingData,
    private readonly p: Problem,
    private readonly rows: Int32Array,
  ) {
    for (let start = 0; start < rows.length; start += EVAL_CHUNK) {
      const chunk = rows.subarray(start, Math.min(rows.length, start + EVAL_CHUNK));
      this.chunks.push(new Batcher(data, p, chunk.length).feeds(chunk));
    }
    this.truth = Float64Array.from(rows, (r) => data.target[r]);
  }

  static async create(
    runtime: Runtime,
    spec: ModelSpec,
    p: Problem,
    classWeights: Float32Array | undefined,
    data: TrainingData,
    rows: Int32Array,
    threads: number,
  ): Promise<Evaluator> {
    const b = new Builder("evaluate", "eval");
    const { out, loss } = objective(b, spec, p, classWeights);
    const h = head(p, out);
    b.graph.output(loss, "loss");
    b.graph.output(h.prediction, "prediction");
    if (h.probabilities) b.graph.output(h.probabilities, "probabilities");
    // Not spinning: idle spinning threads of this session would compete with the training
    // session's for the cores (measured: -25% training throughput on 2 cores).
    const session = await runtime.createSession(encodeModel(b.graph), { threads, spinning: false });
    return new Evaluator(session, data, p, rows);
  }

  async evaluate(params: Record<string, Tensor>): Promise<{ loss: number; metrics: Record<string, number> }> {
    const { p, rows, truth } = this;
    let lossSum = 0;
    const width = p.task === "regression" ? 1 : p.classes;
    const predicted = new Float64Array(rows.length * width);
    let offset = 0;
    for (const feeds of this.chunks) {
      const n = feeds[FEATURES_INPUT].dims[0];
      const out = await this.session.run({ ...params, ...feeds });
      lossSum += (out.loss.data as Float32Array)[0] * n;
      predicted.set((p.task === "regression" ? out.prediction.data : out.probabilities.data) as Float32Array, offset * width);
      offset += n;
    }
    let metrics: Record<string, number>;
    if (p.task === "regression") metrics = { ...regressionMetrics(truth, predicted) };
    else {
      const { confusion: _confusion, ...m } = classificationMetrics(truth, predicted, p.classes);
      metrics = m;
    }
    return { loss: lossSum / rows.length, metrics };
  }

  release(): Promise<void> {
    return this.session.release();
  }
}
