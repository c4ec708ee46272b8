// Builds a network's graph in one of three modes from the same code:
// - train: parameters and dropout masks are graph inputs (fed and swapped by the training loop);
// - eval:  parameters are inputs, dropout is off (validation during training);
// - infer: parameters are constants, dropout is off (the exported model).
import type { Shape, Value } from "./graph.js";
import { Graph } from "./graph.js";
import type { InitScheme } from "./init.js";
import { add, div, erf, matmul, mul, relu, sigmoid, tanh } from "./ops.js";

export type Mode = "train" | "eval" | "infer";
export type Activation = "relu" | "tanh" | "sigmoid" | "gelu" | "identity";
export type FloatArray = Float32Array | Float64Array;

/** A trainable parameter as declared by the network. */
export interface ParamSpec {
  name: string;
  shape: number[];
  init: InitScheme;
  /** Whether weight decay applies (weights yes, biases no). */
  decay: boolean;
}

/** A dropout mask input: entries are 0 (dropped) or 1/(1-rate) (kept), drawn per batch. */
export interface MaskSpec {
  name: string;
  rate: number;
  shape: Shape;
}

/** Declares parameters and layers on a graph; see the file header for the modes. */
export class Builder {
  readonly params: ParamSpec[] = [];
  readonly masks: MaskSpec[] = [];
  readonly graph: Graph;

  /** @param values trained parameter values, required in `infer` mode */
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
  param(name: string, shape: number[], init: InitScheme, decay: boolean): Value {
    if (this.params.some((p) => p.name === name)) throw new Error(`parameter '${name}' is declared twice`);
    this.params.push({ name, shape, init, decay });
    const dtype = this.graph.floatType;
    if (this.mode !== "infer") return this.graph.input(name, dtype, shape);
    const data = this.values!.get(name);
    if (!data) throw new Error(`no trained value for parameter '${name}'`);
    if (data.length !== shape.reduce((p, d) => p * d, 1)) throw new Error(`parameter '${name}' has ${data.length} values, shape [${shape}] needs more or fewer`);
    return this.graph.constant({ dtype, dims: shape, data }, name);
  }

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
}
