// A recommender's model file read back: its graph answers top-N lists (`user`, `k`, `exclude` ->
// `items`, `scores`); the graphs for rating (user, item) pairs and for items like an item are built
// from the file's weights when first needed. The file also keeps each user's training items (for
// `excludeSeen`) and the id lists, in metadata.
import { decodeFloatInitializers, decodeModelInfo, encodeModel } from "../engine/onnx-codec.js";
import { MaasError } from "../errors.js";
import type { Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { ModelCard } from "./card.js";
import { cardFromMetadata } from "./card.js";
import type { FactorWeights } from "./factorization.js";
import { ITEM_TABLES, USER_TABLES, pairGraph, similarGraph } from "./factorization.js";

/** The metadata key of the id lists and the users' training items. */
export const INTERACTIONS_KEY = "openmaas.interactions";

export interface Recommendation {
  item: string;
  score: number;
}

/** What a recommender file holds besides its graph. */
export interface RecommenderMeta {
  card: ModelCard;
  users: string[];
  items: string[];
  /** CSR of each user's training items (indices into `items`). */
  seenOffsets: Int32Array;
  seenItems: Int32Array;
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
}

const toBase64 = (a: Int32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
const fromBase64 = (s: string): Int32Array => {
  const b = Buffer.from(s, "base64");
  return new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** The metadata value that stores the id lists and the users' training items. */
export function interactionsMetadata(users: readonly string[], items: readonly string[], seenOffsets: Int32Array, seenItems: Int32Array): string {
  return JSON.stringify({ users, items, seenOffsets: toBase64(seenOffsets), seenItems: toBase64(seenItems) });
}

/** Reads a recommender file's card and metadata; undefined for other model files. */
export function parseRecommender(bytes: Uint8Array, source: string): RecommenderMeta | undefined {
  const info = decodeModelInfo(bytes);
  const raw = info.metadata[INTERACTIONS_KEY];
  const card = cardFromMetadata(info.metadata, source);
  if (!raw || !card?.recommender) return undefined;
  const parsed = JSON.parse(raw) as { users: string[]; items: string[]; seenOffsets: string; seenItems: string };
  return {
    card,
    users: parsed.users,
    items: parsed.items,
    seenOffsets: fromBase64(parsed.seenOffsets),
    seenItems: fromBase64(parsed.seenItems),
    userIndex: new Map(parsed.users.map((u, i) => [u, i])),
    itemIndex: new Map(parsed.items.map((u, i) => [u, i])),
  };
}

/** The weights in a recommender file, with the id lists of its metadata. */
export function weightsOf(bytes: Uint8Array, meta: RecommenderMeta): FactorWeights {
  const init = decodeFloatInitializers(bytes);
  const table = (name: string): Float32Array => {
    const t = init.get(name);
    if (!t) throw new Error(`the recommender file has no initializer '${name}'`);
    return t.data as Float32Array;
  };
  const userFactors = table(USER_TABLES.factors);
  return {
    users: meta.users,
    items: meta.items,
    factors: userFactors.length / (meta.users.length + 1),
    userFactors,
    userBias: table(USER_TABLES.bias),
    itemFactors: table(ITEM_TABLES.factors),
    itemBias: table(ITEM_TABLES.bias),
    mean: Number(decodeModelInfo(bytes).metadata["openmaas.mean"] ?? 0),
  };
}

/** The graph a derived session runs: rating pairs, or items like an item. */
export function derivedModel(bytes: Uint8Array, meta: RecommenderMeta, which: "pairs" | "similar"): Uint8Array {
  const w = weightsOf(bytes, meta);
  if (which === "pairs") return encodeModel(pairGraph(w));
  const f = w.factors;
  const unit = new Float32Array(w.itemFactors.length);
  for (let i = 0; i < unit.length / f; i++) {
    let norm = 0;
    for (let k = 0; k < f; k++) norm += w.itemFactors[i * f + k] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < f; k++) unit[i * f + k] = w.itemFactors[i * f + k] * scale;
  }
  return encodeModel(similarGraph(w, unit));
}

const strings = (data: string[], dims: number[]): Tensor => ({ dtype: "string", dims, data });
const kTensor = (k: number): Tensor => ({ dtype: "int64", dims: [1], data: BigInt64Array.of(BigInt(k)) });

/** The items a user trained on (their ids). */
export function seenBy(meta: RecommenderMeta, user: string): string[] {
  const u = meta.userIndex.get(user);
  if (u === undefined) return [];
  return Array.from(meta.seenItems.subarray(meta.seenOffsets[u], meta.seenOffsets[u + 1]), (i) => meta.items[i]);
}

/**
 * Top-k lists for `users`, without the items in each user's `exclude` list. A k larger than what is
 * left after the exclusions is cut to it. Unknown users get the items ranked by the item term.
 */
export async function recommendWith(session: Session, meta: RecommenderMeta, users: readonly string[], k: number, exclude: readonly (readonly string[])[]): Promise<Recommendation[][]> {
  const width = Math.max(1, ...exclude.map((e) => e.length));
  const padded: string[] = [];
  for (const e of exclude) padded.push(...e, ...Array<string>(width - e.length).fill(""));
  const kk = Math.max(1, Math.min(k, meta.items.length));
  const out = await session.run({ user: strings([...users], [users.length]), k: kTensor(kk), exclude: strings(padded, [users.length, width]) }, ["items", "scores"]);
  const items = out.items.data as string[];
  const scores = out.scores.data as Float32Array;
  return users.map((_u, n) => {
    const list: Recommendation[] = [];
    const excluded = new Set(exclude[n]);
    for (let j = 0; j < kk && list.length < k; j++) {
      const item = items[n * kk + j];
      // Excluded items sort last with the lowest score: a k past the rest reaches them; leave them out.
      if (!excluded.has(item)) list.push({ item, score: scores[n * kk + j] });
    }
    return list;
  });
}

/** Predicted scores of (user, item) pairs (ratings for explicit models); unknown ids score by the terms that remain. */
export async function rateWith(session: Session, users: readonly string[], items: readonly string[]): Promise<Float32Array> {
  if (users.length !== items.length) throw new Error(`${users.length} users for ${items.length} items`);
  const out = await session.run({ user: strings([...users], [users.length]), item: strings([...items], [items.length]) }, ["score"]);
  return out.score.data as Float32Array;
}

/** The k items most like each of `items` (cosine of their factors), the item itself left out. */
export async function similarWith(session: Session, meta: RecommenderMeta, items: readonly string[], k: number): Promise<Recommendation[][]> {
  for (const item of items) {
    if (!meta.itemIndex.has(item)) throw new MaasError("not_found", `no item '${item}' in the model`);
  }
  const kk = Math.max(1, Math.min(k, meta.items.length - 1));
  const out = await session.run({ item: strings([...items], [items.length]), k: kTensor(kk) }, ["items", "scores"]);
  const ids = out.items.data as string[];
  const scores = out.scores.data as Float32Array;
  return items.map((_i, n) => Array.from({ length: kk }, (_v, j) => ({ item: ids[n * kk + j], score: scores[n * kk + j] })));
}
