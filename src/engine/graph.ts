// The graph IR: typed values with (possibly symbolic) shapes, and nodes that are ONNX operators.
import type { DType, Tensor } from "../runtime/tensor.js";

/** A dimension: a number, or a name for a size known only at run time (the batch). */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** Attribute values, tagged with their ONNX kind (a JS number cannot tell int from float). */
export type Attr =
  | { readonly i: number }
  | { readonly f: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly s: string }
  | { readonly strings: readonly string[] }
  | { readonly t: Tensor };

export type Attrs = Readonly<Record<string, Attr>>;

/** A symbolic tensor: the output of a node, a graph input, or a constant. */
export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}:${this.dtype}[${this.shape.join(",")}]`;
  }
}

/** One operator application. `op` is an entry of the op table (engine/ops.ts). */
export interface Node {
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
}

/** A computation graph under construction; nodes are appended in topological order. */
export class Graph {
  readonly inputs: Value[] = [];
  readonly outputs: Value[] = [];
  readonly nodes: Node[] = [];
  readonly constants = new Map<Value, Tensor>();
  /** The node that produced each value (absent for inputs and constants). */
  readonly producer = new Map<Value, Node>();
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly constantCache = new Map<string, Value>();

  /**
   * @param name graph name, written to the ONNX file
   * @param floatType the element type of parameters and activations
   */
  constructor(
    readonly name: string,
    readonly floatType: "float32" | "float64" = "float32",
  ) {}

  /** A fresh value; `hint` becomes its name, made unique. */
  value(hint: string, dtype: DType, shape: Shape): Value {
    let name = hint;
    for (let k = 1; this.names.has(name); k++) name = `${hint}_${k}`;
    this.names.add(name);
    return new Value(this, this.nextId++, name, dtype, shape);
  }

  /** Declares a graph input. Its name is kept exactly (it is the public contract). */
  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.names.has(name)) throw new Error(`graph '${this.name}' already has a value named '${name}'`);
    const v = this.value(name, dtype, shape);
    this.inputs.push(v);
    return v;
  }

  /** Embeds a constant tensor (an ONNX initializer). */
  constant(t: Tensor, hint = "const"): Value {
    const v = this.value(hint, t.dtype, t.dims);
    this.constants.set(v, t);
    return v;
  }

  /** A scalar constant, shared by every use of the same number and type. */
  scalar(x: number, dtype: "float32" | "float64" | "int64" = this.floatType): Value {
    return this.cached(`${dtype}:${x}`, () => {
      const data = dtype === "float32" ? Float32Array.of(x) : dtype === "float64" ? Float64Array.of(x) : BigInt64Array.of(BigInt(x));
      return this.constant({ dtype, dims: [], data }, "scalar");
    });
  }

  /** A 1-D int64 constant (axes, shapes, class indices), shared like `scalar`. */
  ints(values: readonly number[]): Value {
    return this.cached(`ints:${values.join(",")}`, () =>
      this.constant({ dtype: "int64", dims: [values.length], data: BigInt64Array.from(values, (v) => BigInt(v)) }, "ints"),
    );
  }

  private cached(key: string, make: () => Value): Value {
    let v = this.constantCache.get(key);
    if (!v) {
      v = make();
      this.constantCache.set(key, v);
    }
    return v;
  }

  /** Appends a node whose output types are given; ops.ts computes them. */
  addNode(op: string, inputs: readonly Value[], attrs: Attrs, outputs: readonly { dtype: DType; shape: Shape }[]): Value[] {
    for (const v of inputs) {
      if (v.graph !== this) throw new Error(`${op}: input ${v} belongs to graph '${v.graph.name}', not '${this.name}'`);
    }
    const outs = outputs.map((o) => this.value(op.toLowerCase(), o.dtype, o.shape));
    const node: Node = { op, inputs, outputs: outs, attrs };
    this.nodes.push(node);
    for (const v of outs) this.producer.set(v, node);
    return outs;
  }

  /** Marks a value as a graph output under a public name (an Identity node renames it). */
  output(v: Value, name: string): Value {
    if (this.outputs.some((o) => o.name === name)) throw new Error(`graph '${this.name}' already has an output '${name}'`);
    if (this.names.has(name)) throw new Error(`graph '${this.name}' already has a value named '${name}'`);
    this.names.add(name);
    const out = new Value(this, this.nextId++, name, v.dtype, v.shape);
    const node: Node = { op: "Identity", inputs: [v], outputs: [out], attrs: {} };
    this.nodes.push(node);
    this.producer.set(out, node);
    this.outputs.push(out);
    return out;
  }
}
