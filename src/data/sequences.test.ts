import { describe, expect, test } from "vitest";
import { MaasError } from "../errors.js";
import { rowsAsSequences, sequencesFromInstances, slidingWindows } from "./sequences.js";
import type { RawTable } from "./table.js";
import { tableFromRows } from "./table.js";

const table = (columns: string[], rows: (string | null)[][]): RawTable => tableFromRows("t.csv", columns, rows);

/** The error a call throws (it must throw a MaasError). */
function thrown(f: () => unknown): MaasError {
  try {
    f();
  } catch (e) {
    if (e instanceof MaasError) return e;
    throw e;
  }
  throw new Error("expected a MaasError");
}

describe("rowsAsSequences", () => {
  test("each row's numeric columns are its steps, the target its label", () => {
    const t = table(["t1", "t2", "t3", "label"], [["1", "2", "3", "up"], ["3", "2", "1", "down"]]);
    const s = rowsAsSequences(t, { target: "label" });
    expect(s).toMatchObject({ source: "t.csv", count: 2, steps: 3, features: 1, columns: ["t1", "t2", "t3"], rowLabels: [1, 2] });
    expect([...s.values]).toEqual([1, 2, 3, 3, 2, 1]);
    expect(s.lengths).toBeUndefined();
    expect(s.target).toEqual({ kind: "labels", labels: ["up", "down"] });
  });

  test("a numeric target is values; task classification makes it labels", () => {
    const t = table(["y", "a", "b"], [["0.5", "1", "2"], ["1", "3", "4"]]);
    expect(rowsAsSequences(t, { target: "y" }).target).toEqual({ kind: "numeric", values: Float32Array.from([0.5, 1]) });
    expect(rowsAsSequences(t, { target: "y", task: "classification" }).target).toEqual({ kind: "labels", labels: ["0.5", "1"] });
  });

  test("no target: no target field", () => expect(rowsAsSequences(table(["a"], [["1"]])).target).toBeUndefined());

  test("missing cells at a row's end make it shorter, padded with 0", () => {
    const t = table(["t1", "t2", "t3"], [["1", "2", "3"], ["4", null, null], ["5", "6", null]]);
    const s = rowsAsSequences(t);
    expect([...s.lengths!]).toEqual([3, 1, 2]);
    expect([...s.values]).toEqual([1, 2, 3, 4, 0, 0, 5, 6, 0]);
  });

  test("ignored columns and identifiers are not steps", () => {
    const rows = Array.from({ length: 25 }, (_v, i) => [String(i + 1), `s${i}`, "0.5", String(i % 3)]);
    const s = rowsAsSequences(table(["id", "name", "t1", "t2"], rows), { ignore: ["name"] });
    expect(s.columns).toEqual(["t1", "t2"]);
    expect([...s.values.slice(0, 4)]).toEqual([0.5, 0, 0.5, 1]);
  });

  test("a gap inside a row names the row and column", () => {
    const t = table(["t1", "t2", "t3"], [["1", "2", "3"], ["1", null, "3"]]);
    expect(thrown(() => rowsAsSequences(t)).message).toBe("t.csv, row 2, column 't2': missing step inside the sequence");
  });

  test("a row with no steps names the row", () => {
    const t = table(["t1", "t2", "y"], [["1", "2", "a"], [null, null, "b"]]);
    expect(thrown(() => rowsAsSequences(t, { target: "y" })).message).toBe("t.csv, row 2: the sequence has no steps (every step column is missing)");
  });

  test("a word among a step column's numbers names the row and column", () => {
    const t = table(["t1", "t2"], [["1", "2"], ["1", "x"], ["3", "4"]]);
    expect(thrown(() => rowsAsSequences(t)).message).toBe("t.csv, row 2, column 't2': 'x' is not a number");
  });

  test("a stray word in a long column of distinct numbers is still an error, not an identifier", () => {
    const rows = Array.from({ length: 25 }, (_v, i) => ["1", i === 20 ? "x" : String(i / 7)]);
    expect(thrown(() => rowsAsSequences(table(["t1", "t2"], rows))).message).toBe("t.csv, row 21, column 't2': 'x' is not a number");
  });

  test("columns of words are named", () => {
    const t = table(["city", "t1", "kind", "y"], [["Oslo", "1", "a", "1"], ["Rome", "2", "b", "2"]]);
    expect(thrown(() => rowsAsSequences(t, { target: "y" })).message).toBe(
      "t.csv: columns 'city', 'kind' are not numeric; every step of a sequence must be a number (--ignore the columns that are not steps)",
    );
    expect(rowsAsSequences(t, { target: "y", ignore: ["city", "kind"] }).columns).toEqual(["t1"]);
  });

  test("a missing target names the row", () => {
    const t = table(["t1", "y"], [["1", "a"], ["2", null]]);
    expect(thrown(() => rowsAsSequences(t, { target: "y" })).message).toBe("t.csv, row 2, column 'y': the target is missing (every training row needs one)");
  });

  test("unknown column names and no step columns are errors", () => {
    const t = table(["t1", "y"], [["1", "2"]]);
    expect(thrown(() => rowsAsSequences(t, { target: "z" })).message).toBe("t.csv: --target names column 'z', which the file does not have (columns: t1, y)");
    expect(thrown(() => rowsAsSequences(t, { ignore: ["q"] })).message).toBe("t.csv: --ignore names column 'q', which the file does not have (columns: t1, y)");
    expect(thrown(() => rowsAsSequences(t, { target: "y", ignore: ["t1"] })).message).toBe("t.csv: no step columns: a row's numeric columns are its steps");
  });
});

describe("slidingWindows", () => {
  // The series 10, 11, ..., 19 beside a second column 0, -1, ..., -9.
  const series = table(["x", "z"], Array.from({ length: 10 }, (_v, i) => [String(10 + i), String(-i)]));

  test("windows of W steps with the value H steps after each as target", () => {
    const s = slidingWindows(series, { column: "x", window: 3, horizon: 2 });
    expect(s).toMatchObject({ count: 6, steps: 3, features: 1, columns: ["x"], rowLabels: [1, 2, 3, 4, 5, 6] });
    expect([...s.values]).toEqual([10, 11, 12, 11, 12, 13, 12, 13, 14, 13, 14, 15, 14, 15, 16, 15, 16, 17]);
    expect(s.target).toEqual({ kind: "numeric", values: Float32Array.from([14, 15, 16, 17, 18, 19]) });
  });

  test("stride and extra features", () => {
    const s = slidingWindows(series, { column: "x", window: 2, horizon: 1, stride: 3, features: ["z"] });
    expect(s).toMatchObject({ count: 3, steps: 2, features: 2, columns: ["x", "z"], rowLabels: [1, 4, 7] });
    expect([...s.values]).toEqual([10, 0, 11, -1, 13, -3, 14, -4, 16, -6, 17, -7]);
    expect(s.target).toEqual({ kind: "numeric", values: Float32Array.from([12, 15, 18]) });
  });

  test("a window exactly as long as the series allows gives one sample", () => {
    expect(slidingWindows(series, { column: "x", window: 9, horizon: 1 }).count).toBe(1);
  });

  test("a window and horizon longer than the series", () => {
    const t = table(["x"], Array.from({ length: 30 }, (_v, i) => [String(i)]));
    expect(thrown(() => slidingWindows(t, { column: "x", window: 40, horizon: 1 })).message).toBe("t.csv: the series has 30 rows; --window 40 --horizon 1 needs at least 41");
  });

  test.each([
    ["window", { window: 0, horizon: 1 }, "--window must be a positive integer, got 0"],
    ["horizon", { window: 2, horizon: 1.5 }, "--horizon must be a positive integer, got 1.5"],
    ["stride", { window: 2, horizon: 1, stride: -1 }, "--stride must be a positive integer, got -1"],
  ])("a bad %s", (_name, sizes, message) => expect(thrown(() => slidingWindows(series, { column: "x", ...sizes })).message).toBe(message));

  test("a missing or non-numeric value names the row", () => {
    const gap = table(["x", "z"], [["1", "1"], [null, "2"], ["3", "3"], ["4", "4"]]);
    expect(thrown(() => slidingWindows(gap, { column: "x", window: 2, horizon: 1 })).message).toBe(
      "t.csv, row 2, column 'x': missing value in the series (every step of a time series needs one)",
    );
    const word = table(["x", "z"], [["1", "1"], ["2", "two"], ["3", "3"], ["4", "4"]]);
    expect(thrown(() => slidingWindows(word, { column: "x", window: 2, horizon: 1, features: ["z"] })).message).toBe("t.csv, row 2, column 'z': 'two' is not a number");
  });

  test("unknown columns and the series among the features", () => {
    expect(thrown(() => slidingWindows(series, { column: "q", window: 2, horizon: 1 })).message).toBe("t.csv: --column names column 'q', which the file does not have (columns: x, z)");
    expect(thrown(() => slidingWindows(series, { column: "x", window: 2, horizon: 1, features: ["x"] })).message).toBe(
      "t.csv: --features names the series column 'x', which is always the first feature",
    );
  });
});

describe("sequencesFromInstances", () => {
  test("numbers (F = 1) with shorter sequences padded", () => {
    const s = sequencesFromInstances([{ sequence: [1, 2, 3] }, { sequence: [4] }], 3, 1);
    expect(s).toMatchObject({ source: "request", count: 2, steps: 3, features: 1, columns: [], rowLabels: [1, 2] });
    expect([...s.values]).toEqual([1, 2, 3, 4, 0, 0]);
    expect([...s.lengths!]).toEqual([3, 1]);
    expect(s.target).toBeUndefined();
  });

  test("arrays of F numbers; full lengths have no lengths field", () => {
    const s = sequencesFromInstances([{ sequence: [[1, 2], [3, 4]] }], 2, 2);
    expect([...s.values]).toEqual([1, 2, 3, 4]);
    expect(s.lengths).toBeUndefined();
    expect([...sequencesFromInstances([{ sequence: [[5], 6] }], 2, 1).values]).toEqual([5, 6]);
  });

  test("every problem is listed", () => {
    const e = thrown(() => sequencesFromInstances([{ sequence: [1, "a"] }, [1, 2], { sequence: [] }, { sequence: [1, 2, 3, 4] }, { sequence: [1], extra: 1 }], 3, 1));
    expect(e.code).toBe("unprocessable");
    expect(e.message).toBe('instance 0: step 1: expected a number, got "a"; instance 1: expected {sequence: [numbers]}; instance 2: the sequence is empty (and 2 more)');
    expect(e.details).toEqual({
      problems: [
        { instance: 0, problem: 'step 1: expected a number, got "a"' },
        { instance: 1, problem: "expected {sequence: [numbers]}" },
        { instance: 2, problem: "the sequence is empty" },
        { instance: 3, problem: "the sequence has 4 steps; the model takes at most 3" },
        { instance: 4, problem: "'extra' is not a field of a sequence instance" },
      ],
    });
  });

  test("steps of the wrong width or with non-finite numbers", () => {
    const e = thrown(() => sequencesFromInstances([{ sequence: [[1, 2, 3], [1, Infinity], 7] }, null], 4, 2));
    expect(e.details).toEqual({
      problems: [
        { instance: 0, problem: "step 0: expected an array of 2 numbers, got [1,2,3]" },
        { instance: 0, problem: "step 1: expected an array of 2 numbers, got [1,null]" },
        { instance: 0, problem: "step 2: expected an array of 2 numbers, got 7" },
        { instance: 1, problem: "expected {sequence: [[2 numbers], ...]}" },
      ],
    });
  });
});
