// Column types: inferred from the cells, overridable by the user.
import { inputError } from "../errors.js";
import type { RawTable } from "./table.js";

/**
 * - numeric: every present cell is a finite decimal number;
 * - categorical: a limited set of repeated strings;
 * - text: free text (long or mostly unique strings with spaces) — not used by tabular models;
 * - identifier: a unique key per row (ids, codes, a saved row index) — not used;
 * - empty: no present cell — not used.
 */
export type ColumnKind = "numeric" | "categorical" | "text" | "identifier" | "empty";

export interface ColumnInfo {
  name: string;
  kind: ColumnKind;
  /** Missing cells. */
  missing: number;
  /** Why the kind was chosen, for `inspect` and error messages. */
  reason: string;
}

/** User overrides, by column name. */
export interface ColumnOverrides {
  ignore?: readonly string[];
  categorical?: readonly string[];
  numeric?: readonly string[];
}

/** Exact powers of ten: every one up to 1e22 is a double. */
const POW10 = Array.from({ length: 23 }, (_v, i) => 10 ** i);

/** Parses a plain decimal number ("1", "-2.5", ".5", "1e-3"); NaN for anything else (hex, Infinity, words). */
export function parseNumber(s: string): number {
  // Fast path, the common cell: [sign] digits [. digits], at most 15 digits. The digits as an
  // integer (exact below 2^53) divided by an exact power of ten is the correctly rounded double,
  // as Number() would give; it is several times faster than Number() on short strings.
  const n = s.length;
  let i = 0;
  const sign = s.charCodeAt(0);
  if (sign === 45 || sign === 43) i = 1; // - +
  let mantissa = 0;
  let digits = 0;
  let decimals = -1;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    } else if (c === 46 && decimals < 0) decimals = digits; // .
    else break;
  }
  if (i === n && digits > 0 && digits <= 15) {
    const v = decimals < 0 || decimals === digits ? mantissa : mantissa / POW10[digits - decimals];
    return sign === 45 ? -v : v;
  }
  // Number() also reads 0x1F, 0b1 and 0o7 (cells are already trimmed, and "" is a missing cell).
  if (s.length > 1 && s[0] === "0" && "xXbBoO".includes(s[1])) return NaN;
  const x = Number(s);
  return Number.isFinite(x) ? x : NaN;
}

const IDENTIFIER_NAME = /^(id|uuid|guid|key|index|row|rownum|row_number|unnamed.*)$|[_\s-]id$|Id$|ID$/i;

/**
 * Infers one column's kind from its cells. `numbers` are the cells already parsed when the caller
 * knows the column is numeric, null when it knows it is not; omitted, the cells are parsed here.
 */
export function inferColumn(name: string, cells: readonly (string | null)[], known?: Float64Array | null): ColumnInfo {
  const numbers = known === undefined ? parseColumn(cells) : known;
  const info = (kind: ColumnKind, reason: string, missing: number): ColumnInfo => ({ name, kind, missing, reason });
  if (numbers) {
    let missing = 0;
    let integers = true;
    for (const x of numbers) {
      if (Number.isNaN(x)) missing++;
      else if (integers && !Number.isInteger(x)) integers = false;
    }
    const present = numbers.length - missing;
    if (present === 0) return info("empty", "no values", missing);
    // Counting distinct values costs a sort: only an id-like column of integers needs it.
    if (present > 20 && integers && IDENTIFIER_NAME.test(name) && allDistinct(numbers.filter((x) => !Number.isNaN(x)))) {
      return info("identifier", "unique integers in a column named like an id", missing);
    }
    return info("numeric", "all values are numbers", missing);
  }
  let missing = 0;
  let spaced = 0;
  let length = 0;
  const seen = new Set<string>();
  for (const v of cells) {
    if (v === null) {
      missing++;
      continue;
    }
    seen.add(v);
    length += v.length;
    if (v.includes(" ")) spaced++;
  }
  const present = cells.length - missing;
  const distinct = seen.size;
  if (present === 0) return info("empty", "no values", missing);
  if (distinct === present && present > 20 && spaced === 0) return info("identifier", "a unique value per row", missing);
  if (length / present > 40 || (spaced > present / 2 && distinct > present / 2)) return info("text", "free text (long or mostly unique phrases)", missing);
  return info("categorical", `${distinct} distinct values`, missing);
}

/** Whether no two of `xs` (no NaN; sorted in place) are equal. */
function allDistinct(xs: Float64Array): boolean {
  xs.sort();
  for (let i = 1; i < xs.length; i++) if (xs[i] === xs[i - 1]) return false;
  return true;
}

/** The kind of every column, with the user's overrides applied; unknown override names are errors. */
export function inferSchema(table: RawTable, overrides: ColumnOverrides = {}): ColumnInfo[] {
  const known = new Set(table.columns);
  for (const [flag, names] of Object.entries(overrides) as [string, readonly string[] | undefined][]) {
    for (const n of names ?? []) {
      if (!known.has(n)) throw inputError(`--${flag} names column '${n}', which the file does not have (columns: ${table.columns.join(", ")})`, { file: table.source });
    }
  }
  return table.columns.map((name, c) => {
    const inferred = inferColumn(name, table.values[c], tryNumberColumn(table, c) ?? null);
    if (overrides.ignore?.includes(name)) return { ...inferred, kind: "identifier", reason: "ignored by request" };
    if (overrides.categorical?.includes(name)) return { ...inferred, kind: "categorical", reason: "declared categorical" };
    if (overrides.numeric?.includes(name)) {
      numberColumn(table, c); // throws at the first cell that is not a number
      return { ...inferred, kind: "numeric", reason: "declared numeric" };
    }
    return inferred;
  });
}

/** Each table's parsed numeric columns: a column's cells are parsed once, however often they are asked for. */
const parsedColumns = new WeakMap<RawTable, Map<number, Float64Array>>();

/** Cells as numbers if every present one is (NaN where missing), else undefined. */
function parseColumn(cells: readonly (string | null)[]): Float64Array | undefined {
  const out = new Float64Array(cells.length);
  for (let r = 0; r < cells.length; r++) {
    const v = cells[r];
    if (v === null) out[r] = NaN;
    else if (Number.isNaN((out[r] = parseNumber(v)))) return undefined;
  }
  return out;
}

/** A table's column as numbers if every present cell is one, else undefined; cached per table. */
function tryNumberColumn(table: RawTable, column: number): Float64Array | undefined {
  const cached = parsedColumns.get(table)?.get(column);
  if (cached) return cached;
  const out = parseColumn(table.values[column]);
  if (!out) return undefined;
  let cache = parsedColumns.get(table);
  if (!cache) parsedColumns.set(table, (cache = new Map()));
  cache.set(column, out);
  return out;
}

/**
 * A column's cells as numbers, NaN where missing; a present cell that is not a number is an error.
 * The array is shared by every caller (the parse is cached): read it, do not change it.
 */
export function numberColumn(table: RawTable, column: number): Float64Array {
  const numbers = tryNumberColumn(table, column);
  if (numbers) return numbers;
  const cells = table.values[column];
  const r = cells.findIndex((v) => v !== null && Number.isNaN(parseNumber(v)));
  throw inputError(`'${cells[r]}' is not a number`, { file: table.source, row: table.rowLabel(r), column: table.columns[column] });
}
