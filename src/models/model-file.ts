// A model file read back: its interface, its card, and predictions and metrics on tables.
import type { FeatureEncoding } from "../data/encoders.js";
import { compareLabels } from "../data/encoders.js";
import type { ImageSet } from "../data/image-set.js";
import type { SequenceSet } from "../data/sequences.js";
import type { RawTable } from "../data/table.js";
import { MaasError, inputError } from "../errors.js";
import type { ModelInfo } from "../engine/onnx-codec.js";
import { decodeModelInfo } from "../engine/onnx-codec.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import { float32ToNumber } from "../runtime/floats.js";
import type { Tensor } from "../runtime/tensor.js";
import type { ModelCard } from "./card.js";
import { cardFromMetadata, encodingFromFeature } from "./card.js";
import { classificationMetrics, regressionMetrics } from "./metrics.js";
import { IMAGE_INPUT } from "./images.js";
import { LENGTHS_INPUT } from "./network.js";
import { SEQUENCE_INPUT } from "./sequences.js";
import { columnFeeds } from "./preprocess.js";
import { TextIds, VOCABULARY_KEY, textFeeds } from "./text.js";

/** One answer: a number (regression) or a label (classification), with the class probabilities. */
export interface PredictionRecord {
  /** For image folders: the image's path relative to the folder. */
  file?: string;
  prediction: number | string;
  probabilities?: Record<string, number>;
}

/** Images per run of an image model. */
const IMAGE_CHUNK = 1024;

/** Rows per run of the model: bounds memory on large files. */
const CHUNK = 65_536;

export class ModelFile {
  private constructor(
    readonly bytes: Uint8Array,
    readonly source: string,
    readonly info: ModelInfo,
    /** Absent for models OpenMaaS did not train (imported ones). */
    readonly card: ModelCard | undefined,
  ) {}

  /** Reads a model file's interface and card; a file that is not ONNX is a bad-input error. */
  static parse(bytes: Uint8Array, source: string): ModelFile {
    let info: ModelInfo;
    try {
      info = decodeModelInfo(bytes);
    } catch (e) {
      throw new MaasError("bad_input", `${source}: not an ONNX model file (${e instanceof Error ? e.message : String(e)})`);
    }
    return new ModelFile(bytes, source, info, cardFromMetadata(info.metadata, source));
  }

  /** The card, or a bad-input error for a model without one. */
  requireCard(): ModelCard {
    if (!this.card) throw new MaasError("bad_input", `${this.source}: not an OpenMaaS tabular model (it has no openmaas.* metadata); feed it raw tensors instead`);
    return this.card;
  }

  get encodings(): FeatureEncoding[] {
    return this.requireCard().features.map(encodingFromFeature);
  }

  /** Predictions for every row of a table, in row order. Columns the model does not use are ignored. */
  async predict(runtime: Runtime, table: RawTable, threads = 0): Promise<PredictionRecord[]> {
    const session = await runtime.createSession(this.bytes, { threads, spinning: false });
    try {
      return await this.predictWith(session, table);
    } finally {
      await session.release();
    }
  }

  /** A text model's tokenizer, built from the file once. */
  private get textIds(): TextIds {
    this.texts ??= TextIds.fromFile(this.requireCard().text!, this.info.metadata[VOCABULARY_KEY], this.source);
    return this.texts;
  }
  private texts?: TextIds;

  /** As `predict`, on a session of this model that the caller manages (a serving cache). */
  async predictWith(session: Session, table: RawTable): Promise<PredictionRecord[]> {
    const card = this.requireCard();
    const text = card.text;
    const encodings = text ? [] : this.encodings;
    const column = text ? table.columns.indexOf(text.column) : -1;
    if (text && column < 0) throw inputError(`there is no text column '${text.column}' (columns: ${table.columns.join(", ")})`, { file: table.source });
    // Recurrent text graphs unroll a fixed number of steps (the tokens input's width).
    const width = text?.lengths ? (this.info.inputs[0].shape[1] as number) : undefined;
    const labels = card.labels;
    const records: PredictionRecord[] = [];
    for (let start = 0; start < table.rows; start += CHUNK) {
      const rows = Int32Array.from({ length: Math.min(CHUNK, table.rows - start) }, (_v, i) => start + i);
      const feeds = text ? textFeeds(this.textIds, Array.from(rows, (r) => table.values[column][r] ?? ""), width) : columnFeeds(table, encodings, rows);
      const out = await session.run(feeds, labels ? ["prediction", "probabilities"] : ["prediction"]);
      const pred = out.prediction.data;
      const probs = out.probabilities?.data as Float32Array | undefined;
      for (let i = 0; i < rows.length; i++) {
        if (!labels) {
          records.push({ prediction: float32ToNumber((pred as Float32Array)[i]) });
          continue;
        }
        records.push({ prediction: (pred as string[])[i], probabilities: classProbabilities(labels, probs!, i) });
      }
    }
    return records;
  }

  /** Predictions for every image of a set, in order (an image model's `image` input). */
  async predictImagesWith(session: Session, set: ImageSet): Promise<PredictionRecord[]> {
    const card = this.requireCard();
    const shape = card.image;
    if (!shape) throw new MaasError("bad_input", `${this.source}: not an image model; give it a table`);
    if (set.channels !== shape.channels || set.height !== shape.height || set.width !== shape.width) {
      throw inputError(`images are ${set.channels}x${set.height}x${set.width}; the model takes ${shape.channels}x${shape.height}x${shape.width} (channels x height x width)`, { file: set.source });
    }
    const labels = card.labels!;
    const size = shape.channels * shape.height * shape.width;
    const records: PredictionRecord[] = [];
    for (let start = 0; start < set.count; start += IMAGE_CHUNK) {
      const n = Math.min(IMAGE_CHUNK, set.count - start);
      const pixels = Float32Array.from(set.pixels.subarray(start * size, (start + n) * size));
      const out = await session.run({ [IMAGE_INPUT]: { dtype: "float32", dims: [n, shape.channels, shape.height, shape.width], data: pixels } }, ["prediction", "probabilities"]);
      const pred = out.prediction.data as string[];
      const probs = out.probabilities.data as Float32Array;
      for (let i = 0; i < n; i++) {
        // IDX labels are integers, and are answered as integers.
        const prediction = card.labelKind === "idx" ? Number(pred[i]) : pred[i];
        records.push({ ...(set.files ? { file: set.files[start + i] } : {}), prediction, probabilities: classProbabilities(labels, probs, i) });
      }
    }
    return records;
  }

  /** Predictions for sequences (a sequence model's `sequence` input, with `lengths` when it takes them). */
  async predictSequencesWith(session: Session, set: SequenceSet): Promise<PredictionRecord[]> {
    const card = this.requireCard();
    const seq = card.sequence;
    if (!seq) throw new MaasError("bad_input", `${this.source}: not a sequence model`);
    if (set.features !== seq.features) throw inputError(`sequences have ${set.features} value(s) per step; the model takes ${seq.features}`, { file: set.source });
    if (set.steps > seq.steps) throw inputError(`sequences have up to ${set.steps} steps; the model takes at most ${seq.steps}`, { file: set.source });
    const shorter = set.steps < seq.steps || set.lengths !== undefined;
    if (shorter && !seq.lengths) throw inputError(`the model takes sequences of exactly ${seq.steps} steps`, { file: set.source });
    // Re-laid at the model's step count: shorter sequences are padded (their lengths say where they end).
    const values = new Float32Array(set.count * seq.steps * seq.features);
    for (let r = 0; r < set.count; r++) values.set(set.values.subarray(r * set.steps * set.features, (r + 1) * set.steps * set.features), r * seq.steps * seq.features);
    const feeds: Record<string, Tensor> = { [SEQUENCE_INPUT]: { dtype: "float32", dims: [set.count, seq.steps, seq.features], data: values } };
    if (seq.lengths) feeds[LENGTHS_INPUT] = { dtype: "int64", dims: [set.count], data: BigInt64Array.from({ length: set.count }, (_v, r) => BigInt(set.lengths ? set.lengths[r] : set.steps)) };
    const labels = card.labels;
    const out = await session.run(feeds, labels ? ["prediction", "probabilities"] : ["prediction"]);
    return Array.from({ length: set.count }, (_v, i) => {
      if (!labels) return { prediction: float32ToNumber((out.prediction.data as Float32Array)[i]) };
      return { prediction: (out.prediction.data as string[])[i], probabilities: classProbabilities(labels, out.probabilities.data as Float32Array, i) };
    });
  }

  /** The task's metrics on sequences with their targets. */
  async evaluateSequencesWith(session: Session, set: SequenceSet): Promise<Evaluation> {
    const card = this.requireCard();
    if (!set.target) throw inputError("the sequences have no target to evaluate against", { file: set.source });
    const records = await this.predictSequencesWith(session, set);
    if (card.task === "regression") {
      if (set.target.kind !== "numeric") throw inputError("the target has labels; the model predicts numbers", { file: set.source });
      return { task: "regression", rows: set.count, metrics: { ...regressionMetrics(set.target.values, records.map((r) => r.prediction as number)) } };
    }
    const labels = card.labels!;
    const given = set.target.kind === "labels" ? set.target.labels : Array.from(set.target.values, String);
    return classificationEvaluation(labels, given, records, (l, i) =>
      inputError(`the label '${l}' is not one the model knows (${labels.join(", ")})`, { file: set.source, row: set.rowLabels[i] }),
    );
  }

  /** Accuracy and the other classification metrics on labelled images. */
  async evaluateImagesWith(session: Session, set: ImageSet): Promise<Evaluation> {
    const labels = this.requireCard().labels!;
    if (!set.labels) throw inputError("the images have no labels to evaluate against", { file: set.source });
    const records = await this.predictImagesWith(session, set);
    return classificationEvaluation(labels, set.labels, records, (l, i) =>
      inputError(`image ${set.files?.[i] ?? i + 1} has the label '${l}', which the model does not know (${labels.join(", ")})`, { file: set.source }),
    );
  }

  /** The task's metrics on a labelled table (and, for classifiers, the confusion matrix). */
  async evaluate(runtime: Runtime, table: RawTable, target?: string, threads = 0): Promise<Evaluation> {
    const session = await runtime.createSession(this.bytes, { threads, spinning: false });
    try {
      return await this.evaluateWith(session, table, target);
    } finally {
      await session.release();
    }
  }

  /** As `evaluate`, on a session of this model that the caller manages. */
  async evaluateWith(session: Session, table: RawTable, target?: string): Promise<Evaluation> {
    const card = this.requireCard();
    const column = target ?? card.target;
    const c = table.columns.indexOf(column);
    if (c < 0) throw inputError(`there is no target column '${column}' to evaluate against (columns: ${table.columns.join(", ")})`, { file: table.source });
    const records = await this.predictWith(session, table);
    const cells = table.values[c];
    const where = (r: number) => ({ file: table.source, row: table.rowLabel(r), column });
    if (card.task === "regression") {
      const truth = cells.map((v, r) => {
        const n = v === null ? NaN : Number(v);
        if (!Number.isFinite(n)) throw inputError(`the target '${v}' is not a finite number`, where(r));
        return n;
      });
      return { task: "regression", rows: table.rows, metrics: { ...regressionMetrics(truth, records.map((r) => r.prediction as number)) } };
    }
    const labels = card.labels!;
    return classificationEvaluation(labels, cells, records, (l, r) =>
      inputError(`the label '${l}' is not one the model knows (${[...labels].sort(compareLabels).join(", ")})`, where(r)),
    );
  }
}

/** Row i's class probabilities, by label. */
function classProbabilities(labels: readonly string[], probs: Float32Array, i: number): Record<string, number> {
  const p: Record<string, number> = {};
  labels.forEach((l, k) => (p[l] = float32ToNumber(probs[i * labels.length + k])));
  return p;
}

/** Classification metrics of predicted records against the given labels; `unknown` is the error for a label the model lacks. */
function classificationEvaluation(
  labels: string[],
  given: readonly (string | null)[],
  records: readonly PredictionRecord[],
  unknown: (label: string | null, index: number) => Error,
): Evaluation {
  const index = new Map(labels.map((l, i) => [l, i]));
  const truth = given.map((l, i) => {
    const k = l === null ? undefined : index.get(l);
    if (k === undefined) throw unknown(l, i);
    return k;
  });
  const probs = new Float64Array(records.length * labels.length);
  records.forEach((r, i) => labels.forEach((l, k) => (probs[i * labels.length + k] = r.probabilities![l])));
  const { confusion, ...metrics } = classificationMetrics(truth, probs, labels.length);
  return { task: "classification", rows: given.length, metrics, labels, confusion };
}

export type Evaluation =
  | { task: "regression" | "recommendation"; rows: number; metrics: Record<string, number> }
  | { task: "classification"; rows: number; metrics: Record<string, number>; labels: string[]; confusion: number[][] };
