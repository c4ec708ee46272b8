// Prediction requests' instances ({column: value, ...}) checked against a model's features and
// turned into a table. Every problem is reported, not just the first.
import { decodeImage } from "../data/image-read.js";
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

/** An image model's input shape, as its card records it. */
export interface ImageInput {
  channels: number;
  height: number;
  width: number;
}

/**
 * The images of `instances` ({image: "<base64 PNG or JPEG>"} each), decoded and converted to the
 * model's channels and size (resized if needed). Every bad instance is listed.
 */
export function instancesImages(shape: ImageInput, instances: readonly unknown[]): { count: number; channels: 1 | 3; height: number; width: number; pixels: Uint8Array } {
  const channels = shape.channels as 1 | 3;
  const size = channels * shape.height * shape.width;
  const pixels = new Uint8Array(instances.length * size);
  const problems: InstanceProblem[] = [];
  instances.forEach((inst, i) => {
    const image = typeof inst === "object" && inst !== null && !Array.isArray(inst) ? (inst as Record<string, unknown>).image : undefined;
    if (typeof image !== "string" || image.length === 0) {
      problems.push({ instance: i, field: "image", problem: "expected {image: \"<base64 PNG or JPEG>\"}" });
      return;
    }
    const extra = Object.keys(inst as object).filter((k) => k !== "image");
    if (extra.length > 0) problems.push({ instance: i, field: extra[0], problem: "not a field of an image instance" });
    try {
      pixels.set(decodeImage(Buffer.from(image, "base64"), { channels, height: shape.height, width: shape.width }, `instances[${i}].image`), i * size);
    } catch (e) {
      problems.push({ instance: i, field: "image", problem: e instanceof Error ? e.message : String(e) });
    }
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, 3).map((p) => `instance ${p.instance} '${p.field}': ${p.problem}`);
    throw new MaasError("unprocessable", `${shown.join("; ")}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ""}`, { problems: problems.slice(0, MAX_REPORTED) });
  }
  return { count: instances.length, channels, height: shape.height, width: shape.width, pixels };
}
