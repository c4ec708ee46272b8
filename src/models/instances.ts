// Prediction requests' instances ({column: value, ...}) checked against a model's features and
// turned into a table. Every problem is reported, not just the first.
import type { RawTable } from "../data/table.js";
import { tableFromRows } from "../data/table.js";
import { MaasError } from "../errors.js";
import type { Feature } from "./card.js";

export interface InstanceProblem {
  instance: number;
  field: string;
  problem: string;
}

const MAX_REPORTED = 20;

/**
 * The table of `instances` for a model with `features`: numeric features take a finite number or
 * null (missing), categorical ones a string (numbers and booleans are read as their text) or null.
 * A missing or unknown field, or a value of the wrong type, is an `unprocessable` error listing each.
 */
export function instancesTable(features: readonly Feature[], instances: readonly unknown[]): RawTable {
  const problems: InstanceProblem[] = [];
  const names = new Set(features.map((f) => f.name));
  const rows = instances.map((inst, i) => {
    if (typeof inst !== "object" || inst === null || Array.isArray(inst)) {
      problems.push({ instance: i, field: "", problem: "an instance must be an object of feature values" });
      return [];
    }
    const record = inst as Record<string, unknown>;
    for (const k of Object.keys(record)) if (!names.has(k)) problems.push({ instance: i, field: k, problem: "not a feature of this model" });
    return features.map((f) => {
      if (!(f.name in record)) {
        problems.push({ instance: i, field: f.name, problem: "missing (send null for an unknown value)" });
        return null;
      }
      const v = record[f.name];
      if (v === null) return null;
      if (f.type === "numeric") {
        if (typeof v === "number" && Number.isFinite(v)) return String(v);
        problems.push({ instance: i, field: f.name, problem: `expected a number, got ${JSON.stringify(v)}` });
        return null;
      }
      if (typeof v === "string") return v;
      if (typeof v === "number" || typeof v === "boolean") return String(v);
      problems.push({ instance: i, field: f.name, problem: `expected a string, got ${JSON.stringify(v)}` });
      return null;
    });
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).map((p) => `instance ${p.instance}${p.field ? ` '${p.field}'` : ""}: ${p.problem}`);
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    throw new MaasError("unprocessable", `${shown.join("; ")}${more}; the model's features are ${features.map((f) => `${f.name} (${f.type})`).join(", ")}`, {
      problems: problems.slice(0, MAX_REPORTED),
    });
  }
  return tableFromRows("request", features.map((f) => f.name), rows);
}
