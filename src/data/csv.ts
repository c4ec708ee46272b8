// The CSV reader: papaparse's low-level Parser, fed chunk by chunk, writes each record straight into
// column arrays. Papaparse does not say which cells were quoted, and quoted cells keep their
// surrounding spaces; so the rare row where that matters (a padded cell in a row with a quote in it)
// is scanned again to find its quoted fields.
import { createReadStream } from "node:fs";
import { extname } from "node:path";
import Papa from "papaparse";
import { inputError } from "../errors.js";
import type { MaasError } from "../errors.js";
import { MISSING_TOKENS } from "./table.js";
import type { RawTable } from "./table.js";

const QUOTE = '"';
const BOM = "\ufeff";
/** Bytes read from disk at a time. */
const CHUNK_BYTES = 1 << 20;
const SPACE_BEFORE_QUOTE = "a space before an opening quote: start a quoted field right after the delimiter";
const LONGEST_MISSING_TOKEN = Math.max(...[...MISSING_TOKENS].map((t) => t.length));

/** What papaparse's low-level Parser passes to `step`: one record, its errors, where it ends. */
interface StepResult {
  data: string[][];
  errors: Papa.ParseError[];
  meta: { cursor: number };
}

/**
 * Parses CSV text with a header row. `source` names the text in error messages; a `.tsv` source is
 * tab-separated. rowLabel(i) = i + 1: data rows count from 1, the header and blank lines not counted.
 * @example parseCsv("x,y\n1,NA\n", "points.csv").values // [["1"], [null]]
 */
export function parseCsv(text: string, source: string): RawTable {
  return new CsvReader(source).end(text);
}

/**
 * Parses CSV arriving in pieces (a file or request body decoded to text), as `parseCsv` does, without
 * holding the whole text.
 */
export async function parseCsvChunks(chunks: AsyncIterable<string> | Iterable<string>, source: string): Promise<RawTable> {
  const reader = new CsvReader(source);
  for await (const chunk of chunks) reader.push(chunk);
  return reader.end("");
}

/** Reads a CSV (or, by extension, TSV) file from disk, streaming; see `parseCsv`. `source` names it in errors. */
export function readCsvFile(path: string, source = path): Promise<RawTable> {
  return parseCsvChunks(createReadStream(path, { encoding: "utf8", highWaterMark: CHUNK_BYTES }), source);
}

// ---------------------------------------------------------------------------------------------
// The reader
// ---------------------------------------------------------------------------------------------

class CsvReader {
  private parser: Papa.Parser | undefined;
  private delimiter = ",";
  /** Text not parsed yet: the incomplete last record of what was pushed. */
  private pending = "";
  /** The text papaparse is parsing now, and where its current record starts. */
  private input = "";
  private recordStart = 0;
  private header: string[] | undefined;
  private values: (string | null)[][] = [];
  private rows = 0;

  constructor(private readonly source: string) {}

  push(text: string): void {
    this.parse(this.pending + text, false);
  }

  end(text: string): RawTable {
    this.parse(endLastLine(this.pending + text), true);
    if (this.header === undefined) throw inputError("the file is empty", { file: this.source });
    if (this.rows === 0) throw inputError("has a header but no data rows", { file: this.source });
    return { source: this.source, columns: this.header, values: this.values, rows: this.rows, rowLabel: (i) => i + 1 };
  }

  private parse(text: string, final: boolean): void {
    if (this.parser === undefined) {
      text = text.startsWith(BOM) ? text.slice(1) : text;
      const delimiter = this.detectDelimiter(text, final);
      if (delimiter === undefined) {
        this.pending = text; // the header line is not complete yet
        return;
      }
      this.delimiter = delimiter;
      this.parser = new Papa.Parser({ delimiter, newline: "\n", quoteChar: QUOTE, step: (r: unknown) => this.onRecord(r as StepResult) });
    }
    this.input = text;
    this.recordStart = 0;
    // Records are handed to onRecord; errors about an incomplete last record are not final, and
    // the record is parsed again with the next chunk.
    const result = this.parser.parse(text, 0, !final) as StepResult;
    this.pending = final ? "" : text.slice(result.meta.cursor);
  }

  /**
   * The delimiter: tab for .tsv; else comma, unless the header line has no comma outside quotes but
   * a tab or semicolon (undefined: the header line is not complete yet).
   */
  private detectDelimiter(text: string, final: boolean): string | undefined {
    if (extname(this.source).toLowerCase() === ".tsv") return "\t";
    const header = headerLine(text, final);
    if (header === undefined) return undefined;
    if (header.includes(",")) return ",";
    if (header.includes("\t")) return "\t";
    return header.includes(";") ? ";" : ",";
  }

  private onRecord(result: StepResult): void {
    const fields = result.data[0];
    const start = this.recordStart;
    const end = result.meta.cursor;
    this.recordStart = end;
    if (result.errors.length > 0) throw this.quoteError(result.errors[0], fields, start, end);
    if (fields.length === 1 && fields[0].trim() === "" && !this.hasQuote(start, end)) return; // a blank line
    if (this.header === undefined) this.setHeader(this.cellTexts(fields, start, end));
    else this.addRecord(fields, start, end);
  }

  private setHeader(names: string[]): void {
    const seen = new Map<string, number>();
    names.forEach((name, c) => {
      if (name.trim() === "") throw inputError(`the header's column ${c + 1} has no name`, { file: this.source });
      const first = seen.get(name);
      if (first !== undefined) throw inputError(`duplicate column name (columns ${first + 1} and ${c + 1})`, { file: this.source, column: name });
      seen.set(name, c);
    });
    this.header = names;
    this.values = names.map(() => []);
  }

  private addRecord(fields: string[], start: number, end: number): void {
    const width = this.values.length;
    if (fields.length !== width) {
      // A quoted field after a space is split at its commas: say that rather than count fields.
      const early = fields.findIndex((f) => mayBePadded(f) && !f.startsWith(QUOTE) && f.trimStart().startsWith(QUOTE));
      if (early !== -1) throw this.error(SPACE_BEFORE_QUOTE, early);
      throw inputError(`expected ${width} fields, found ${fields.length}`, { file: this.source, row: this.rows + 1 });
    }
    const cells = this.cellTexts(fields, start, end);
    for (let c = 0; c < width; c++) {
      const text = cells[c];
      this.values[c].push(text.length <= LONGEST_MISSING_TOKEN && MISSING_TOKENS.has(text) ? null : text);
    }
    this.rows++;
  }

  /** The record's cell texts, unquoted ones trimmed (in place). */
  private cellTexts(fields: string[], start: number, end: number): string[] {
    let quoted: boolean[] | undefined;
    for (let c = 0; c < fields.length; c++) {
      const text = fields[c];
      if (!mayBePadded(text)) continue;
      const trimmed = text.trim();
      if (trimmed.length === text.length) continue;
      quoted ??= this.hasQuote(start, end) ? fieldStarts(this.input, start, end, this.delimiter).map((s) => this.input[s] === QUOTE) : [];
      if (quoted[c]) continue;
      if (trimmed.startsWith(QUOTE) && !text.startsWith(QUOTE)) throw this.error(SPACE_BEFORE_QUOTE, c);
      fields[c] = trimmed;
    }
    return fields;
  }

  private hasQuote(start: number, end: number): boolean {
    const q = this.input.indexOf(QUOTE, start);
    return q !== -1 && q < end;
  }

  /** Papaparse's quote errors, as the one-line messages the rest of the reader gives. */
  private quoteError(e: Papa.ParseError, fields: string[], start: number, end: number): MaasError {
    if (e.code === "MissingQuotes") return this.error("unterminated quoted field: a quote opens it and none closes it", fields.length - 1);
    if (e.code === "InvalidQuotes") {
      // e.index is just after the field's opening quote.
      const at = e.index ?? start;
      const column = fieldStarts(this.input, start, end, this.delimiter).filter((s) => s < at).length - 1;
      return this.error('text after the closing quote of a quoted field (write a quote inside one as "")', column);
    }
    return this.error(e.message);
  }

  /** An error about the current record (or the header), naming the column at `index` if known. */
  private error(message: string, index?: number): MaasError {
    if (this.header === undefined) return inputError(`${message} (in the header)`, { file: this.source });
    const column = index === undefined ? undefined : this.header[index];
    return inputError(message, { file: this.source, row: this.rows + 1, column });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * The first non-blank line, trimmed, without its quoted parts (a quoted newline ends it early: it is
 * only read for its delimiter); undefined if it has not ended and more text may come.
 */
function headerLine(text: string, final: boolean): string | undefined {
  const start = text.search(/\S/);
  if (start === -1) return final ? "" : undefined;
  const end = text.indexOf("\n", start);
  if (end === -1 && !final) return undefined;
  const line = text.slice(start, end === -1 ? undefined : end);
  return line.split(QUOTE).filter((_, i) => i % 2 === 0).join("").trim();
}

/**
 * The text with a newline added when it ends in a closing quote and spaces: papaparse allows spaces
 * after a closing quote only before a delimiter or newline.
 */
function endLastLine(text: string): string {
  let i = text.length;
  while (i > 0 && (text[i - 1] === " " || text[i - 1] === "\t" || text[i - 1] === "\r")) i--;
  return i < text.length && text[i - 1] === QUOTE ? text + "\n" : text;
}

/** Whether a cell may start or end with whitespace: a cheap test before `trim`. */
function mayBePadded(text: string): boolean {
  if (text.length === 0) return false;
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  return first <= 32 || first > 126 || last <= 32 || last > 126;
}

/**
 * Where each field of the record input[start, end) starts, the way papaparse splits it: a field is
 * quoted when it starts with a quote, and "" inside it is an escaped quote.
 */
function fieldStarts(input: string, start: number, end: number, delimiter: string): number[] {
  const starts: number[] = [];
  let i = start;
  for (;;) {
    starts.push(i);
    if (input[i] === QUOTE) {
      const close = closingQuote(input, i);
      if (close === -1) return starts;
      i = close + 1;
    }
    const next = input.indexOf(delimiter, i);
    if (next === -1 || next >= end) return starts;
    i = next + delimiter.length;
  }
}

/** The quote that closes the quoted field opening at `open`, or -1. */
function closingQuote(input: string, open: number): number {
  let q = open;
  for (;;) {
    q = input.indexOf(QUOTE, q + 1);
    if (q === -1 || input[q + 1] !== QUOTE) return q;
    q++;
  }
}
