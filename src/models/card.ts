// The model card: what a model file says about itself in its `metadata_props` (one JSON value per
// `openmaas.*` key), validated with one schema wherever a file is read.
import { z } from "zod";
import type { FeatureEncoding } from "../data/encoders.js";
import { MaasError } from "../errors.js";
import { ModelSpecSchema, TrainingSpecSchema } from "./spec.js";
import type { FitResult } from "./trainer.js";

export const FeatureSchema = z.object({
  name: z.string(),
  /** numeric: a float32 [N, 1] input; categorical: a string [N, 1] input. */
  type: z.enum(["numeric", "categorical"]),
  encoding: z.union([
    /** z = (x - mean) / std; a missing value (NaN) becomes the mean. */
    z.object({ standardize: z.object({ mean: z.number(), std: z.number() }) }),
    /** One-hot over the categories, plus one column for anything unknown or missing. */
    z.object({ oneHot: z.object({ categories: z.array(z.string()) }) }),
  ]),
});

/**
 * A text model's tokenizer: the graph takes `tokens` [N, L] (int64 ids; 0 pads) and, for recurrent
 * networks, `lengths` [N]; the vocabulary (or BPE merges) is in the file's `openmaas.vocabulary`.
 */
export const TextCardSchema = z.object({
  column: z.string(),
  tokenizer: z.enum(["word", "char", "bpe"]),
  lowercase: z.boolean(),
  /** Ids: 0 pads, 1 is unknown, then the vocabulary, then `buckets` hashed n-gram ids. */
  vocabSize: z.number().int(),
  ngrams: z.number().int(),
  buckets: z.number().int(),
  maxTokens: z.number().int(),
  lengths: z.boolean(),
  /** The ICU and Unicode versions that segmented the training texts (word segmentation can change with them). */
  icu: z.string(),
});

/** A recommender's interface (its model file's graph: `user`, `k`, `exclude` -> `items`, `scores`). */
export const RecommenderCardSchema = z.object({
  kind: z.enum(["mf", "svdpp", "bpr", "als", "popularity"]),
  /** explicit: scores are predicted ratings; implicit: scores only rank. */
  feedback: z.enum(["explicit", "implicit"]),
  users: z.number().int(),
  items: z.number().int(),
  factors: z.number().int(),
  columns: z.object({ user: z.string(), item: z.string(), rating: z.string().optional(), timestamp: z.string().optional() }),
  scale: z.tuple([z.number(), z.number()]).optional(),
});

export const ModelCardSchema = z.object({
  task: z.enum(["regression", "classification", "recommendation", "generation"]),
  /** The column the model predicts (recommenders: the rating column, or the item column for implicit feedback). */
  target: z.string(),
  features: z.array(FeatureSchema),
  /** Class labels, in the order of the `probabilities` columns. */
  labels: z.array(z.string()).optional(),
  /** Where the labels came from: IDX labels are integers, and predictions say them as integers. */
  labelKind: z.enum(["text", "folder", "idx"]).optional(),
  /** Image models: the `image` input [N, channels, height, width] of raw pixel values (0..255), normalised inside the graph by the training set's per-channel mean and std. */
  image: z
    .object({ channels: z.number().int(), height: z.number().int(), width: z.number().int(), mean: z.array(z.number()), std: z.array(z.number()) })
    .optional(),
  /**
   * Sequence models: the `sequence` input [N, steps, features] of raw values, normalised inside the
   * graph per feature; with `lengths`, a `lengths` input [N] (int64) for shorter sequences. `window`
   * says how a series was cut into samples (the CLI cuts prediction input the same way).
   */
  sequence: z
    .object({
      steps: z.number().int(),
      features: z.number().int(),
      mean: z.array(z.number()),
      std: z.array(z.number()),
      lengths: z.boolean(),
      columns: z.array(z.string()),
      window: z.object({ column: z.string(), window: z.number().int(), horizon: z.number().int(), features: z.array(z.string()) }).optional(),
    })
    .optional(),
  /** Text models: their tokenizer. */
  text: TextCardSchema.optional(),
  /**
   * Language models: the decoder step graph's shape (`input_ids` [N, 1] and the key/value cache in,
   * `logits` and the cache out; at most `context` tokens a sequence).
   */
  language: z.object({ architecture: z.enum(["transformer", "lstm"]).optional(), context: z.number().int(), layers: z.number().int(), heads: z.number().int(), width: z.number().int(), vocab: z.number().int() }).optional(),
  /** Recommenders: their kind, size and columns. */
  recommender: RecommenderCardSchema.optional(),
  spec: z.object({ model: ModelSpecSchema, training: TrainingSpecSchema }),
  /** Validation metrics of the kept epoch (training metrics when nothing was held out). */
  metrics: z.record(z.string(), z.number()),
  dataset: z.object({
    source: z.string(),
    rows: z.number().int(),
    columns: z.number().int(),
    /** SHA-256 of the table's content (column names and cells). */
    sha256: z.string(),
    trainRows: z.number().int(),
    validationRows: z.number().int(),
  }),
  training: z.object({
    epochs: z.number().int(),
    bestEpoch: z.number().int(),
    seconds: z.number(),
    /** Sequences of varying length: the longest length of each bucket the training steps ran on (see spec `lengthBuckets`). */
    buckets: z.array(z.number().int()).optional(),
  }),
  /** The OpenMaaS version that wrote the file. */
  version: z.string(),
});

export type ModelCard = z.infer<typeof ModelCardSchema>;

/** The card's metrics (the kept epoch's, with its losses) and training record of a fit that began at `started`. */
export function fitRecord(result: Pick<FitResult, "history" | "bestEpoch" | "buckets">, started: number): Pick<ModelCard, "metrics" | "training"> {
  const best = result.history[result.bestEpoch - 1];
  return {
    metrics: { ...best.metrics, trainLoss: best.trainLoss, ...(best.validationLoss !== undefined ? { validationLoss: best.validationLoss } : {}) },
    training: {
      epochs: result.history.length,
      bestEpoch: result.bestEpoch,
      seconds: (performance.now() - started) / 1000,
      ...(result.buckets ? { buckets: result.buckets } : {}),
    },
  };
}
export type Feature = z.infer<typeof FeatureSchema>;

const KEYS = ["task", "target", "features", "labels", "labelKind", "image", "sequence", "text", "language", "recommender", "spec", "metrics", "dataset", "training", "version"] as const;

/** The card as `metadata_props`: `openmaas.<field>` -> JSON. */
export function cardMetadata(card: ModelCard): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of KEYS) if (card[k] !== undefined) out[`openmaas.${k}`] = JSON.stringify(card[k]);
  return out;
}

/** Reads a card back from `metadata_props`; undefined when the file has none (an imported model). */
export function cardFromMetadata(metadata: Record<string, string>, source: string): ModelCard | undefined {
  if (!Object.keys(metadata).some((k) => k.startsWith("openmaas."))) return undefined;
  const raw: Record<string, unknown> = {};
  for (const k of KEYS) {
    const v = metadata[`openmaas.${k}`];
    if (v === undefined) continue;
    try {
      raw[k] = JSON.parse(v);
    } catch {
      throw new MaasError("bad_input", `${source}: metadata 'openmaas.${k}' is not JSON`);
    }
  }
  const parsed = ModelCardSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `openmaas.${i.path.join(".")}: ${i.message}`).join("; ");
    throw new MaasError("bad_input", `${source}: the model card is not valid (${issues})`);
  }
  return parsed.data;
}

export function featureFromEncoding(e: FeatureEncoding): Feature {
  return e.type === "numeric"
    ? { name: e.name, type: "numeric", encoding: { standardize: { mean: e.mean, std: e.std } } }
    : { name: e.name, type: "categorical", encoding: { oneHot: { categories: e.categories } } };
}

export function encodingFromFeature(f: Feature): FeatureEncoding {
  return "standardize" in f.encoding
    ? { name: f.name, type: "numeric", ...f.encoding.standardize }
    : { name: f.name, type: "categorical", categories: f.encoding.oneHot.categories };
}
