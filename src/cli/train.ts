// `maas train`: flags and --spec -> a validated TabularSpec -> trainTable -> the model file.
import { readFile } from "node:fs/promises";
import { looksLikeImages, readImages } from "../data/image-read.js";
import { readTable } from "../data/read.js";
import type { ColumnInfo } from "../data/schema.js";
import type { ModelCard } from "../models/card.js";
import { trainImages } from "../models/images.js";
import { isSequenceKind, trainSequenceTable } from "../models/sequences.js";
import type { EpochReport } from "../models/trainer.js";
import { MaasError } from "../errors.js";
import type { TabularSpec } from "../models/spec.js";
import type { Preset } from "../models/spec.js";
import { PRESETS, TabularSpecSchema, isLanguageKind, isRecommenderKind, isTextSpec, withPreset } from "../models/spec.js";
import { trainText } from "../models/text.js";
import { trainLanguageTable } from "../models/language.js";
import type { RawTable } from "../data/table.js";
import { tableFromRows } from "../data/table.js";
import { crossValidate, trainRecommender } from "../models/recommender.js";
import { trainTable } from "../models/tabular.js";
import { writeFileAtomic } from "../util/fs.js";
import { Progress } from "./progress.js";

export interface TrainFlags {
  data: string;
  target?: string;
  out: string;
  model?: string;
  task?: string;
  hidden?: string;
  activation?: string;
  dropout?: string;
  epochs?: string;
  batchSize?: string;
  lr?: string;
  optimizer?: string;
  weightDecay?: string;
  validationSplit?: string;
  patience?: string;
  classWeights?: string;
  seed?: string;
  threads?: string;
  ignore?: string[];
  categorical?: string[];
  numeric?: string[];
  spec?: string;
  /** IDX labels file, for IDX images. */
  labels?: string;
  /** Steps per sliding window over the target series (sequence models). */
  window?: string;
  /** How far after a window's last step its target lies (default 1). */
  horizon?: string;
  /** Recommenders: the user, item and time columns, factors and L2 penalty. */
  user?: string;
  item?: string;
  timestamp?: string;
  factors?: string;
  reg?: string;
  alpha?: string;
  holdout?: string;
  folds?: string;
  /** Text models: the text column and its tokenizer. */
  text?: string;
  preset?: string;
  tokenizer?: string;
  vocabSize?: string;
  ngrams?: string;
  maxTokens?: string;
  embedding?: string;
  /** transformer: blocks, heads, context. */
  blocks?: string;
  heads?: string;
  context?: string;
  json?: boolean;
}

const bad = (message: string) => new MaasError("bad_input", message);

/** A flag's number, or a bad-input error naming the flag. */
function num(flag: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw bad(`--${flag} takes ${integer ? "a whole number" : "a number"}; got '${v}'`);
  return n;
}

async function specFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw bad(`--spec ${path}: no such file`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
    return v as Record<string, unknown>;
  } catch (e) {
    throw bad(`--spec ${path}: not a JSON object (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** The spec: --spec's JSON with every given flag written over it, then validated. */
export async function resolveSpec(f: TrainFlags, images = false): Promise<TabularSpec> {
  if (f.preset !== undefined && !(f.preset in PRESETS)) throw bad(`--preset: no preset '${f.preset}' (presets: ${Object.keys(PRESETS).join(", ")})`);
  const base = withPreset(f.preset as Preset | undefined, f.spec ? await specFile(f.spec) : {});
  const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? { ...(v as Record<string, unknown>) } : {});
  const model = obj(base.model);
  const training = obj(base.training);
  const columns = obj(base.columns);
  const set = (o: Record<string, unknown>, k: string, v: unknown) => v !== undefined && (o[k] = v);

  set(model, "kind", f.model ?? (model.kind === undefined ? (images ? "cnn" : "mlp") : undefined));
  set(model, "hidden", f.hidden?.split(",").map((w) => num("hidden", w, true)));
  set(model, "activation", f.activation);
  set(model, "dropout", num("dropout", f.dropout));
  set(model, "factors", num("factors", f.factors, true));
  set(model, "reg", num("reg", f.reg));
  set(model, "alpha", num("alpha", f.alpha));
  set(model, "embedding", num("embedding", f.embedding, true));
  set(model, "blocks", num("blocks", f.blocks, true));
  set(model, "heads", num("heads", f.heads, true));
  set(model, "context", num("context", f.context, true));
  const text = obj(base.text);
  set(text, "column", f.text);
  set(text, "tokenizer", f.tokenizer);
  set(text, "vocabSize", num("vocab-size", f.vocabSize, true));
  set(text, "ngrams", num("ngrams", f.ngrams, true));
  set(text, "maxTokens", num("max-tokens", f.maxTokens, true));
  const interactions = obj(base.interactions);
  set(interactions, "user", f.user);
  set(interactions, "item", f.item);
  set(interactions, "timestamp", f.timestamp);
  set(interactions, "holdout", f.holdout);
  set(training, "epochs", num("epochs", f.epochs, true));
  set(training, "batchSize", num("batch-size", f.batchSize, true));
  set(training, "lr", num("lr", f.lr));
  set(training, "optimizer", f.optimizer);
  set(training, "weightDecay", num("weight-decay", f.weightDecay));
  set(training, "validationSplit", num("validation-split", f.validationSplit));
  const patience = num("patience", f.patience, true);
  set(training, "earlyStopping", patience === undefined ? undefined : patience === 0 ? false : { patience });
  set(training, "classWeights", f.classWeights);
  set(training, "seed", num("seed", f.seed, true));
  set(training, "threads", num("threads", f.threads, true));
  set(columns, "ignore", f.ignore);
  set(columns, "categorical", f.categorical);
  set(columns, "numeric", f.numeric);

  if (f.horizon !== undefined && f.window === undefined) throw bad("--horizon goes with --window");
  const windows = f.window === undefined ? base.windows : { window: num("window", f.window, true), horizon: num("horizon", f.horizon ?? "1", true) };
  const recommender = isRecommenderKind(String(model.kind));
  const input = {
    ...base,
    ...(windows !== undefined ? { windows } : {}),
    ...(recommender ? { interactions } : {}),
    ...(Object.keys(text).length > 0 || ["fasttext", "lexicon"].includes(String(model.kind)) || isLanguageKind(String(model.kind)) ? { text: isLanguageKind(String(model.kind)) ? { tokenizer: "char", ...text } : text } : {}),
    target: f.target ?? base.target ?? (images ? "label" : undefined),
    task: f.task ?? base.task,
    model,
    training,
    columns,
  };
  if (input.target === undefined && !recommender && !isLanguageKind(String(model.kind))) throw bad("--target is required (the column to predict), or `target` in --spec");
  const parsed = TabularSpecSchema.safeParse(input);
  if (!parsed.success) {
    throw bad(`invalid spec: ${parsed.error.issues.map((i) => `${i.path.join(".") || "spec"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

/** A language model's data: a plain .txt file is one text column of its lines; anything else is a table. */
async function corpusTable(path: string, column: string): Promise<RawTable> {
  if (!path.toLowerCase().endsWith(".txt")) return readTable(path);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw bad(`${path}: no such file`);
  }
  return tableFromRows(path, [column], text.split(/\r?\n/).map((line) => [line]));
}

export async function trainCommand(f: TrainFlags): Promise<void> {
  const images = f.labels !== undefined || (await looksLikeImages(f.data));
  const spec = await resolveSpec(f, images);
  const progress = new Progress(spec.training.epochs);
  let result: { onnx: Uint8Array; card: ModelCard; columns: ColumnInfo[] };
  let crossValidation: Awaited<ReturnType<typeof crossValidate>> | undefined;
  if (f.folds !== undefined && !isRecommenderKind(spec.model.kind)) throw bad("--folds cross-validates recommenders (mf, svdpp, bpr, als, popularity)");
  try {
    const onEpoch = (r: EpochReport) => progress.epoch(r);
    if (images) {
      const set = await readImages(f.data, { labels: f.labels });
      if (set.resized) process.stderr.write(`maas: ${set.resized} image(s) resized to ${set.height}x${set.width}\n`);
      result = { ...(await trainImages(set, spec.model, spec.training, { onEpoch })), columns: [] };
    } else if (isRecommenderKind(spec.model.kind)) {
      const table = await readTable(f.data);
      if (f.folds !== undefined) crossValidation = await crossValidate(table, spec, num("folds", f.folds, true)!);
      result = { ...(await trainRecommender(table, spec, { onEpoch })), columns: [] };
    } else if (isLanguageKind(spec.model.kind)) {
      result = { ...(await trainLanguageTable(await corpusTable(f.data, spec.text?.column ?? "text"), spec, { onEpoch })), columns: [] };
    } else if (isTextSpec(spec)) {
      result = { ...(await trainText(await readTable(f.data), spec, { onEpoch })), columns: [] };
    } else if (isSequenceKind(spec.model.kind)) {
      result = { ...(await trainSequenceTable(await readTable(f.data), spec, { onEpoch })), columns: [] };
    } else {
      result = await trainTable(await readTable(f.data), spec, { onEpoch });
    }
  } finally {
    progress.stop();
  }
  await writeFileAtomic(f.out, result.onnx);

  const { card } = result;
  const summary = {
    model: f.out,
    task: card.task,
    kind: spec.model.kind,
    target: card.target,
    features: card.image
      ? [`image ${card.image.channels}x${card.image.height}x${card.image.width}`]
      : card.sequence
        ? [`sequence ${card.sequence.steps}x${card.sequence.features}`]
        : card.recommender
          ? [`${card.recommender.users} users x ${card.recommender.items} items`]
          : card.text
            ? [`text '${card.text.column}' (${card.text.tokenizer} tokens)`]
          : card.features.map((x) => x.name),
    ignored: result.columns.filter((c) => c.name !== card.target && c.kind !== "numeric" && c.kind !== "categorical").map((c) => ({ name: c.name, kind: c.kind })),
    ...(card.labels ? { labels: card.labels } : {}),
    rows: card.dataset.rows,
    trainRows: card.dataset.trainRows,
    validationRows: card.dataset.validationRows,
    epochs: card.training.epochs,
    bestEpoch: card.training.bestEpoch,
    seconds: Number(card.training.seconds.toFixed(3)),
    metrics: card.metrics,
    ...(crossValidation ? { crossValidation: { folds: crossValidation.folds.length, mean: crossValidation.mean, std: crossValidation.std } } : {}),
  };
  if (f.json) {
    process.stdout.write(JSON.stringify(summary) + "\n");
    return;
  }
  const metrics = Object.entries(card.metrics).map(([k, v]) => `${k} ${Number(v.toPrecision(4))}`).join(", ");
  process.stdout.write(
    [
      `wrote ${f.out}: ${spec.model.kind} ${card.task} of '${card.target}' from ${summary.features.length === 1 && (card.image || card.sequence || card.recommender || card.text) ? summary.features[0] : `${card.features.length} feature column(s)`}`,
      `${card.dataset.trainRows} training rows, ${card.dataset.validationRows} validation rows; kept epoch ${card.training.bestEpoch} of ${card.training.epochs} (${summary.seconds} s)`,
      `${card.dataset.validationRows > 0 ? "validation" : "training"} metrics: ${metrics}`,
      ...(crossValidation
        ? [`${crossValidation.folds.length}-fold cross-validation: ${Object.keys(crossValidation.mean).map((k) => `${k} ${Number(crossValidation!.mean[k].toPrecision(4))} ± ${Number(crossValidation!.std[k].toPrecision(2))}`).join(", ")}`]
        : []),
      ...(summary.ignored.length > 0 ? [`ignored columns: ${summary.ignored.map((c) => `${c.name} (${c.kind})`).join(", ")}`] : []),
    ].join("\n") + "\n",
  );
}
