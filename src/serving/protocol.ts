// The messages between the prediction pool and its worker threads, and errors across that boundary.
import type { ErrorCode } from "../errors.js";
import { ERROR_STATUS, MaasError } from "../errors.js";
import type { SequenceSet } from "../data/sequences.js";
import type { ModelInfo } from "../engine/onnx-codec.js";
import type { Evaluation, PredictionRecord } from "../models/model-file.js";
import type { Recommendation } from "../models/recommender-file.js";
import type { Tensor } from "../runtime/tensor.js";

/** A model version to serve. */
export interface ModelRef {
  /** Unique per model version (content), e.g. `tenant/name/version/sha256`: the worker's cache key. */
  key: string;
  /** The local .onnx file. */
  path: string;
  /** How error messages name the model; the path when omitted. */
  name?: string;
}

/** Records to predict: `values[r][c]` is row r's cell for `columns[c]`, null where missing. */
export interface RowTable {
  columns: string[];
  values: (string | null)[][];
  rows: number;
}

/** What each worker is started with. */
export interface WorkerConfig {
  /** Intra-op threads of each session. */
  threads: number;
  /** Sessions each worker keeps when idle. */
  sessions: number;
  /** Bytes the worker's sessions may cost together (see SessionCache). */
  memoryBudget: number;
}

/** Images to predict, already decoded to the model's shape: `pixels` is NCHW, 0..255. */
export interface ImageBatch {
  count: number;
  channels: 1 | 3;
  height: number;
  width: number;
  pixels: Uint8Array;
}

export type WorkRequest =
  | { id: number; kind: "predict"; model: ModelRef; table: RowTable }
  | { id: number; kind: "predictImages"; model: ModelRef; images: ImageBatch }
  | { id: number; kind: "predictSequences"; model: ModelRef; sequences: SequenceSet }
  | { id: number; kind: "evaluate"; model: ModelRef; datasetPath: string; target?: string }
  /** Raw tensors in, the named outputs out (the Open Inference Protocol's infer). */
  | { id: number; kind: "infer"; model: ModelRef; inputs: Record<string, Tensor>; outputs: string[] }
  /** Loads the model (if it is not loaded) and answers its interface. */
  | { id: number; kind: "load"; model: ModelRef }
  /**
   * A recommender's top-k lists for users, without the items in `exclude` (and their training items
   * with `excludeSeen`); with `include`, ranked among those items only.
   */
  | { id: number; kind: "recommend"; model: ModelRef; users: string[]; k: number; exclude: string[][]; excludeSeen: boolean; include?: string[] }
  /** A recommender's k items most like each item. */
  | { id: number; kind: "similar"; model: ModelRef; items: string[]; k: number }
  /** A recommender's scores of (user, item) pairs. */
  | { id: number; kind: "rate"; model: ModelRef; users: string[]; items: string[] };

/** An infer request's outputs, and how long the session ran (µs). */
export interface InferResult {
  outputs: Record<string, Tensor>;
  micros: number;
}

/** Lists per user (or item), and whether the model knew each (unknown ones got the fallback: the items ranked by their own term). */
export interface RecommendResult {
  lists: Recommendation[][];
  known: boolean[];
}

export type WorkResult = PredictionRecord[] | Evaluation | InferResult | ModelInfo | RecommendResult | number[];

/** Messages to every worker, outside the request queue. */
export type WorkerControl = { kind: "unload"; keyPrefix: string };

/** A worker's loaded sessions and what they cost, sent with every answer. */
export interface CacheStats {
  sessions: number;
  bytes: number;
  /** The model keys loaded. */
  keys: string[];
}

export type WorkerMessage =
  | { kind: "ready" }
  | { kind: "done"; id: number; result: WorkResult; cache: CacheStats }
  | { kind: "failed"; id: number; error: WireError; cache: CacheStats }
  | { kind: "unloaded"; cache: CacheStats };

/** An error as it crosses the thread boundary: a MaasError keeps its code and details. */
export type WireError = { kind: "maas"; code: ErrorCode; message: string; details?: unknown } | { kind: "other"; message: string };

export function toWireError(e: unknown): WireError {
  if (e instanceof MaasError) return { kind: "maas", code: e.code, message: e.message, details: cloneable(e.details) };
  return { kind: "other", message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(w: WireError): Error {
  if (w.kind === "maas" && w.code in ERROR_STATUS) return new MaasError(w.code, w.message, w.details);
  return new Error(w.message);
}

/** Details as they are if they survive structured cloning, else their JSON form, else nothing. */
function cloneable(details: unknown): unknown {
  if (details === undefined) return undefined;
  try {
    structuredClone(details);
    return details;
  } catch {
    try {
      return JSON.parse(JSON.stringify(details) ?? "null");
    } catch {
      return undefined; // cyclic or BigInt: the message still says what went wrong
    }
  }
}
