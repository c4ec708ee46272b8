// `maas remote ...` and `maas import`: a running OpenMaaS server from the command line, through the
// client SDK. The server's refusals (4xx) and an unreachable server are bad input (exit 2).
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import type { Command } from "commander";
import { Option } from "commander";
import { z } from "zod";
import type { Job, JobEvent, Version } from "../api/schemas.js";
import { EpochEventDataSchema, StatusEventDataSchema } from "../api/schemas.js";
import { MaasApiError } from "../client/errors.js";
import { MaasClient, collect } from "../client/client.js";
import { readTable } from "../data/read.js";
import type { RawTable } from "../data/table.js";
import { numberColumn } from "../data/schema.js";
import { ERROR_STATUS, MaasError, inputError } from "../errors.js";
import { FeatureSchema } from "../models/card.js";
import type { EpochReport } from "../models/trainer.js";
import { Progress } from "./progress.js";
import type { TrainFlags } from "./train.js";
import { resolveSpec } from "./train.js";

const DEFAULT_URL = "http://127.0.0.1:8080";
/** Instances sent per prediction request. */
const PREDICT_BATCH = 2000;

const out = (s: string): void => void process.stdout.write(s + "\n");
const note = (s: string): void => void process.stderr.write(s + "\n");
const bad = (message: string) => new MaasError("bad_input", message);

// ---- connection and errors -------------------------------------------------------------------

export interface RemoteFlags {
  url: string;
  key?: string;
  json?: boolean;
}

/** Adds --url (env MAAS_URL), --key (env MAAS_KEY) and --json to a command. */
export function withRemoteOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--url <url>", "the OpenMaaS server").env("MAAS_URL").default(DEFAULT_URL))
    .addOption(new Option("--key <key>", "API key").env("MAAS_KEY"))
    .option("--json", "print JSON");
}

/** A client for the flags' server and key. */
export function connect(f: RemoteFlags): MaasClient {
  if (!f.key) throw bad("no API key: pass --key or set MAAS_KEY");
  return new MaasClient({ url: f.url, key: f.key });
}

/** A client error as the CLI reports it: the server's refusals and an unreachable server are bad input. */
function cliError(e: unknown): unknown {
  if (!(e instanceof MaasApiError)) return e;
  if (e.status === 0) return bad(`${e.message}; is the server running? (--url, env MAAS_URL)`);
  if (e.isClientError) return bad(`${e.message} (${e.status} ${e.code})`);
  return new Error(`the server failed: ${e.message} (${e.status} ${e.code})`);
}

/** Wraps a command's action so that client errors leave with the CLI's exit codes. */
export function remoteAction<A extends unknown[]>(action: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await action(...args);
    } catch (e) {
      throw cliError(e);
    }
  };
}

/** Rows of cells as aligned columns (the last one not padded). */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_c, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ")).join("\n");
}

const when = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "Z") : "-");
const fmt = (x: number | null | undefined) => (x === null || x === undefined ? "-" : String(Number(x.toPrecision(4))));
const metricsText = (m: Record<string, number | null> | null | undefined) =>
  m && Object.keys(m).length > 0 ? Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join(", ") : "-";

function positiveInt(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw bad(`${flag} takes a whole number >= 1; got '${v}'`);
  return n;
}

// ---- datasets ----------------------------------------------------------------------------------

async function datasetsUpload(file: string, f: RemoteFlags & { name: string }): Promise<void> {
  const d = await connect(f).datasets.upload(f.name, { path: file });
  if (f.json) return out(JSON.stringify(d));
  out(`uploaded ${file} as dataset '${d.name}' (id ${d.id}): ${d.rows} rows`);
  out(`columns: ${d.columns.map((c) => `${c.name} (${c.type})`).join(", ")}`);
}

async function datasetsList(f: RemoteFlags): Promise<void> {
  const items = await collect(connect(f).datasets.all());
  if (f.json) return out(JSON.stringify(items));
  if (items.length === 0) return out("no datasets");
  out(table([["ID", "NAME", "ROWS", "COLUMNS", "CREATED"], ...items.map((d) => [d.id, d.name, String(d.rows), String(d.columns.length), when(d.createdAt)])]));
}

// ---- training and jobs -----------------------------------------------------------------------

type RemoteTrainFlags = RemoteFlags & Omit<TrainFlags, "data" | "out" | "json"> & { dataset: string; name: string; follow?: boolean };

async function train(f: RemoteTrainFlags): Promise<void> {
  const spec = await resolveSpec({ ...f, data: f.dataset, out: "", json: f.json });
  const client = connect(f);
  const { target, task, model, training, columns } = spec;
  const created = await client.jobs.create({ dataset: f.dataset, name: f.name, target, task, model, training, columns });
  if (!f.follow) {
    if (f.json) return out(JSON.stringify(created));
    out(`submitted job ${created.id} (${created.status}); follow it with \`maas remote jobs get ${created.id}\``);
    return;
  }
  note(`job ${created.id}: ${created.status}`);
  const job = await follow(client, created.id);
  if (f.json) out(JSON.stringify(job));
  else if (job.status === "succeeded") {
    out(`job ${job.id} succeeded: model '${job.model!.name}' version ${job.model!.version}`);
    out(`metrics: ${metricsText(job.metrics)}`);
  }
  if (job.status === "failed") {
    const code = job.error?.code ?? "internal";
    const message = `job ${job.id} failed: ${job.error?.message ?? "no reason given"}`;
    // The user's mistakes (bad data, a bad spec) are bad input; anything else an internal error.
    const users = code in ERROR_STATUS && ERROR_STATUS[code as keyof typeof ERROR_STATUS] < 500;
    throw users ? bad(message) : new Error(message);
  }
  if (job.status === "cancelled") throw new Error(`job ${job.id} was cancelled`);
}

/** Follows a job's events, printing status changes and epochs on stderr; answers the finished job. */
async function follow(client: MaasClient, id: string): Promise<Job> {
  let progress: Progress | undefined;
  const onEvent = (e: JobEvent) => {
    if (e.type === "epoch") {
      const r = EpochEventDataSchema.safeParse(e.data);
      if (!r.success) return;
      progress ??= new Progress(r.data.epochs);
      progress.epoch(epochReport(r.data));
      return;
    }
    if (e.type !== "status") return;
    const s = StatusEventDataSchema.safeParse(e.data);
    if (!s.success) return;
    progress?.stop();
    progress = undefined;
    const detail = s.data.attempt !== undefined ? ` (attempt ${s.data.attempt} of ${s.data.maxAttempts ?? "?"})` : s.data.reason ? ` (${s.data.reason})` : "";
    note(`job ${id}: ${s.data.status}${detail}`);
  };
  try {
    return await client.jobs.wait(id, { onEvent });
  } finally {
    progress?.stop();
  }
}

/** An epoch event as the progress display takes it (losses that were NaN arrive as null). */
function epochReport(d: z.infer<typeof EpochEventDataSchema>): EpochReport {
  const metrics = Object.fromEntries(Object.entries(d.metrics).map(([k, v]) => [k, v ?? NaN]));
  return {
    epoch: d.epoch,
    epochs: d.epochs,
    trainLoss: d.trainLoss ?? NaN,
    validationLoss: d.validationLoss ?? undefined,
    metrics,
    lr: d.lr ?? NaN,
    samplesPerSecond: d.samplesPerSecond ?? 0,
    seconds: d.seconds ?? 0,
  };
}

async function jobsList(f: RemoteFlags): Promise<void> {
  const items = await collect(connect(f).jobs.all());
  if (f.json) return out(JSON.stringify(items));
  if (items.length === 0) return out("no jobs");
  const model = (j: Job) => (j.model ? `${j.model.name} v${j.model.version}` : j.name);
  out(table([["ID", "STATUS", "MODEL", "CREATED"], ...items.map((j) => [j.id, j.status, model(j), when(j.createdAt)])]));
}

function printJob(j: Job): void {
  out(`job ${j.id}: ${j.status}`);
  out(`  model     ${j.model ? `${j.model.name} version ${j.model.version}` : `${j.name} (not registered yet)`}`);
  out(`  dataset   ${j.dataset}`);
  const p = EpochEventDataSchema.safeParse(j.progress);
  if (p.success) out(`  progress  epoch ${p.data.epoch}/${p.data.epochs}, loss ${fmt(p.data.trainLoss)}, val loss ${fmt(p.data.validationLoss)}`);
  if (j.metrics) out(`  metrics   ${metricsText(j.metrics)}`);
  if (j.error) out(`  error     ${j.error.message} (${j.error.code})`);
  out(`  attempts  ${j.attempts}`);
  out(`  created   ${when(j.createdAt)}; started ${when(j.startedAt)}; finished ${when(j.finishedAt)}`);
}

async function jobsGet(id: string, f: RemoteFlags): Promise<void> {
  const j = await connect(f).jobs.get(id);
  if (f.json) return out(JSON.stringify(j));
  printJob(j);
}

async function jobsCancel(id: string, f: RemoteFlags): Promise<void> {
  const j = await connect(f).jobs.cancel(id);
  if (f.json) return out(JSON.stringify(j));
  out(`job ${j.id}: ${j.status}`);
}

// ---- models ------------------------------------------------------------------------------------

async function modelsList(f: RemoteFlags): Promise<void> {
  const items = await collect(connect(f).models.all());
  if (f.json) return out(JSON.stringify(items));
  if (items.length === 0) return out("no models");
  const aliases = (a: Record<string, number>) => Object.entries(a).map(([k, v]) => `${k}=${v}`).join(", ");
  out(table([["NAME", "LATEST", "ALIASES", "CREATED"], ...items.map((m) => [m.name, String(m.latestVersion), aliases(m.aliases), when(m.createdAt)])]));
}

async function modelsGet(name: string, f: RemoteFlags): Promise<void> {
  const client = connect(f);
  const model = await client.models.get(name);
  const versions = await collect(client.models.allVersions(name));
  if (f.json) return out(JSON.stringify({ ...model, versions }));
  out(`model '${model.name}': latest version ${model.latestVersion}, created ${when(model.createdAt)}`);
  out(`aliases: ${Object.entries(model.aliases).map(([k, v]) => `${k} -> ${v}`).join(", ")}`);
  const card = (v: Version) => (v.card ?? {}) as { task?: string; metrics?: Record<string, number> };
  out(
    table([
      ["VERSION", "SOURCE", "TASK", "METRICS", "CREATED"],
      ...versions.map((v) => [String(v.version), v.source, card(v).task ?? "-", metricsText(card(v).metrics), when(v.createdAt)]),
    ]),
  );
}

async function importModel(file: string, f: RemoteFlags & { name: string }): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch {
    throw bad(`${file}: no such model file`);
  }
  const r = await connect(f).models.importOnnx(f.name, bytes);
  if (f.json) return out(JSON.stringify(r));
  out(`imported ${file} as model '${r.name}' version ${r.version}`);
}

async function aliasSet(name: string, alias: string, version: string, f: RemoteFlags): Promise<void> {
  const a = await connect(f).models.setAlias(name, alias, positiveInt("VERSION", version));
  if (f.json) return out(JSON.stringify(a));
  out(`${a.model}: ${a.alias} -> version ${a.version}`);
}

// ---- predict -----------------------------------------------------------------------------------

/** The version a prediction uses, as the server picks it: --version, --alias, production, latest. */
async function selectVersion(client: MaasClient, name: string, f: { version?: string; alias?: string }): Promise<Version> {
  if (f.version !== undefined && f.alias !== undefined) throw bad("give --version or --alias, not both");
  if (f.version !== undefined) return client.models.version(name, positiveInt("--version", f.version));
  const model = await client.models.get(name);
  const alias = f.alias ?? (model.aliases.production !== undefined ? "production" : "latest");
  const version = model.aliases[alias];
  if (version === undefined) throw bad(`model '${name}' has no alias '${alias}' (it has: ${Object.keys(model.aliases).join(", ")})`);
  return client.models.version(name, version);
}

const CardFeaturesSchema = z.object({ features: z.array(FeatureSchema), labels: z.array(z.string()).optional() });

/**
 * The table's rows as prediction instances of a model with these features: numeric cells as
 * numbers, categorical ones as text, missing ones as null. Other columns are left out.
 */
export function tableInstances(t: RawTable, features: z.infer<typeof FeatureSchema>[]): Record<string, number | string | null>[] {
  const columns = features.map((feature) => {
    const c = t.columns.indexOf(feature.name);
    if (c < 0) throw inputError(`the model needs column '${feature.name}', which the file does not have (it has: ${t.columns.join(", ")})`, { file: t.source });
    if (feature.type === "categorical") return t.values[c];
    return Array.from(numberColumn(t, c), (n, r) => {
      if (n === Infinity || n === -Infinity) throw inputError(`'${t.values[c][r]}' is not a finite number`, { file: t.source, row: t.rowLabel(r), column: feature.name });
      return Number.isNaN(n) ? null : n;
    });
  });
  return Array.from({ length: t.rows }, (_v, r) => Object.fromEntries(features.map((feature, i) => [feature.name, columns[i][r]])));
}

async function predict(f: RemoteFlags & { model: string; data: string; version?: string; alias?: string }): Promise<void> {
  const client = connect(f);
  const version = await selectVersion(client, f.model, f);
  const card = CardFeaturesSchema.safeParse(version.card);
  if (!card.success) throw bad(`version ${version.version} of model '${f.model}' has no OpenMaaS model card (an imported model): send it raw tensors over /v2`);
  const data = await readTable(f.data);
  const instances = tableInstances(data, card.data.features);
  const predictions = [];
  for (let start = 0; start < instances.length; start += PREDICT_BATCH) {
    const r = await client.models.predict(f.model, { instances: instances.slice(start, start + PREDICT_BATCH), version: version.version });
    predictions.push(...r.predictions);
  }
  if (f.json) {
    if (predictions.length > 0) out(predictions.map((p) => JSON.stringify(p)).join("\n"));
    return;
  }
  const labels = card.data.labels;
  out(["row", "prediction", ...(labels ?? []).map((l) => `p(${l})`)].join("\t"));
  predictions.forEach((p, i) => {
    const probs = labels ? labels.map((l) => (p.probabilities?.[l] ?? NaN).toFixed(4)) : [];
    out([data.rowLabel(i), p.prediction, ...probs].join("\t"));
  });
  note(`${predictions.length} predictions by model '${f.model}' version ${version.version} (${basename(f.data)})`);
}

// ---- registration ------------------------------------------------------------------------------

/** Adds `maas remote ...` and `maas import` to the program. */
export function registerRemoteCommands(p: Command): void {
  const remote = p.command("remote").description("use a running OpenMaaS server (--url, env MAAS_URL; --key, env MAAS_KEY)");

  const datasets = remote.command("datasets").description("upload and list datasets");
  withRemoteOptions(datasets.command("upload").description("upload a table (CSV, TSV, JSON, NDJSON) as a dataset"))
    .argument("<file>", "the table")
    .requiredOption("--name <name>", "the dataset's name")
    .action(remoteAction(datasetsUpload));
  withRemoteOptions(datasets.command("list").description("list the datasets")).action(remoteAction(datasetsList));

  withRemoteOptions(remote.command("train").description("train a model on a stored dataset (a job); --follow waits for it"))
    .requiredOption("--dataset <dataset>", "dataset id or name")
    .requiredOption("--name <model>", "the model to register a new version of")
    .option("--target <column>", "column to predict (or `target` in --spec)")
    .addOption(new Option("--model <kind>", "model family").choices(["linear", "logistic", "mlp"]))
    .addOption(new Option("--task <task>", "regression or classification (inferred when omitted)").choices(["regression", "classification"]))
    .option("--hidden <widths>", "hidden layer widths, e.g. 64,32 (mlp)")
    .option("--epochs <n>", "maximum epochs (early stopping may end sooner)")
    .option("--batch-size <n>", "rows per step")
    .option("--lr <x>", "learning rate")
    .option("--seed <n>", "random seed")
    .option("--spec <file>", "the full model and training spec as JSON (flags override it)")
    .option("--follow", "print progress until the job ends, then the model it registered")
    .action(remoteAction(train));

  const jobs = remote.command("jobs").description("training jobs");
  withRemoteOptions(jobs.command("list").description("list the jobs")).action(remoteAction(jobsList));
  withRemoteOptions(jobs.command("get").description("show a job")).argument("<id>", "job id").action(remoteAction(jobsGet));
  withRemoteOptions(jobs.command("cancel").description("cancel a queued or running job")).argument("<id>", "job id").action(remoteAction(jobsCancel));

  const models = remote.command("models").description("registered models");
  withRemoteOptions(models.command("list").description("list the models")).action(remoteAction(modelsList));
  withRemoteOptions(models.command("get").description("show a model, its aliases and versions")).argument("<name>", "model name").action(remoteAction(modelsGet));

  withRemoteOptions(remote.command("predict").description("predict every row of a table with a registered model"))
    .requiredOption("--model <name>", "model name")
    .requiredOption("--data <file>", "table to predict (CSV, JSON, NDJSON)")
    .option("--version <v>", "model version (default: the production alias if set, else latest)")
    .option("--alias <alias>", "model alias")
    .action(remoteAction(predict));

  const importOnnx = (cmd: Command) =>
    withRemoteOptions(cmd.description("register an .onnx file as a new version of a model"))
      .argument("<model>", "model file (.onnx)")
      .requiredOption("--name <name>", "the model's name")
      .action(remoteAction(importModel));
  importOnnx(remote.command("import"));
  importOnnx(p.command("import"));

  const alias = remote.command("alias").description("model aliases");
  withRemoteOptions(alias.command("set").description("point an alias at a model version"))
    .argument("<name>", "model name")
    .argument("<alias>", "alias, e.g. production")
    .argument("<version>", "version number")
    .action(remoteAction(aliasSet));
}
