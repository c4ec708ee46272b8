import { describe, expect, test } from "vitest";
import { MaasError } from "../errors.js";
import { compareLabels, encodeTarget, encodedWidth, fitEncodings } from "./encoders.js";
import { inferColumn, inferSchema, numberColumn, parseNumber } from "./schema.js";
import type { RawTable } from "./table.js";
import { tableFromRows } from "./table.js";

const table = (columns: string[], rows: (string | null)[][]): RawTable => tableFromRows("t.csv", columns, rows);

describe("parseNumber", () => {
  test.each([
    ["1", 1],
    ["-2.5", -2.5],
    [".5", 0.5],
    ["1e-3", 0.001],
    ["+7", 7],
    ["0", 0],
  ])("reads %s", (s, n) => expect(parseNumber(s)).toBe(n));
  test.each(["0x1F", "0b1", "Infinity", "-Infinity", "abc", "1,5", "1.2.3", "-", ".", "+."])("rejects %s", (s) => expect(parseNumber(s)).toBeNaN());
  test("gives Number()'s double for 200,000 random decimals of up to 17 digits, signs and points anywhere", () => {
    let seed = 7;
    const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
    for (let k = 0; k < 200_000; k++) {
      let s = "";
      for (let d = 1 + next(17); d > 0; d--) s += next(10);
      const point = next(s.length + 2);
      if (point <= s.length) s = `${s.slice(0, point)}.${s.slice(point)}`;
      if (next(3) === 0) s = `${next(2) ? "-" : "+"}${s}`;
      if (!Object.is(parseNumber(s), Number(s))) expect(parseNumber(s), s).toBe(Number(s));
    }
  });
});

describe("column kinds", () => {
  const many = (f: (i: number) => string | null, n = 50) => Array.from({ length: n }, (_v, i) => f(i));
  test("numbers with gaps are numeric", () => expect(inferColumn("x", many((i) => (i % 7 ? String(i / 3) : null))).kind).toBe("numeric"));
  test("repeated strings are categorical", () => expect(inferColumn("colour", many((i) => ["red", "green", "blue"][i % 3])).kind).toBe("categorical"));
  test("unique codes are identifiers", () => expect(inferColumn("sku", many((i) => `SKU-${1000 + i}`)).kind).toBe("identifier"));
  test("unique integers named like an id are identifiers", () => expect(inferColumn("customer_id", many((i) => String(i + 1))).kind).toBe("identifier"));
  test("unique integers named otherwise are numeric", () => expect(inferColumn("area", many((i) => String(i * 13))).kind).toBe("numeric"));
  test("sentences are text", () => expect(inferColumn("review", many((i) => `this product was fine number ${i} really`)).kind).toBe("text"));
  test("an all-missing column is empty", () => expect(inferColumn("gap", many(() => null)).kind).toBe("empty"));
  test("a small table's few distinct strings stay categorical", () => expect(inferColumn("c", ["a", "b", "a", "c"]).kind).toBe("categorical"));
});

describe("overrides", () => {
  const t = table(["zip", "size", "y"], [["1000", "3", "1"], ["2000", "4", "2"], ["1000", "x", "3"]]);
  test("categorical and ignore override the inference", () => {
    const s = inferSchema(t, { categorical: ["zip"], ignore: ["y"] });
    expect(s.map((c) => c.kind)).toEqual(["categorical", "categorical", "identifier"]);
  });
  test("a numeric override with a non-number names the row and column", () => {
    expect(() => inferSchema(t, { numeric: ["size"] })).toThrow("t.csv, row 3, column 'size': 'x' is not a number");
  });
  test("an override naming no column is an error", () => {
    expect(() => inferSchema(t, { ignore: ["nope"] })).toThrow(MaasError);
    expect(() => inferSchema(t, { ignore: ["nope"] })).toThrow(/--ignore names column 'nope'/);
  });
});

describe("encodings fitted on training rows", () => {
  const t = table(
    ["x", "c", "y"],
    [
      ["1", "a", "0"],
      ["3", "b", "1"],
      [null, "a", "0"],
      ["100", "z", "1"], // a held-out row: must not move the mean or add a category
    ],
  );
  const s = inferSchema(t).filter((c) => c.name !== "y");
  const enc = fitEncodings(t, s, Int32Array.of(0, 1, 2));
  test("numeric: mean and population std of the present training values", () => {
    expect(enc[0]).toEqual({ name: "x", type: "numeric", mean: 2, std: 1 });
  });
  test("categorical: the training categories, plus one unknown column", () => {
    expect(enc[1]).toEqual({ name: "c", type: "categorical", categories: ["a", "b"] });
    expect(encodedWidth(enc)).toBe(1 + 3);
  });
  test("numberColumn marks missing cells NaN", () => expect(Array.from(numberColumn(t, 0))).toEqual([1, 3, NaN, 100]));
});

describe("targets", () => {
  test("labels are sorted, numerically when numeric", () => {
    expect(["10", "9", "b", "a", "-1"].sort(compareLabels)).toEqual(["-1", "9", "10", "a", "b"]);
    const t = table(["y"], [["10"], ["9"], ["10"]]);
    const e = encodeTarget(t, "y", "classification");
    expect(e).toEqual({ task: "classification", labels: ["9", "10"], values: Float32Array.of(1, 0, 1) });
  });
  test("a missing target names its row", () => {
    expect(() => encodeTarget(table(["y"], [["1"], [null]]), "y", "regression")).toThrow("t.csv, row 2, column 'y': the target is missing");
  });
  test("an infinite target names its row", () => {
    expect(() => encodeTarget(table(["y"], [["1"], ["Infinity"]]), "y", "regression")).toThrow("t.csv, row 2, column 'y': the target is Infinity");
  });
  test("one class is not a classification problem", () => {
    expect(() => encodeTarget(table(["y"], [["a"], ["a"]]), "y", "classification")).toThrow(/at least two classes; the target has only 'a'/);
  });
  test("a word in a regression target is an error", () => {
    expect(() => encodeTarget(table(["y"], [["1"], ["big"]]), "y", "regression")).toThrow("t.csv, row 2, column 'y': 'big' is not a number");
  });
});
