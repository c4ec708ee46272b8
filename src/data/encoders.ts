// Preprocessing parameters fitted on the training rows only: the mean and scale of numeric columns
// (missing values are imputed with the mean), and the categories of categorical ones (anything
// else, missing included, falls into one unknown bucket). The model graph applies them.
import { inputError } from "../errors.js";
import type { ColumnInfo } from "./schema.js";
import { numberColumn, parseNumber } from "./schema.js";
import type { RawTable } from "./table.js";

/** The most frequent categories a column keeps; rarer ones share the unknown bucket. */
export const MAX_CATEGORIES = 100;

export type FeatureEncoding =
  | { name: string; type: "numeric"; mean: number; std: number }
  | { name: string; type: "categorical"; categories: string[] };

/** Width of the encoded feature vector: 1 per numeric column, categories + 1 (unknown) per categorical one. */
export function encodedWidth(encodings: readonly FeatureEncoding[]): number {
  return encodings.reduce((w, e) => w + (e.type === "numeric" ? 1 : e.categories.length + 1), 0);
}

/** Fits the encoding of each feature column on the given (training) rows. */
export function fitEncodings(table: RawTable, features: readonly ColumnInfo[], rows: Int32Array): FeatureEncoding[] {
  return features.map((f) => {
    const c = table.columns.indexOf(f.name);
    if (f.kind === "numeric") {
      const x = numberColumn(table, c);
      let n = 0;
      let sum = 0;
      for (const r of rows) {
        if (Number.isNaN(x[r])) continue;
        n++;
        sum += x[r];
      }
      const mean = n > 0 ? sum / n : 0;
      let ss = 0;
      for (const r of rows) if (!Number.isNaN(x[r])) ss += (x[r] - mean) ** 2;
      const std = n > 0 ? Math.sqrt(ss / n) : 0;
      // A constant column is centred, not scaled.
      return { name: f.name, type: "numeric", mean, std: std > 1e-12 ? std : 1 };
    }
    if (f.kind !== "categorical") throw new Error(`column '${f.name}' of kind ${f.kind} is not a feature`);
    const counts = new Map<string, number>();
    for (const r of rows) {
      const v = table.values[c][r];
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const categories = [...counts.entries()]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, MAX_CATEGORIES)
      .map(([v]) => v)
      .sort(compareLabels);
    return { name: f.name, type: "categorical", categories };
  });
}

/** Orders labels numerically when both are numbers, else by code point. */
export function compareLabels(a: string, b: string): number {
  const x = parseNumber(a);
  const y = parseNumber(b);
  if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

export type EncodedTarget = { task: "regression"; values: Float32Array } | { task: "classification"; values: Float32Array; labels: string[] };

const INFINITE = new Set(["Infinity", "+Infinity", "-Infinity", "inf", "+inf", "-inf", "Inf", "-Inf", "INF", "-INF"]);

/**
 * The target column as numbers: values for regression, class indices into the sorted `labels` for
 * classification. A missing or infinite target is an error naming its row.
 */
export function encodeTarget(table: RawTable, target: string, task: "regression" | "classification"): EncodedTarget {
  const c = table.columns.indexOf(target);
  const cells = table.values[c];
  const where = (r: number) => ({ file: table.source, row: table.rowLabel(r), column: target });
  for (let r = 0; r < cells.length; r++) {
    const v = cells[r];
    if (v === null) throw inputError("the target is missing (every training row needs one)", where(r));
    if (INFINITE.has(v)) throw inputError(`the target is ${v}; it must be finite`, where(r));
  }
  if (task === "regression") {
    const values = new Float32Array(cells.length);
    for (let r = 0; r < cells.length; r++) {
      const n = parseNumber(cells[r]!);
      if (Number.isNaN(n)) throw inputError(`'${cells[r]}' is not a number, and a regression target must be (use --task classification for labels)`, where(r));
      values[r] = n;
    }
    return { task, values };
  }
  const labels = [...new Set(cells as string[])].sort(compareLabels);
  if (labels.length < 2) throw inputError(`classification needs at least two classes; the target has only '${labels[0]}'`, { file: table.source, column: target });
  const index = new Map(labels.map((l, i) => [l, i]));
  const values = Float32Array.from(cells as string[], (v) => index.get(v)!);
  return { task, values, labels };
}
