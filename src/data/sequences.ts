// Sequence data for recurrent models: a table read as one sequence per row, a single time series
// cut into sliding windows, or a prediction request's instances, each as one [N, T, F] array.
import { MaasError, inputError } from "../errors.js";
import { encodeTarget } from "./encoders.js";
import { inferColumn, numberColumn, parseNumber } from "./schema.js";
import type { RawTable } from "./table.js";

export type SequenceTarget = { kind: "numeric"; values: Float32Array } | { kind: "labels"; labels: string[] };

/** N sequences of T steps of F numbers each. */
export interface SequenceSet {
  /** Where the sequences came from (a file name, or "request"), for error messages. */
  source: string;
  /** N. */
  count: number;
  /** T, the longest sequence a model of this data takes. */
  steps: number;
  /** F, numbers per step. */
  features: number;
  /** Row-major [N, T, F]; never NaN: the steps past a shorter sequence's length are 0. */
  values: Float32Array;
  /** Each sequence's length, present when any is shorter than `steps`. */
  lengths?: Int32Array;
  /** A numeric value or a label per sequence. */
  target?: SequenceTarget;
  /** One per step for rows as sequences; one per feature (the series first) for sliding windows; none for a request. */
  columns: string[];
  /** The 1-based row each sequence starts at (its instance index + 1 for a request), for messages. */
  rowLabels: number[];
}

// ---------------------------------------------------------------------------------------------
// Rows as sequences
// ---------------------------------------------------------------------------------------------

export interface RowSequenceOptions {
  /** The label or value column. */
  target?: string;
  /** Columns that are neither steps nor the target. */
  ignore?: readonly string[];
  /** Labels or values; by default numeric when every target cell is a number. */
  task?: "regression" | "classification";
}

/**
 * Each row is one sequence: its numeric columns, in column order, are the steps (F = 1). Missing
 * cells at a row's end make it shorter; a gap inside it, or a cell that is not a number, is an
 * error naming the row and column. Identifier columns are left out, as for tabular models.
 * @example rowsAsSequences(table, { target: "label" }) // t1..t20 -> { steps: 20, features: 1, ... }
 */
export function rowsAsSequences(table: RawTable, options: RowSequenceOptions = {}): SequenceSet {
  const skip = new Set(options.ignore ?? []);
  for (const name of skip) checkColumn(table, "ignore", name);
  if (options.target !== undefined) skip.add(checkColumn(table, "target", options.target));
  const columns = stepColumns(table, skip);
  const x = columns.map((c) => numberColumn(table, c));
  const steps = columns.length;
  const values = new Float32Array(table.rows * steps);
  const lengths = new Int32Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    let length = steps;
    while (length > 0 && Number.isNaN(x[length - 1][r])) length--;
    if (length === 0) throw inputError("the sequence has no steps (every step column is missing)", { file: table.source, row: table.rowLabel(r) });
    for (let t = 0; t < length; t++) {
      if (Number.isNaN(x[t][r])) throw inputError("missing step inside the sequence", { file: table.source, row: table.rowLabel(r), column: table.columns[columns[t]] });
      values[r * steps + t] = x[t][r];
    }
    lengths[r] = length;
  }
  return {
    source: table.source,
    count: table.rows,
    steps,
    features: 1,
    values,
    ...(lengths.some((l) => l < steps) ? { lengths } : {}),
    ...(options.target !== undefined ? { target: sequenceTarget(table, options.target, options.task) } : {}),
    columns: columns.map((c) => table.columns[c]),
    rowLabels: Array.from({ length: table.rows }, (_v, r) => table.rowLabel(r)),
  };
}

/** The step columns' indices: every column not skipped, identifiers aside; a column of words is an error. */
function stepColumns(table: RawTable, skip: ReadonlySet<string>): number[] {
  const steps: number[] = [];
  const words: string[] = [];
  table.columns.forEach((name, c) => {
    if (skip.has(name)) return;
    const present = table.values[c].filter((v): v is string => v !== null);
    const numbers = present.filter((v) => !Number.isNaN(parseNumber(v))).length;
    // A mostly numeric column is a step column whose stray words are errors (numberColumn names them).
    const identifier = (numbers === present.length || numbers * 2 < present.length) && inferColumn(name, table.values[c]).kind === "identifier";
    if (identifier) return;
    if (numbers * 2 >= present.length) steps.push(c);
    else words.push(name);
  });
  if (words.length > 0) {
    const list = words.map((w) => `'${w}'`).join(", ");
    throw inputError(`${words.length === 1 ? "column" : "columns"} ${list} ${words.length === 1 ? "is" : "are"} not numeric; every step of a sequence must be a number (--ignore the columns that are not steps)`, { file: table.source });
  }
  if (steps.length === 0) throw inputError("no step columns: a row's numeric columns are its steps", { file: table.source });
  return steps;
}

/** The target as values (regression) or a label per row; a missing target is an error naming its row. */
function sequenceTarget(table: RawTable, target: string, task?: "regression" | "classification"): SequenceTarget {
  const cells = table.values[table.columns.indexOf(target)];
  const numeric = cells.every((v) => v === null || !Number.isNaN(parseNumber(v)));
  const encoded = encodeTarget(table, target, task ?? (numeric ? "regression" : "classification"));
  if (encoded.task === "regression") return { kind: "numeric", values: encoded.values };
  return { kind: "labels", labels: Array.from(encoded.values, (i) => encoded.labels[i]) };
}

/** The name back; a name the table does not have is an error naming the flag. */
function checkColumn(table: RawTable, flag: string, name: string): string {
  if (!table.columns.includes(name)) throw inputError(`--${flag} names column '${name}', which the file does not have (columns: ${table.columns.join(", ")})`, { file: table.source });
  return name;
}

// ---------------------------------------------------------------------------------------------
// Sliding windows over one time series
// ---------------------------------------------------------------------------------------------

export interface WindowOptions {
  /** The time-series column, one step per row. */
  column: string;
  /** W, steps per sample. */
  window: number;
  /** H: the target is the series H steps after a window's last step. */
  horizon: number;
  /** Rows between the starts of consecutive windows (default 1). */
  stride?: number;
  /** Other numeric columns read at each step, after the series. */
  features?: readonly string[];
}

/**
 * Sliding-window samples of one series: sample i covers rows s..s+W-1 (s = i * stride), each step
 * holding the series then `features`; its numeric target is the series at row s + W - 1 + H.
 * @example slidingWindows(table, { column: "load", window: 24, horizon: 1 }) // next hour's load from the last 24
 */
export function slidingWindows(table: RawTable, options: WindowOptions): SequenceSet {
  const { column, window, horizon, stride = 1, features = [] } = options;
  for (const [flag, v] of [["window", window], ["horizon", horizon], ["stride", stride]] as const) {
    if (!Number.isInteger(v) || v < 1) throw inputError(`--${flag} must be a positive integer, got ${v}`);
  }
  checkColumn(table, "column", column);
  for (const f of features) {
    checkColumn(table, "features", f);
    if (f === column) throw inputError(`--features names the series column '${column}', which is always the first feature`, { file: table.source });
  }
  const n = table.rows;
  if (window + horizon > n) throw inputError(`the series has ${n} rows; --window ${window} --horizon ${horizon} needs at least ${window + horizon}`, { file: table.source });
  const columns = [column, ...features];
  const series = columns.map((name) => seriesColumn(table, name));
  const width = columns.length;
  const count = Math.floor((n - window - horizon) / stride) + 1;
  const values = new Float32Array(count * window * width);
  const target = new Float32Array(count);
  const rowLabels: number[] = [];
  for (let i = 0; i < count; i++) {
    const s = i * stride;
    for (let t = 0; t < window; t++) for (let f = 0; f < width; f++) values[(i * window + t) * width + f] = series[f][s + t];
    target[i] = series[0][s + window - 1 + horizon];
    rowLabels.push(table.rowLabel(s));
  }
  return { source: table.source, count, steps: window, features: width, values, target: { kind: "numeric", values: target }, columns, rowLabels };
}

/**
 * Every window of W rows of a series, the last one included, without targets: the input of a
 * forecast (window i ending at row i + W predicts the series H steps after that row).
 */
export function forecastWindows(table: RawTable, options: Omit<WindowOptions, "horizon" | "stride">): SequenceSet {
  const { column, window, features = [] } = options;
  if (!Number.isInteger(window) || window < 1) throw inputError(`--window must be a positive integer, got ${window}`);
  checkColumn(table, "column", column);
  for (const f of features) checkColumn(table, "features", f);
  if (window > table.rows) throw inputError(`the series has ${table.rows} rows; a window of ${window} needs at least ${window}`, { file: table.source });
  const columns = [column, ...features];
  const series = columns.map((name) => seriesColumn(table, name));
  const width = columns.length;
  const count = table.rows - window + 1;
  const values = new Float32Array(count * window * width);
  for (let i = 0; i < count; i++) {
    for (let t = 0; t < window; t++) for (let f = 0; f < width; f++) values[(i * window + t) * width + f] = series[f][i + t];
  }
  const rowLabels = Array.from({ length: count }, (_v, i) => table.rowLabel(i));
  return { source: table.source, count, steps: window, features: width, values, columns, rowLabels };
}

/** A column of numbers with none missing: a time series needs every step. */
function seriesColumn(table: RawTable, name: string): Float64Array {
  const c = table.columns.indexOf(name);
  const x = numberColumn(table, c);
  const r = x.findIndex(Number.isNaN);
  if (r >= 0) throw inputError("missing value in the series (every step of a time series needs one)", { file: table.source, row: table.rowLabel(r), column: name });
  return x;
}

// ---------------------------------------------------------------------------------------------
// Request instances
// ---------------------------------------------------------------------------------------------

export interface SequenceProblem {
  instance: number;
  problem: string;
}

const MAX_REPORTED = 20;

/**
 * The sequences of a prediction request's `instances` for a model of `steps` steps of `features`
 * numbers: {sequence: [x1, x2, ...]} when F = 1, {sequence: [[F numbers], ...]} otherwise. Shorter
 * sequences are allowed, longer ones are not; every problem is listed in an `unprocessable` error.
 */
export function sequencesFromInstances(instances: readonly unknown[], steps: number, features: number): SequenceSet {
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(features) || features < 1) throw new Error(`a sequence model needs positive steps and features, got ${steps} x ${features}`);
  const problems: SequenceProblem[] = [];
  const values = new Float32Array(instances.length * steps * features);
  const lengths = new Int32Array(instances.length);
  const step = features === 1 ? "a number" : `an array of ${features} numbers`;
  instances.forEach((inst, i) => {
    const add = (problem: string) => void problems.push({ instance: i, problem });
    const record = typeof inst === "object" && inst !== null && !Array.isArray(inst) ? (inst as Record<string, unknown>) : {};
    const sequence = record.sequence;
    if (!Array.isArray(sequence)) return add(`expected {sequence: [${features === 1 ? "numbers" : `[${features} numbers], ...`}]}`);
    for (const k of Object.keys(record)) if (k !== "sequence") add(`'${k}' is not a field of a sequence instance`);
    if (sequence.length === 0) return add("the sequence is empty");
    if (sequence.length > steps) return add(`the sequence has ${sequence.length} steps; the model takes at most ${steps}`);
    lengths[i] = sequence.length;
    sequence.forEach((v: unknown, t) => {
      const numbers = features === 1 && typeof v === "number" ? [v] : v;
      if (Array.isArray(numbers) && numbers.length === features && numbers.every((x) => typeof x === "number" && Number.isFinite(x))) values.set(numbers, (i * steps + t) * features);
      else add(`step ${t}: expected ${step}, got ${JSON.stringify(v) ?? String(v)}`);
    });
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).map((p) => `instance ${p.instance}: ${p.problem}`);
    throw new MaasError("unprocessable", `${shown.join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`, { problems: problems.slice(0, MAX_REPORTED) });
  }
  return {
    source: "request",
    count: instances.length,
    steps,
    features,
    values,
    ...(lengths.some((l) => l < steps) ? { lengths } : {}),
    columns: [],
    rowLabels: instances.map((_v, i) => i + 1),
  };
}
