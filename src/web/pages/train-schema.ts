// The training form's fields, read from the model and training schemas (src/models/spec.ts) as JSON
// Schema. The form keeps every field as the text the user typed, keyed by its dotted path
// ("schedule.kind"); `toValues` turns that text back into the objects the job request takes.
import { z } from "zod";
import type { ModelSpec } from "../../models/spec.js";
import { ModelSpecSchema, TrainingSpecSchema, resolveTraining } from "../../models/spec.js";

/** The part of JSON Schema that the two specs use. */
export interface Prop {
  type?: string;
  enum?: string[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  items?: Prop;
  properties?: Record<string, Prop>;
  required?: string[];
  oneOf?: Prop[];
  anyOf?: Prop[];
}

export type Kind = ModelSpec["kind"];
/** Field text by dotted path; checkboxes hold "true" or "false". */
export type Raw = Record<string, string>;

const modelSchema = z.toJSONSchema(ModelSpecSchema, { io: "input", unrepresentable: "any" }) as Prop;
const trainingSchema = z.toJSONSchema(TrainingSpecSchema, { io: "input" }) as Prop;

export const MODEL_PROPS = modelSchema.properties!;
export const TRAINING_PROPS = trainingSchema.properties!;
export const KINDS = MODEL_PROPS.kind.enum as Kind[];

const RECURRENT = ["rnn", "lstm", "gru"];
/** Kinds that learn from (user, item) interactions, and those of them that predict a rating column. */
export const RECOMMENDERS: readonly string[] = ["mf", "svdpp", "bpr", "als", "popularity"];
export const RATED: readonly string[] = ["mf", "svdpp"];
/** Kinds that read a text column. */
export const TEXT_KINDS: readonly string[] = ["fasttext", "lexicon"];

/** The model fields that apply to `kind` (the schema's comments say which; cnn layers keep their default). */
export function modelFields(kind: Kind): string[] {
  if (kind === "mlp") return ["hidden", "activation", "dropout"];
  if (RECURRENT.includes(kind)) return ["hidden", "bidirectional"];
  if (kind === "fasttext") return ["embedding"];
  if (kind === "als") return ["factors", "reg", "alpha"];
  if (RECOMMENDERS.includes(kind) && kind !== "popularity") return ["factors", "reg"];
  return [];
}

/** Training fields shown outside "Advanced settings". */
export const MAIN_TRAINING = ["epochs", "batchSize", "lr", "optimizer", "validationSplit", "seed"];

/** Whether training field `name` matters for this model kind and these settings. */
export function trainingApplies(name: string, kind: Kind, raw: Raw): boolean {
  const optimizer = raw.optimizer;
  if (optimizer === "lbfgs" && ["batchSize", "lr", "schedule", "momentum", "beta1", "beta2", "weightDecay", "clipNorm"].includes(name)) return false;
  if (name === "momentum") return optimizer === "momentum" || optimizer === "nesterov";
  if (name === "beta1" || name === "beta2") return optimizer === "adam" || optimizer === "adamw";
  if (name === "lengthBuckets") return RECURRENT.includes(kind);
  return true;
}

/** Labels and one-line help, from the comments in src/models/spec.ts. */
export const LABELS: Record<string, [label: string, help?: string]> = {
  hidden: ["Hidden layer widths", "Comma-separated, e.g. 64, 32: one number per layer."],
  factors: ["Latent factors", "Per user and per item."],
  embedding: ["Embedding width", "Numbers per token (and per word pair)."],
  reg: ["L2 penalty", "On each example's user and item rows (als: on all factors)."],
  alpha: ["Confidence per interaction", "c = 1 + alpha x value (1 without a value column)."],
  bidirectional: ["Bidirectional", "The recurrent layers read the sequence both ways."],
  activation: ["Hidden activation"],
  dropout: ["Dropout rate", "After each hidden layer while training; 0 for none."],
  epochs: ["Epochs", "At most; early stopping may end sooner."],
  batchSize: ["Batch size"],
  lr: ["Learning rate"],
  optimizer: ["Optimizer", "lbfgs: full-batch L-BFGS, without batches, learning rate or schedule."],
  momentum: ["Momentum"],
  beta1: ["Adam β1"],
  beta2: ["Adam β2"],
  clipNorm: ["Gradient clipping", "Clip the gradients' global norm to this; 0 for none."],
  weightDecay: ["Weight decay", "L2 penalty (decoupled for adamw), on weights only."],
  schedule: ["Learning-rate schedule"],
  everyEpochs: ["Every so many epochs"],
  gamma: ["Multiply by"],
  minLr: ["Final learning rate"],
  validationSplit: ["Validation split", "Fraction of rows held out to monitor and stop early on."],
  earlyStopping: ["Early stopping", "Stop when the validation loss stops improving and keep the best epoch."],
  patience: ["Patience (epochs)"],
  minDelta: ["Smallest improvement"],
  classWeights: ["Class weights", "balanced: weigh rare classes up (classification)."],
  lengthBuckets: ["Length buckets", "Sequences of varying length: one graph per bucket of lengths."],
  seed: ["Seed", "The same seed and data give the same model."],
  threads: ["Threads", "For ONNX Runtime's operator pool; 0 lets it choose."],
};

/** The model kind's defaults as field text. */
export function modelRaw(kind: Kind): Raw {
  const raw: Raw = {};
  for (const name of modelFields(kind)) flatten(MODEL_PROPS[name], name, MODEL_PROPS[name].default, raw);
  return raw;
}

/** The training defaults of a model kind (resolveTraining) as field text. */
export function trainingRaw(kind: Kind): Raw {
  const defaults = resolveTraining(kind) as Record<string, unknown>;
  const raw: Raw = {};
  for (const [name, prop] of Object.entries(TRAINING_PROPS)) flatten(prop, name, defaults[name], raw);
  return raw;
}

/** The object branch of an "off or settings" union (`false` or an object), if `prop` is one. */
export function toggled(prop: Prop): Prop | undefined {
  return prop.anyOf?.some((b) => b.const === false) ? prop.anyOf.find((b) => b.type === "object") : undefined;
}

function flatten(prop: Prop, path: string, value: unknown, raw: Raw): void {
  const on = toggled(prop);
  if (on) {
    const settings = value === false ? {} : (value as Record<string, unknown>);
    raw[path] = String(value !== false);
    for (const [k, p] of Object.entries(on.properties ?? {})) raw[`${path}.${k}`] = String(settings[k] ?? p.default ?? "");
  } else if (prop.oneOf) {
    const v = value as Record<string, unknown>;
    raw[`${path}.kind`] = String(v.kind);
    for (const b of prop.oneOf) {
      for (const [k, p] of Object.entries(b.properties ?? {})) if (k !== "kind") raw[`${path}.${k}`] ??= String(v[k] ?? p.default ?? "");
    }
  } else {
    raw[path] = Array.isArray(value) ? value.join(", ") : value === undefined ? "" : String(value);
  }
}

/** The values of `names` from the form's text; empty number fields are left out (the server's default). */
export function toValues(props: Record<string, Prop>, names: string[], raw: Raw): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const v = value(props[name], name, raw);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function value(prop: Prop, path: string, raw: Raw): unknown {
  const on = toggled(prop);
  if (on) return raw[path] === "true" ? toValues(on.properties ?? {}, Object.keys(on.properties ?? {}), prefixed(raw, path)) : false;
  if (prop.oneOf) {
    const kind = raw[`${path}.kind`];
    const branch = prop.oneOf.find((b) => b.properties?.kind?.const === kind);
    const keys = Object.keys(branch?.properties ?? {}).filter((k) => k !== "kind");
    return { kind, ...toValues(branch?.properties ?? {}, keys, prefixed(raw, path)) };
  }
  const text = (raw[path] ?? "").trim();
  if (prop.type === "boolean") return text === "true";
  if (prop.type === "array") return text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (prop.type === "integer" || prop.type === "number") return text === "" ? undefined : Number(text);
  return text === "" ? undefined : text;
}

/** The fields under `path.`, keyed without it. */
function prefixed(raw: Raw, path: string): Raw {
  return Object.fromEntries(Object.entries(raw).filter(([k]) => k.startsWith(`${path}.`)).map(([k, v]) => [k.slice(path.length + 1), v]));
}
