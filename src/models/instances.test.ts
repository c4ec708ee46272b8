import { expect, test } from "vitest";
import { MaasError } from "../errors.js";
import type { Feature } from "./card.js";
import { instancesTable } from "./instances.js";

const features: Feature[] = [
  { name: "a", type: "numeric", encoding: { standardize: { mean: 0, std: 1 } } },
  { name: "c", type: "categorical", encoding: { oneHot: { categories: ["x", "y"] } } },
];

test("valid instances become a table; null is a missing value; numbers are read as category text", () => {
  const t = instancesTable(features, [{ a: 1.5, c: "x" }, { a: null, c: 7 }]);
  expect(t.columns).toEqual(["a", "c"]);
  expect(t.values).toEqual([["1.5", null], ["x", "7"]]);
});

test("every problem is listed: missing, unknown, wrongly typed, not an object", () => {
  let error: MaasError | undefined;
  try {
    instancesTable(features, [{ a: "1" }, { a: 1, c: "x", z: 0 }, 5]);
  } catch (e) {
    error = e as MaasError;
  }
  expect(error).toBeInstanceOf(MaasError);
  expect(error!.code).toBe("unprocessable");
  expect(error!.message).toMatch(/^instance 0 'a': expected a number, got "1"; instance 0 'c': missing/);
  expect((error!.details as { problems: unknown[] }).problems).toEqual([
    { instance: 0, field: "a", problem: 'expected a number, got "1"' },
    { instance: 0, field: "c", problem: "missing (send null for an unknown value)" },
    { instance: 1, field: "z", problem: "not a feature of this model" },
    { instance: 2, field: "", problem: "an instance must be an object of feature values" },
  ]);
});
