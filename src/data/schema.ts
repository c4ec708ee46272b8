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
  /** Distinct present values. */
  distinct: number;
  /** Why the kind was chosen, for `inspect` and error messages. */
  reason: string;
}

/** User overrides, by column name. */
export interface ColumnOverrides {
  ignore?: readonly string[];
  categorical?: readonly string[];
  numeric?: readonly string[];
}

/** Parses a plain decimal number ("1", "-2.5", ".5", "1e-3"); NaN for anything else (hex, Infinity, words). */
export function parseNumber(s: string): number {
  // Number() also reads 0x1F, 0b1 and 0o7 (cells are already trimmed, and "" is a missing cell).
  if (s.length > 1 && s[0] === "0" && "xXbBoO".includes(s[1])) return NaN;
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

const IDENTIFIER_NAME = /^(id|uuid|guid|key|index|row|rownum|row_number|unnamed.*)$|[_\s-]id$|Id$|ID$/i;

/** Infers one column's kind from its cells. */
export function inferColumn(name: string, cells: readonly (string | null)[]): ColumnInfo {
  let missing = 0;
  let numeric = true;
  let integers = true;
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
    if (numeric) {
      const n = parseNumber(v);
      if (Number.isNaN(n)) numeric = false;
      else if (!Number.isInteger(n)) integers = false;
    }
  }
  const present = cells.length - missing;
  const distinct = seen.size;
  const info = (kind: ColumnKind, reason: string): ColumnInfo => ({ name, kind, missing, distinct, reason });
  if (present === 0) return info("empty", "no values");
  const allUnique = distinct === present && present > 20;
  if (numeric) {
    if (allUnique && integers && IDENTIFIER_NAME.test(name)) return info("identifier", "unique integers in a column named like an id");
    return info("numeric", "all values are numbers");
  }
  if (allUnique && spaced === 0) return info("identifier", "a unique value per row");
  if (length / present > 40 || (spaced > present / 2 && distinct > present / 2)) return info("text", "free text (long or mostly unique phrases)");
  return info("categorical", `${distinct} distinct values`);
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
    const inferred = inferColumn(name, table.values[c]);
    if (overrides.ignore?.includes(name)) return { ...inferred, kind: "identifier", reason: "ignored by request" };
    if (overrides.categorical?.includes(name)) return { ...inferred, kind: "categorical", reason: "declared categorical" };
    if (overrides.numeric?.includes(name)) {
      numberColumn(table, c); // throws at the first cell that is not a number
      return { ...inferred, kind: "numeric", reason: "declared numeric" };
    }
    return inferred;
  });
}

/** A column's cells as numbers, NaN where missing; a present cell that is not a number is an error. */
export function numberColumn(table: RawTable, column: number): Float64Array {
  const cells = table.values[column];
  const out = new Float64Array(cells.length);
  for (let r = 0; r < cells.length; r++) {
    const v = cells[r];
    if (v === null) out[r] = NaN;
    else {
      const n = parseNumber(v);
      if (Number.isNaN(n)) throw inputError(`'${v}' is not a number`, { file: table.source, row: table.rowLabel(r), column: table.columns[column] });
      out[r] = n;
    }
  }
  return out;
}
