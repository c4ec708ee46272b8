// User-item interactions for recommenders: a table's user, item, rating and time columns read into
// typed arrays, with string ids interned to dense indices (a Map per side) and repeated pairs merged.
import { inputError } from "../errors.js";
import { columnIndex } from "./table.js";
import type { RawTable } from "./table.js";
import { parseNumber } from "./schema.js";

/** Interactions (user, item[, rating][, time]) with string ids mapped to dense indices. */
export interface Interactions {
  /** Where they came from (a file name), for messages. */
  source: string;
  /** Index -> id, in order of first appearance in the file. */
  users: string[];
  items: string[];
  /** Per interaction: the user's and the item's index. */
  user: Int32Array;
  item: Int32Array;
  /** Explicit ratings, when a rating column was given. */
  rating?: Float32Array;
  /** Timestamps as numbers (numeric column as is; ISO 8601 dates as epoch milliseconds), when given. */
  time?: Float64Array;
  /** The 1-based row of the file each interaction came from (for messages). */
  row: Int32Array;
}

/** The names of the columns to read; rating and timestamp are optional. */
export interface InteractionColumns {
  user: string;
  item: string;
  rating?: string;
  timestamp?: string;
}

/** How to read interactions. */
export interface InteractionOptions {
  /** Ratings must lie in [min, max] (inclusive); a rating outside is an error naming row and column. */
  scale?: [number, number];
  /**
   * What a (user, item) pair seen twice becomes: "last" (the latest by time, else the last in the
   * file; the default), "mean" of the ratings, or "sum" (implicit counts). See `readInteractions`.
   */
  duplicates?: "last" | "mean" | "sum";
}

/**
 * ISO 8601 calendar dates, with an optional time ('T' or a space) and zone (Z, ±HH:MM, ±HHMM, ±HH).
 * Groups: date, time, zone.
 */
const ISO_DATE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)(Z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/**
 * Reads interactions from `table`. Ids are kept exactly as written (not trimmed); an empty or
 * missing user or item cell is an error, as is a rating or timestamp that is missing, not a finite
 * number (a timestamp may also be an ISO 8601 date; one without a zone is read as UTC), or outside
 * `options.scale`. Errors are bad_input MaasErrors naming the file, row and column.
 *
 * Repeated (user, item) pairs become one interaction, represented by the pair's latest row (by
 * time; on a tie or without a time column, the last in the file): it keeps that row's place in the
 * file order, its row number and its time. Its rating is that row's ("last"), the mean of the
 * pair's ratings ("mean"), or their sum ("sum"; without a rating column, the number of rows, so
 * `rating` holds counts, 1 for a pair seen once). Every other interaction keeps the file order.
 * @example readInteractions(tableFromRows("r.csv", ["u", "i"], [["ann", "x"]]), { user: "u", item: "i" }).items // ["x"]
 */
export function readInteractions(table: RawTable, columns: InteractionColumns, options: InteractionOptions = {}): Interactions {
  const names = [columns.user, columns.item, columns.rating, columns.timestamp].filter((c): c is string => c !== undefined);
  const absent = names.filter((c) => columnIndex(table, c) < 0);
  if (absent.length > 0) {
    const list = absent.map((c) => `'${c}'`).join(", ");
    throw inputError(`no column ${list} (columns: ${table.columns.join(", ")})`, { file: table.source });
  }
  if (table.rows === 0) throw inputError("there are no interactions (the table has no rows)", { file: table.source });

  const users: string[] = [];
  const items: string[] = [];
  const user = internIds(table, columns.user, users);
  const item = internIds(table, columns.item, items);
  const ratings = columns.rating === undefined ? undefined : readRatings(table, columns.rating, options.scale);
  const times = columns.timestamp === undefined ? undefined : readTimes(table, columns.timestamp);
  const row = Int32Array.from({ length: table.rows }, (_v, r) => table.rowLabel(r));
  const policy = options.duplicates ?? "last";
  const counts = policy === "sum" && !ratings ? new Float64Array(table.rows).fill(1) : undefined;
  const merged = mergeDuplicates({ user, item, row, values: ratings ?? counts, time: times }, items.length, policy);
  return {
    source: table.source,
    users,
    items,
    user: merged.user,
    item: merged.item,
    ...(merged.values && { rating: Float32Array.from(merged.values) }),
    ...(merged.time && { time: merged.time }),
    row: merged.row,
  };
}

/**
 * Interactions from parallel arrays of ids (and ratings), as `readInteractions` reads them from a
 * table with columns user, item[, rating]: for tests and benchmarks.
 */
export function interactionsFromArrays(source: string, users: readonly string[], items: readonly string[], ratings?: readonly number[], options?: InteractionOptions): Interactions {
  if (items.length !== users.length || (ratings && ratings.length !== users.length)) {
    throw new Error(`interactionsFromArrays: ${users.length} users, ${items.length} items, ${ratings?.length ?? "no"} ratings`);
  }
  const values = ratings ? [users, items, ratings.map(String)] : [users, items];
  const table: RawTable = { source, columns: ["user", "item", "rating"].slice(0, values.length), values, rows: users.length, rowLabel: (i) => i + 1 };
  return readInteractions(table, { user: "user", item: "item", ...(ratings && { rating: "rating" }) }, options);
}

// ---------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------

/** Each row's id index in `ids`, which gains the ids in order of first appearance. */
function internIds(table: RawTable, column: string, ids: string[]): Int32Array {
  const cells = table.values[columnIndex(table, column)];
  const index = new Map<string, number>();
  const out = new Int32Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    const id = cells[r];
    if (id === null || id === "") throw inputError("the id is empty", { file: table.source, row: table.rowLabel(r), column });
    let k = index.get(id);
    if (k === undefined) {
      k = ids.length;
      index.set(id, k);
      ids.push(id);
    }
    out[r] = k;
  }
  return out;
}

/** Each row's rating; a missing, non-numeric, infinite or out-of-scale one is an error. */
function readRatings(table: RawTable, column: string, scale: [number, number] | undefined): Float64Array {
  const cells = table.values[columnIndex(table, column)];
  const out = new Float64Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    const where = { file: table.source, row: table.rowLabel(r), column };
    const text = cells[r];
    if (text === null) throw inputError("the rating is missing", where);
    const x = parseNumber(text);
    if (Number.isNaN(x)) throw inputError(`'${text}' is not a finite number`, where);
    if (scale && (x < scale[0] || x > scale[1])) throw inputError(`the rating ${text} is outside the scale [${scale[0]}, ${scale[1]}]`, where);
    out[r] = x;
  }
  return out;
}

/** Numbers as they are, or ISO 8601 dates as epoch milliseconds: the first row's cell says which. */
function readTimes(table: RawTable, column: string): Float64Array {
  const cells = table.values[columnIndex(table, column)];
  const dates = cells[0] !== null && Number.isNaN(parseNumber(cells[0]));
  const out = new Float64Array(table.rows);
  for (let r = 0; r < table.rows; r++) {
    const where = { file: table.source, row: table.rowLabel(r), column };
    const text = cells[r];
    if (text === null) throw inputError("the timestamp is missing", where);
    const t = dates ? parseIsoDate(text) : parseNumber(text);
    if (Number.isNaN(t)) {
      throw inputError(`'${text}' is not ${dates ? "an ISO 8601 date (like 2024-05-01T12:00:00Z), as row 1's is" : "a finite number, as row 1's is"}`, where);
    }
    out[r] = t;
  }
  return out;
}

/** Epoch milliseconds of an ISO 8601 date (UTC when it has no zone), or NaN. */
function parseIsoDate(text: string): number {
  const m = ISO_DATE.exec(text);
  if (!m) return NaN;
  const [, date, time, zone] = m;
  if (time === undefined) return Date.parse(date);
  // Date.parse wants 'T', '.', ±HH:MM, and reads a date-time without a zone as local time.
  let z = zone ?? "Z";
  if (z !== "Z") z = z.length === 3 ? `${z}:00` : z.length === 5 ? `${z.slice(0, 3)}:${z.slice(3)}` : z;
  return Date.parse(`${date}T${time.replace(",", ".")}${z}`);
}

// ---------------------------------------------------------------------------------------------
// Repeated pairs
// ---------------------------------------------------------------------------------------------

interface Rows {
  user: Int32Array;
  item: Int32Array;
  row: Int32Array;
  /** Ratings, or counts of 1 to sum. */
  values?: Float64Array;
  time?: Float64Array;
}

/** One row per (user, item) pair: its latest, in file order, with the values merged by `policy`. */
function mergeDuplicates(x: Rows, itemCount: number, policy: "last" | "mean" | "sum"): Rows {
  const n = x.user.length;
  const pairs = new Map<number, number>();
  const group = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const key = x.user[r] * itemCount + x.item[r]; // exact below 2^53: any table of under 94 million rows
    let g = pairs.get(key);
    if (g === undefined) pairs.set(key, (g = pairs.size));
    group[r] = g;
  }
  if (pairs.size === n) return x;

  const latest = new Int32Array(pairs.size).fill(-1);
  const sum = new Float64Array(pairs.size);
  const count = new Int32Array(pairs.size);
  for (let r = 0; r < n; r++) {
    const g = group[r];
    if (x.values) sum[g] += x.values[r];
    count[g]++;
    if (latest[g] < 0 || !x.time || x.time[r] >= x.time[latest[g]]) latest[g] = r;
  }
  const keep = new Int32Array(pairs.size);
  let k = 0;
  for (let r = 0; r < n; r++) if (latest[group[r]] === r) keep[k++] = r;

  let values: Float64Array | undefined;
  if (x.values) {
    const v = x.values;
    values = Float64Array.from(keep, (r) => (policy === "last" ? v[r] : policy === "sum" ? sum[group[r]] : sum[group[r]] / count[group[r]]));
  }
  return {
    user: Int32Array.from(keep, (r) => x.user[r]),
    item: Int32Array.from(keep, (r) => x.item[r]),
    row: Int32Array.from(keep, (r) => x.row[r]),
    values,
    time: x.time && Float64Array.from(keep, (r) => x.time![r]),
  };
}
