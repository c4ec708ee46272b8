// Local files as request bodies: streamed, never read whole, with the content type their extension says.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { Readable } from "node:stream";
import { MaasError } from "../errors.js";

/** Upload content types of the table formats the server reads, by file extension. */
export const TABLE_CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".csv": "text/csv",
  ".txt": "text/plain",
  ".tsv": "text/tab-separated-values",
  ".json": "application/json",
  ".ndjson": "application/x-ndjson",
  ".jsonl": "application/x-ndjson",
};

/** The content type of a table file, from its extension; a bad-input error for any other. */
export function tableContentType(path: string): string {
  const type = TABLE_CONTENT_TYPES[extname(path).toLowerCase()];
  if (!type) {
    throw new MaasError("bad_input", `${path}: cannot tell the table format from the extension (use ${Object.keys(TABLE_CONTENT_TYPES).join(", ")})`);
  }
  return type;
}

/** A file as a web stream, after checking it exists (a bad-input error naming it otherwise). */
export async function fileBody(path: string): Promise<ReadableStream<Uint8Array>> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new MaasError("bad_input", `${path}: not a file`);
  } catch (e) {
    if (e instanceof MaasError) throw e;
    throw new MaasError("bad_input", `${path}: no such file`);
  }
  return Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>;
}
