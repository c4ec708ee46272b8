// The JSON reader: arrays of objects and NDJSON, cell conversion, row labels, every error, and the
// file reader agreeing with the text parser.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MaasError } from "../errors.js";
import { parseJson, readJsonFile } from "./json.js";
import { MISSING_TOKENS } from "./table.js";
import type { RawTable } from "./table.js";

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

const messageOf = (text: string, source = "f.json"): string => errorOf(() => parseJson(text, source)).message;

const contents = (t: RawTable) => ({ columns: t.columns, values: t.values, rows: t.rows, labels: Array.from({ length: t.rows }, (_, i) => t.rowLabel(i)) });

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "maas-json-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("parseJson: arrays", () => {
  it("reads an array of objects, columns the union of keys in first-appearance order", () => {
    const t = parseJson('[{"a":1,"b":"x"}, {"c":true,"a":2}, {"b":"y"}]', "f.json");
    expect(contents(t)).toEqual({
      columns: ["a", "b", "c"],
      values: [["1", "2", null], ["x", null, "y"], [null, "true", null]],
      rows: 3,
      labels: [1, 2, 3],
    });
    expect(t.source).toBe("f.json");
  });

  it("converts numbers with String(n), booleans to true/false; null and missing tokens to null", () => {
    const numbers = [0, -0, 1.5, -2, 1e21, 1e-7, 123456789012];
    const t = parseJson(JSON.stringify(numbers.map((n) => ({ n, b: n > 0, s: String(n) }))), "f.json");
    expect(t.values[0]).toEqual(numbers.map(String));
    expect(t.values[1]).toEqual(numbers.map((n) => String(n > 0)));
    const tokens = [...MISSING_TOKENS];
    const missing = parseJson(JSON.stringify([...tokens.map((m) => ({ m })), { m: null }, { m: " NA " }]), "f.json");
    expect(missing.values[0]).toEqual([...tokens.map(() => null), null, " NA "]);
  });

  it("strips a byte order mark and allows whitespace around the array", () => {
    expect(parseJson('\ufeff \n [ {"a": 1} ] \n', "f.json").values).toEqual([["1"]]);
  });
});

describe("parseJson: NDJSON", () => {
  it("reads one object per line, skipping blank lines, rows labelled by line", () => {
    const t = parseJson('{"a":1}\n\n  \r\n{"b":"x","a":null}\r\n{"a":3}\n', "f.ndjson");
    expect(contents(t)).toEqual({ columns: ["a", "b"], values: [["1", null, "3"], [null, "x", null]], rows: 3, labels: [1, 4, 5] });
  });
});

describe("parseJson: errors", () => {
  it("an empty file or array", () => {
    expect(messageOf("")).toBe("f.json: the file is empty");
    expect(messageOf("\ufeff \n ")).toBe("f.json: the file is empty");
    expect(messageOf("[ ]")).toBe("f.json: the array is empty: there are no records");
  });

  it("records without keys", () => {
    expect(messageOf("[{}, {}]")).toBe("f.json: the records have no keys, so there are no columns");
    expect(messageOf("{}\n{}\n")).toBe("f.json: the records have no keys, so there are no columns");
  });

  it("text that is neither an array nor NDJSON", () => {
    expect(messageOf('"a"')).toBe("f.json: expected a JSON array of objects, or one JSON object per line (NDJSON)");
  });

  it("a record that is not an object", () => {
    expect(messageOf('[{"a":1}, 2]')).toBe("f.json, row 2: expected a JSON object, found a number");
    expect(messageOf('[{"a":1}, null, {"a":2}]')).toBe("f.json, row 2: expected a JSON object, found null");
    expect(messageOf('[{"a":1}, {"a":1}, [1]]')).toBe("f.json, row 3: expected a JSON object, found an array");
    expect(messageOf('{"a":1}\n\n"x"\n')).toBe("f.json, row 3: expected a JSON object, found a string");
  });

  it("a nested object or array, naming the row and key", () => {
    expect(messageOf('[{"a":1}, {"a":2, "b":{"c":1}}]')).toBe("f.json, row 2, column 'b': a nested object: only flat records of strings, numbers and booleans make a table");
    expect(messageOf('{"a":1}\n{"a":[1,2]}\n')).toBe("f.json, row 2, column 'a': a nested array: only flat records of strings, numbers and booleans make a table");
  });

  it("an empty key", () => {
    expect(messageOf('[{"a":1, "":2}]')).toBe("f.json, row 1: an empty key (\"\") cannot name a column");
  });

  it("invalid JSON in an array, with the line and column", () => {
    expect(messageOf('[\n  {"a": 1},\n  {"a": 2,}\n]')).toMatch(/^f\.json: invalid JSON at line 3, column 11: \S/);
    expect(messageOf('[{"a": 1}')).toMatch(/^f\.json: invalid JSON\b/);
    expect(messageOf('[{"a": 1}]\n x')).toMatch(/^f\.json: invalid JSON at line 2, column 2: \S/);
  });

  it("invalid JSON on an NDJSON line, with the line", () => {
    expect(messageOf('{"a":1}\n\n{"a":2\n')).toMatch(/^f\.json, row 3: invalid JSON\b.*one whole object per line/);
    expect(messageOf('{\n  "a": 1\n}\n')).toMatch(/^f\.json, row 1: invalid JSON\b/);
  });
});

describe("readJsonFile", () => {
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  it("reads NDJSON and arrays as parseJson does", async () => {
    const texts = ['\ufeff\n{"a":1,"b":"é"}\r\n\n{"b":null,"c":false}\n{"a":2.5}', '\n [{"a":1},\n {"b":"x"}]\n'];
    for (const [i, text] of texts.entries()) {
      const path = await write(`same-${i}.json`, text);
      expect(contents(await readJsonFile(path))).toEqual(contents(parseJson(text, path)));
    }
  });

  it("gives parseJson's errors", async () => {
    for (const [i, text] of ['\n\n[{"a":1},\n]', '{"a":1}\n\n{"a"}', "\n\n 7", "[]", '\n{"a":{}}'].entries()) {
      const path = await write(`bad-${i}.json`, text);
      expect(await readJsonFile(path).catch((e: Error) => e.message)).toBe(errorOf(() => parseJson(text, path)).message);
    }
  });

  it("names the file and line in errors, and reads many lines", async () => {
    const bad = await write("bad.ndjson", '{"a":1}\n{"a":{}}\n');
    await expect(readJsonFile(bad)).rejects.toThrow(`${bad}, row 2, column 'a': a nested object`);
    await expect(readJsonFile(await write("empty.json", "\n \n"))).rejects.toThrow(/: the file is empty$/);
    const lines = Array.from({ length: 20_000 }, (_, i) => JSON.stringify(i % 2 ? { i } : { i, odd: false }));
    const t = await readJsonFile(await write("many.jsonl", lines.join("\n"))); // several 64 KiB reads
    expect([t.rows, t.values[0][19_999], t.values[1][19_998], t.values[1][19_999], t.rowLabel(19_999)]).toEqual([20_000, "19999", "false", null, 20_000]);
  });
});
