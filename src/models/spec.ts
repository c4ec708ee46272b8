// The model and training spec: one schema, shared by the TypeScript API, the CLI and the service.
import { z } from "zod";

export const ActivationSchema = z.enum(["relu", "tanh", "sigmoid", "gelu", "identity"]);

/** One layer of a convolutional network, in order from the image to the output layer. */
export const LayerSchema = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("conv"),
    filters: z.number().int().positive(),
    kernel: z.number().int().positive().default(3),
    stride: z.number().int().positive().default(1),
    padding: z.union([z.enum(["same", "valid"]), z.number().int().min(0)]).default("same"),
    dilation: z.number().int().positive().default(1),
    groups: z.number().int().positive().default(1),
    /** Batch normalisation between the convolution and the activation. */
    batchNorm: z.boolean().default(true),
    activation: ActivationSchema.default("relu"),
  }),
  z.object({ type: z.literal("maxpool"), size: z.number().int().positive().default(2), stride: z.number().int().positive().optional() }),
  z.object({ type: z.literal("avgpool"), size: z.number().int().positive().default(2), stride: z.number().int().positive().optional() }),
  z.object({ type: z.literal("globalavgpool") }),
  z.object({ type: z.literal("batchnorm") }),
  z.object({ type: z.literal("dropout"), rate: z.number().min(0).lt(1) }),
  z.object({ type: z.literal("flatten") }),
  z.object({ type: z.literal("dense"), units: z.number().int().positive(), activation: ActivationSchema.default("relu") }),
]);

export type Layer = z.infer<typeof LayerSchema>;

export const ModelSpecSchema = z.object({
  /**
   * linear: least squares; logistic: softmax/sigmoid regression; mlp: dense layers; cnn:
   * convolutional network on images; rnn, lstm, gru: recurrent networks on sequences (or on text);
   * fasttext: text classification by the mean of token and n-gram embeddings; lexicon: the sum of
   * the words' AFINN-165 valences through a logistic regression (the sentiment baseline);
   * transformer, lstm-lm: language models of a text column (generation); recommenders
   * on (user, item) interactions: mf (biased matrix factorisation of ratings), svdpp (mf plus the
   * items each user rated, SVD++), bpr (implicit
   * feedback, Bayesian personalised ranking), als (implicit feedback, weighted alternating least
   * squares), popularity (the baseline: most interacted-with first).
   */
  kind: z.enum(["linear", "logistic", "mlp", "cnn", "rnn", "lstm", "gru", "fasttext", "lexicon", "transformer", "lstm-lm", "mf", "svdpp", "bpr", "als", "popularity"]),
  /** The layers of a cnn before its output layer; omitted, a default that fits the image size. */
  layers: z.array(LayerSchema).optional(),
  /** Hidden layer widths (mlp), or the widths of stacked recurrent layers (rnn, lstm, gru). */
  hidden: z.array(z.number().int().positive()).min(1).default([64]),
  /** Recurrent layers read the sequence both ways (rnn, lstm, gru). */
  bidirectional: z.boolean().default(false),
  /** Hidden activation (mlp only). */
  activation: ActivationSchema.default("relu"),
  /** Dropout rate after each hidden layer while training (mlp only). */
  dropout: z.number().min(0).lt(1).default(0),
  /** transformer: blocks, attention heads, and the tokens a window reads (its context). */
  blocks: z.number().int().min(1).max(48).default(2),
  heads: z.number().int().min(1).max(64).default(4),
  context: z.number().int().min(2).max(4096).default(128),
  /** Width of the token embeddings of text models (fasttext; rnn, lstm, gru over text; the transformer's residual stream). */
  embedding: z.number().int().positive().max(4096).default(64),
  /** Latent factors per user and item (mf, svdpp, bpr, als). */
  factors: z.number().int().positive().max(1024).default(32),
  /** L2 penalty on the factors and biases of each example's user and item (mf, bpr), or on all factors (als). */
  reg: z.number().min(0).default(0.05),
  /** Confidence of an interaction (als): c = 1 + alpha x its value (1 without a value column). */
  alpha: z.number().min(0).default(10),
});

/** The recommender kinds: they learn from (user, item) interactions instead of feature columns. */
export const RECOMMENDER_KINDS = ["mf", "svdpp", "bpr", "als", "popularity"] as const;
export type RecommenderKind = (typeof RECOMMENDER_KINDS)[number];

export function isRecommenderKind(kind: string): kind is RecommenderKind {
  return (RECOMMENDER_KINDS as readonly string[]).includes(kind);
}

/** The language models: they learn a text column to continue it (generation). */
export function isLanguageKind(kind: string): boolean {
  return kind === "transformer" || kind === "lstm-lm";
}

/** Which columns of an interaction table say who interacted with what, and when. */
export const InteractionsSpecSchema = z.object({
  user: z.string().min(1).default("user"),
  item: z.string().min(1).default("item"),
  /** Orders a user's interactions (leave-last-out evaluation; the latest of a duplicate pair wins). */
  timestamp: z.string().min(1).optional(),
  /** The rating scale [min, max]: a rating outside it is an error (mf). */
  scale: z.tuple([z.number(), z.number()]).optional(),
  /** A (user, item) pair seen twice: keep the latest rating (default), their mean, or sum them (implicit counts). */
  duplicates: z.enum(["last", "mean", "sum"]).default("last"),
  /**
   * The pairs held out to validate on (`training.validationSplit` of them): random (the default for
   * ratings), a fraction of each user's (user, the default for implicit feedback), or each user's
   * latest interaction (last: by the timestamp column, else the file's order).
   */
  holdout: z.enum(["random", "user", "last"]).optional(),
});

/** lbfgs: full-batch L-BFGS (no mini-batches, learning rate or schedule), the default for linear and logistic models. */
export const OptimizerSchema = z.enum(["sgd", "momentum", "nesterov", "adam", "adamw", "lbfgs"]);

export const ScheduleSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("constant") }),
  z.object({ kind: z.literal("step"), everyEpochs: z.number().int().positive(), gamma: z.number().positive().default(0.1) }),
  z.object({ kind: z.literal("cosine"), minLr: z.number().min(0).default(0) }),
]);

export const TrainingSpecSchema = z.object({
  /** Maximum epochs (early stopping may end sooner). */
  epochs: z.number().int().positive().default(100),
  batchSize: z.number().int().positive().default(32),
  lr: z.number().positive().default(0.01),
  optimizer: OptimizerSchema.default("adam"),
  /** Momentum coefficient for momentum / nesterov. */
  momentum: z.number().min(0).lt(1).default(0.9),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  /** Clip the gradients' global norm to this before each update (0: no clipping). */
  clipNorm: z.number().min(0).default(0),
  /** L2 penalty (sgd, momentum, adam) or decoupled decay (adamw); applies to weights, not biases. */
  weightDecay: z.number().min(0).default(0),
  schedule: ScheduleSchema.default({ kind: "constant" }),
  /** Fraction of rows held out (stratified for classification) to monitor and early-stop on. */
  validationSplit: z.number().min(0).lt(1).default(0.2),
  /** Stop after `patience` epochs without a validation-loss improvement of more than `minDelta`, and restore the best epoch. */
  earlyStopping: z
    .union([z.literal(false), z.object({ patience: z.number().int().positive().default(10), minDelta: z.number().min(0).default(0) })])
    .default({ patience: 10, minDelta: 0 }),
  /** Per-class loss weights: "balanced" (n / (k * count)) or none. */
  classWeights: z.enum(["none", "balanced"]).default("none"),
  /**
   * Sequences of varying length: train on up to this many graphs, one per bucket of lengths, each
   * unrolled only as far as its bucket's longest sequence (1: one graph, padded to the longest).
   */
  lengthBuckets: z.number().int().positive().default(4),
  seed: z.number().int().min(0).default(42),
  /** Threads for ONNX Runtime's operator pool; 0 lets it choose. */
  threads: z.number().int().min(0).default(0),
});

/**
 * Training defaults that differ by model family. Linear and logistic models are convex: full-batch
 * L-BFGS takes them to the least-squares (maximum-likelihood) optimum, as scikit-learn's solvers do,
 * where first-order methods stall on correlated features; nothing to stop early. Convolutional
 * networks take more, smaller steps than the schema's defaults suit.
 */
export function trainingDefaults(kind: ModelSpec["kind"]): Partial<TrainingSpecInput> {
  // Nothing held out either: the fit is on every row, as scikit-learn's (metrics are then training metrics).
  if (kind === "linear" || kind === "logistic") return { optimizer: "lbfgs", epochs: 500, earlyStopping: false, validationSplit: 0 };
  // Recurrent networks: Adam at 0.005, gradients clipped to norm 1 (exploding gradients through time).
  if (kind === "rnn" || kind === "lstm" || kind === "gru") return { lr: 0.005, clipNorm: 1 };
  // Convolutional networks with batch norm: Adam at 0.002 decayed to 0 by a cosine over the run,
  // batches of 64, 10% held out (measured on Fashion-MNIST, 5 epochs: 91.6% test accuracy, against
  // 90.3% for a constant 0.001 with 20% held out).
  if (kind === "cnn") return { lr: 0.002, batchSize: 64, epochs: 10, schedule: { kind: "cosine" }, validationSplit: 0.1, earlyStopping: { patience: 3 } };
  // Matrix factorisation: per-rating SGD steps summed over batches of 256 (measured on planted
  // ratings, 2,000 x 1,000, 5% observed: SGD at 0.02 reaches Adam's validation RMSE in half the time).
  if (kind === "mf" || kind === "svdpp") return { optimizer: "sgd", lr: 0.02, batchSize: 256, epochs: 50, validationSplit: 0.1, earlyStopping: { patience: 5 } };
  if (kind === "bpr") return { optimizer: "adam", lr: 0.01, batchSize: 256, epochs: 30, validationSplit: 0.1, earlyStopping: { patience: 5 } };
  // Language models: Adam at 0.003 on batches of 32 windows, the last 10% of the text held out.
  if (isLanguageKind(kind)) return { lr: 0.003, epochs: 10, validationSplit: 0.1, earlyStopping: false };
  // fastText: few epochs suffice (its own default is 5 with plain SGD).
  if (kind === "fasttext") return { epochs: 20, earlyStopping: { patience: 3 } };
  // The lexicon baseline fits a logistic regression on one number per text: full batch, to the optimum.
  if (kind === "lexicon") return { optimizer: "lbfgs", epochs: 200, earlyStopping: false };
  // ALS: each epoch is a full alternation (users, then items); it converges in a few.
  if (kind === "als") return { epochs: 15, validationSplit: 0.1, earlyStopping: { patience: 3 } };
  if (kind === "popularity") return { epochs: 1, validationSplit: 0.1, earlyStopping: false };
  return {};
}

/** The training spec for a model family: its defaults, overridden by what the user gave. */
export function resolveTraining(kind: ModelSpec["kind"], input: TrainingSpecInput = {}): TrainingSpec {
  return TrainingSpecSchema.parse({ ...trainingDefaults(kind), ...definedOnly(input) });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export type ModelSpec = z.infer<typeof ModelSpecSchema>;
export type ModelSpecInput = z.input<typeof ModelSpecSchema>;
export type TrainingSpec = z.infer<typeof TrainingSpecSchema>;
export type TrainingSpecInput = z.input<typeof TrainingSpecSchema>;
export type Task = "regression" | "classification";

/** Column-type overrides by name. */
export const ColumnsSpecSchema = z.object({
  /** Columns not to use. */
  ignore: z.array(z.string()).default([]),
  /** Columns to one-hot encode even if they look numeric. */
  categorical: z.array(z.string()).default([]),
  /** Columns that must be numeric (a non-number is an error). */
  numeric: z.array(z.string()).default([]),
});

/** How a text column becomes tokens (fasttext; rnn, lstm, gru over text). */
export const TextSpecSchema = z.object({
  /** The column holding the text. */
  column: z.string().min(1).default("text"),
  /** word: Unicode words (Chinese and Japanese by ICU's dictionaries); char: grapheme clusters; bpe: byte-level BPE learnt on the training texts. */
  tokenizer: z.enum(["word", "char", "bpe"]).default("word"),
  /** Unicode NFKC always; case folding too when true. */
  lowercase: z.boolean().default(true),
  /** Tokens kept: the most frequent of the training texts (word, char), or the BPE vocabulary's size. */
  vocabSize: z.number().int().min(16).max(1_000_000).default(20_000),
  /** Tokens seen fewer times in the training texts are unknown (word, char). */
  minCount: z.number().int().min(1).default(1),
  /** fasttext: word n-grams up to this length, hashed into `buckets` (1: words only). */
  ngrams: z.number().int().min(1).max(5).default(2),
  buckets: z.number().int().min(1).max(10_000_000).default(20_000),
  /** A text is cut to its first `maxTokens` tokens (before n-grams). */
  maxTokens: z.number().int().min(1).max(100_000).default(1000),
});

/** Whether a spec trains a text model: fasttext always, a recurrent network when given a text column. */
export function isTextSpec(spec: { model: { kind: string }; text?: unknown }): boolean {
  return spec.model.kind === "fasttext" || spec.model.kind === "lexicon" || isLanguageKind(spec.model.kind) || (spec.text !== undefined && ["rnn", "lstm", "gru"].includes(spec.model.kind));
}

/**
 * Ready-made specs for common tasks; what a user gives is written over them. sentiment: a fasttext
 * classifier (words and bigrams) of the `text` column into the `label` column's classes — two
 * (negative/positive) or five (1-5 stars); compare it with `--model lexicon`, the AFINN baseline.
 */
export const PRESETS = {
  sentiment: { target: "label", task: "classification", model: { kind: "fasttext" }, text: { column: "text", tokenizer: "word", ngrams: 2, lowercase: true } },
} as const;
export type Preset = keyof typeof PRESETS;

/** `spec` written over the preset's: nested objects merged one level deep. */
export function withPreset(preset: Preset | undefined, spec: Record<string, unknown>): Record<string, unknown> {
  if (!preset) return spec;
  const base = PRESETS[preset] as Record<string, unknown>;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(spec)) {
    if (v === undefined) continue;
    const b = base[k];
    out[k] = typeof v === "object" && v !== null && !Array.isArray(v) && typeof b === "object" && b !== null ? { ...b, ...v } : v;
  }
  return out;
}

/** Training a model on a table: the JSON `maas train --spec` reads and the service's jobs take. */
export const TabularSpecSchema = z
  .object({
    /** The column to predict; for recommenders, the rating column (mf), absent for implicit feedback. */
    target: z.string().min(1).optional(),
    /** Inferred when omitted: linear -> regression, logistic -> classification, else from the target column. */
    task: z.enum(["regression", "classification"]).optional(),
    model: ModelSpecSchema,
    /** Defaults depend on the model family (see trainingDefaults). */
    training: z.record(z.string(), z.unknown()).default({}),
    columns: ColumnsSpecSchema.default({ ignore: [], categorical: [], numeric: [] }),
    /** Sequence models: cut the target column, a series, into windows of `window` rows whose target lies `horizon` rows after. */
    windows: z.object({ window: z.number().int().positive(), horizon: z.number().int().positive().default(1) }).optional(),
    /** Recommenders: the user, item (and time) columns. */
    interactions: InteractionsSpecSchema.optional(),
    /** Text models: the text column and its tokenizer. */
    text: TextSpecSchema.optional(),
  })
  .transform((s, ctx) => {
    if (!isRecommenderKind(s.model.kind) && !isLanguageKind(s.model.kind) && s.target === undefined) {
      ctx.addIssue({ code: "custom", message: "target is required: the column to predict", path: ["target"] });
      return z.NEVER;
    }
    if ((s.model.kind === "mf" || s.model.kind === "svdpp") && s.target === undefined) {
      ctx.addIssue({ code: "custom", message: `${s.model.kind} learns from ratings: name the rating column as the target`, path: ["target"] });
      return z.NEVER;
    }
    const training = TrainingSpecSchema.safeParse({ ...trainingDefaults(s.model.kind), ...s.training });
    if (!training.success) {
      for (const issue of training.error.issues) ctx.addIssue({ code: "custom", message: issue.message, path: ["training", ...issue.path] });
      return z.NEVER;
    }
    return { ...s, training: training.data };
  });

export type TabularSpec = z.infer<typeof TabularSpecSchema>;
export type TabularSpecInput = z.input<typeof TabularSpecSchema>;

/** The spec's target column, which every model but an implicit-feedback recommender has (the schema ensures it). */
export function targetOf(spec: Pick<TabularSpec, "target" | "model">): string {
  if (spec.target === undefined) throw new Error(`a ${spec.model.kind} model has no target column`);
  return spec.target;
}
