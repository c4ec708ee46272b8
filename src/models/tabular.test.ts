// Table in, model file out: preprocessing inside the graph, labels, the card, bad input.
import { describe, expect, test } from "vitest";
import { checkOnnxModel, hasOnnxChecker } from "../engine/onnx-checker-fixtures.js";
import type { FeatureEncoding } from "../data/encoders.js";
import type { RawTable } from "../data/table.js";
import { tableFromRows } from "../data/table.js";
import { Random } from "../engine/random.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import { ModelFile } from "./model-file.js";
import { encodeTable } from "./preprocess.js";
import type { TabularSpecInput } from "./spec.js";
import { TabularSpecSchema } from "./spec.js";
import { trainTable } from "./tabular.js";
import { trainingSplit } from "./trainer.js";

const runtime = defaultRuntime();
const spec = (s: TabularSpecInput) => TabularSpecSchema.parse(s);

/** y = 2 x1 - 3 x2 + offset[colour] + 1 + noise, with some x1 missing. */
function plantedRegression(rows: number, seed: number): RawTable {
  const rng = new Random(seed);
  const offset: Record<string, number> = { red: 0, green: 1, blue: 2 };
  const cells: (string | null)[][] = [];
  for (let i = 0; i < rows; i++) {
    const x1 = rng.uniform();
    const x2 = rng.uniform();
    const colour = ["red", "green", "blue"][rng.int(3)];
    const y = 2 * x1 - 3 * x2 + offset[colour] + 1 + 0.01 * rng.normal();
    cells.push([i % 10 === 3 ? null : String(x1), String(x2), colour, `id-${i}`, String(y)]);
  }
  return tableFromRows("planted.csv", ["x1", "x2", "colour", "ref", "y"], cells);
}

function threeClasses(rows: number, seed: number): RawTable {
  const rng = new Random(seed);
  const names = ["setosa", "versicolor", "virginica"];
  const cells = Array.from({ length: rows }, (_v, i) => {
    const k = i % 3;
    return [String(k + 0.3 * rng.uniform()), String(2 * k - 0.3 * rng.uniform()), names[k]];
  });
  return tableFromRows("cls.csv", ["f1", "f2", "species"], cells);
}

describe("preprocessing graph", () => {
  test("standardises, imputes the mean, one-hot encodes with an unknown bucket", async () => {
    const t = tableFromRows("p.csv", ["x", "c"], [["3", "b"], [null, "zz"], ["0", null], ["1.5", "a"]]);
    const enc: FeatureEncoding[] = [
      { name: "x", type: "numeric", mean: 1, std: 2 },
      { name: "c", type: "categorical", categories: ["a", "b"] },
    ];
    const m = await encodeTable(runtime, t, enc);
    // columns: z, [a, b, unknown]
    expect(Array.from(m)).toEqual([1, 0, 1, 0, 0, 0, 0, 1, -0.5, 0, 0, 1, 0.25, 1, 0, 0]);
  });
});

describe("trainTable", () => {
  test("a linear model learns a planted relation through numeric and categorical columns", async () => {
    const t = plantedRegression(300, 1);
    const result = await trainTable(t, spec({ target: "y", model: { kind: "linear" } }));
    expect(result.card.task).toBe("regression");
    expect(result.card.features.map((f) => f.name)).toEqual(["x1", "x2", "colour"]);
    expect(result.columns.find((c) => c.name === "ref")!.kind).toBe("identifier");
    // A tenth of x1 is missing (imputed by its mean): that caps R² near 0.98 on this data.
    expect(result.card.metrics.r2).toBeGreaterThan(0.97);
    // The file answers raw columns; the target and unused columns are ignored.
    const file = ModelFile.parse(result.onnx, "m.onnx");
    const q = tableFromRows("q.csv", ["colour", "x2", "x1", "extra"], [["blue", "0", "0", "?"], ["red", "1", "0.5", "x"]]);
    const preds = await file.predict(runtime, q);
    expect(preds[0].prediction as number).toBeCloseTo(3, 1);
    expect(preds[1].prediction as number).toBeCloseTo(-1, 1);
  });

  test("a classifier answers the labels as they appear in the data, with probabilities", async () => {
    const result = await trainTable(threeClasses(300, 2), spec({ target: "species", model: { kind: "logistic" } }));
    expect(result.card.labels).toEqual(["setosa", "versicolor", "virginica"]);
    const file = ModelFile.parse(result.onnx, "m.onnx");
    const q = tableFromRows("q.csv", ["f1", "f2"], [["0.1", "-0.1"], ["1.1", "1.9"], ["2.1", "3.9"]]);
    const preds = await file.predict(runtime, q);
    expect(preds.map((p) => p.prediction)).toEqual(["setosa", "versicolor", "virginica"]);
    for (const p of preds) expect(Object.values(p.probabilities!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const ev = await file.evaluate(runtime, threeClasses(90, 3));
    expect(ev.metrics.accuracy).toBe(1);
    expect(ev.task === "classification" && ev.confusion).toEqual([[30, 0, 0], [0, 30, 0], [0, 0, 30]]);
  });

  test("the card survives the file: task, features, labels, dataset fingerprint, version", async () => {
    const t = threeClasses(60, 4);
    const result = await trainTable(t, spec({ target: "species", model: { kind: "mlp", hidden: [8] }, training: { epochs: 3 } }));
    const card = ModelFile.parse(result.onnx, "m.onnx").card!;
    expect(card).toEqual(result.card);
    expect(card.dataset).toMatchObject({ rows: 60, columns: 3, trainRows: 48, validationRows: 12 });
    expect(card.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await trainTable(t, spec({ target: "species", model: { kind: "mlp", hidden: [8] }, training: { epochs: 3 } }));
    expect(again.card.dataset.sha256).toBe(card.dataset.sha256);
  });

  test("preprocessing is fitted on the training rows only", async () => {
    const t = plantedRegression(100, 5);
    const result = await trainTable(t, spec({ target: "y", model: { kind: "linear" }, training: { epochs: 2, validationSplit: 0.5 } }));
    const x2 = result.card.features.find((f) => f.name === "x2")!;
    const trainRows = result.card.dataset.trainRows;
    expect(trainRows).toBe(50);
    // The mean of x2 over all rows differs from the stored one, which is over the 50 training rows.
    const all = t.values[1].map(Number);
    const fullMean = all.reduce((a, b) => a + b, 0) / all.length;
    expect("standardize" in x2.encoding && x2.encoding.standardize.mean).not.toBeCloseTo(fullMean, 6);
  });
});

describe("bad input", () => {
  const t = plantedRegression(40, 6);
  test.each<[string, TabularSpecInput, RegExp]>([
    ["a misspelt target", { target: "Y", model: { kind: "linear" } }, /planted.csv: there is no target column 'Y' \(columns: x1, x2, colour, ref, y\)/],
    ["linear for labels", { target: "colour", model: { kind: "linear" } }, /planted.csv, row 1, column 'colour': 'red' is not a number/],
    ["logistic for a regression task", { target: "y", task: "regression", model: { kind: "logistic" } }, /--model logistic does classification/],
  ])("%s", async (_name, s, message) => {
    await expect(trainTable(t, spec(s))).rejects.toThrow(message);
  });

  test("a prediction table that lacks a model column names it", async () => {
    const result = await trainTable(plantedRegression(60, 7), spec({ target: "y", model: { kind: "linear" }, training: { epochs: 2 } }));
    const q = tableFromRows("q.csv", ["x1", "colour"], [["1", "red"]]);
    await expect(ModelFile.parse(result.onnx, "m.onnx").predict(runtime, q)).rejects.toThrow(/q.csv: the model needs column 'x2'/);
  });

  test("a file that is not ONNX is a bad-input error", () => {
    expect(() => ModelFile.parse(new TextEncoder().encode("a,b\n1,2\n"), "data.csv")).toThrow(/data.csv: not an ONNX model file/);
  });
});

// The exported file must pass the ONNX checker of the reference implementation.
describe.skipIf(!hasOnnxChecker)("onnx.checker (python3-onnx)", () => {
  test("accepts regression and classification model files, full check with shape inference", async () => {
    const reg = await trainTable(plantedRegression(60, 8), spec({ target: "y", model: { kind: "mlp", hidden: [4] }, training: { epochs: 2 } }));
    const cls = await trainTable(threeClasses(60, 9), spec({ target: "species", model: { kind: "mlp", hidden: [4], activation: "gelu" }, training: { epochs: 2 } }));
    expect(checkOnnxModel(reg.onnx)).toBe("8 17");
    expect(checkOnnxModel(cls.onnx)).toBe("8 17");
  });
});

describe("defaults that need no tuning", () => {
  /** Least-squares fitted values of y on [x, 1], over `rows`, by the normal equations in float64. */
  function leastSquaresFit(x: number[][], y: number[], rows: Int32Array): (z: number[]) => number {
    const p = x[0].length + 1;
    const a = Array.from({ length: p }, () => new Float64Array(p + 1));
    for (const r of rows) {
      const z = [...x[r], 1];
      for (let j = 0; j < p; j++) {
        for (let k = 0; k < p; k++) a[j][k] += z[j] * z[k];
        a[j][p] += z[j] * y[r];
      }
    }
    for (let c = 0; c < p; c++) {
      const piv = a.slice(c).reduce((best, row, i) => (Math.abs(row[c]) > Math.abs(a[best][c]) ? c + i : best), c);
      [a[c], a[piv]] = [a[piv], a[c]];
      for (let r = 0; r < p; r++) {
        if (r === c) continue;
        const f = a[r][c] / a[c][c];
        for (let k = c; k <= p; k++) a[r][k] -= f * a[c][k];
      }
    }
    const w = a.map((row, j) => row[p] / row[j]);
    return (z) => [...z, 1].reduce((s, v, j) => s + v * w[j], 0);
  }

  test("a linear model with no training flags reaches the least-squares solution on strongly correlated columns", async () => {
    const rng = new Random(1);
    const x: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 500; i++) {
      const common = rng.normal();
      // correlation 0.99 between columns, and scales from 1 to 8: an ill-conditioned design
      const row = Array.from({ length: 8 }, (_v, j) => (0.99 * common + Math.sqrt(1 - 0.99 ** 2) * rng.normal()) * (j + 1) + j);
      x.push(row);
      y.push(row.reduce((s, v, j) => s + v * ((j % 3) - 1), 0) + rng.normal());
    }
    const columns = [...x[0].map((_v, j) => `x${j}`), "y"];
    const t = tableFromRows("corr.csv", columns, x.map((r, i) => [...r.map(String), String(y[i])]));
    const s = spec({ target: "y", model: { kind: "linear" } });
    const result = await trainTable(t, s);
    const { train } = trainingSplit(s.training, { task: "regression", classes: 1 }, Float32Array.from(y));
    const fitted = leastSquaresFit(x, y, train);
    const preds = await ModelFile.parse(result.onnx, "m.onnx").predict(runtime, t);
    const scale = Math.sqrt(y.reduce((a, v) => a + v * v, 0) / y.length);
    for (const r of train) expect(Math.abs((preds[r].prediction as number) - fitted(x[r]))).toBeLessThan(1e-3 * scale);
  });
});
