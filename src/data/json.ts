// The JSON reader: an array of flat objects, or NDJSON (one object per line), into a RawTable whose
// columns are the union of the records' keys in the order they first appear.
import { createReadStream } from "node:fs";
import { inputError } from "../errors.js";
import { MISSING_TOKENS } from "./table.js";
import type { RawTable } from "./table.js";

const BOM = "\ufeff";
const NDJSON_HINT = "NDJSON needs one whole object per line; for records spread over lines, use an array";

/**
 * Parses a JSON array of objects (text starting with '[') or NDJSON (starting with '{'). Numbers
 * become their JS string form, booleans "true"/"false"; null, an absent key or a missing token is a
 * missing cell. rowLabel(i) is the array index + 1, or the record's line for NDJSON.
 * @example parseJson('{"x":1}\n\n{"x":null,"y":true}\n', "a.ndjson").values // [["1", null], [null, "true"]]
 */
export function parseJson(text: string, source: string): RawTable {
  text = text.startsWith(BOM) ? text.slice(1) : text;
  const first = text.trimStart()[0];
  if (first === undefined) throw inputError("the file is empty", { file: source });
  if (first === "[") return parseArray(text, source);
  if (first !== "{") throw inputError("expected a JSON array of objects, or one JSON object per line (NDJSON)", { file: source });
  const records = new RecordColumns(source);
  text.split("\n").forEach((line, i) => addLine(records, line, i + 1));
  return records.table();
}

/** Reads a JSON or NDJSON file (see `parseJson`), streaming NDJSON line by line. `source` names it in errors. */
export async function readJsonFile(path: string, source = path): Promise<RawTable> {
  const records = new RecordColumns(source);
  let arrayLines: string[] | undefined; // not NDJSON: the lines, for parseJson to read whole
  let n = 0;
  for await (const line of splitLines(createReadStream(path, { encoding: "utf8" }))) {
    n++;
    const text = n === 1 && line.startsWith(BOM) ? line.slice(1) : line;
    if (arrayLines !== undefined) arrayLines.push(text);
    else if (records.rows > 0 || text.trim() === "" || text.trimStart().startsWith("{")) addLine(records, text, n);
    else arrayLines = [...new Array<string>(n - 1).fill(""), text];
  }
  if (arrayLines !== undefined) return parseJson(arrayLines.join("\n"), source);
  if (records.rows === 0) throw inputError("the file is empty", { file: source });
  return records.table();
}

// ---------------------------------------------------------------------------------------------
// Records to columns
// ---------------------------------------------------------------------------------------------

/** Collects flat records into columns, padding with null where a record lacks a key. */
class RecordColumns {
  private readonly index = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly values: (string | null)[][] = [];
  private readonly labels: number[] = [];

  constructor(readonly source: string) {}

  get rows(): number {
    return this.labels.length;
  }

  add(record: unknown, label: number): void {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw inputError(`expected a JSON object, found ${describe(record)}`, { file: this.source, row: label });
    }
    const r = this.labels.length;
    for (const [key, value] of Object.entries(record)) {
      const cell = this.cell(value, label, key);
      let c = this.index.get(key);
      if (c === undefined) c = this.addColumn(key, r, label);
      this.values[c].push(cell);
    }
    this.labels.push(label);
    for (const column of this.values) if (column.length === r) column.push(null);
  }

  table(): RawTable {
    if (this.names.length === 0) throw inputError("the records have no keys, so there are no columns", { file: this.source });
    const labels = this.labels;
    return { source: this.source, columns: this.names, values: this.values, rows: labels.length, rowLabel: (i) => labels[i] };
  }

  private addColumn(key: string, rowsBefore: number, label: number): number {
    if (key === "") throw inputError('an empty key ("") cannot name a column', { file: this.source, row: label });
    this.index.set(key, this.names.length);
    this.names.push(key);
    this.values.push(new Array<string | null>(rowsBefore).fill(null));
    return this.names.length - 1;
  }

  private cell(value: unknown, label: number, key: string): string | null {
    if (value === null || value === undefined) return null;
    if (typeof value === "string") return MISSING_TOKENS.has(value) ? null : value;
    if (typeof value === "number") return String(value);
    if (typeof value === "boolean") return value ? "true" : "false";
    throw inputError(`a nested ${Array.isArray(value) ? "array" : "object"}: only flat records of strings, numbers and booleans make a table`, { file: this.source, row: label, column: key });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function parseArray(text: string, source: string): RawTable {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    const { line, column, reason } = syntaxError(text, e);
    throw inputError(`invalid JSON${line === undefined ? "" : ` at line ${line}, column ${column}`}: ${reason}`, { file: source });
  }
  if (!Array.isArray(data)) throw inputError("expected a JSON array of objects", { file: source });
  if (data.length === 0) throw inputError("the array is empty: there are no records", { file: source });
  const records = new RecordColumns(source);
  data.forEach((record, i) => records.add(record, i + 1));
  return records.table();
}

/** Parses one NDJSON line into `records`; blank lines are skipped. */
function addLine(records: RecordColumns, line: string, lineNumber: number): void {
  if (line.trim() === "") return;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch (e) {
    const { column, reason } = syntaxError(line, e);
    const at = column === undefined ? "" : ` at column ${column}`;
    throw inputError(`invalid JSON${at}: ${reason} (${NDJSON_HINT})`, { file: records.source, row: lineNumber });
  }
  records.add(record, lineNumber);
}

/** The "\n"-separated lines of text arriving in chunks (JSON takes a "\r" left at the end as space). */
async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = "";
  for await (const chunk of chunks) {
    const lines = chunk.split("\n");
    lines[0] = rest + lines[0];
    rest = lines.pop()!;
    yield* lines;
  }
  yield rest;
}

/** Where a JSON.parse error points (1-based), from its "at position N", and its reason alone. */
function syntaxError(text: string, e: unknown): { line?: number; column?: number; reason: string } {
  const message = e instanceof Error ? e.message : String(e);
  const match = /\s*at position (\d+)(\s*\(line \d+ column \d+\))?/.exec(message);
  if (match === null) return { reason: message };
  const position = Number(match[1]);
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  return { line, column: position - before.lastIndexOf("\n"), reason: message.replace(match[0], "").replace(/ in JSON$/, "") };
}

/** A value's kind, for messages: "a number", "an array", "null". */
function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  const kind = typeof value;
  return kind === "object" ? "an object" : `a ${kind}`;
}
