// The raw table every reader produces: named columns of cell strings, missing cells as null.

export interface RawTable {
  /** Where the table came from (a file name), for error messages. */
  readonly source: string;
  readonly columns: readonly string[];
  /** Column-major cells: values[c][r]; null where the cell is missing. */
  readonly values: readonly (readonly (string | null)[])[];
  readonly rows: number;
  /**
   * The 1-based row number a person sees for each record: the data row's position in the file
   * (header excluded) for CSV, the array index + 1 for JSON, the line for NDJSON.
   */
  rowLabel(index: number): number;
}

/** Cell texts read as missing, whatever the column's type. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set(["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]);

/** The index of a column, or -1. */
export function columnIndex(t: RawTable, name: string): number {
  return t.columns.indexOf(name);
}

/** A table from row-major cells (null = missing); rows are labelled 1, 2, ... */
export function tableFromRows(source: string, columns: readonly string[], rows: readonly (readonly (string | null)[])[]): RawTable {
  return {
    source,
    columns,
    values: columns.map((_c, j) => rows.map((r) => r[j] ?? null)),
    rows: rows.length,
    rowLabel: (i) => i + 1,
  };
}
