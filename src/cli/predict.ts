// `maas predict`, `maas eval` and `maas inspect`: read a model file and answer from it.
import { readFile } from "node:fs/promises";
import { readImages } from "../data/image-read.js";
import { readTable } from "../data/read.js";
import type { SequenceSet } from "../data/sequences.js";
import type { RawTable } from "../data/table.js";
import type { ModelCard } from "../models/card.js";
import { tableSequences } from "../models/sequences.js";
import { MaasError } from "../errors.js";
import { ModelFile } from "../models/model-file.js";
import type { RecommenderMeta } from "../models/recommender-file.js";
import { derivedModel, parseRecommender, rateWith, recommendWith, seenBy } from "../models/recommender-file.js";
import { evaluateInteractionsWith } from "../models/recommender-evaluation.js";
import { readInteractions } from "../data/interactions.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import { Generator } from "../serving/generator.js";
import type { Session } from "../runtime/runtime.js";

const out = (s: string) => process.stdout.write(s + "\n");

async function loadModel(path: string): Promise<ModelFile> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch {
    throw new MaasError("bad_input", `${path}: no such model file`);
  }
  return ModelFile.parse(bytes, path);
}

const threadsOf = (v: string | undefined): number => {
  const n = v === undefined ? 0 : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new MaasError("bad_input", `--threads takes a whole number >= 0; got '${v}'`);
  return n;
};

/** Runs `fn` with a serving session of the model. */
async function withSession<T>(model: ModelFile, threads: number, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await defaultRuntime().createSession(model.bytes, { threads, spinning: false });
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

/** Runs `fn` with a session of `bytes` (a recommender's derived graph). */
async function withBytes<T>(bytes: Uint8Array, threads: number, fn: (s: Session) => Promise<T>): Promise<T> {
  const session = await defaultRuntime().createSession(bytes, { threads, spinning: false });
  try {
    return await fn(session);
  } finally {
    await session.release();
  }
}

/** A recommender file's ids and training items (the CLI's commands read them directly). */
function recommenderOf(model: ModelFile): RecommenderMeta {
  const meta = parseRecommender(model.bytes, model.source);
  if (!meta) throw new MaasError("bad_input", `${model.source}: not a recommender (train one with --model mf, bpr or popularity)`);
  return meta;
}

/** `maas generate`: a language model file continues a prompt, printed as it is written. */
export async function generateCommand(f: { model: string; prompt: string; maxTokens?: string; temperature?: string; topK?: string; topP?: string; seed?: string; stop?: string[]; threads?: string }): Promise<void> {
  const model = await loadModel(f.model);
  if (model.requireCard().task !== "generation") throw new MaasError("bad_input", `${f.model}: not a language model (train one with --model transformer or lstm-lm)`);
  const number = (flag: string, v: string | undefined, fallback: number, ok: (n: number) => boolean) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (v.trim() === "" || !ok(n)) throw new MaasError("bad_input", `--${flag}: '${v}' is out of range`);
    return n;
  };
  const generator = new Generator(defaultRuntime(), 1, threadsOf(f.threads));
  try {
    await generator.generate(
      { key: f.model, path: f.model },
      f.prompt,
      {
        maxTokens: number("max-tokens", f.maxTokens, 100, (n) => Number.isInteger(n) && n >= 1),
        temperature: number("temperature", f.temperature, 1, (n) => n >= 0 && n <= 2),
        topK: number("top-k", f.topK, 0, (n) => Number.isInteger(n) && n >= 0),
        topP: number("top-p", f.topP, 1, (n) => n > 0 && n <= 1),
        seed: number("seed", f.seed, 42, Number.isInteger),
        stop: f.stop ?? [],
      },
      (piece) => process.stdout.write(piece),
    );
    process.stdout.write("\n");
  } finally {
    await generator.close();
  }
}

/** `maas recommend`: a user's best items from a recommender file. */
export async function recommendCommand(f: { model: string; user: string; k?: string; includeSeen?: boolean; json?: boolean; threads?: string }): Promise<void> {
  const model = await loadModel(f.model);
  const meta = recommenderOf(model);
  const k = f.k === undefined ? 10 : Number(f.k);
  if (!Number.isInteger(k) || k < 1) throw new MaasError("bad_input", `--k takes a whole number >= 1; got '${f.k}'`);
  const [list] = await withSession(model, threadsOf(f.threads), (s) => recommendWith(s, meta, [f.user], k, [f.includeSeen ? [] : seenBy(meta, f.user)]));
  const known = meta.userIndex.has(f.user);
  if (f.json) {
    out(JSON.stringify({ user: f.user, items: list, ...(known ? {} : { fallback: "popularity" }) }));
    return;
  }
  if (!known) out(`(an unknown user: the most popular items)`);
  list.forEach((r, i) => out(`${i + 1}\t${r.item}\t${Number(r.score.toPrecision(5))}`));
}

/** A recommender's scores of the (user, item) rows of a table. */
async function predictPairs(model: ModelFile, meta: RecommenderMeta, table: RawTable, threads: number, json: boolean): Promise<void> {
  const columns = meta.card.recommender!.columns;
  const x = readInteractions(table, { user: table.columns.includes(columns.user) ? columns.user : "user", item: table.columns.includes(columns.item) ? columns.item : "item" }, { duplicates: "last" });
  const users = Array.from(x.user, (u) => x.users[u]);
  const items = Array.from(x.item, (i) => x.items[i]);
  const scores = await withBytes(derivedModel(model.bytes, meta, "pairs"), threads, (s) => rateWith(s, users, items));
  if (!json) out(["row", "user", "item", "score"].join("\t"));
  users.forEach((u, n) => out(json ? JSON.stringify({ user: u, item: items[n], prediction: scores[n] }) : [x.row[n], u, items[n], Number(scores[n].toPrecision(5))].join("\t")));
}

/** An image model's input images, converted to the model's channels and size. */
function modelImages(model: ModelFile, data: string, labels?: string) {
  const { channels, height, width } = model.card!.image!;
  return readImages(data, { labels, channels: channels as 1 | 3, height, width });
}

/** A table cut into a sequence model's input as its training data was: windows of a series, or one sequence per row. */
function modelSequences(card: ModelCard, table: RawTable, withTarget: boolean): SequenceSet {
  const seq = card.sequence!;
  const windows = seq.window ? { window: seq.window.window, horizon: seq.window.horizon } : undefined;
  const set = tableSequences(table, card.target, windows, { withTarget });
  if (!windows && set.columns.join("\u0000") !== seq.columns.slice(0, set.columns.length).join("\u0000")) {
    throw new MaasError("bad_input", `${table.source}: the step columns are ${set.columns.join(", ")}; the model was trained on ${seq.columns.join(", ")}`);
  }
  return set;
}

export async function predictCommand(f: { model: string; data: string; labels?: string; json?: boolean; threads?: string }): Promise<void> {
  const model = await loadModel(f.model);
  const card = model.requireCard();
  if (card.task === "generation") throw new MaasError("bad_input", `${f.model}: a language model continues text: use maas generate --prompt`);
  if (card.image) {
    const set = await modelImages(model, f.data, f.labels);
    const records = await withSession(model, threadsOf(f.threads), (s) => model.predictImagesWith(s, set));
    if (f.json) out(records.map((r) => JSON.stringify(r)).join("\n"));
    else records.forEach((r, i) => out(`${r.file ?? i + 1}\t${r.prediction}\t${Math.max(...Object.values(r.probabilities!)).toFixed(4)}`));
    return;
  }
  const table = await readTable(f.data);
  if (card.recommender) return predictPairs(model, recommenderOf(model), table, threadsOf(f.threads), f.json === true);
  if (card.sequence) {
    const set = modelSequences(card, table, false);
    const records = await withSession(model, threadsOf(f.threads), (s) => model.predictSequencesWith(s, set));
    if (f.json) out(records.map((r) => JSON.stringify(r)).join("\n"));
    else records.forEach((r, i) => out(`${set.rowLabels[i]}\t${r.prediction}`));
    return;
  }
  const records = await model.predict(defaultRuntime(), table, threadsOf(f.threads));
  if (f.json) {
    out(records.map((r) => JSON.stringify(r)).join("\n"));
    return;
  }
  const labels = model.card!.labels;
  out(["row", "prediction", ...(labels ?? []).map((l) => `p(${l})`)].join("\t"));
  records.forEach((r, i) => {
    const probs = labels ? labels.map((l) => r.probabilities![l].toFixed(4)) : [];
    out([table.rowLabel(i), r.prediction, ...probs].join("\t"));
  });
}

export async function evalCommand(f: { model: string; data: string; labels?: string; target?: string; json?: boolean; threads?: string }): Promise<void> {
  const model = await loadModel(f.model);
  const card = model.requireCard();
  const threads = threadsOf(f.threads);
  const recommender = card.recommender ? recommenderOf(model) : undefined;
  const result = recommender
    ? await withSession(model, threads, async (top) =>
        withBytes(derivedModel(model.bytes, recommender, "pairs"), threads, async (pairs) => evaluateInteractionsWith({ top, pairs }, recommender, await readTable(f.data))),
      )
    : card.image
    ? await withSession(model, threadsOf(f.threads), async (s) => model.evaluateImagesWith(s, await modelImages(model, f.data, f.labels)))
    : card.sequence
      ? await withSession(model, threadsOf(f.threads), async (s) => model.evaluateSequencesWith(s, modelSequences(card, await readTable(f.data), true)))
      : await model.evaluate(defaultRuntime(), await readTable(f.data), f.target, threadsOf(f.threads));
  if (f.json) {
    out(JSON.stringify(result));
    return;
  }
  out(`${result.rows} rows, ${result.task}`);
  for (const [k, v] of Object.entries(result.metrics)) out(`  ${k.padEnd(9)} ${Number(v.toPrecision(6))}`);
  if (result.task === "classification") {
    const w = Math.max(6, ...result.labels.map((l) => l.length)) + 1;
    out("confusion matrix (rows: true label, columns: predicted)");
    out(" ".repeat(w) + result.labels.map((l) => l.padStart(w)).join(""));
    result.confusion.forEach((row, i) => out(result.labels[i].padEnd(w) + row.map((c) => String(c).padStart(w)).join("")));
  }
}

export async function inspectCommand(file: string, f: { json?: boolean }): Promise<void> {
  const model = await loadModel(file);
  const { info, card } = model;
  if (f.json) {
    out(JSON.stringify({ file, irVersion: info.irVersion, opsets: info.opsets, producer: info.producer, inputs: info.inputs, outputs: info.outputs, card: card ?? null }));
    return;
  }
  const shape = (s: readonly (number | string)[]) => `[${s.join(", ")}]`;
  out(`${file}: ONNX IR ${info.irVersion}, opsets ${Object.entries(info.opsets).map(([d, v]) => `${d || "ai.onnx"} ${v}`).join(", ")}, by ${info.producer || "unknown"}`);
  out("inputs:");
  for (const i of info.inputs) out(`  ${i.name}: ${i.dtype} ${shape(i.shape)}`);
  out("outputs:");
  for (const o of info.outputs) out(`  ${o.name}: ${o.dtype} ${shape(o.shape)}`);
  if (!card) {
    out("no OpenMaaS model card (an imported model)");
    return;
  }
  out(`task: ${card.task} of '${card.target}' (${card.spec.model.kind})`);
  const r = card.recommender;
  if (r) out(`interactions: ${r.users} users x ${r.items} items (${r.feedback}), ${r.factors} factors; columns ${Object.entries(r.columns).map(([k, v]) => `${k} '${v}'`).join(", ")}`);
  else out("features:");
  for (const x of card.features) {
    const enc = "standardize" in x.encoding ? `mean ${Number(x.encoding.standardize.mean.toPrecision(6))}, std ${Number(x.encoding.standardize.std.toPrecision(6))}` : `${x.encoding.oneHot.categories.length} categories + unknown`;
    out(`  ${x.name}: ${x.type} (${enc})`);
  }
  if (card.labels) out(`labels: ${card.labels.join(", ")}`);
  out(`data: ${card.dataset.source}, ${card.dataset.rows} rows x ${card.dataset.columns} columns, sha256 ${card.dataset.sha256.slice(0, 16)}…`);
  out(`training: ${card.training.epochs} epochs, kept ${card.training.bestEpoch}, ${card.training.seconds.toFixed(2)} s`);
  out(`metrics: ${Object.entries(card.metrics).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(", ")}`);
  out(`spec: ${JSON.stringify(card.spec)}`);
  out(`OpenMaaS ${card.version}`);
}
