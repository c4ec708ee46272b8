// Table in, model file out: column types, target encoding, the split, preprocessing fitted on the
// training rows, training, and the self-contained ONNX file with its model card. The CLI and the
// service both train through here.
import { createHash } from "node:crypto";
import { encodeTarget, encodedWidth, fitEncodings } from "../data/encoders.js";
import type { ColumnInfo } from "../data/schema.js";
import { inferSchema } from "../data/schema.js";
import type { RawTable } from "../data/table.js";
import { inputError } from "../errors.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Runtime } from "../runtime/runtime.js";
import { VERSION } from "../version.js";
import type { ModelCard } from "./card.js";
import { cardMetadata, featureFromEncoding, fitRecord } from "./card.js";
import type { Problem } from "./network.js";
import { inferenceGraph } from "./network.js";
import { encodeTable, preprocess } from "./preprocess.js";
import type { Task, TabularSpec } from "./spec.js";
import { targetOf } from "./spec.js";
import type { EpochReport, FitOptions } from "./trainer.js";
import { fit, trainingSplit } from "./trainer.js";

export interface TabularResult {
  /** The model file. */
  onnx: Uint8Array;
  card: ModelCard;
  history: EpochReport[];
  /** Column kinds as inferred (and overridden), features and ignored columns alike. */
  columns: ColumnInfo[];
}

/** The task: as asked, else by model kind, else numeric target -> regression. */
export function resolveTask(spec: TabularSpec, targetKind: ColumnInfo["kind"], table: RawTable): Task {
  const kind = spec.model.kind;
  const task: Task = spec.task ?? (kind === "linear" ? "regression" : kind === "logistic" ? "classification" : targetKind === "numeric" ? "regression" : "classification");
  if (kind === "linear" && task === "classification") throw inputError("--model linear does regression; use --model logistic (or mlp) for classification", { file: table.source });
  if (kind === "logistic" && task === "regression") throw inputError("--model logistic does classification; use --model linear (or mlp) for regression", { file: table.source });
  return task;
}

/** SHA-256 of a table's content: column names and cells, with separators no cell can fake. */
export function tableFingerprint(table: RawTable): string {
  const h = createHash("sha256");
  let buffer = "";
  for (let c = 0; c < table.columns.length; c++) {
    buffer += `\u0001${table.columns[c]}\u0002`;
    for (const v of table.values[c]) {
      buffer += v === null ? "\u0003" : `${v}\u0000`;
      // Hashing in pieces of ~64 KiB: one update per cell costs more than the hash itself.
      if (buffer.length > 65536) {
        h.update(buffer);
        buffer = "";
      }
    }
  }
  return h.update(buffer).digest("hex");
}

/**
 * Trains the model `spec` describes on a table and returns its model file.
 * @example const { onnx, card } = await trainTable(await readTable("houses.csv"), TabularSpecSchema.parse({ target: "price", model: { kind: "mlp" } }));
 */
export async function trainTable(table: RawTable, spec: TabularSpec, options: FitOptions & { runtime?: Runtime } = {}): Promise<TabularResult> {
  const runtime = options.runtime ?? defaultRuntime();
  const started = performance.now();
  const targetColumn = targetOf(spec);
  if (!table.columns.includes(targetColumn)) {
    throw inputError(`there is no target column '${targetColumn}' (columns: ${table.columns.join(", ")})`, { file: table.source });
  }
  const columns = inferSchema(table, { ...spec.columns, ignore: [...spec.columns.ignore] });
  const targetInfo = columns.find((c) => c.name === targetColumn)!;
  const features = columns.filter((c) => c.name !== targetColumn && (c.kind === "numeric" || c.kind === "categorical"));
  if (features.length === 0) throw inputError(`no usable feature columns besides the target '${targetColumn}'`, { file: table.source });
  const task = resolveTask(spec, targetInfo.kind, table);
  const target = encodeTarget(table, targetColumn, task);
  const classes = target.task === "classification" ? target.labels.length : 1;

  // The split comes first: preprocessing is fitted on the training rows only.
  const split = trainingSplit(spec.training, { task, classes }, target.values);
  const encodings = fitEncodings(table, features, split.train);
  const problem: Problem = { task, features: encodedWidth(encodings), classes };
  const matrix = await encodeTable(runtime, table, encodings);

  const result = await fit(runtime, spec.model, spec.training, problem, { features: matrix, rows: table.rows, columns: problem.features, target: target.values }, { ...options, split });
  const labels = target.task === "classification" ? target.labels : undefined;
  const graph = inferenceGraph(spec.model, problem, result.params, (g) => preprocess(g, encodings), labels);
  const card: ModelCard = {
    task,
    target: targetColumn,
    features: encodings.map(featureFromEncoding),
    ...(labels ? { labels } : {}),
    spec: { model: spec.model, training: spec.training },
    ...fitRecord(result, started),
    dataset: {
      source: table.source,
      rows: table.rows,
      columns: table.columns.length,
      sha256: tableFingerprint(table),
      trainRows: split.train.length,
      validationRows: split.validation.length,
    },
    version: VERSION,
  };
  const onnx = encodeModel(graph, { metadata: cardMetadata(card), producerVersion: VERSION, docString: `OpenMaaS ${spec.model.kind} ${task} model of '${targetColumn}'` });
  return { onnx, card, history: result.history, columns };
}
