// Preprocessing as graph: raw columns in ([N, 1] float32 for numeric, [N, 1] string for categorical),
// the encoded feature matrix [N, D] out. Training runs this same graph once over the table, so the
// exported model preprocesses exactly as training did.
import type { FeatureEncoding } from "../data/encoders.js";
import { encodedWidth } from "../data/encoders.js";
import { inputError } from "../errors.js";
import { Graph } from "../engine/graph.js";
import type { Value } from "../engine/graph.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { cast, concat, div, equal, isNan, labelEncode, sub, where } from "../engine/ops.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { RawTable } from "../data/table.js";
import { numberColumn } from "../data/schema.js";

/** The batch dimension's name in every model file. */
export const BATCH = "batch";

/**
 * Declares one input per encoded column and returns the encoded matrix:
 * numeric: z = (x - mean) / std, with NaN (missing) -> 0, the mean;
 * categorical: one-hot over the categories plus a last column for anything unknown or missing.
 */
export function preprocess(g: Graph, encodings: readonly FeatureEncoding[]): Value {
  const parts = encodings.map((e) => {
    if (e.type === "numeric") {
      const x = g.input(e.name, "float32", [BATCH, 1]);
      const z = div(sub(x, e.mean), e.std);
      return where(isNan(x), 0, z);
    }
    const s = g.input(e.name, "string", [BATCH, 1]);
    const k = e.categories.length;
    const ids = labelEncode(s, e.categories, k);
    return cast(equal(ids, g.ints(Array.from({ length: k + 1 }, (_v, i) => i))), g.floatType);
  });
  return parts.length === 1 ? parts[0] : concat(parts, 1);
}

/** The raw-column feeds of a model's inputs, from a table; a column the model needs but the table lacks is an error. */
export function columnFeeds(table: RawTable, encodings: readonly FeatureEncoding[], rows?: Int32Array): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  const n = rows ? rows.length : table.rows;
  for (const e of encodings) {
    const c = table.columns.indexOf(e.name);
    if (c < 0) throw inputError(`the model needs column '${e.name}', which is missing (given: ${table.columns.join(", ")})`, { file: table.source });
    if (e.type === "numeric") {
      const all = numberColumn(table, c);
      const data = rows ? Float32Array.from(rows, (r) => all[r]) : Float32Array.from(all);
      feeds[e.name] = { dtype: "float32", dims: [n, 1], data };
    } else {
      const cells = table.values[c];
      const data = rows ? Array.from(rows, (r) => cells[r] ?? "") : cells.map((v) => v ?? "");
      feeds[e.name] = { dtype: "string", dims: [n, 1], data };
    }
  }
  return feeds;
}

/** Runs the preprocessing graph over the whole table: the [rows, D] matrix training takes. */
export async function encodeTable(runtime: Runtime, table: RawTable, encodings: readonly FeatureEncoding[]): Promise<Float32Array> {
  const g = new Graph("preprocess");
  g.output(preprocess(g, encodings), "features");
  const session = await runtime.createSession(encodeModel(g), { spinning: false });
  try {
    const out = await session.run(columnFeeds(table, encodings), ["features"]);
    const matrix = out.features.data as Float32Array;
    if (matrix.length !== table.rows * encodedWidth(encodings)) throw new Error(`preprocessing gave ${matrix.length} values for ${table.rows} rows`);
    return matrix;
  } finally {
    await session.release();
  }
}
