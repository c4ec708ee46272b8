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
import { tableSequences } from "../models/sequences.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Session, SessionOptions } from "../runtime/runtime.js";
import { SessionCache } from "../runtime/session-cache.js";
import type { CacheStats, ModelRef, RowTable, WorkRequest, WorkResult, WorkerConfig, WorkerControl, WorkerMessage } from "./protocol.js";
import { toWireError } from "./protocol.js";

if (!parentPort) throw new Error("predict-worker.js runs as a worker thread of a PredictionPool");
const port = parentPort;
const config = workerData as WorkerConfig;
/** Serving sessions: no spinning (the machine is shared with the HTTP process and other workers). */
const options: SessionOptions = { threads: config.threads, spinning: false };
const cache = new SessionCache<ModelFile>(defaultRuntime(), config.sessions, { bytes: config.memoryBudget });
const stats = (): CacheStats => ({ sessions: cache.size, bytes: cache.bytes, keys: cache.keys });

/** Runs `fn` on the model's session and parsed file; the file is read and parsed on a cache miss only. */
function withModel<T>(ref: ModelRef, fn: (session: Session, file: ModelFile) => Promise<T>): Promise<T> {
  const load = async () => {
    const bytes = await readFile(ref.path);
    return { bytes, meta: ModelFile.parse(bytes, ref.name ?? ref.path) };
  };
  return cache.use(ref.key, load, options, fn);
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
    case "evaluate":
      return withModel(req.model, async (session, file) => {
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
