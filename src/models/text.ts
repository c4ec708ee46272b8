// Text models on a table's text column: tokenisation runs in TypeScript (ONNX cannot segment words),
// its ids feed a graph that embeds them — fasttext: the mean of the token and hashed word n-gram
// embeddings; rnn, lstm, gru: the token embeddings as steps. The file records everything needed to
// tokenise again: the tokenizer's settings in the card, its vocabulary or BPE merges in
// `openmaas.vocabulary`, and the ICU version that segmented the training texts.
//
// A text longer than `maxTokens` tokens is cut to its first `maxTokens`; an empty text has no tokens
// (fasttext then answers from its output bias alone; a recurrent network reads one padding step).
import { encodeTarget } from "../data/encoders.js";
import type { RawTable } from "../data/table.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { inputError } from "../errors.js";
import type { Runtime } from "../runtime/runtime.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Tensor } from "../runtime/tensor.js";
import { lexiconScores } from "../text/lexicon.js";
import { hashNgrams } from "../text/ngrams.js";
import type { TokenizerState } from "../text/tokenizer.js";
import { Tokenizer, splitText } from "../text/tokenizer.js";
import { VERSION } from "../version.js";
import type { ModelCard } from "./card.js";
import { cardMetadata, fitRecord } from "./card.js";
import type { Problem } from "./network.js";
import { LENGTHS_INPUT, inferenceGraph } from "./network.js";
import type { TabularSpec, Task } from "./spec.js";
import { TextSpecSchema, targetOf } from "./spec.js";
import { tableFingerprint } from "./tabular.js";
import type { FitOptions } from "./trainer.js";
import { fit, trainingSplit } from "./trainer.js";

/** The metadata key of the tokenizer's learned state (JSON). */
export const VOCABULARY_KEY = "openmaas.vocabulary";
/** The token-id input of text models' graphs: [N, L] int64, 0 pads. */
export const TOKENS_INPUT = "tokens";

type TextCard = NonNullable<ModelCard["text"]>;

/** Text -> the ids a text model's graph takes. */
export class TextIds {
  constructor(
    private readonly tokenizer: Tokenizer,
    readonly card: TextCard,
  ) {}

  /** A model file's tokenizer, from its card and its `openmaas.vocabulary` metadata. */
  static fromFile(card: TextCard, state: string | undefined, source: string): TextIds {
    if (!state) throw inputError(`the text model has no ${VOCABULARY_KEY} metadata`, { file: source });
    const config = { kind: card.tokenizer, lowercase: card.lowercase, vocabSize: card.vocabSize, minCount: 1 };
    return new TextIds(Tokenizer.fromJSON(config, JSON.parse(state) as TokenizerState), card);
  }

  /** The tokens' ids (the first maxTokens), then, with n-grams, their hashed ids after the tokenizer's. */
  ids(text: string): number[] {
    return this.idsOfTokens(tokenStrings(text, this.card, this.tokenizer));
  }

  /** As `ids`, from a text's token strings (tokenStrings). */
  idsOfTokens(tokens: readonly string[]): number[] {
    const c = this.card;
    const ids = c.tokenizer === "bpe" ? tokens.map(Number) : this.tokenizer.idsOf(tokens);
    if (c.ngrams < 2) return ids;
    return [...ids, ...hashNgrams(tokens, c.ngrams, c.buckets).map((h) => this.tokenizer.size + h)];
  }

  /** Ids the graph's embedding table has rows for. */
  get vocab(): number {
    return this.tokenizer.size + (this.card.ngrams > 1 ? this.card.buckets : 0);
  }

  /** The tokenizer's learned state, for the file. */
  state(): string {
    return JSON.stringify(this.tokenizer.toJSON());
  }

  /** The texts' ids as [N, width] rows padded with 0 (cut at width), and each row's length (at least 1); `tokens`: the texts split already. */
  matrix(texts: readonly string[], width?: number, tokens?: readonly (readonly string[])[]): { ids: number[][]; width: number; lengths: Int32Array } {
    const ids = tokens ? tokens.map((t) => this.idsOfTokens(t)) : texts.map((t) => this.ids(t));
    const w = width ?? Math.max(1, ...ids.map((r) => r.length));
    return { ids, width: w, lengths: Int32Array.from(ids, (r) => Math.max(1, Math.min(w, r.length))) };
  }
}

/**
 * A text's first `maxTokens` tokens as strings: words or graphemes (the segmenter stops there, so a
 * long text is not read to its end), or, for bpe, the ids as strings (BPE encodes the whole text).
 */
function tokenStrings(text: string, c: Pick<TextCard, "tokenizer" | "lowercase" | "maxTokens">, tokenizer: Tokenizer): string[] {
  if (c.tokenizer === "bpe") return tokenizer.encode(text).slice(0, c.maxTokens).map(String);
  return splitText(text, { kind: c.tokenizer, lowercase: c.lowercase }, c.maxTokens);
}

/** Rows of ids as a row-major [N, width] array of `Type`, zero-padded. */
function pack<T extends Float32Array | BigInt64Array>(rows: readonly number[][], width: number, make: (n: number) => T, cell: (id: number) => T[number]): T {
  const out = make(rows.length * width);
  rows.forEach((r, i) => r.slice(0, width).forEach((id, j) => (out[i * width + j] = cell(id))));
  return out;
}

/** The graph's feeds for `texts`: token ids, and lengths for recurrent networks (whose width is fixed). */
export function textFeeds(encoder: TextIds, texts: readonly string[], fixedWidth?: number): Record<string, Tensor> {
  const { ids, width, lengths } = encoder.matrix(texts, fixedWidth);
  const feeds: Record<string, Tensor> = {
    [TOKENS_INPUT]: { dtype: "int64", dims: [texts.length, width], data: pack(ids, width, (n) => new BigInt64Array(n), (id) => BigInt(id)) },
  };
  if (encoder.card.lengths) feeds[LENGTHS_INPUT] = { dtype: "int64", dims: [texts.length], data: BigInt64Array.from(lengths, (l) => BigInt(l)) };
  return feeds;
}

/**
 * The text column's cells ("" for missing ones). Files are read as UTF-8, and bytes that are not
 * become U+FFFD: a text with one is refused (naming its row) rather than learnt wrong.
 */
function textsOf(table: RawTable, column: string): string[] {
  const c = table.columns.indexOf(column);
  if (c < 0) throw inputError(`there is no text column '${column}' (columns: ${table.columns.join(", ")}); name it with --text`, { file: table.source });
  const texts = table.values[c].map((v) => v ?? "");
  const broken = texts.findIndex((t) => t.includes("\uFFFD"));
  if (broken >= 0) {
    const count = texts.filter((t) => t.includes("\uFFFD")).length;
    throw inputError(`the text is not valid UTF-8 (${count} row(s) like it): save the file as UTF-8, e.g. iconv -f WINDOWS-1252 -t UTF-8`, { file: table.source, row: table.rowLabel(broken), column });
  }
  if (texts.every((t) => t.trim() === "")) throw inputError("every text is empty: there is nothing to learn from", { file: table.source, column });
  return texts;
}

/**
 * Hash buckets for the n-grams: `buckets` at most, fewer when the training texts have fewer distinct
 * n-grams (twice their number, as a power of two, keeps collisions rare): the embedding table, and
 * each step's update of it, is no larger than the data needs.
 */
function bucketCount(docs: readonly (readonly string[])[], buckets: number, ngrams: number): number {
  const seen = new Set<number>();
  for (const tokens of docs) for (const h of hashNgrams(tokens, ngrams, 2 ** 31)) seen.add(h);
  return Math.max(1, Math.min(buckets, 2 ** Math.ceil(Math.log2(2 * seen.size + 1))));
}

export interface TextResult {
  onnx: Uint8Array;
  card: ModelCard;
}

/**
 * Trains a text model on a table's text column: the tokenizer on the training rows' texts, then the network.
 * @example await trainText(await readTable("reviews.csv"), TabularSpecSchema.parse({ target: "label", model: { kind: "fasttext" }, text: { column: "review" } }))
 */
export async function trainText(table: RawTable, spec: TabularSpec, options: FitOptions & { runtime?: Runtime } = {}): Promise<TextResult> {
  const runtime = options.runtime ?? defaultRuntime();
  const started = performance.now();
  const t = spec.text ?? TextSpecSchema.parse({});
  const targetColumn = targetOf(spec);
  if (!table.columns.includes(targetColumn)) throw inputError(`there is no target column '${targetColumn}' (columns: ${table.columns.join(", ")})`, { file: table.source });
  const texts = textsOf(table, t.column);
  const task: Task = spec.task ?? "classification";
  const target = encodeTarget(table, targetColumn, task);
  const classes = target.task === "classification" ? target.labels.length : 1;
  const split = trainingSplit(spec.training, { task, classes }, target.values);

  const lexicon = spec.model.kind === "lexicon";
  if (lexicon && t.tokenizer !== "word") throw inputError("the lexicon model reads words: use the word tokenizer", { file: table.source });
  const recurrent = spec.model.kind !== "fasttext" && !lexicon;
  const ngrams = recurrent || lexicon ? 1 : t.ngrams;
  // Word and char texts are split once, into their first maxTokens tokens; bpe learns from the texts.
  const config = { kind: t.tokenizer, lowercase: t.lowercase, vocabSize: t.vocabSize, minCount: t.minCount };
  const split1 = t.tokenizer === "bpe" ? undefined : texts.map((text) => splitText(text, config, t.maxTokens));
  const tokenizer = split1 ? Tokenizer.fromTokens(Array.from(split.train, (r) => split1[r]), config) : Tokenizer.train(Array.from(split.train, (r) => texts[r]), config);
  const strings = split1 ?? texts.map((text) => tokenStrings(text, t, tokenizer));
  const buckets = ngrams > 1 ? bucketCount(Array.from(split.train, (r) => strings[r]), t.buckets, ngrams) : t.buckets;
  const card: TextCard = { column: t.column, tokenizer: t.tokenizer, lowercase: t.lowercase, vocabSize: t.vocabSize, ngrams, buckets, maxTokens: t.maxTokens, lengths: recurrent, icu: tokenizer.unicode };
  const encoder = new TextIds(tokenizer, card);
  const { ids, width, lengths } = encoder.matrix(texts, undefined, strings);
  const valences = lexicon ? lexiconScores((tokenizer.toJSON() as { tokens: string[] }).tokens) : undefined;
  const problem: Problem = { task, features: width, classes, vocab: encoder.vocab, ...(recurrent ? { input: [width], lengths: true } : {}), ...(valences ? { lexicon: valences } : {}) };
  const data = { features: pack(ids, width, (n) => new Float32Array(n), (id) => id), rows: table.rows, columns: width, target: target.values, ...(recurrent ? { lengths } : {}) };
  const result = await fit(runtime, spec.model, spec.training, problem, data, { ...options, split });

  const labels = target.task === "classification" ? target.labels : undefined;
  // Recurrent graphs unroll a fixed number of steps: texts are cut or padded to the training width.
  const graph = inferenceGraph(spec.model, problem, result.params, (g) => g.input(TOKENS_INPUT, "int64", ["batch", recurrent ? width : "tokens"]), labels);
  const modelCard: ModelCard = {
    task,
    target: targetColumn,
    features: [],
    ...(labels ? { labels } : {}),
    text: { ...card, maxTokens: recurrent ? Math.min(t.maxTokens, width) : t.maxTokens },
    spec: { model: spec.model, training: spec.training },
    ...fitRecord(result, started),
    dataset: { source: table.source, rows: table.rows, columns: table.columns.length, sha256: tableFingerprint(table), trainRows: split.train.length, validationRows: split.validation.length },
    version: VERSION,
  };
  const onnx = encodeModel(graph, {
    metadata: { ...cardMetadata(modelCard), [VOCABULARY_KEY]: encoder.state() },
    producerVersion: VERSION,
    docString: `OpenMaaS ${spec.model.kind} text ${task} model of '${targetColumn}'`,
  });
  return { onnx, card: modelCard };
}
