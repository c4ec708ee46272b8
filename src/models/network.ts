// The model families as graphs: the network body (linear, logistic, MLP), its loss for training and
// its prediction head for inference, all built by the same code in every mode of the Builder.
import { Builder } from "../engine/builder.js";
import type { Graph, Value } from "../engine/graph.js";
import { add, argmax, cast, concat, div, gather, greater, meanSquaredError, mul, reduceSum, sigmoid, sigmoidBinaryCrossEntropy, softmax, softmaxCrossEntropy, squeeze, sub, unsqueeze } from "../engine/ops.js";
import { cnnBody, defaultLayers } from "./cnn.js";
import type { ModelSpec, Task } from "./spec.js";

/** The shape of the problem a network is built for. */
export interface Problem {
  task: Task;
  /** Values per row (C*H*W for images). */
  features: number;
  /** The shape of one row when it is not a flat vector: [C, H, W] for images, [T, F] for sequences. */
  input?: readonly number[];
  /** Sequences of varying length: the graphs take a `lengths` input [N] (int64) beside the steps. */
  lengths?: boolean;
  /** Classes for classification (2 = binary, with one sigmoid output); 1 for regression. */
  classes: number;
  /**
   * Text models: rows are token ids in [0, vocab) (0 pads), as floats in training data and int64 in
   * the exported graph; the network embeds them first.
   */
  vocab?: number;
  /** The lexicon baseline: each token id's valence (length `vocab`). */
  lexicon?: Float32Array;
}

/** Name of the feature-matrix input of the engine-level graphs ([N, features] float). */
export const FEATURES_INPUT = "features";
/** Name of the target input of the training graph. */
export const TARGET_INPUT = "target";

/** Width of the network's last layer: one output for regression and binary, K for K classes. */
export function outputWidth(p: Problem): number {
  return p.task === "classification" && p.classes > 2 ? p.classes : 1;
}

/** Name of the per-sequence lengths input of sequence models with varying lengths. */
export const LENGTHS_INPUT = "lengths";

/** Token ids as int64 (training feeds them as floats: exact below 2^24). */
const tokenIds = (x: Value): Value => (x.dtype === "int64" ? x : cast(x, "int64"));

/**
 * fastText's classifier (Joulin et al. 2017): the mean of the embeddings of a document's tokens
 * (words and hashed n-grams; padding ids 0 left out), then a linear layer.
 */
function embeddingBag(b: Builder, p: Problem, dim: number, x: Value): Value {
  const ids = tokenIds(x);
  const vectors = b.embedding(ids, p.vocab!, dim, "embedding"); // [N, L, d]
  const mask = unsqueeze(cast(greater(ids, 0), b.graph.floatType), [2]); // [N, L, 1]
  const count = reduceSum(mask, [1]); // [N, 1]
  const one = b.graph.scalar(1);
  // max(count, 1): an empty document embeds to zeros instead of 0/0
  const denominator = add(count, mul(sub(one, cast(greater(count, 0), b.graph.floatType)), one));
  return div(reduceSum(mul(vectors, mask), [1]), denominator);
}

/** The network body: raw features in, raw outputs (regression values or class logits) out. */
export function body(b: Builder, spec: ModelSpec, p: Problem, x: Value): Value {
  if (spec.kind === "lexicon") {
    if (!p.lexicon) throw new Error("a lexicon model reads text: its problem needs the tokens' valences");
    const valences = b.graph.constant({ dtype: "float32", dims: [p.lexicon.length], data: p.lexicon }, "lexicon");
    return b.dense(reduceSum(gather(valences, tokenIds(x)), [1], true), outputWidth(p), "output");
  }
  if (spec.kind === "fasttext") {
    if (!p.vocab) throw new Error("a fasttext model reads text: its problem needs a vocabulary");
    return b.dense(embeddingBag(b, p, spec.embedding, x), outputWidth(p), "output");
  }
  // Recurrent networks over text read the token embeddings as their steps.
  if (p.vocab && (spec.kind === "rnn" || spec.kind === "lstm" || spec.kind === "gru")) x = b.embedding(tokenIds(x), p.vocab, spec.embedding, "embedding");
  if (spec.kind === "rnn" || spec.kind === "lstm" || spec.kind === "gru") {
    if (x.rank !== 3) throw new Error(`a ${spec.kind} takes [N, T, F] sequences; got ${x}`);
    const lengths = p.lengths ? b.graph.inputs.find((v) => v.name === LENGTHS_INPUT) ?? b.graph.input(LENGTHS_INPUT, "int64", ["batch"]) : undefined;
    let h = x;
    spec.hidden.forEach((units, i) => {
      const last = i === spec.hidden.length - 1;
      h = b[spec.kind as "rnn" | "lstm" | "gru"](h, units, `${spec.kind}${i}`, { returnSequences: !last, bidirectional: spec.bidirectional, ...(lengths ? { lengths } : {}) });
    });
    return b.dense(h, outputWidth(p), "output");
  }
  if (spec.kind === "cnn") {
    if (x.rank !== 4) throw new Error(`a cnn takes [N, C, H, W] images; got ${x}`);
    const [c, height, width] = x.shape.slice(1) as number[];
    return b.dense(cnnBody(b, spec.layers ?? defaultLayers(c, height, width), x), outputWidth(p), "output");
  }
  // Dense families take flat rows: images are flattened first (logistic regression on pixels, say).
  let h = x.rank > 2 ? b.flatten(x) : x;
  if (spec.kind === "mlp") {
    const init = spec.activation === "relu" || spec.activation === "gelu" ? "he" : "xavier";
    spec.hidden.forEach((units, i) => {
      h = b.activation(b.dense(h, units, `hidden${i}`, init), spec.activation);
      h = b.dropout(h, spec.dropout, `hidden${i}.dropout`);
    });
  }
  return b.dense(h, outputWidth(p), "output");
}

/** The target input and the loss of the network's raw outputs against it. */
export function loss(b: Builder, p: Problem, out: Value, classWeights?: Float32Array): Value {
  const g = b.graph;
  if (p.task === "regression") return meanSquaredError(out, g.input(TARGET_INPUT, g.floatType, ["batch", 1]));
  if (p.classes === 2) return sigmoidBinaryCrossEntropy(out, g.input(TARGET_INPUT, g.floatType, ["batch", 1]));
  const weights = classWeights ? g.constant({ dtype: g.floatType, dims: [p.classes], data: classWeights }, "class_weights") : undefined;
  return softmaxCrossEntropy(out, g.input(TARGET_INPUT, "int64", ["batch"]), weights);
}

/** The network on the [batch, features] input, and its loss: what training and evaluation graphs compute. */
export function objective(b: Builder, spec: ModelSpec, p: Problem, classWeights?: Float32Array): { out: Value; loss: Value } {
  const out = body(b, spec, p, b.graph.input(FEATURES_INPUT, "float32", ["batch", ...(p.input ?? [p.features])]));
  return { out, loss: loss(b, p, out, classWeights) };
}

/** What a model answers: `prediction` [N] (a value, or a class index) and, for classifiers, `probabilities` [N, K]. */
export interface Head {
  prediction: Value;
  probabilities?: Value;
}

/**
 * The inference graph of a trained network. `input` declares the graph's inputs and returns the
 * feature matrix; with `labels`, classifiers answer label strings instead of class indices.
 */
export function inferenceGraph(
  spec: ModelSpec,
  p: Problem,
  params: ReadonlyMap<string, Float32Array>,
  input: (g: Graph) => Value,
  labels?: readonly string[],
): Graph {
  const b = new Builder("openmaas_model", "infer", "float32", params);
  const g = b.graph;
  const h = head(p, body(b, spec, p, input(g)));
  let prediction = h.prediction;
  if (labels) {
    if (labels.length !== p.classes) throw new Error(`${labels.length} labels for ${p.classes} classes`);
    prediction = gather(g.constant({ dtype: "string", dims: [labels.length], data: [...labels] }, "labels"), prediction);
  }
  g.output(prediction, "prediction");
  if (h.probabilities) g.output(h.probabilities, "probabilities");
  return g;
}

export function head(p: Problem, out: Value): Head {
  if (p.task === "regression") return { prediction: squeeze(out, [1]) };
  let probabilities: Value;
  if (p.classes === 2) {
    const q = sigmoid(out); // P(class 1); class 0 gets 1 - q
    probabilities = concat([sub(1, q), q], 1);
  } else probabilities = softmax(out, 1);
  return { prediction: argmax(probabilities, 1), probabilities };
}
