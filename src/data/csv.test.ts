// The CSV reader: every format rule and error, a seeded round trip against a writer that quotes by
// RFC 4180 (parsed whole, in random chunks and from disk), and a large numeric file from disk.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Random } from "../engine/random.js";
import { MaasError } from "../errors.js";
import { parseCsv, parseCsvChunks, readCsvFile } from "./csv.js";
import { MISSING_TOKENS } from "./table.js";
import type { RawTable } from "./table.js";

/** The error `f` throws, checked to be a bad_input MaasError. */
function errorOf(f: () => unknown): MaasError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(MaasError);
    expect((e as MaasError).code).toBe("bad_input");
    return e as MaasError;
  }
  throw new Error("expected an error");
}

const messageOf = (text: string, source = "f.csv"): string => errorOf(() => parseCsv(text, source)).message;

/** Columns, cells and row count: what a reader must get right. */
const contents = (t: RawTable) => ({ columns: t.columns, values: t.values, rows: t.rows });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maas-csv-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Format
// ---------------------------------------------------------------------------------------------

describe("parseCsv: format", () => {
  it("reads a header and records into columns", () => {
    const t = parseCsv("x,y,name\n1,2,a\n3,4,b\n", "f.csv");
    expect(contents(t)).toEqual({ columns: ["x", "y", "name"], values: [["1", "3"], ["2", "4"], ["a", "b"]], rows: 2 });
    expect(t.source).toBe("f.csv");
    expect([t.rowLabel(0), t.rowLabel(1)]).toEqual([1, 2]);
  });

  it('unquotes fields: "" escapes, delimiters and newlines inside quotes', () => {
    const t = parseCsv('a,b\n"say ""hi""","x,y"\n"two\nlines","cr\r\nlf"\n', "f.csv");
    expect(t.values).toEqual([['say "hi"', "two\nlines"], ["x,y", "cr\r\nlf"]]);
  });

  it("reads CRLF, LF and a mix alike", () => {
    const lf = parseCsv('a,b\n1,"q"\n3,4', "f.csv");
    expect(contents(parseCsv('a,b\r\n1,"q"\r\n3,4\r\n', "f.csv"))).toEqual(contents(lf));
    expect(contents(parseCsv('a,b\r\n1,"q"\n3,4\r\n', "f.csv"))).toEqual(contents(lf));
  });

  it("strips a UTF-8 byte order mark", () => {
    expect(parseCsv("\ufeffid,v\n1,2\n", "f.csv").columns).toEqual(["id", "v"]);
  });

  it("detects a tab or semicolon delimiter when the header has no comma", () => {
    expect(parseCsv("a\tb\n1,5\t2\n", "f.csv").values).toEqual([["1,5"], ["2"]]);
    expect(parseCsv("a;b\n1,5;2\n", "f.csv").values).toEqual([["1,5"], ["2"]]);
    expect(parseCsv("a,b\n1;2,3\n", "f.csv").values).toEqual([["1;2"], ["3"]]);
    expect(parseCsv("only\n1\n", "f.csv").columns).toEqual(["only"]);
    expect(parseCsv('"a,b";c\n1;2\n', "f.csv").columns).toEqual(["a,b", "c"]);
    expect(parseCsv('"x\ty"\n1\n', "f.csv").columns).toEqual(["x\ty"]);
  });

  it("reads a .tsv source as tab-separated whatever its header holds", () => {
    expect(parseCsv("a,b\tc\n1\t2\n", "f.TSV").columns).toEqual(["a,b", "c"]);
  });

  it("trims unquoted cells and header names, not quoted ones", () => {
    const t = parseCsv(' x ,"y"  \n  1 ,"  two  "  \n\t3\t," padded, with comma "  \n', "f.csv");
    expect(t.columns).toEqual(["x", "y"]);
    expect(t.values).toEqual([["1", "3"], ["  two  ", " padded, with comma "]]);
  });

  it("reads every missing token, and a quoted empty cell, as null", () => {
    const tokens = [...MISSING_TOKENS].filter((s) => s !== "");
    const t = parseCsv(`${tokens.map((_, i) => `c${i}`).join(",")},e,q,qna,ok\n${tokens.join(",")},,"","NA",0\n`, "f.csv");
    expect(t.values.map((column) => column[0])).toEqual([...tokens.map(() => null), null, null, null, "0"]);
    expect(parseCsv("a,b\n  NA  ,  \n", "f.csv").values).toEqual([[null], [null]]);
  });

  it("keeps a stray quote inside an unquoted cell", () => {
    expect(parseCsv('size,n\n5" screen,1\n', "f.csv").values).toEqual([['5" screen'], ["1"]]);
  });

  it("skips blank lines, and numbers rows without them", () => {
    const t = parseCsv("\n\na,b\n\n1,2\n   \n\r\n3,4\n\n\n", "f.csv");
    expect(contents(t)).toEqual({ columns: ["a", "b"], values: [["1", "3"], ["2", "4"]], rows: 2 });
    expect(messageOf("a,b\n1,2\n\n\n3,4,5\n")).toBe("f.csv, row 2: expected 2 fields, found 3");
  });

  it('keeps a quoted "" record of a one-column file, which a blank line is not', () => {
    expect(parseCsv('a\n""\n\n1\n', "f.csv").values).toEqual([[null, "1"]]);
  });
});

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

describe("parseCsv: errors", () => {
  it("an empty file", () => {
    expect(messageOf("")).toBe("f.csv: the file is empty");
    expect(messageOf("\ufeff \n\r\n\n")).toBe("f.csv: the file is empty");
  });

  it("a header and no data rows", () => {
    expect(messageOf("a,b,c")).toBe("f.csv: has a header but no data rows");
    expect(messageOf("a,b,c\r\n\r\n\n")).toBe("f.csv: has a header but no data rows");
  });

  it("a ragged row, with too many or too few fields", () => {
    expect(messageOf("a,b,c\n1,2,3\n1,2,3\n\n1,2,3\n1,2,3\n1,2,3,4\n")).toBe("f.csv, row 5: expected 3 fields, found 4");
    expect(messageOf('a,b,c\n1,"2\n2",3\n1,2\n')).toBe("f.csv, row 2: expected 3 fields, found 2");
  });

  it("a duplicate header name", () => {
    expect(messageOf("a,b,a\n1,2,3\n")).toBe("f.csv, column 'a': duplicate column name (columns 1 and 3)");
  });

  it("an empty header name, by its position", () => {
    expect(messageOf("a,,c\n1,2,3\n")).toBe("f.csv: the header's column 2 has no name");
    expect(messageOf('a,b,"  "\n1,2,3\n')).toBe("f.csv: the header's column 3 has no name");
    expect(messageOf("a,b,\n1,2,3\n")).toBe("f.csv: the header's column 3 has no name");
  });

  it("an unterminated quote, naming the row and column", () => {
    expect(messageOf('a,b,c\n1,2,3\n4,"5,6\n7,8,9\n')).toBe("f.csv, row 2, column 'b': unterminated quoted field: a quote opens it and none closes it");
    expect(messageOf('a,"b\n1,2\n')).toBe("f.csv: unterminated quoted field: a quote opens it and none closes it (in the header)");
  });

  it("text after a closing quote", () => {
    expect(messageOf('a,b,c\n1,2,"3"x\n')).toMatch(/^f\.csv, row 1, column 'c': text after the closing quote/);
    expect(messageOf('a,b,c\n"1"x,2,3\n')).toMatch(/^f\.csv, row 1, column 'a': text after the closing quote/);
  });

  it("a space before an opening quote, which would split a quoted field", () => {
    const expected = "f.csv, row 1, column 'b': a space before an opening quote: start a quoted field right after the delimiter";
    expect(messageOf('a,b\n1, "x"\n')).toBe(expected);
    expect(messageOf('a,b\n1, "x,y"\n')).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Round trip and chunks
// ---------------------------------------------------------------------------------------------

const PIECES = ["a", "word", "two words", "x,y", 'say "hi"', '"', ",", "line\nbreak", "cr\r\nlf", " lead", "trail ", "\t", "é", "日本語", "🙂", "-1.5e3", "0", "N", "A"];

function randomText(rng: Random): string {
  for (;;) {
    const text = Array.from({ length: 1 + rng.int(3) }, () => PIECES[rng.int(PIECES.length)]).join("");
    if (!MISSING_TOKENS.has(text)) return text;
  }
}

/** A random table: unique non-blank header names, cells of tricky text, about one in six missing. */
function randomTable(rng: Random): { columns: string[]; values: (string | null)[][] } {
  const width = 1 + rng.int(5);
  const height = 1 + rng.int(30);
  const columns = new Set<string>();
  while (columns.size < width) {
    const name = randomText(rng);
    if (name.trim() !== "") columns.add(name);
  }
  const values = [...columns].map(() => Array.from({ length: height }, () => (rng.int(6) === 0 ? null : randomText(rng))));
  return { columns: [...columns], values };
}

/** One cell as RFC 4180 CSV: quoted when it must be (or by chance), unquoted cells padded by chance. */
function writeCell(rng: Random, text: string | null, width: number): string {
  if (text === null) {
    const options = width === 1 ? ['""', "NA", "?"] : ["", "", '""', "NA", "null", " "];
    return options[rng.int(options.length)];
  }
  const mustQuote = /[",\r\n]/.test(text) || text.trim() !== text;
  if (mustQuote || rng.int(4) === 0) return `"${text.replaceAll('"', '""')}"${rng.int(4) === 0 ? "  " : ""}`;
  return rng.int(4) === 0 ? ` ${text}\t` : text;
}

function writeCsv(rng: Random, t: { columns: string[]; values: (string | null)[][] }): string {
  const eol = rng.int(2) === 0 ? "\n" : "\r\n";
  const line = (cells: (string | null)[]) => cells.map((c) => writeCell(rng, c, t.columns.length)).join(",");
  const lines = [line(t.columns)];
  for (let r = 0; r < t.values[0].length; r++) {
    if (rng.int(8) === 0) lines.push(rng.int(2) === 0 ? "" : "  ");
    lines.push(line(t.values.map((column) => column[r])));
  }
  return (rng.int(3) === 0 ? "\ufeff" : "") + lines.join(eol) + (rng.int(2) === 0 ? eol : "");
}

/** `text` cut at random places into about `pieces` chunks. */
function randomChunks(rng: Random, text: string, pieces: number): string[] {
  const cuts = Array.from({ length: pieces - 1 }, () => rng.int(text.length + 1)).sort((a, b) => a - b);
  return [0, ...cuts].map((cut, i) => text.slice(cut, i + 1 < pieces ? cuts[i] : undefined));
}

describe("parseCsv: round trip", () => {
  it("parses what an RFC 4180 writer wrote, whole, in chunks and from disk", async () => {
    const rng = new Random(20240611);
    for (let trial = 0; trial < 200; trial++) {
      const table = randomTable(rng);
      const text = writeCsv(rng, table);
      const expected = { ...table, rows: table.values[0].length };
      expect(contents(parseCsv(text, "rt.csv")), text).toEqual(expected);
      expect(contents(await parseCsvChunks(randomChunks(rng, text, 2 + rng.int(8)), "rt.csv")), text).toEqual(expected);
      if (trial % 20 === 0) {
        const path = join(dir, `rt-${trial}.csv`);
        await writeFile(path, text);
        expect(contents(await readCsvFile(path))).toEqual(expected);
      }
    }
  });

  it("gives the same table and errors however the text is cut", async () => {
    const texts = ['\ufeffa, "b"\r\n"x\r\n""y""", 2 \r\n\r\n  NA  ,"é,🙂"  \r\n', 'a;b\n1;2\n3;"4\n'];
    for (const text of texts) {
      const whole = await parseCsvChunks([text], "c.csv").then(contents, (e: Error) => e.message);
      for (let cut = 0; cut <= text.length; cut++) {
        const cutUp = await parseCsvChunks([text.slice(0, cut), text.slice(cut)], "c.csv").then(contents, (e: Error) => e.message);
        expect(cutUp, `cut at ${cut}`).toEqual(whole);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

describe("readCsvFile", () => {
  it("streams a 20,000 x 100 numeric file", async () => {
    const rows = 20_000;
    const width = 100;
    const cell = (r: number, c: number) => String((r * width + c) / 4);
    const lines = [Array.from({ length: width }, (_, c) => `c${c}`).join(",")];
    for (let r = 0; r < rows; r++) lines.push(Array.from({ length: width }, (_, c) => cell(r, c)).join(","));
    const path = join(dir, "big.csv");
    await writeFile(path, lines.join("\n") + "\n");

    const t = await readCsvFile(path);
    expect(t.rows).toBe(rows);
    expect(t.columns.length).toBe(width);
    expect(t.values.every((column) => column.length === rows)).toBe(true);
    for (const [r, c] of [[0, 0], [0, 99], [12_345, 37], [19_999, 0], [19_999, 99]]) expect(t.values[c][r]).toBe(cell(r, c));
  });

  it("reads a .tsv file as tab-separated and names the file in errors", async () => {
    const tsv = join(dir, "t.tsv");
    await writeFile(tsv, "a,b\tc\n1\t2\n");
    expect((await readCsvFile(tsv)).columns).toEqual(["a,b", "c"]);
    const bad = join(dir, "bad.csv");
    await writeFile(bad, "a,b\n1,2,3\n");
    await expect(readCsvFile(bad)).rejects.toThrow(`${bad}, row 1: expected 2 fields, found 3`);
  });
});
