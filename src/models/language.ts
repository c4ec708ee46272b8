// Language models: next-token prediction over a text corpus, as a decoder-only Transformer (GPT-2's
// pre-LayerNorm block: causal multi-head attention and a GELU MLP, each with a residual; learned
// positions; the output projection tied to the token embedding). The corpus is tokenised (char or
// byte-level BPE), its last `validation` fraction held out; training reads random windows of
// `context` tokens with the next token at each position as the target.
//
// Validation loss is in nats per token; bits per character divide the held-out windows' total loss
// by their characters and ln 2, comparable across tokenizers.
import { Builder } from "../engine/builder.js";
import type { Value } from "../engine/graph.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { add, reshape, softmaxCrossEntropy } from "../engine/ops.js";
import { Random } from "../engine/random.js";
import { compileTrainingStep, initialCarries } from "../engine/training-step.js";
import type { RawTable } from "../data/table.js";
import { MaasError, inputError } from "../errors.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import { VERSION } from "../version.js";
import type { ModelCard } from "./card.js";
import { cardMetadata } from "./card.js";
import { decoderStepModel } from "./generation.js";
import { tableFingerprint } from "./tabular.js";
import { VOCABULARY_KEY } from "./text.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import { Tokenizer } from "../text/tokenizer.js";
import { optimizerConfig } from "./trainer.js";
import type { EpochReport } from "./trainer.js";
import type { TabularSpec, TrainingSpec } from "./spec.js";
import { TextSpecSchema } from "./spec.js";

export interface LanguageSpec {
  /** A decoder-only Transformer (the default), or stacked LSTMs (`layers` of them, `width` wide). */
  architecture?: "transformer" | "lstm";
  tokenizer: "char" | "bpe";
  /** Ids kept: characters by frequency, or the BPE vocabulary's size. */
  vocabSize: number;
  /** Tokens a window reads (the attention's span). */
  context: number;
  layers: number;
  heads: number;
  /** Width of the embeddings and the residual stream. */
  width: number;
  /** Fraction of the corpus, at its end, held out. */
  validation: number;
}

export interface LanguageModel {
  tokenizer: Tokenizer;
  /** Trained parameters by name. */
  params: Map<string, Float32Array>;
  history: EpochReport[];
  /** The held-out text's loss: nats per token and bits per character. */
  validation: { natsPerToken: number; bitsPerCharacter: number };
}

const IDS = "ids";
const TARGETS = "targets";

/** Logits [N, context, vocab] of the decoder over `ids` [N, context]. */
export function decoderLogits(b: Builder, s: LanguageSpec, vocab: number, ids: Value): Value {
  if (s.architecture === "lstm") return b.dense(decoderHidden(b, s, vocab, ids), vocab, "output");
  return b.tiedOutput(decoderHidden(b, s, vocab, ids), "tokens");
}

/**
 * The decoder's last hidden states [N, context, width] over `ids` [N, context]: the Transformer's
 * after its final LayerNorm, or the last LSTM's outputs.
 */
export function decoderHidden(b: Builder, s: LanguageSpec, vocab: number, ids: Value): Value {
  if (s.architecture === "lstm") {
    let x = b.embedding(ids, vocab, s.width, "tokens");
    for (let l = 0; l < s.layers; l++) x = b.lstm(x, s.width, `lstm${l}`, { returnSequences: true });
    return x;
  }
  let h = add(b.embedding(ids, vocab, s.width, "tokens"), b.positionalEmbedding(s.context, s.width, "positions"));
  for (let l = 0; l < s.layers; l++) {
    h = add(h, b.attention(b.layerNorm(h, `block${l}.ln1`), s.heads, `block${l}.attention`, { causal: true }));
    const mlp = b.dense(b.activation(b.dense(b.layerNorm(h, `block${l}.ln2`), 4 * s.width, `block${l}.up`), "gelu"), s.width, `block${l}.down`);
    h = add(h, mlp);
  }
  return b.layerNorm(h, "final.ln");
}

/** Trains a language model on `corpus`. */
export async function trainLanguageModel(runtime: Runtime, corpus: string, s: LanguageSpec, training: TrainingSpec, options: { onEpoch?: (r: EpochReport) => void; signal?: AbortSignal } = {}): Promise<LanguageModel> {
  const cut = Math.floor(corpus.length * (1 - s.validation));
  const [trainText, heldText] = [corpus.slice(0, cut), corpus.slice(cut)];
  const tokenizer = Tokenizer.train([trainText], { kind: s.tokenizer, lowercase: false, vocabSize: s.vocabSize, minCount: 1 });
  const train = tokenizer.encode(trainText);
  const held = tokenizer.encode(heldText);
  if (train.length <= s.context + 1) throw inputError(`the corpus has ${train.length} training tokens: fewer than one window of ${s.context + 1}`, {});
  const V = tokenizer.size;
  const T = s.context;
  const step = compileTrainingStep((b) => {
    const logits = decoderLogits(b, s, V, b.graph.input(IDS, "int64", ["batch", T]));
    return { loss: softmaxCrossEntropy(reshape(logits, [-1, V]), reshape(b.graph.input(TARGETS, "int64", ["batch", T]), [-1])) };
  }, optimizerConfig(training));
  const rng = new Random(training.seed);
  const carried = initialCarries(step, rng.fork());
  const windows = rng.fork();
  const session = await runtime.createSession(step.model, { threads: training.threads });
  const evaluator = await runtime.createSession(lossModel(s, V), { threads: training.threads });
  const history: EpochReport[] = [];
  const B = training.batchSize;
  const stepsPerEpoch = Math.max(1, Math.floor(train.length / (B * T)));
  const ids = new BigInt64Array(B * T);
  const targets = new BigInt64Array(B * T);
  let count = 0;
  let validation = { natsPerToken: NaN, bitsPerCharacter: NaN };
  try {
    for (let epoch = 0; epoch < training.epochs; epoch++) {
      const started = performance.now();
      let lossSum = 0;
      for (let k = 0; k < stepsPerEpoch; k++) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error("training was cancelled");
        for (let r = 0; r < B; r++) {
          const start = windows.int(train.length - T);
          for (let t = 0; t < T; t++) {
            ids[r * T + t] = BigInt(train[start + t]);
            targets[r * T + t] = BigInt(train[start + t + 1]);
          }
        }
        count++;
        const out = await session.run({ ...carried, [IDS]: { dtype: "int64", dims: [B, T], data: ids }, [TARGETS]: { dtype: "int64", dims: [B, T], data: targets }, lr: scalar(training.lr), step: scalar(count) });
        lossSum += (out.loss.data as Float32Array)[0];
        for (const c of step.carries) carried[c.input] = out[c.output];
      }
      const trainSeconds = (performance.now() - started) / 1000;
      validation = await heldOutLoss(evaluator, carried, step.params.map((p) => p.name), held, T, heldText.length);
      const report: EpochReport = {
        epoch: epoch + 1,
        epochs: training.epochs,
        trainLoss: lossSum / stepsPerEpoch,
        validationLoss: validation.natsPerToken,
        metrics: { bitsPerCharacter: validation.bitsPerCharacter },
        lr: training.lr,
        samplesPerSecond: (stepsPerEpoch * B * T) / trainSeconds,
        seconds: (performance.now() - started) / 1000,
      };
      history.push(report);
      options.onEpoch?.(report);
    }
  } finally {
    await session.release();
    await evaluator.release();
  }
  const params = new Map(step.params.map((p) => [p.name, Float32Array.from(carried[p.name].data as Float32Array)]));
  return { tokenizer, params, history, validation };
}

const scalar = (v: number): Tensor => ({ dtype: "float32", dims: [], data: Float32Array.of(v) });

/** The loss graph with the parameters as inputs: total nats of one window's next tokens. */
function lossModel(s: LanguageSpec, V: number): Uint8Array {
  const b = new Builder("lm_loss", "eval");
  const logits = decoderLogits(b, s, V, b.graph.input(IDS, "int64", ["batch", s.context]));
  b.graph.output(softmaxCrossEntropy(reshape(logits, [-1, V]), reshape(b.graph.input(TARGETS, "int64", ["batch", s.context]), [-1])), "loss");
  return encodeModel(b.graph);
}

/** Mean loss over the held-out ids in consecutive windows, and bits per character of the held-out text. */
async function heldOutLoss(evaluator: Session, carried: Record<string, Tensor>, names: string[], held: number[], T: number, characters: number): Promise<{ natsPerToken: number; bitsPerCharacter: number }> {
  const windows = Math.floor((held.length - 1) / T);
  if (windows < 1) return { natsPerToken: NaN, bitsPerCharacter: NaN };
  const params = Object.fromEntries(names.map((n) => [n, carried[n]]));
  let nats = 0;
  const chunk = 32;
  for (let w0 = 0; w0 < windows; w0 += chunk) {
    const n = Math.min(chunk, windows - w0);
    const ids = new BigInt64Array(n * T);
    const targets = new BigInt64Array(n * T);
    for (let w = 0; w < n; w++) {
      for (let t = 0; t < T; t++) {
        ids[w * T + t] = BigInt(held[(w0 + w) * T + t]);
        targets[w * T + t] = BigInt(held[(w0 + w) * T + t + 1]);
      }
    }
    const out = await evaluator.run({ ...params, [IDS]: { dtype: "int64", dims: [n, T], data: ids }, [TARGETS]: { dtype: "int64", dims: [n, T], data: targets } }, ["loss"]);
    nats += (out.loss.data as Float32Array)[0] * n * T;
  }
  const tokens = windows * T;
  // The windows cover `tokens` of the held-out tokens: their share of its characters.
  const chars = characters * (tokens / (held.length - 1));
  return { natsPerToken: nats / tokens, bitsPerCharacter: nats / chars / Math.LN2 };
}

// ---------------------------------------------------------------------------------------------
// A language model from a table's text column, as `maas train` and jobs train one, and its file
// ---------------------------------------------------------------------------------------------

/** The language spec of a TabularSpec (kind transformer): the text column's tokenizer, the model's shape. */
export function languageSpecOf(spec: TabularSpec): LanguageSpec {
  const t = spec.text ?? TextSpecSchema.parse({ tokenizer: "char" });
  if (t.tokenizer === "word") throw new MaasError("bad_input", "a language model writes text back: use the char or bpe tokenizer (--tokenizer char|bpe)");
  const m = spec.model;
  if (m.kind === "transformer" && m.embedding % m.heads !== 0) throw new MaasError("bad_input", `the width (--embedding ${m.embedding}) must be a multiple of the heads (${m.heads})`);
  const architecture = m.kind === "lstm-lm" ? "lstm" : "transformer";
  return { architecture, tokenizer: t.tokenizer, vocabSize: t.vocabSize, context: m.context, layers: m.blocks, heads: m.heads, width: m.embedding, validation: spec.training.validationSplit || 0.1 };
}

/**
 * Trains a decoder-only language model on the texts of a table's text column (rows joined by
 * newlines, in order; the last `validationSplit` of the text held out) and writes its file: the
 * cached decoder step graph, the card, and the tokenizer's state.
 */
export async function trainLanguageTable(table: RawTable, spec: TabularSpec, options: { runtime?: Runtime; onEpoch?: (r: EpochReport) => void; signal?: AbortSignal } = {}): Promise<{ onnx: Uint8Array; card: ModelCard }> {
  const started = performance.now();
  const runtime = options.runtime ?? defaultRuntime();
  const s = languageSpecOf(spec);
  const column = spec.text?.column ?? "text";
  const c = table.columns.indexOf(column);
  if (c < 0) throw inputError(`there is no text column '${column}' (columns: ${table.columns.join(", ")}); name it with --text`, { file: table.source });
  const corpus = table.values[c].map((v) => v ?? "").join("\n");
  const lm = await trainLanguageModel(runtime, corpus, s, spec.training, options);
  const last = lm.history[lm.history.length - 1];
  const card: ModelCard = {
    task: "generation",
    target: column,
    features: [],
    text: { column, tokenizer: s.tokenizer, lowercase: false, vocabSize: s.vocabSize, ngrams: 1, buckets: 0, maxTokens: s.context, lengths: false, icu: lm.tokenizer.unicode },
    language: { architecture: s.architecture ?? "transformer", context: s.context, layers: s.layers, heads: s.heads, width: s.width, vocab: lm.tokenizer.size },
    spec: { model: spec.model, training: spec.training },
    metrics: { trainLoss: last.trainLoss, validationLoss: lm.validation.natsPerToken, bitsPerCharacter: lm.validation.bitsPerCharacter },
    dataset: { source: table.source, rows: table.rows, columns: table.columns.length, sha256: tableFingerprint(table), trainRows: table.rows, validationRows: 0 },
    training: { epochs: lm.history.length, bestEpoch: lm.history.length, seconds: (performance.now() - started) / 1000 },
    version: VERSION,
  };
  const onnx = decoderStepModel(s, lm.tokenizer.size, lm.params, {
    metadata: { ...cardMetadata(card), [VOCABULARY_KEY]: JSON.stringify(lm.tokenizer.toJSON()) },
    producerVersion: VERSION,
    docString: `OpenMaaS ${spec.model.kind} language model of '${column}'`,
  });
  return { onnx, card };
}
