// Reading a table from a file of any supported format: the extension says which reader, or, when it
// says nothing, the first character does.
import { open } from "node:fs/promises";
import { extname } from "node:path";
import { inputError } from "../errors.js";
import { readCsvFile } from "./csv.js";
import { readJsonFile } from "./json.js";
import type { RawTable } from "./table.js";

type Format = "csv" | "json";

const FORMAT_BY_EXTENSION: ReadonlyMap<string, Format> = new Map([
  [".csv", "csv"],
  [".tsv", "csv"],
  [".txt", "csv"],
  [".json", "json"],
  [".ndjson", "json"],
  [".jsonl", "json"],
]);

/** Bytes read to find a file's first non-blank character. */
const SNIFF_BYTES = 4096;

/**
 * Reads a CSV/TSV (.csv, .tsv, .txt) or JSON/NDJSON (.json, .ndjson, .jsonl) file. Another
 * extension is read as JSON if the file starts with '[' or '{', else as CSV. A file that cannot
 * be read is a bad_input MaasError ("FILE: no such file"). `source` (default: the path) names the
 * data in error messages and, by its extension, chooses the format.
 */
export async function readTable(path: string, source = path): Promise<RawTable> {
  try {
    const format = FORMAT_BY_EXTENSION.get(extname(source).toLowerCase()) ?? (await sniffFormat(path));
    return format === "json" ? await readJsonFile(path, source) : await readCsvFile(path, source);
  } catch (e) {
    throw fileError(e, source);
  }
}

/** JSON if the first non-blank character is '[' or '{', else CSV. */
async function sniffFormat(path: string): Promise<Format> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(SNIFF_BYTES), 0, SNIFF_BYTES, 0);
    const first = buffer.toString("utf8", 0, bytesRead).replace(/^\ufeff/, "").trimStart()[0];
    return first === "[" || first === "{" ? "json" : "csv";
  } finally {
    await file.close();
  }
}

/** A file-system error as a bad-input error naming the file; any other error as it is. */
function fileError(e: unknown, path: string): unknown {
  switch ((e as NodeJS.ErrnoException).code) {
    case "ENOENT":
    case "ENOTDIR":
      return inputError("no such file", { file: path });
    case "EISDIR":
      return inputError("is a directory, not a data file", { file: path });
    case "EACCES":
    case "EPERM":
      return inputError("permission denied", { file: path });
    default:
      return e;
  }
}
