// A prediction worker thread (started by PredictionPool from dist/): keeps its own sessions, one per
// model version it has served recently, and answers the pool's requests.
import { readFile } from "node:fs/promises";
import { parentPort, workerData } from "node:worker_threads";
import { readImages } from "../data/image-read.js";
import type { ImageSet } from "../data/image-set.js";
import { readTable } from "../data/read.js";
import type { RawTable } from "../data/table.js";
import { tableFromRows } from "../data/table.js";
import { MaasError } from "../errors.js";
import { ModelFile } from "../models/model-file.js";
import type { Recommendation, RecommenderMeta } from "../models/recommender-file.js";
import { derivedModel, parseRecommender, rateWith, recommendWith, seenBy, similarWith } from "../models/recommender-file.js";
import { evaluateInteractionsWith } from "../models/recommender-evaluation.js";
import { tableSequences } from "../models/sequences.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Session, SessionOptions } from "../runtime/runtime.js";
import { SessionCache } from "../runtime/session-cache.js";
import type { CacheStats, ModelRef, RecommendResult, RowTable, WorkRequest, WorkResult, WorkerConfig, WorkerControl, WorkerMessage } from "./protocol.js";
import { toWireError } from "./protocol.js";

if (!parentPort) throw new Error("predict-worker.js runs as a worker thread of a PredictionPool");
const port = parentPort;
const config = workerData as WorkerConfig;
/** Serving sessions: no spinning (the machine is shared with the HTTP process and other workers). */
const options: SessionOptions = { threads: config.threads, spinning: false };
/** What a cached session's model file says: its card and interface, and a recommender's ids and training items. */
interface Loaded {
  file: ModelFile;
  recommender?: RecommenderMeta;
}
const cache = new SessionCache<Loaded>(defaultRuntime(), config.sessions, { bytes: config.memoryBudget });
const stats = (): CacheStats => ({ sessions: cache.size, bytes: cache.bytes, keys: cache.keys });

/** Runs `fn` on the model's session and parsed file; the file is read and parsed on a cache miss only. */
function withModel<T>(ref: ModelRef, fn: (session: Session, file: ModelFile) => Promise<T>): Promise<T> {
  const load = async () => {
    const bytes = await readFile(ref.path);
    const name = ref.name ?? ref.path;
    return { bytes, meta: { file: ModelFile.parse(bytes, name), recommender: parseRecommender(bytes, name) } };
  };
  return cache.use(ref.key, load, options, (session, loaded) => fn(session, loaded.file));
}

/**
 * Runs `fn` on one of a recommender's graphs: the file's own (top-N lists), or the pair or
 * similar-item graph built from its weights, each cached under the model's key plus its name.
 */
function withRecommender<T>(ref: ModelRef, graph: "top" | "pairs" | "similar", fn: (session: Session, meta: RecommenderMeta) => Promise<T>): Promise<T> {
  const name = ref.name ?? ref.path;
  const load = async () => {
    const bytes = await readFile(ref.path);
    const recommender = parseRecommender(bytes, name);
    if (!recommender) throw new MaasError("unprocessable", `${name} is not a recommender`);
    return { bytes: graph === "top" ? bytes : derivedModel(bytes, recommender, graph), meta: { file: ModelFile.parse(bytes, name), recommender } };
  };
  return cache.use(graph === "top" ? ref.key : `${ref.key}#${graph}`, load, options, (session, loaded) => fn(session, loaded.recommender!));
}

async function recommend(req: Extract<WorkRequest, { kind: "recommend" }>): Promise<RecommendResult> {
  const { include } = req;
  return withRecommender(req.model, include ? "pairs" : "top", async (session, meta) => {
    const exclude = req.users.map((u, n) => (req.excludeSeen ? [...(req.exclude[n] ?? []), ...seenBy(meta, u)] : (req.exclude[n] ?? [])));
    const known = req.users.map((u) => meta.userIndex.has(u));
    if (!include) return { lists: await recommendWith(session, meta, req.users, req.k, exclude), known };
    // Ranked among the included items only: each (user, item) pair scored, best first.
    const lists: Recommendation[][] = [];
    for (const [n, user] of req.users.entries()) {
      const skip = new Set(exclude[n]);
      const candidates = [...new Set(include)].filter((i) => !skip.has(i));
      if (candidates.length === 0) {
        lists.push([]);
        continue;
      }
      const scores = await rateWith(session, candidates.map(() => user), candidates);
      lists.push(candidates.map((item, j) => ({ item, score: scores[j] })).sort((a, b) => b.score - a.score).slice(0, req.k));
    }
    return { lists, known };
  });
}

/** Items like each item; an item the model does not know gets the fallback list (an unknown user's). */
async function similar(req: Extract<WorkRequest, { kind: "similar" }>): Promise<RecommendResult> {
  const known = await withRecommender(req.model, "top", async (_s, meta) => req.items.map((i) => meta.itemIndex.has(i)));
  const lists: Recommendation[][] = [];
  const knownItems = req.items.filter((_i, n) => known[n]);
  const answers = knownItems.length ? await withRecommender(req.model, "similar", (session, meta) => similarWith(session, meta, knownItems, req.k)) : [];
  const fallback = known.every(Boolean) ? [] : (await recommend({ ...req, kind: "recommend", users: [""], exclude: [[]], excludeSeen: false })).lists[0];
  let next = 0;
  for (const [n, item] of req.items.entries()) lists.push(known[n] ? answers[next++] : fallback.filter((r) => r.item !== item));
  return { lists, known };
}

/** The request's records as a table (rows labelled 1, 2, ... in error messages). */
function requestTable(t: RowTable): RawTable {
  const issues: string[] = [];
  if (new Set(t.columns).size !== t.columns.length) issues.push(`the columns repeat a name (${t.columns.join(", ")})`);
  if (t.values.length !== t.rows) issues.push(`rows is ${t.rows} but there are ${t.values.length} records`);
  const ragged = t.values.findIndex((r) => r.length !== t.columns.length);
  if (ragged >= 0) issues.push(`record ${ragged + 1} has ${t.values[ragged].length} values for ${t.columns.length} columns`);
  if (issues.length) throw new MaasError("bad_input", `request: ${issues.join("; ")}`, { issues });
  return tableFromRows("request", t.columns, t.values);
}

async function handle(req: WorkRequest): Promise<WorkResult> {
  switch (req.kind) {
    case "predict": {
      const table = requestTable(req.table);
      return withModel(req.model, (session, file) => file.predictWith(session, table));
    }
    case "predictImages": {
      const { count, channels, height, width, pixels } = req.images;
      const set: ImageSet = { source: "request", count, channels, height, width, pixels, labelKind: "none" };
      return withModel(req.model, (session, file) => file.predictImagesWith(session, set));
    }
    case "predictSequences":
      return withModel(req.model, (session, file) => file.predictSequencesWith(session, req.sequences));
    case "infer":
      return withModel(req.model, async (session) => {
        const started = performance.now();
        const outputs = await session.run(req.inputs, req.outputs);
        return { outputs, micros: (performance.now() - started) * 1000 };
      });
    case "load":
      return withModel(req.model, async (_session, file) => file.info);
    case "recommend":
      return recommend(req);
    case "similar":
      return similar(req);
    case "rate":
      return withRecommender(req.model, "pairs", async (session) => Array.from(await rateWith(session, req.users, req.items)));
    case "evaluate":
      return withModel(req.model, async (session, file) => {
        if (file.card?.recommender) {
          const table = await readTable(req.datasetPath);
          return withRecommender(req.model, "pairs", (pairs, meta) => evaluateInteractionsWith({ top: session, pairs }, meta, table));
        }
        const image = file.card?.image;
        const seq = file.card?.sequence;
        if (seq) {
          const windows = seq.window ? { window: seq.window.window, horizon: seq.window.horizon } : undefined;
          return file.evaluateSequencesWith(session, tableSequences(await readTable(req.datasetPath), file.card!.target, windows, { withTarget: true }));
        }
        if (!image) return file.evaluateWith(session, await readTable(req.datasetPath), req.target);
        const set = await readImages(req.datasetPath, { channels: image.channels as 1 | 3, height: image.height, width: image.width });
        return file.evaluateImagesWith(session, set);
      });
  }
}

port.on("message", (m: WorkRequest | WorkerControl) => {
  if (m.kind === "unload") {
    cache.evictWhere((key) => key.startsWith(m.keyPrefix));
    port.postMessage({ kind: "unloaded", cache: stats() } satisfies WorkerMessage);
    return;
  }
  handle(m).then(
    (result) => port.postMessage({ kind: "done", id: m.id, result, cache: stats() } satisfies WorkerMessage),
    (e: unknown) => port.postMessage({ kind: "failed", id: m.id, error: toWireError(e), cache: stats() } satisfies WorkerMessage),
  );
});
port.postMessage({ kind: "ready" } satisfies WorkerMessage);
