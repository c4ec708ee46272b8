// Text generation from a trained decoder: a step graph with a key/value cache (each new token costs
// one position of attention over the cache, not a re-run of the prefix), and sampling — temperature,
// top-k, top-p (nucleus), a seed, a token budget and stop sequences.
//
// The step graph follows the layout of decoder models exported by Hugging Face Optimum: inputs
// `input_ids` [N, 1], `attention_mask` [N, P + 1], `position_ids` [N, 1] and
// `past_key_values.{l}.key` / `.value` [N, heads, P, width/heads]; outputs `logits` [N, 1, vocab] and
// `present.{l}.key` / `.value` [N, heads, P + 1, width/heads]. A sequence holds at most `context`
// tokens. Concurrent generations share runs (DecoderBatcher): their caches are left-padded to one
// length and masked.
import { Builder } from "../engine/builder.js";
import type { EncodeOptions } from "../engine/onnx-codec.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { mergeHeads, splitHeads } from "../engine/ops-attention.js";
import { add, cast, concat, div, gather, matmul, mul, reduceSum, sigmoid, softmax, split, sqrt, squeeze, sub, tanh, transpose, unsqueeze } from "../engine/ops.js";
import { Random } from "../engine/random.js";
import type { Tensor } from "../runtime/tensor.js";
import type { Tokenizer } from "../text/tokenizer.js";
import type { DecoderBatcher } from "./decoder-batcher.js";
import type { LanguageSpec } from "./language.js";
import { decoderHidden } from "./language.js";

const pastName = (l: number, kv: "key" | "value") => `past_key_values.${l}.${kv}`;
const presentName = (l: number, kv: "key" | "value") => `present.${l}.${kv}`;

const stateName = (when: "past" | "present", l: number, which: "h" | "c") => `${when}_state.${l}.${which}`;

/** The one-token step of a language model over trained `params` (as constants): a Transformer's with its key/value cache, an LSTM's with its states. */
export function decoderStepModel(s: LanguageSpec, vocab: number, params: ReadonlyMap<string, Float32Array>, options: EncodeOptions = {}): Uint8Array {
  return s.architecture === "lstm" ? lstmStepModel(s, vocab, params, options) : transformerStepModel(s, vocab, params, options);
}

/**
 * An LSTM language model's step: `input_ids` [N, 1] and `past_state.{l}.h` / `.c` [N, width] ->
 * `logits` [N, 1, vocab] and `present_state.{l}.h` / `.c` (PyTorch's LSTM cell, as recurrent.ts).
 */
function lstmStepModel(s: LanguageSpec, vocab: number, params: ReadonlyMap<string, Float32Array>, options: EncodeOptions): Uint8Array {
  const b = new Builder("openmaas_lstm_step", "infer", "float32", params);
  const g = b.graph;
  const W = s.width;
  let x = squeeze(b.embedding(g.input("input_ids", "int64", ["batch", 1]), vocab, W, "tokens"), [1]);
  for (let l = 0; l < s.layers; l++) {
    const h = g.input(stateName("past", l, "h"), "float32", ["batch", W]);
    const c = g.input(stateName("past", l, "c"), "float32", ["batch", W]);
    const p = (n: string, shape: number[]) => b.param(`lstm${l}.${n}`, shape, "zeros", false);
    const z = add(add(matmul(x, p("weight_ih", [W, 4 * W])), add(p("bias_ih", [4 * W]), p("bias_hh", [4 * W]))), matmul(h, p("weight_hh", [W, 4 * W])));
    const [zi, zf, zg, zo] = split(z, 1, [W, W, W, W]);
    const cNext = add(mul(sigmoid(zf), c), mul(sigmoid(zi), tanh(zg)));
    x = mul(sigmoid(zo), tanh(cNext));
    g.output(x, stateName("present", l, "h"));
    g.output(cNext, stateName("present", l, "c"));
  }
  g.output(unsqueeze(b.dense(x, vocab, "output"), [1]), "logits");
  return encodeModel(g, options);
}

/** The one-token decoder step with a key/value cache, over trained `params` (as constants). */
function transformerStepModel(s: LanguageSpec, vocab: number, params: ReadonlyMap<string, Float32Array>, options: EncodeOptions = {}): Uint8Array {
  const b = new Builder("openmaas_decoder", "infer", "float32", params);
  const g = b.graph;
  const dh = s.width / s.heads;
  const ids = g.input("input_ids", "int64", ["batch", 1]);
  // Sequences of different lengths share a run left-padded: the mask says which cached positions
  // are real (1) or padding (0), and each token's position is its own sequence's length.
  const mask = g.input("attention_mask", "int64", ["batch", "total"]);
  const positionIds = g.input("position_ids", "int64", ["batch", 1]);
  const pasts = Array.from({ length: s.layers }, (_v, l) => ({
    key: g.input(pastName(l, "key"), "float32", ["batch", s.heads, "past", dh]),
    value: g.input(pastName(l, "value"), "float32", ["batch", s.heads, "past", dh]),
  }));
  const padding = unsqueeze(mul(sub(1, cast(mask, "float32")), -1e9), [1, 2]); // [N, 1, 1, total]
  let h = add(b.embedding(ids, vocab, s.width, "tokens"), gather(b.positionalEmbedding(s.context, s.width, "positions"), positionIds));
  for (let l = 0; l < s.layers; l++) {
    const x = b.layerNorm(h, `block${l}.ln1`);
    const [q, k, v] = ["query", "key", "value"].map((p) => splitHeads(b.dense(x, s.width, `block${l}.attention.${p}`), s.heads));
    const keys = concat([pasts[l].key, k], 2);
    const values = concat([pasts[l].value, v], 2);
    g.output(keys, presentName(l, "key"));
    g.output(values, presentName(l, "value"));
    // softmax(q kᵀ / sqrt(dh)) v over the cached positions that are real: the new token sees them all.
    const attention = softmax(add(matmul(mul(q, 1 / Math.sqrt(dh)), transpose(keys, [0, 1, 3, 2])), padding), -1);
    h = add(h, b.dense(mergeHeads(matmul(attention, values)), s.width, `block${l}.attention.output`));
    const up = b.activation(b.dense(b.layerNorm(h, `block${l}.ln2`), 4 * s.width, `block${l}.up`), "gelu");
    h = add(h, b.dense(up, s.width, `block${l}.down`));
  }
  g.output(b.tiedOutput(b.layerNorm(h, "final.ln"), "tokens"), "logits");
  return encodeModel(g, options);
}

export interface SamplingOptions {
  /** Tokens to generate at most. */
  maxTokens: number;
  /** 0: always the most likely token. */
  temperature: number;
  /** Sample among the k most likely tokens only (0: all). */
  topK: number;
  /** Sample among the most likely tokens whose probabilities add up to p (1: all). */
  topP: number;
  seed: number;
  /** Generation ends before the first of these strings; it is not part of the text. */
  stop: readonly string[];
}

/** The index drawn from `logits` under the sampling options (Random `rng`). */
export function sampleToken(logits: Float32Array, o: Pick<SamplingOptions, "temperature" | "topK" | "topP">, rng: Random): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
  if (o.temperature <= 0) return best;
  const order = Array.from(logits.keys()).sort((a, b) => logits[b] - logits[a] || a - b);
  const kept = o.topK > 0 ? order.slice(0, o.topK) : order;
  const weights = kept.map((i) => Math.exp((logits[i] - logits[best]) / o.temperature));
  const total = weights.reduce((a, w) => a + w, 0);
  // Nucleus: the shortest prefix of the sorted tokens whose probability reaches topP.
  let cut = kept.length;
  if (o.topP < 1) {
    let mass = 0;
    for (let j = 0; j < kept.length; j++) {
      mass += weights[j] / total;
      if (mass >= o.topP) {
        cut = j + 1;
        break;
      }
    }
  }
  const sum = weights.slice(0, cut).reduce((a, w) => a + w, 0);
  let u = rng.uniform() * sum;
  for (let j = 0; j < cut; j++) {
    u -= weights[j];
    if (u <= 0) return kept[j];
  }
  return kept[cut - 1];
}

export interface Generation {
  text: string;
  /** Token counts, as the OpenAI API reports them. */
  promptTokens: number;
  completionTokens: number;
  finishReason: "stop" | "length";
}

/**
 * Continues `prompt` one token per step of the cached decoder (steps of concurrent generations share
 * runs through `decoder`). A prompt longer than the context
 * (less the tokens to generate, at least one) is cut to its last tokens. `onText` receives each
 * piece of new text as it is decided (for streaming).
 */
export async function generate(decoder: DecoderBatcher, s: LanguageSpec, tokenizer: Tokenizer, prompt: string, o: SamplingOptions, onText?: (piece: string) => void, signal?: AbortSignal): Promise<Generation> {
  const rng = new Random(o.seed);
  // An LSTM's state has no length; a Transformer's positions end at its context.
  const limit = s.architecture === "lstm" ? Number.MAX_SAFE_INTEGER : s.context;
  const budget = Math.max(1, Math.min(o.maxTokens, limit - 1));
  const all = tokenizer.encode(prompt);
  const ids = all.slice(Math.max(0, all.length - (limit - budget)));
  const cache = decoder.emptyCache();
  const run = (token: number): Promise<Float32Array> => decoder.step(cache, token);
  // The prompt fills the cache (an empty prompt starts from the unknown id, which no text contains).
  let logits: Float32Array = new Float32Array(0);
  for (const token of ids.length ? ids : [1]) logits = await run(token);
  const generated: number[] = [];
  let text = "";
  let emitted = 0;
  for (let n = 0; n < budget; n++) {
    // A client that went away stops the generation (its cache is dropped with it).
    signal?.throwIfAborted();
    const token = sampleToken(logits, o, rng);
    generated.push(token);
    text = tokenizer.decode(generated);
    const stopAt = firstStop(text, o.stop);
    if (stopAt >= 0) {
      text = text.slice(0, stopAt);
      if (onText && text.length > emitted) onText(text.slice(emitted));
      return { text, promptTokens: ids.length, completionTokens: generated.length, finishReason: "stop" };
    }
    // Hold back what could still become a stop sequence (and a cut multi-byte character).
    const safe = text.length - holdBack(text, o.stop);
    if (onText && safe > emitted && !text.slice(emitted, safe).includes("\uFFFD")) {
      onText(text.slice(emitted, safe));
      emitted = safe;
    }
    if (n + 1 < budget) logits = await run(token);
  }
  if (onText && text.length > emitted) onText(text.slice(emitted));
  return { text, promptTokens: ids.length, completionTokens: generated.length, finishReason: "length" };
}

function firstStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    const i = s ? text.indexOf(s) : -1;
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** Characters at the end of `text` that start some stop sequence. */
function holdBack(text: string, stops: readonly string[]): number {
  let keep = 0;
  for (const s of stops) for (let n = Math.min(s.length - 1, text.length); n > keep; n--) if (text.endsWith(s.slice(0, n))) keep = n;
  return keep;
}

/**
 * Text embeddings from a language model: the mean of its last hidden states over a text's tokens
 * (`ids` [N, context], 0 pads; `mask` [N, context], 1 on tokens), scaled to unit length -> `embedding` [N, width].
 */
export function embeddingModel(s: LanguageSpec, vocab: number, params: ReadonlyMap<string, Float32Array>): Uint8Array {
  const b = new Builder("openmaas_embedding", "infer", "float32", params);
  const g = b.graph;
  const hidden = decoderHidden(b, s, vocab, g.input("ids", "int64", ["batch", s.context]));
  const mask = unsqueeze(g.input("mask", "float32", ["batch", s.context]), [2]);
  const mean = div(reduceSum(mul(hidden, mask), [1]), reduceSum(mask, [1]));
  g.output(div(mean, sqrt(reduceSum(mul(mean, mean), [1], true))), "embedding");
  return encodeModel(g);
}

/** Feeds of `embeddingModel` for texts (each cut to its first `context` tokens; an empty one reads one padding token). */
export function embeddingFeeds(s: LanguageSpec, tokenizer: Tokenizer, texts: readonly string[]): { feeds: Record<string, Tensor>; tokens: number } {
  const T = s.context;
  const ids = new BigInt64Array(texts.length * T);
  const mask = new Float32Array(texts.length * T);
  let tokens = 0;
  texts.forEach((text, n) => {
    const t = tokenizer.encode(text).slice(0, T);
    tokens += t.length;
    t.forEach((id, j) => (ids[n * T + j] = BigInt(id)));
    for (let j = 0; j < Math.max(1, t.length); j++) mask[n * T + j] = 1;
  });
  return { feeds: { ids: { dtype: "int64", dims: [texts.length, T], data: ids }, mask: { dtype: "float32", dims: [texts.length, T], data: mask } }, tokens };
}
