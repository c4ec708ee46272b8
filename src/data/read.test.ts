// readTable: the extension picks the reader, the first character when the extension says nothing,
// and file-system failures are bad-input errors naming the file.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaasError } from "../errors.js";
import { readTable } from "./read.js";

const CSV = "a,b\n1,x\n";
const TSV = "a\tb\n1\tx\n";
const ARRAY = '[{"a":1,"b":"x"}]';
const NDJSON = '\n{"a":1,"b":"x"}\n';
/** Text CSV reads one way and JSON another (a one-column CSV whose header starts with a brace). */
const AMBIGUOUS = '{"a":1}\n{"a":2}\n';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maas-read-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(name: string, text: string) {
  const path = join(dir, name);
  await writeFile(path, text);
  const t = await readTable(path);
  expect(t.source).toBe(path);
  return { columns: t.columns, values: t.values };
}

const ab = { columns: ["a", "b"], values: [["1"], ["x"]] };
const asJson = { columns: ["a"], values: [["1", "2"]] };
const asCsv = { columns: ['{"a":1}'], values: [['{"a":2}']] };

describe("readTable", () => {
  it("reads .csv, .tsv and .txt as CSV", async () => {
    expect(await read("t.csv", CSV)).toEqual(ab);
    expect(await read("t.tsv", TSV)).toEqual(ab);
    expect(await read("t.txt", CSV)).toEqual(ab);
    for (const ext of ["csv", "tsv", "txt"]) expect(await read(`j.${ext}`, AMBIGUOUS)).toEqual(asCsv);
  });

  it("reads .json, .ndjson and .jsonl as JSON, whatever the case of the extension", async () => {
    expect(await read("t.json", ARRAY)).toEqual(ab);
    expect(await read("t.ndjson", NDJSON)).toEqual(ab);
    expect(await read("t.jsonl", NDJSON)).toEqual(ab);
    expect(await read("a.JSONL", AMBIGUOUS)).toEqual(asJson);
    expect(await read("b.CSV", AMBIGUOUS)).toEqual(asCsv);
    for (const ext of ["json", "ndjson", "jsonl"]) {
      await expect(read(`c.${ext}`, CSV)).rejects.toThrow(/expected a JSON array of objects, or one JSON object per line/);
    }
  });

  it("sniffs another extension by the first non-blank character", async () => {
    expect(await read("t.dat", `\ufeff \n${ARRAY}`)).toEqual(ab);
    expect(await read("t.data", NDJSON)).toEqual(ab);
    expect(await read("noext", AMBIGUOUS)).toEqual(asJson);
    expect(await read("t.log", CSV)).toEqual(ab);
    expect(await read("t.tab", TSV)).toEqual(ab);
  });

  it("passes the readers' errors through", async () => {
    await expect(read("e.dat", "")).rejects.toThrow(/e\.dat: the file is empty$/);
    await expect(read("e.json", "[]")).rejects.toThrow(/e\.json: the array is empty/);
  });

  it("a missing file", async () => {
    for (const name of ["missing.csv", "missing.json", "missing.dat", "t.csv/inside.csv"]) {
      const path = join(dir, name);
      const error = await readTable(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MaasError);
      expect((error as MaasError).code).toBe("bad_input");
      expect((error as MaasError).message).toBe(`${path}: no such file`);
    }
  });

  it("a directory", async () => {
    for (const name of ["folder", "folder.csv", "folder.json"]) {
      const path = join(dir, name);
      await mkdir(path);
      const error = await readTable(path).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MaasError);
      expect((error as MaasError).message).toBe(`${path}: is a directory, not a data file`);
    }
  });
});
