// The HTTP API's request and response shapes: one zod schema each, shared by the server (validation
// and OpenAPI), the client SDK and the CLI's remote commands.
import { z } from "zod";
import { ColumnsSpecSchema, InteractionsSpecSchema, ModelSpecSchema, TextSpecSchema } from "../models/spec.js";

/** Names of datasets and models: what fits in a URL path segment without escaping. */
export const NameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "a name is 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");

export const ScopeSchema = z.enum(["admin", "write", "predict", "read"]);

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional(),
});

export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});

// ---- datasets ----------------------------------------------------------------------------

export const DatasetUploadQuerySchema = z.object({ name: NameSchema });

export const DatasetSchema = z.object({
  id: z.string(),
  name: z.string(),
  format: z.string(),
  rows: z.number(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  sha256: z.string(),
  bytes: z.number(),
  createdAt: z.string(),
});

/** `GET /datasets/:id/rows`: a window of a table's rows, cells as written in the file (null = missing). */
export const DatasetRowsQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
});

export const DatasetRowsSchema = z.object({
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z.array(z.array(z.string().nullable())),
  offset: z.number(),
  /** Rows in the whole dataset. */
  total: z.number(),
});

// ---- jobs --------------------------------------------------------------------------------

export const JobRequestSchema = z.object({
  /** Dataset id or name. */
  dataset: z.string().min(1),
  /** The model to register a new version of. */
  name: NameSchema,
  /** The column to predict; image datasets predict their `label`. */
  target: z.string().min(1).optional(),
  task: z.enum(["regression", "classification"]).optional(),
  model: ModelSpecSchema,
  /** Training settings (see TrainingSpecSchema); defaults depend on the model kind. */
  training: z.record(z.string(), z.unknown()).optional(),
  columns: ColumnsSpecSchema.partial().optional(),
  /** Sequence models: cut the target series into windows (see TabularSpecSchema). */
  windows: z.object({ window: z.number().int().positive(), horizon: z.number().int().positive().optional() }).optional(),
  /** Recommenders (mf, svdpp, bpr, als, popularity): the user, item and time columns (default `user`, `item`). */
  interactions: InteractionsSpecSchema.partial().optional(),
  /** Text models (fasttext; rnn, lstm, gru over text): the text column and its tokenizer. */
  text: TextSpecSchema.partial().optional(),
});

export const JobSchema = z.object({
  id: z.string(),
  name: z.string(),
  dataset: z.string(),
  status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
  progress: z.unknown(),
  metrics: z.record(z.string(), z.number()).nullable(),
  model: z.object({ name: z.string(), version: z.number() }).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  attempts: z.number(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

// ---- models ------------------------------------------------------------------------------

/**
 * How a model is served. `batching`: requests wait up to `maxQueueDelayMs` for others of the same
 * shape and run as one batch of at most `maxBatchSize` rows (Triton's dynamic batcher); at most
 * `maxQueueSize` wait, none longer than `timeoutMs` (then 503 with Retry-After).
 */
export const ServingSchema = z.strictObject({
  batching: z
    .strictObject({
      maxBatchSize: z.number().int().min(1).max(65_536).default(64),
      maxQueueDelayMs: z.number().min(0).max(10_000).default(2),
      maxQueueSize: z.number().int().min(1).max(100_000).default(1024),
      timeoutMs: z.number().int().min(1).max(600_000).default(10_000),
    })
    .optional(),
});

export const ModelSchema = z.object({
  name: z.string(),
  latestVersion: z.number(),
  aliases: z.record(z.string(), z.number()),
  /** null: the server's defaults (no batching). */
  serving: ServingSchema.nullable(),
  createdAt: z.string(),
});

export const VersionSchema = z.object({
  model: z.string(),
  version: z.number(),
  source: z.enum(["trained", "imported"]),
  sha256: z.string(),
  bytes: z.number(),
  job: z.string().nullable(),
  dataset: z.string().nullable(),
  /** The model card: task, features, labels, spec, metrics, data fingerprint, software version. */
  card: z.unknown(),
  createdAt: z.string(),
});

/** Which version answers: a number, or an alias; neither means `production` if set, else `latest`. */
export const VersionSelectorSchema = z.object({
  version: z.number().int().positive().optional(),
  alias: NameSchema.optional(),
});

export const PredictRequestSchema = VersionSelectorSchema.extend({
  /** One object per row: {feature: value}. */
  instances: z.array(z.unknown()).min(1).max(100_000),
});

export const PredictResponseSchema = z.object({
  predictions: z.array(z.object({ prediction: z.union([z.number(), z.string()]), probabilities: z.record(z.string(), z.number()).optional() })),
  model: z.object({ name: z.string(), version: z.number() }),
});

/** Item ids, as a recommender's requests carry them. */
const ItemIdsSchema = z.array(z.string().min(1)).max(10_000);

/** `POST /models/:name/recommend`: the best `k` items for `user` (a recommender). */
export const RecommendRequestSchema = VersionSelectorSchema.extend({
  user: z.string().min(1),
  /** At most the items left after the exclusions. */
  k: z.number().int().min(1).max(1000).default(10),
  /** Leave out the items the user interacted with in the training data. */
  excludeSeen: z.boolean().default(true),
  /** Only these items (`include`), or not these (`exclude`). */
  filter: z.strictObject({ include: ItemIdsSchema.min(1).optional(), exclude: ItemIdsSchema.optional() }).optional(),
});

const RecommendationSchema = z.object({ item: z.string(), score: z.number() });

export const RecommendResponseSchema = z.object({
  user: z.string(),
  items: z.array(RecommendationSchema),
  /** "popularity": the model does not know the user, so the items are ranked by their own term (μ + b_i, or popularity). */
  fallback: z.enum(["popularity"]).optional(),
  model: z.object({ name: z.string(), version: z.number() }),
});

/** `POST /models/:name/similar-items`: the `k` items most like `item` (cosine of their factors). */
export const SimilarItemsRequestSchema = VersionSelectorSchema.extend({
  item: z.string().min(1),
  k: z.number().int().min(1).max(1000).default(10),
});

export const SimilarItemsResponseSchema = z.object({
  item: z.string(),
  items: z.array(RecommendationSchema),
  /** "popularity": the model does not know the item; the most popular items instead. */
  fallback: z.enum(["popularity"]).optional(),
  model: z.object({ name: z.string(), version: z.number() }),
});

export const EvaluateRequestSchema = VersionSelectorSchema.extend({
  /** Dataset id or name, with the target column. */
  dataset: z.string().min(1),
  target: z.string().optional(),
});

export const AliasRequestSchema = z.object({ version: z.number().int().positive() });
export const ImportQuerySchema = z.object({ name: NameSchema });

// ---- keys --------------------------------------------------------------------------------

export const KeyRequestSchema = z.object({
  name: z.string().min(1).max(200),
  /** Another tenant's name (platform administrator only); a new name creates the tenant. */
  tenant: NameSchema.optional(),
  scopes: z.array(ScopeSchema).min(1),
});

export const KeySchema = z.object({
  id: z.string(),
  name: z.string(),
  tenant: z.string(),
  scopes: z.array(ScopeSchema),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

export const CreatedKeySchema = KeySchema.extend({ key: z.string() });

/** `GET /whoami`: the calling key's identity. */
export const WhoAmISchema = z.object({
  keyId: z.string(),
  tenant: z.string(),
  scopes: z.array(ScopeSchema),
  platformAdmin: z.boolean(),
});

export type JobRequest = z.infer<typeof JobRequestSchema>;
export type Dataset = z.infer<typeof DatasetSchema>;
export type Job = z.infer<typeof JobSchema>;
export type Model = z.infer<typeof ModelSchema>;
export type ServingInput = z.input<typeof ServingSchema>;
export type Version = z.infer<typeof VersionSchema>;
export type PredictResponse = z.infer<typeof PredictResponseSchema>;
export type Key = z.infer<typeof KeySchema>;
export type CreatedKey = z.infer<typeof CreatedKeySchema>;
export type WhoAmI = z.infer<typeof WhoAmISchema>;
export type RecommendRequest = z.input<typeof RecommendRequestSchema>;
export type RecommendResponse = z.infer<typeof RecommendResponseSchema>;
export type SimilarItemsRequest = z.input<typeof SimilarItemsRequestSchema>;
export type SimilarItemsResponse = z.infer<typeof SimilarItemsResponseSchema>;
export type DatasetRows = z.infer<typeof DatasetRowsSchema>;

// ---- responses without a resource schema above (used by the client SDK) -----------------------

/** One page of a listing; pass `next` as `cursor` for the following page (null on the last). */
export const pageSchema = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().nullable() });

/** `POST /jobs` -> 202. */
export const JobCreatedSchema = JobSchema.pick({ id: true, status: true });

/** `PUT /models/:name/aliases/:alias` -> 200. */
export const AliasSchema = z.object({ model: z.string(), alias: z.string(), version: z.number() });

/** `POST /models/import` -> 201. */
export const ImportedSchema = z.object({ name: z.string(), version: z.number() });

/** `POST /models/:name/evaluate` -> the task's metrics (and, for classifiers, the confusion matrix). */
export const EvaluationSchema = z.object({
  task: z.enum(["regression", "classification", "recommendation"]),
  rows: z.number(),
  metrics: z.record(z.string(), z.number()),
  labels: z.array(z.string()).optional(),
  /** confusion[true][predicted], in `labels` order. */
  confusion: z.array(z.array(z.number())).optional(),
  model: z.object({ name: z.string(), version: z.number() }),
  dataset: z.string(),
});

// ---- job events (GET /jobs/:id/events, Server-Sent Events) -----------------------------------

/** One event: `id` is its SSE id (1, 2, ... per job), `type` its SSE event name, `data` its JSON. */
export const JobEventSchema = z.object({ id: z.number(), type: z.string(), data: z.unknown() });

/** `status` events: every status change; a terminal one is the job's last event. */
export const StatusEventDataSchema = z.looseObject({
  status: JobSchema.shape.status,
  attempt: z.number().optional(),
  maxAttempts: z.number().optional(),
  reason: z.string().optional(),
  model: z.object({ name: z.string(), version: z.number() }).optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

/** `epoch` events: one per finished epoch. Losses and metrics that were NaN arrive as null. */
export const EpochEventDataSchema = z.looseObject({
  epoch: z.number(),
  epochs: z.number(),
  trainLoss: z.number().nullable(),
  validationLoss: z.number().nullable().optional(),
  metrics: z.record(z.string(), z.number().nullable()),
  lr: z.number().optional(),
  samplesPerSecond: z.number().optional(),
  seconds: z.number().optional(),
});

/** `done` events: the model version is registered; the final `status` event follows. */
export const DoneEventDataSchema = z.object({
  model: z.object({ name: z.string(), version: z.number() }),
  metrics: z.record(z.string(), z.number().nullable()),
});

export type Page<T> = { items: T[]; next: string | null };
export type JobCreated = z.infer<typeof JobCreatedSchema>;
export type Alias = z.infer<typeof AliasSchema>;
export type Imported = z.infer<typeof ImportedSchema>;
export type Evaluation = z.infer<typeof EvaluationSchema>;
export type JobEvent = z.infer<typeof JobEventSchema>;
export type StatusEventData = z.infer<typeof StatusEventDataSchema>;
export type EpochEventData = z.infer<typeof EpochEventDataSchema>;
export type DoneEventData = z.infer<typeof DoneEventDataSchema>;
export type KeyRequest = z.infer<typeof KeyRequestSchema>;
/** What a client sends (defaults not yet applied: `model.hidden` and the like may be left out). */
export type JobRequestInput = z.input<typeof JobRequestSchema>;
export type PredictRequest = z.input<typeof PredictRequestSchema>;
export type EvaluateRequest = z.input<typeof EvaluateRequestSchema>;
