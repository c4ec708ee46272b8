// Builds a network's graph in one of three modes from the same code:
// - train: parameters, layer state and dropout masks are graph inputs (fed and swapped by the
//          training loop); batch normalisation uses batch statistics and updates its running ones;
// - eval:  parameters and layer state are inputs, dropout is off, batch normalisation uses the
//          running statistics (validation during training);
// - infer: parameters and layer state are constants, otherwise as eval (the exported model).
import type { Shape, Value } from "./graph.js";
import { Graph } from "./graph.js";
import type { Fans, InitScheme } from "./init.js";
import { convFans } from "./init.js";
import type { Pair } from "./ops-conv.js";
import { avgPool2d, conv2d, flatten, globalAvgPool, maxPool2d, samePads } from "./ops-conv.js";
import { layerNorm, mergeHeads, scaledDotProductAttention, splitHeads } from "./ops-attention.js";
import { batchNormInference, batchNormTraining } from "./ops-norm.js";
import { add, cast, concat, div, erf, gather, greater, matmul, mul, relu, sigmoid, slice, sub, tanh, transpose, where } from "./ops.js";
import type { CellKind, CellWeights } from "./recurrent.js";
import { GATES, lengthMask, runCell, stackSteps } from "./recurrent.js";

export type Mode = "train" | "eval" | "infer";
export type Activation = "relu" | "tanh" | "sigmoid" | "gelu" | "identity";
export type FloatArray = Float32Array | Float64Array;

/** A trainable parameter as declared by the network. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitScheme;
  /** Whether weight decay applies (weights yes, biases and normalisation parameters no). */
  decay: boolean;
  /** Fan-in and fan-out for the random schemes; absent: the dense layout's (see init.ts). */
  fans?: Fans;
}

/** How carried layer state starts. */
export type StateInit = "zeros" | "ones";

/**
 * Layer state that is not trained by gradients but carried from step to step (batch normalisation's
 * running statistics): an input in train and eval mode, a constant in infer mode.
 */
export interface StateSpec {
  name: string;
  shape: number[];
  init: StateInit;
}

/** A dropout mask input: entries are 0 (dropped) or 1/(1-rate) (kept), drawn per batch. */
export interface MaskSpec {
  name: string;
  rate: number;
  shape: Shape;
}

/** "valid" (no padding), "same" (output size ceil(size / stride)), or pads per side of H and W. */
export type Padding = "valid" | "same" | number | Pair;

export interface Conv2dLayerOptions {
  /** Stride per axis (default 1). */
  stride?: number | Pair;
  /** Default "valid". "same" pads the extra row or column at the end, as TensorFlow does. */
  padding?: Padding;
  /** Dilation per axis (default 1). */
  dilation?: number | Pair;
  /** Channel groups: input and output channels split into this many independent convolutions (default 1). */
  groups?: number;
  /** Whether the layer adds a bias per filter (default true; pointless before batch normalisation). */
  bias?: boolean;
  /** Weight initialisation (default He, for ReLU-family activations), with conv fans. */
  init?: InitScheme;
}

export interface Pool2dLayerOptions {
  /** Stride per axis (default: the window, so windows do not overlap). */
  stride?: number | Pair;
  /** Default "valid". */
  padding?: Padding;
}

export interface BatchNormOptions {
  /**
   * Weight of the old running statistic: running = momentum * running + (1 - momentum) * batch
   * (default 0.9, the same as PyTorch's momentum=0.1, whose momentum weighs the batch).
   */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

export interface RecurrentOptions {
  /** Return the state after every step, [N, T, H] (true), or the last state, [N, H] (default false). */
  returnSequences?: boolean;
  /** Valid steps per row, [N] int64: later steps keep the state; returned sequences are 0 there. */
  lengths?: Value;
  /** Or a [N, T] mask, 1 for a real step and 0 for padding (each row's real steps first). */
  mask?: Value;
  /** Also run a second cell backwards in time (within each row's length) and concat: 2H features. */
  bidirectional?: boolean;
  /** The Elman RNN's activation (default "tanh"), as PyTorch's `nonlinearity`. */
  activation?: "tanh" | "relu";
  /** LSTM only: start `bias_ih`'s forget block at 1 instead of 0 (Keras' unit_forget_bias; default false, as PyTorch). */
  unitForgetBias?: boolean;
}

export interface AttentionOptions {
  /** Query i attends only to keys j <= i (a decoder's self-attention). Default false. */
  causal?: boolean;
}

const pairOf = (v: number | Pair): Pair => (typeof v === "number" ? [v, v] : v);

/** Declares parameters, state and layers on a graph; see the file header for the modes. */
export class Builder {
  readonly params: ParamSpec[] = [];
  readonly states: StateSpec[] = [];
  /** The next value of each state tensor, by name, as `updateState` declared it. */
  readonly stateUpdates = new Map<string, Value>();
  readonly masks: MaskSpec[] = [];
  readonly graph: Graph;
  /** Each declared parameter's value, by name (for layers that reuse one, such as a tied output). */
  private readonly paramValues = new Map<string, Value>();

  /** @param values trained parameter and state values, required in `infer` mode */
  constructor(
    name: string,
    readonly mode: Mode,
    floatType: "float32" | "float64" = "float32",
    private readonly values?: ReadonlyMap<string, FloatArray>,
  ) {
    if (mode === "infer" && !values) throw new Error("an inference graph needs the trained parameter values");
    this.graph = new Graph(name, floatType);
  }

  /** Declares (and returns) a parameter: an input when training, a constant when inferring. */
  param(name: string, shape: number[], init: InitScheme, decay: boolean, fans?: Fans): Value {
    this.unique(name);
    this.params.push({ name, shape, init, decay, ...(fans ? { fans } : {}) });
    const v = this.tensor(name, shape, "parameter");
    this.paramValues.set(name, v);
    return v;
  }

  /** Declares (and returns) carried layer state: an input when training or evaluating, a constant when inferring. */
  state(name: string, shape: number[], init: StateInit): Value {
    this.unique(name);
    this.states.push({ name, shape, init });
    return this.tensor(name, shape, "state");
  }

  /** Sets the value state `name` takes after a training step (fetched as `<name>.next`). */
  updateState(name: string, next: Value): void {
    const spec = this.states.find((s) => s.name === name);
    if (!spec) throw new Error(`no state named '${name}' to update`);
    if (this.stateUpdates.has(name)) throw new Error(`state '${name}' is updated twice`);
    if (next.shape.join(",") !== spec.shape.join(",")) throw new Error(`state '${name}' has shape [${spec.shape}]; its update is ${next}`);
    this.stateUpdates.set(name, next);
  }

  private unique(name: string): void {
    if (this.params.some((p) => p.name === name) || this.states.some((s) => s.name === name)) throw new Error(`'${name}' is declared twice`);
  }

  private tensor(name: string, shape: number[], kind: string): Value {
    const dtype = this.graph.floatType;
    if (this.mode !== "infer") return this.graph.input(name, dtype, shape);
    const data = this.values!.get(name);
    if (!data) throw new Error(`no trained value for ${kind} '${name}'`);
    if (data.length !== shape.reduce((p, d) => p * d, 1)) throw new Error(`${kind} '${name}' has ${data.length} values, shape [${shape}] needs more or fewer`);
    return this.graph.constant({ dtype, dims: shape, data }, name);
  }

  // -------------------------------------------------------------------------------------------
  // Dense layers and activations
  // -------------------------------------------------------------------------------------------

  /** y = x W + b, W: [in, units] (He init before ReLU-family activations, Xavier otherwise). */
  dense(x: Value, units: number, name: string, init: InitScheme = "xavier"): Value {
    const inputs = x.shape[x.rank - 1];
    if (typeof inputs !== "number") throw new Error(`dense '${name}' needs a known input width; got ${x}`);
    const w = this.param(`${name}.weight`, [inputs, units], init, true);
    const b = this.param(`${name}.bias`, [units], "zeros", false);
    return add(matmul(x, w), b);
  }

  activation(x: Value, kind: Activation): Value {
    switch (kind) {
      case "relu":
        return relu(x);
      case "tanh":
        return tanh(x);
      case "sigmoid":
        return sigmoid(x);
      case "gelu":
        // gelu(x) = x/2 * (1 + erf(x/sqrt 2)); opset 17 has no Gelu operator
        return mul(mul(x, 0.5), add(erf(div(x, Math.SQRT2)), 1));
      case "identity":
        return x;
    }
  }

  /** Inverted dropout: a fed mask when training, the identity otherwise. */
  dropout(x: Value, rate: number, name: string): Value {
    if (this.mode !== "train" || rate <= 0) return x;
    if (rate >= 1) throw new Error(`dropout rate must be below 1; got ${rate}`);
    const shape = x.shape;
    this.masks.push({ name, rate, shape });
    return mul(x, this.graph.input(name, x.dtype, shape));
  }

  // -------------------------------------------------------------------------------------------
  // Image layers (NCHW)
  // -------------------------------------------------------------------------------------------

  /**
   * 2-D convolution of x [N, C, H, W] with `filters` kernels of size `kernel`: weight
   * [filters, C/groups, kH, kW] (He init with conv fans), bias [filters].
   * @example h = b.conv2d(x, 16, 3, { padding: "same", bias: false }, "conv1");
   */
  conv2d(x: Value, filters: number, kernel: number | Pair, options: Conv2dLayerOptions, name: string): Value {
    const c = x.shape[1];
    const groups = options.groups ?? 1;
    if (x.rank !== 4 || typeof c !== "number") throw new Error(`conv2d '${name}' takes [N, C, H, W] with a known C; got ${x}`);
    if (c % groups !== 0 || filters % groups !== 0) throw new Error(`conv2d '${name}': ${groups} groups must divide ${c} channels and ${filters} filters`);
    const k = pairOf(kernel);
    const strides = pairOf(options.stride ?? 1);
    const dilations = pairOf(options.dilation ?? 1);
    const shape = [filters, c / groups, ...k];
    const w = this.param(`${name}.weight`, shape, options.init ?? "he", true, convFans(shape));
    const b = options.bias === false ? undefined : this.param(`${name}.bias`, [filters], "zeros", false);
    return conv2d(x, w, b, { strides, dilations, group: groups, pads: this.pads(x, options.padding, k, strides, dilations) });
  }

  /** Max over each window (in train mode the node also outputs the argmax, for the gradient). */
  maxPool2d(x: Value, kernel: number | Pair, options: Pool2dLayerOptions = {}): Value {
    const k = pairOf(kernel);
    const strides = pairOf(options.stride ?? k);
    return maxPool2d(x, k, { strides, pads: this.pads(x, options.padding, k, strides, [1, 1]) }, this.mode === "train");
  }

  /** Mean over each window; padded cells do not count (ONNX count_include_pad = 0). */
  avgPool2d(x: Value, kernel: number | Pair, options: Pool2dLayerOptions = {}): Value {
    const k = pairOf(kernel);
    const strides = pairOf(options.stride ?? k);
    return avgPool2d(x, k, { strides, pads: this.pads(x, options.padding, k, strides, [1, 1]) });
  }

  /** Mean over H and W: [N, C, H, W] -> [N, C, 1, 1]. */
  globalAvgPool(x: Value): Value {
    return globalAvgPool(x);
  }

  /** [N, C, H, W] -> [N, C*H*W]. */
  flatten(x: Value): Value {
    return flatten(x);
  }

  /**
   * Batch normalisation per channel of x [N, C, H, W]: parameters `<name>.weight` (scale, ones)
   * and `<name>.bias` (zeros), state `<name>.running_mean` (zeros) and `<name>.running_var` (ones).
   * Train mode normalises by the batch's mean and biased variance and updates the running
   * statistics with the unbiased variance, as PyTorch does; eval and infer modes normalise by the
   * running statistics (ONNX BatchNormalization).
   */
  batchNorm2d(x: Value, name: string, options: BatchNormOptions = {}): Value {
    const c = x.shape[1];
    if (x.rank !== 4 || typeof c !== "number") throw new Error(`batchNorm2d '${name}' takes [N, C, H, W] with a known C; got ${x}`);
    const momentum = options.momentum ?? 0.9;
    const eps = options.eps ?? 1e-5;
    const scale = this.param(`${name}.weight`, [c], "ones", false);
    const bias = this.param(`${name}.bias`, [c], "zeros", false);
    const [meanName, varName] = [`${name}.running_mean`, `${name}.running_var`];
    const runningMean = this.state(meanName, [c], "zeros");
    const runningVar = this.state(varName, [c], "ones");
    if (this.mode !== "train") return batchNormInference(x, scale, bias, runningMean, runningVar, eps);

    const { y, mean, variance, count } = batchNormTraining(x, scale, bias, eps);
    // unbiased = var * n / (n - 1); with one element per channel there is no spread to correct
    const unbiased = mul(variance, where(greater(count, 1), div(count, sub(count, 1)), 1));
    this.updateState(meanName, add(mul(runningMean, momentum), mul(mean, 1 - momentum)));
    this.updateState(varName, add(mul(runningVar, momentum), mul(unbiased, 1 - momentum)));
    return y;
  }

  // -------------------------------------------------------------------------------------------
  // Sequence layers ([N, T, F], unrolled through time: see recurrent.ts)
  // -------------------------------------------------------------------------------------------

  /**
   * Elman RNN: h' = tanh(x W_ih + b_ih + h W_hh + b_hh), parameters `<name>.weight_ih` [F, H],
   * `<name>.weight_hh` [H, H], `<name>.bias_ih`, `<name>.bias_hh` [H] (and `..._reverse` ones).
   * @example const h = b.rnn(x, 16, "rnn1", { lengths, returnSequences: true });
   */
  rnn(x: Value, hidden: number, name: string, options: RecurrentOptions = {}): Value {
    return this.recurrent("rnn", x, hidden, name, options);
  }

  /** LSTM with PyTorch's gate blocks [i f g o] along the columns of W_ih [F, 4H] and W_hh [H, 4H]. */
  lstm(x: Value, hidden: number, name: string, options: RecurrentOptions = {}): Value {
    return this.recurrent("lstm", x, hidden, name, options);
  }

  /** GRU with PyTorch's gate blocks [r z n] and n = tanh(x W_in + b_in + r (h W_hn + b_hn)). */
  gru(x: Value, hidden: number, name: string, options: RecurrentOptions = {}): Value {
    return this.recurrent("gru", x, hidden, name, options);
  }

  /**
   * Rows of a [vocab, dim] table `<name>.weight` for int64 ids of any shape: [...ids, dim]. The
   * table starts U(-sqrt 3, sqrt 3) (variance 1, as PyTorch's N(0, 1)); its gradient adds each
   * output row's gradient into the row it came from (ScatterND, reduction "add").
   */
  embedding(ids: Value, vocab: number, dim: number, name: string): Value {
    if (ids.dtype !== "int64") throw new Error(`embedding '${name}' takes int64 ids; got ${ids}`);
    return gather(this.param(`${name}.weight`, [vocab, dim], "he", true, { fanIn: 2, fanOut: dim }), ids, 0);
  }

  // -------------------------------------------------------------------------------------------
  // Transformer layers ([N, T, D], T static)
  // -------------------------------------------------------------------------------------------

  /**
   * Layer normalisation over the last axis (ONNX LayerNormalization, eps 1e-5): `<name>.weight`
   * (scale, ones) and `<name>.bias` (zeros) [D], neither decayed. The same in every mode.
   */
  layerNorm(x: Value, name: string, eps = 1e-5): Value {
    const d = x.shape[x.rank - 1];
    if (typeof d !== "number") throw new Error(`layerNorm '${name}' needs a known last dim; got ${x}`);
    return layerNorm(x, this.param(`${name}.weight`, [d], "ones", false), this.param(`${name}.bias`, [d], "zeros", false), eps);
  }

  /**
   * Multi-head scaled dot-product self-attention of x [N, T, D]: dense projections `<name>.query`,
   * `.key`, `.value` (D -> D), `heads` heads of width D/heads, softmax(q k^T / sqrt(D/heads)) v per
   * head (causal: position i sees j <= i), heads concatenated and projected by `<name>.output`.
   * @example h = add(h, b.attention(b.layerNorm(h, "ln1"), 2, "attn", { causal: true }));
   */
  attention(x: Value, heads: number, name: string, options: AttentionOptions = {}): Value {
    const width = x.shape[2];
    if (x.rank !== 3 || typeof width !== "number") throw new Error(`attention '${name}' takes [N, T, D] with a known D; got ${x}`);
    const [q, k, v] = ["query", "key", "value"].map((p) => splitHeads(this.dense(x, width, `${name}.${p}`), heads));
    return this.dense(mergeHeads(scaledDotProductAttention(q, k, v, options.causal === true)), width, `${name}.output`);
  }

  /**
   * Learned absolute positions: `<name>.weight` [maxLength, dim] (Xavier with the dense fans, decayed
   * like the token table), returned as its first `length` rows [length, dim], to add to token
   * embeddings [N, T, dim] (the addition broadcasts over N and sums the gradient back over it).
   */
  positionalEmbedding(length: number, dim: number, name: string, maxLength = length): Value {
    if (length > maxLength) throw new Error(`positionalEmbedding '${name}': ${length} steps exceed the table's ${maxLength}`);
    const table = this.param(`${name}.weight`, [maxLength, dim], "xavier", true);
    return length === maxLength ? table : slice(table, [0], [0], [length]);
  }

  /**
   * Logits over the vocabulary from h [..., dim] with the table of embedding `name` (declared by
   * `embedding`) as the output weights: h E^T, [..., vocab] (weight tying; the table's gradient sums
   * both uses).
   */
  tiedOutput(h: Value, name: string): Value {
    const table = this.paramValues.get(`${name}.weight`);
    if (!table) throw new Error(`tiedOutput: no embedding '${name}' declared before it`);
    return matmul(h, transpose(table, [1, 0]));
  }

  private recurrent(kind: CellKind, x: Value, hidden: number, name: string, options: RecurrentOptions): Value {
    const [, steps, features] = x.shape;
    if (x.rank !== 3 || typeof steps !== "number" || typeof features !== "number") {
      throw new Error(`${kind} '${name}' takes [N, T, F] with static T and F; got ${x}`);
    }
    if (options.lengths && options.mask) throw new Error(`${kind} '${name}': give lengths or a mask, not both`);
    const dtype = this.graph.floatType;
    const mask = options.lengths ? lengthMask(options.lengths, steps, dtype) : options.mask && cast(options.mask, dtype);
    const run = (suffix: string, reverse: boolean): Value => {
      const weights = this.cellWeights(kind, name, suffix, features, hidden, kind === "lstm" && options.unitForgetBias === true);
      const result = runCell(kind, x, weights, hidden, { mask, reverse, activation: options.activation });
      return options.returnSequences ? stackSteps(result.states, mask) : result.last;
    };
    const forward = run("", false);
    return options.bidirectional ? concat([forward, run("_reverse", true)], forward.rank - 1) : forward;
  }

  /** W_ih, W_hh Xavier per gate block (fans F, H and H, H); biases zeros (or a forget block of ones). */
  private cellWeights(kind: CellKind, name: string, suffix: string, features: number, hidden: number, forgetOnes: boolean): CellWeights {
    const width = GATES[kind] * hidden;
    return {
      wIh: this.param(`${name}.weight_ih${suffix}`, [features, width], "xavier", true, { fanIn: features, fanOut: hidden }),
      wHh: this.param(`${name}.weight_hh${suffix}`, [hidden, width], "xavier", true, { fanIn: hidden, fanOut: hidden }),
      bIh: this.param(`${name}.bias_ih${suffix}`, [width], forgetOnes ? "lstm-forget-ones" : "zeros", false),
      bHh: this.param(`${name}.bias_hh${suffix}`, [width], "zeros", false),
    };
  }

  /** Pads [top, left, bottom, right] for a padding option over x's H and W. */
  private pads(x: Value, padding: Padding = "valid", kernel: Pair, strides: Pair, dilations: Pair): [number, number, number, number] {
    if (padding === "valid") return [0, 0, 0, 0];
    if (padding === "same") {
      const [h, w] = x.shape.slice(2);
      if (typeof h !== "number" || typeof w !== "number") throw new Error(`"same" padding needs static H and W; got ${x}`);
      return samePads([h, w], kernel, strides, dilations);
    }
    const [ph, pw] = pairOf(padding);
    return [ph, pw, ph, pw];
  }
}
