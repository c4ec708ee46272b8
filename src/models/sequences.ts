// Sequences in, model file out: the target (a value or a label per sequence), the split, per-feature
// normalisation fitted on the training sequences' real steps, training, and the ONNX file whose
// `sequence` input takes raw values.
import { createHash } from "node:crypto";
import { compareLabels } from "../data/encoders.js";
import type { SequenceSet } from "../data/sequences.js";
import { forecastWindows, rowsAsSequences, slidingWindows } from "../data/sequences.js";
import type { RawTable } from "../data/table.js";
import { inputError } from "../errors.js";
import type { Graph } from "../engine/graph.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { div, sub } from "../engine/ops.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Runtime } from "../runtime/runtime.js";
import { VERSION } from "../version.js";
import type { ModelCard } from "./card.js";
import { cardMetadata, fitRecord } from "./card.js";
import type { Problem } from "./network.js";
import { LENGTHS_INPUT, inferenceGraph } from "./network.js";
import type { ModelSpec, TabularSpec, Task, TrainingSpec } from "./spec.js";
import { targetOf } from "./spec.js";
import type { EpochReport, FitOptions } from "./trainer.js";
import { fit, trainingSplit } from "./trainer.js";

/** Name of a sequence model's input: [N, T, F] float32 raw values. */
export const SEQUENCE_INPUT = "sequence";

export interface SequenceResult {
  onnx: Uint8Array;
  card: ModelCard;
  history: EpochReport[];
}

/** Per-feature mean and (population) std over the real steps of the given sequences. */
function featureStats(set: SequenceSet, rows: Int32Array): { mean: number[]; std: number[] } {
  const { steps, features } = set;
  const sum = new Float64Array(features);
  const sq = new Float64Array(features);
  let n = 0;
  for (const r of rows) {
    const length = set.lengths ? set.lengths[r] : steps;
    for (let t = 0; t < length; t++) {
      for (let f = 0; f < features; f++) {
        const v = set.values[(r * steps + t) * features + f];
        sum[f] += v;
        sq[f] += v * v;
      }
    }
    n += length;
  }
  const mean = Array.from(sum, (s) => s / Math.max(n, 1));
  const std = Array.from(sq, (q, f) => Math.sqrt(Math.max(q / Math.max(n, 1) - mean[f] ** 2, 0)) || 1);
  return { mean, std };
}

/** The inputs of a sequence model's file: raw steps (normalised in the graph) and, if lengths vary, lengths. */
function sequenceInput(g: Graph, set: SequenceSet, mean: number[], std: number[]) {
  const x = g.input(SEQUENCE_INPUT, "float32", ["batch", set.steps, set.features]);
  if (set.lengths) g.input(LENGTHS_INPUT, "int64", ["batch"]);
  const perFeature = (v: number[], name: string) => g.constant({ dtype: "float32", dims: [1, 1, set.features], data: Float32Array.from(v) }, name);
  return div(sub(x, perFeature(mean, "step_mean")), perFeature(std, "step_std"));
}

/**
 * Trains a recurrent model (or any family) on sequences with a numeric target (regression) or a
 * label (classification).
 */
export async function trainSequences(
  set: SequenceSet,
  model: ModelSpec,
  training: TrainingSpec,
  options: FitOptions & { runtime?: Runtime; task?: Task; target?: string; window?: NonNullable<ModelCard["sequence"]>["window"] } = {},
): Promise<SequenceResult> {
  const runtime = options.runtime ?? defaultRuntime();
  const started = performance.now();
  if (!set.target) throw inputError("the sequences have no target: name it with --target", { file: set.source });
  const task: Task = options.task ?? (set.target.kind === "numeric" ? "regression" : "classification");
  let labels: string[] | undefined;
  let target: Float32Array;
  if (set.target.kind === "labels") {
    if (task === "regression") throw inputError("the target has labels, not numbers: a regression needs numbers", { file: set.source });
    const all = set.target.labels;
    labels = [...new Set(all)].sort(compareLabels);
    if (labels.length < 2) throw inputError(`classification needs at least two classes; the target has only '${labels[0]}'`, { file: set.source });
    const index = new Map(labels.map((l, i) => [l, i]));
    target = Float32Array.from(all, (l) => index.get(l)!);
  } else if (task === "classification") {
    const values = set.target.values;
    labels = [...new Set(Array.from(values, String))].sort(compareLabels);
    const index = new Map(labels.map((l, i) => [l, i]));
    target = Float32Array.from(values, (v) => index.get(String(v))!);
  } else target = set.target.values;
  const classes = labels ? labels.length : 1;

  const split = trainingSplit(training, { task, classes }, target);
  const { mean, std } = featureStats(set, split.train);
  const shape = [set.steps, set.features];
  const problem: Problem = { task, features: set.steps * set.features, classes, input: shape, lengths: !!set.lengths };
  const normalised = Float32Array.from(set.values, (v, i) => (v - mean[i % set.features]) / std[i % set.features]);
  const data = { features: normalised, rows: set.count, columns: problem.features, target, shape, ...(set.lengths ? { lengths: set.lengths } : {}) };
  const result = await fit(runtime, model, training, problem, data, { ...options, split });

  const graph = inferenceGraph(model, problem, result.params, (g) => sequenceInput(g, set, mean, std), labels);
  const card: ModelCard = {
    task,
    target: options.target ?? "target",
    features: [],
    ...(labels ? { labels } : {}),
    sequence: { steps: set.steps, features: set.features, mean, std, lengths: !!set.lengths, columns: set.columns, ...(options.window ? { window: options.window } : {}) },
    spec: { model, training },
    ...fitRecord(result, started),
    dataset: {
      source: set.source,
      rows: set.count,
      columns: problem.features,
      sha256: createHash("sha256").update(new Uint8Array(set.values.buffer, set.values.byteOffset, set.values.byteLength)).update(target).digest("hex"),
      trainRows: split.train.length,
      validationRows: split.validation.length,
    },
    version: VERSION,
  };
  const onnx = encodeModel(graph, { metadata: cardMetadata(card), producerVersion: VERSION, docString: `OpenMaaS ${model.kind} sequence ${task} model` });
  return { onnx, card, history: result.history };
}

/** Whether a model family trains on sequences. */
export function isSequenceKind(kind: ModelSpec["kind"]): boolean {
  return kind === "rnn" || kind === "lstm" || kind === "gru";
}

/**
 * A table as a sequence model's data: windows of the target series when the spec (or the card)
 * has `windows`, else one sequence per row. `withTarget: false` is prediction input: every window,
 * the last included, and no target column needed.
 */
export function tableSequences(table: RawTable, target: string, windows: { window: number; horizon: number } | undefined, options: { withTarget: boolean; ignore?: readonly string[]; task?: Task }): SequenceSet {
  if (windows) {
    return options.withTarget
      ? slidingWindows(table, { column: target, window: windows.window, horizon: windows.horizon })
      : forecastWindows(table, { column: target, window: windows.window });
  }
  if (options.withTarget) return rowsAsSequences(table, { target, ignore: options.ignore ?? [], ...(options.task ? { task: options.task } : {}) });
  return rowsAsSequences(table, { ignore: [...(options.ignore ?? []), ...(table.columns.includes(target) ? [target] : [])] });
}

/** Trains a sequence model on a table, as `maas train` and training jobs do. */
export function trainSequenceTable(table: RawTable, spec: TabularSpec, options: FitOptions & { runtime?: Runtime } = {}): Promise<SequenceResult> {
  const target = targetOf(spec);
  const set = tableSequences(table, target, spec.windows, { withTarget: true, ignore: spec.columns.ignore, ...(spec.task ? { task: spec.task } : {}) });
  const window = spec.windows ? { column: target, window: spec.windows.window, horizon: spec.windows.horizon, features: [] } : undefined;
  return trainSequences(set, spec.model, spec.training, { ...options, target, ...(spec.task ? { task: spec.task } : {}), ...(window ? { window } : {}) });
}
