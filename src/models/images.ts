// Images in, model file out: labels, the split, per-channel normalisation fitted on the training
// images, training, and the ONNX file whose `image` input takes raw pixel values.
import { createHash } from "node:crypto";
import { compareLabels } from "../data/encoders.js";
import type { ImageSet } from "../data/image-set.js";
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
import { inferenceGraph } from "./network.js";
import type { ModelSpec, TrainingSpec } from "./spec.js";
import type { EpochReport, FitOptions } from "./trainer.js";
import { fit, trainingSplit } from "./trainer.js";

/** Name of an image model's input: [N, C, H, W] float32 raw pixel values. */
export const IMAGE_INPUT = "image";

export interface ImageResult {
  onnx: Uint8Array;
  card: ModelCard;
  history: EpochReport[];
}

/** Per-channel mean and (population) standard deviation of the given images' pixels. */
export function channelStats(set: ImageSet, rows: Int32Array): { mean: number[]; std: number[] } {
  const plane = set.height * set.width;
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < set.channels; c++) {
    let sum = 0;
    let sq = 0;
    for (const r of rows) {
      const base = (r * set.channels + c) * plane;
      for (let i = 0; i < plane; i++) {
        const v = set.pixels[base + i];
        sum += v;
        sq += v * v;
      }
    }
    const n = rows.length * plane;
    const m = sum / n;
    mean.push(m);
    std.push(Math.sqrt(Math.max(sq / n - m * m, 0)) || 1);
  }
  return { mean, std };
}

/** The images as normalised float32, NCHW. */
function normalise(set: ImageSet, mean: number[], std: number[]): Float32Array {
  const plane = set.height * set.width;
  const out = new Float32Array(set.pixels.length);
  for (let i = 0; i < set.pixels.length; i++) {
    const c = Math.floor(i / plane) % set.channels;
    out[i] = (set.pixels[i] - mean[c]) / std[c];
  }
  return out;
}

/** The graph input of raw pixels, normalised as training normalised them: (x - mean_c) / std_c. */
function normalisedInput(g: Graph, set: Pick<ImageSet, "channels" | "height" | "width">, mean: number[], std: number[]) {
  const x = g.input(IMAGE_INPUT, "float32", ["batch", set.channels, set.height, set.width]);
  const channel = (v: number[], name: string) => g.constant({ dtype: "float32", dims: [1, set.channels, 1, 1], data: Float32Array.from(v) }, name);
  return div(sub(x, channel(mean, "pixel_mean")), channel(std, "pixel_std"));
}

/**
 * Trains an image classifier on labelled images.
 * @example const { onnx } = await trainImages(await readImages("photos/"), spec.model, spec.training);
 */
export async function trainImages(set: ImageSet, model: ModelSpec, training: TrainingSpec, options: FitOptions & { runtime?: Runtime } = {}): Promise<ImageResult> {
  const runtime = options.runtime ?? defaultRuntime();
  const started = performance.now();
  if (!set.labels) throw inputError("the images have no labels: give a folder of class folders, or IDX images with --labels", { file: set.source });
  const labels = [...new Set(set.labels)].sort(compareLabels);
  if (labels.length < 2) throw inputError(`classification needs at least two classes; the images have only '${labels[0]}'`, { file: set.source });
  const index = new Map(labels.map((l, i) => [l, i]));
  const target = Float32Array.from(set.labels, (l) => index.get(l)!);

  const split = trainingSplit(training, { task: "classification", classes: labels.length }, target);
  const { mean, std } = channelStats(set, split.train);
  const shape = [set.channels, set.height, set.width];
  const problem: Problem = { task: "classification", features: set.channels * set.height * set.width, classes: labels.length, input: shape };
  const data = { features: normalise(set, mean, std), rows: set.count, columns: problem.features, target, shape };
  const result = await fit(runtime, model, training, problem, data, { ...options, split });

  const graph = inferenceGraph(model, problem, result.params, (g) => normalisedInput(g, set, mean, std), labels);
  const card: ModelCard = {
    task: "classification",
    target: "label",
    features: [],
    labels,
    labelKind: set.labelKind === "idx" ? "idx" : "folder",
    image: { channels: set.channels, height: set.height, width: set.width, mean, std },
    spec: { model, training },
    ...fitRecord(result, started),
    dataset: {
      source: set.source,
      rows: set.count,
      columns: problem.features,
      sha256: createHash("sha256").update(set.pixels).update(set.labels.join("\n")).digest("hex"),
      trainRows: split.train.length,
      validationRows: split.validation.length,
    },
    version: VERSION,
  };
  const onnx = encodeModel(graph, { metadata: cardMetadata(card), producerVersion: VERSION, docString: `OpenMaaS ${model.kind} image classifier` });
  return { onnx, card, history: result.history };
}
