// The `maas` command end to end, as a user runs it: the built CLI in a child process.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";

const CLI = join(import.meta.dirname, "..", "dist", "cli", "main.js");
const dir = mkdtempSync(join(tmpdir(), "maas-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function maas(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return name;
}

const good = file("good.csv", "x,label\n" + Array.from({ length: 40 }, (_v, i) => `${i},${i < 20 ? "lo" : "hi"}`).join("\n") + "\n");

describe("bad input: exit 2, one line naming the place, no stack trace, no model file", () => {
  test.each<[string, string, string[], RegExp]>([
    ["a misspelt target", "x,y\n1,2\n3,4\n", ["--target", "z"], /no target column 'z' \(columns: x, y\)/],
    ["a header only", "x,y\n", ["--target", "y"], /header but no data rows/],
    ["an empty file", "", ["--target", "y"], /empty/],
    ["a ragged row", "x,y\n1,2\n3,4,5\n", ["--target", "y"], /row 2.*expected 2 fields, found 3/],
    ["NaN in the target", "x,y\n1,2\n2,NaN\n3,4\n", ["--target", "y", "--model", "linear"], /row 2, column 'y': the target is missing/],
    ["Infinity in the target", "x,y\n1,2\n2,Infinity\n3,4\n", ["--target", "y", "--model", "linear"], /row 2, column 'y': the target is Infinity/],
    ["one class", "x,y\n1,a\n2,a\n3,a\n", ["--target", "y", "--model", "logistic"], /at least two classes; the target has only 'a'/],
    ["a word in a declared numeric column", "x,y\n1,2\nbig,3\n4,5\n", ["--target", "y", "--numeric", "x"], /row 2, column 'x': 'big' is not a number/],
  ])("%s", (name, text, flags, message) => {
    const data = file(`${name.replace(/\W+/g, "-")}.csv`, text);
    const before = readdirSync(dir).length;
    const r = maas("train", "--data", data, "--out", "bad.onnx", ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(data);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stderr.trim().split("\n").filter((l) => l.startsWith("maas:"))).toHaveLength(1);
    expect(existsSync(join(dir, "bad.onnx"))).toBe(false);
    expect(readdirSync(dir).length).toBe(before); // no temporary file left either
  });

  test("a bad flag value names the flag", () => {
    const r = maas("train", "--data", good, "--target", "label", "--epochs", "many", "--out", "bad.onnx");
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe("maas: --epochs takes a whole number; got 'many'");
    expect(existsSync(join(dir, "bad.onnx"))).toBe(false);
  });

  test("a predict file without a model column", () => {
    expect(maas("train", "--data", good, "--target", "label", "--model", "logistic", "--out", "m.onnx").code).toBe(0);
    const r = maas("predict", "--model", "m.onnx", "--data", file("nox.csv", "other\n1\n"));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nox.csv: the model needs column 'x'/);
  });

  test("a model file that is not ONNX", () => {
    const r = maas("inspect", good);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/good.csv: not an ONNX model file/);
  });
});

describe("a session", () => {
  test("train --json, predict --json, eval --json, inspect --json", () => {
    const t = maas("train", "--data", good, "--target", "label", "--model", "logistic", "--out", "lh.onnx", "--json");
    expect(t.code).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ model: "lh.onnx", task: "classification", kind: "logistic", labels: ["hi", "lo"], rows: 40 });

    const p = maas("predict", "--model", "lh.onnx", "--data", file("q.csv", "x,label\n2,lo\n37,hi\n"), "--json");
    const rows = p.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(rows.map((r) => r.prediction)).toEqual(["lo", "hi"]);

    const e = JSON.parse(maas("eval", "--model", "lh.onnx", "--data", good, "--json").stdout);
    expect(e.metrics.accuracy).toBeGreaterThan(0.9);
    expect(e.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(40);

    const i = JSON.parse(maas("inspect", "lh.onnx", "--json").stdout);
    expect(i.inputs).toEqual([{ name: "x", dtype: "float32", shape: ["batch", 1] }]);
    expect(i.card.labels).toEqual(["hi", "lo"]);
  });
});

describe("recommenders", () => {
  // 40 users, 30 items: user u rates item i when (u + i) % 3 === 0, higher when i is small.
  const rows: string[] = [];
  for (let u = 0; u < 40; u++) for (let i = 0; i < 30; i++) if ((u + i) % 3 === 0) rows.push(`reader ${u},book ${i},${(5 - i / 8).toFixed(2)}`);
  const ratings = file("books.csv", `who,what,stars\n${rows.join("\n")}\n`);

  test("train mf with named columns, recommend to a known and an unknown user, evaluate", () => {
    const t = maas("train", "--data", ratings, "--model", "mf", "--target", "stars", "--user", "who", "--item", "what", "--factors", "4", "--out", "books.onnx", "--json");
    expect(t.code, t.stderr).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ task: "recommendation", kind: "mf", target: "stars", features: ["40 users x 30 items"] });
    expect(summary.metrics.rmse).toBeGreaterThan(0);

    const known = JSON.parse(maas("recommend", "--model", "books.onnx", "--user", "reader 1", "--k", "3", "--json").stdout);
    expect(known.items).toHaveLength(3);
    expect(known.fallback).toBeUndefined();
    const read = rows.filter((r) => r.startsWith("reader 1,")).map((r) => r.split(",")[1]);
    for (const r of known.items) expect(read).not.toContain(r.item);
    const stranger = JSON.parse(maas("recommend", "--model", "books.onnx", "--user", "someone", "--k", "2", "--json").stdout);
    expect(stranger.fallback).toBe("popularity");

    const e = JSON.parse(maas("eval", "--model", "books.onnx", "--data", ratings, "--json").stdout);
    expect(e).toMatchObject({ task: "recommendation", rows: rows.length });
    expect(e.metrics.rmse).toBeLessThan(summary.metrics.rmse * 3);
  });

  test("bad input: a recommender without its columns, a k of 0", () => {
    const r = maas("train", "--data", ratings, "--model", "mf", "--target", "stars", "--out", "x.onnx");
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/no column 'user', 'item'/)]);
    const s = maas("recommend", "--model", "books.onnx", "--user", "x", "--k", "0");
    expect([s.code, s.stderr]).toEqual([2, expect.stringMatching(/--k takes a whole number/)]);
  });
});

describe("text models", () => {
  // Messages: spam says "free" or "免费" (free, in Chinese); long texts are cut, empty ones kept.
  const filler = ["hello", "meeting", "tomorrow", "report", "lunch", "会议", "明天", "project"];
  const rows: string[] = [];
  for (let i = 0; i < 300; i++) {
    const words = Array.from({ length: 4 + (i % 5) }, (_v, j) => filler[(i * 7 + j * 3) % filler.length]);
    const spam = i % 3 === 0;
    if (spam) words.splice(i % words.length, 0, i % 2 ? "free" : "免费");
    rows.push(`"${words.join(" ")}",${spam ? "spam" : "ham"}`);
  }
  rows.push(`"",ham`, `"${"meeting ".repeat(5000)}",ham`);
  const messages = file("messages.csv", `message,kind\n${rows.join("\n")}\n`);

  test("train fasttext on a text column, predict and evaluate from the file", () => {
    const t = maas("train", "--data", messages, "--model", "fasttext", "--text", "message", "--target", "kind", "--max-tokens", "50", "--out", "spam.onnx", "--json");
    expect(t.code, t.stderr).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ task: "classification", kind: "fasttext", features: ["text 'message' (word tokens)"], labels: ["ham", "spam"] });
    expect(summary.metrics.accuracy).toBeGreaterThan(0.9);
    const probe = file("probe.csv", `message\n"free lunch tomorrow"\n"project meeting"\n"明天 免费"\n""\n`);
    const p = maas("predict", "--model", "spam.onnx", "--data", probe, "--json");
    expect(p.code, p.stderr).toBe(0);
    const predictions = p.stdout.trim().split("\n").map((l) => JSON.parse(l).prediction);
    expect(predictions.slice(0, 3)).toEqual(["spam", "ham", "spam"]);
    expect(["ham", "spam"]).toContain(predictions[3]); // an empty text: the model's prior
    const e = JSON.parse(maas("eval", "--model", "spam.onnx", "--data", messages, "--json").stdout);
    expect(e.metrics.accuracy).toBeGreaterThan(0.9);
  });

  test("bad input: a missing text column, one class, text that is not UTF-8", () => {
    const r = maas("train", "--data", messages, "--model", "fasttext", "--target", "kind", "--out", "x.onnx");
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/no text column 'text' \(columns: message, kind\)/)]);
    const one = file("one.csv", "text,label\nhello,a\nworld,a\n");
    const o = maas("train", "--data", one, "--model", "fasttext", "--target", "label", "--out", "x.onnx");
    expect([o.code, o.stderr]).toEqual([2, expect.stringMatching(/two classes/)]);
    writeFileSync(join(dir, "latin1.csv"), Buffer.concat([Buffer.from("text,label\nhello,a\ncaf"), Buffer.from([0xe9]), Buffer.from(",b\n")]));
    const l = maas("train", "--data", "latin1.csv", "--model", "fasttext", "--target", "label", "--out", "x.onnx");
    expect([l.code, l.stderr]).toEqual([2, expect.stringMatching(/row 2, column 'text': the text is not valid UTF-8/)]);
  });
});

describe("sentiment", () => {
  // Reviews with AFINN words; 1 in 5 is "not good"-style, which the lexicon misreads and bigrams catch.
  const filler = ["the", "hotel", "room", "was", "staff", "breakfast", "view"];
  const lines = ["text,label"];
  for (let i = 0; i < 400; i++) {
    const positive = i % 2 === 0;
    const negated = i % 5 === 0;
    const cue = negated ? (positive ? "not bad" : "not good") : positive ? ["good", "great", "excellent"][i % 3] : ["bad", "awful", "terrible"][i % 3];
    const words = Array.from({ length: 3 + (i % 4) }, (_v, j) => filler[(i + j * 2) % filler.length]);
    words.splice(i % words.length, 0, cue);
    lines.push(`"${words.join(" ")}",${positive ? "positive" : "negative"}`);
  }
  const reviews = file("reviews.csv", lines.join("\n") + "\n");

  test("--preset sentiment trains fasttext on text and label; the AFINN lexicon baseline trains and misses negations", () => {
    const preset = maas("train", "--data", reviews, "--preset", "sentiment", "--out", "sentiment.onnx", "--json");
    expect(preset.code, preset.stderr).toBe(0);
    const p = JSON.parse(preset.stdout.trim().split("\n").pop()!);
    expect(p).toMatchObject({ kind: "fasttext", target: "label", labels: ["negative", "positive"] });
    const lexicon = maas("train", "--data", reviews, "--model", "lexicon", "--target", "label", "--out", "lexicon.onnx", "--json");
    expect(lexicon.code, lexicon.stderr).toBe(0);
    const l = JSON.parse(lexicon.stdout.trim().split("\n").pop()!);
    // The lexicon reads "not good" as good: about the 20% negated reviews wrong; fasttext learns the bigrams.
    expect(l.metrics.accuracy).toBeGreaterThan(0.7);
    expect(l.metrics.accuracy).toBeLessThan(0.9);
    expect(p.metrics.accuracy).toBeGreaterThan(0.97);
    const probe = file("probe-reviews.csv", 'text\n"an excellent view"\n"awful breakfast"\n');
    const out = maas("predict", "--model", "lexicon.onnx", "--data", probe, "--json").stdout.trim().split("\n").map((r) => JSON.parse(r).prediction);
    expect(out).toEqual(["positive", "negative"]);
  });
});

describe("language models", () => {
  test("train a transformer on a .txt corpus, generate from the file; predict points to generate", () => {
    const corpus = file("letters.txt", Array.from({ length: 300 }, () => "abcdefgh").join("\n") + "\n");
    const t = maas("train", "--data", corpus, "--model", "transformer", "--context", "24", "--blocks", "2", "--heads", "2", "--embedding", "32", "--epochs", "6", "--lr", "0.005", "--batch-size", "16", "--out", "letters.onnx", "--json");
    expect(t.code, t.stderr).toBe(0);
    const summary = JSON.parse(t.stdout.trim().split("\n").pop()!);
    expect(summary).toMatchObject({ task: "generation", kind: "transformer" });
    expect(summary.metrics.bitsPerCharacter).toBeLessThan(1);
    const g = maas("generate", "--model", "letters.onnx", "--prompt", "abcd", "--max-tokens", "8", "--temperature", "0");
    expect([g.code, g.stdout]).toEqual([0, "efgh abc\n"]);
    const p = maas("predict", "--model", "letters.onnx", "--data", corpus);
    expect([p.code, p.stderr]).toEqual([2, expect.stringMatching(/use maas generate/)]);
  });
});
