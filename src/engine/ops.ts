// The closed op set. Each entry says how an op's output types follow from its inputs, how the
// gradients of its inputs follow from the gradients of its outputs, and (only when it is not a
// single ONNX operator of the same name) how it is emitted. The builder functions below the table
// are the only way the rest of the engine creates nodes. Ops of one concept that would make this
// file too long live in their own file with their builders (ops-conv.ts, ops-norm.ts, ops-attention.ts) and add their
// entries to the same table with `registerOps`.
import type { DType, Tensor } from "../runtime/tensor.js";
import type { Attrs, Dim, Node, Shape } from "./graph.js";
import { Value } from "./graph.js";
import { broadcastShapes, normAxis, reductionAxes, sameShape } from "./shape.js";

export interface OutType {
  dtype: DType;
  shape: Shape;
}

/** What an op's custom emission may write into the ONNX graph. */
export interface Emitter {
  /** Appends an ONNX node and returns the name of its (first) output. */
  node(op: string, inputs: readonly string[], attrs?: Attrs, output?: string): string;
  /** Embeds a constant and returns its name. */
  constant(t: Tensor): string;
}

type Grad = (node: Node, dy: readonly (Value | undefined)[]) => (Value | undefined)[];

export interface OpDef {
  /** Output types; omitted for ops whose builder computes them (shape given as a tensor input). */
  infer?(inputs: readonly Value[], attrs: Attrs): OutType[];
  /** Input gradients from output gradients (undefined = zero / no gradient). Absent: not differentiable. */
  grad?: Grad;
  /** Custom ONNX emission, for ops that are not one ONNX operator. */
  emit?(node: Node, e: Emitter, inputs: readonly string[], outputs: readonly string[]): void;
}

const ONNX_TYPE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  uint16: 4,
  int16: 5,
  int32: 6,
  int64: 7,
  string: 8,
  bool: 9,
  float16: 10,
  float64: 11,
  uint32: 12,
  uint64: 13,
};
const DTYPE_OF_CODE = new Map(Object.entries(ONNX_TYPE).map(([dtype, code]) => [code, dtype as DType]));

/** The ONNX TensorProto.DataType code of a dtype. */
export function onnxTypeCode(dtype: DType): number {
  return ONNX_TYPE[dtype];
}

/** The dtype of an ONNX TensorProto.DataType code; undefined for types outside DType (bfloat16, complex, ...). */
export function dtypeOfCode(code: number): DType | undefined {
  return DTYPE_OF_CODE.get(code);
}

const same = (inputs: readonly Value[]): OutType[] => [{ dtype: inputs[0].dtype, shape: inputs[0].shape }];
const broadcast = (inputs: readonly Value[]): OutType[] => [
  { dtype: inputs[0].dtype, shape: broadcastShapes(inputs[0].shape, inputs[1].shape) },
];
const compare = (inputs: readonly Value[]): OutType[] => [
  { dtype: "bool", shape: broadcastShapes(inputs[0].shape, inputs[1].shape) },
];
const isFloat = (d: DType): boolean => d === "float32" || d === "float64";
/** An int attribute, or `fallback` when absent. */
export const attrInt = (attrs: Attrs, name: string, fallback: number): number => {
  const a = attrs[name];
  return a && "i" in a ? a.i : fallback;
};
/** An ints attribute, or undefined when absent. */
export const attrInts = (attrs: Attrs, name: string): readonly number[] | undefined => {
  const a = attrs[name];
  return a && "ints" in a ? a.ints : undefined;
};

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

const TABLE: Record<string, OpDef> = {
  // d(a+b) = dy, summed back over broadcast axes
  Add: { infer: broadcast, grad: ({ inputs: [a, b] }, [dy]) => [sumTo(dy!, a), sumTo(dy!, b)] },
  Sub: { infer: broadcast, grad: ({ inputs: [a, b] }, [dy]) => [sumTo(dy!, a), sumTo(neg(dy!), b)] },
  Mul: { infer: broadcast, grad: ({ inputs: [a, b] }, [dy]) => [sumTo(mul(dy!, b), a), sumTo(mul(dy!, a), b)] },
  // y = a/b: da = dy/b, db = -dy*y/b
  Div: {
    infer: broadcast,
    grad: ({ inputs: [a, b], outputs: [y] }, [dy]) => [sumTo(div(dy!, b), a), sumTo(neg(div(mul(dy!, y), b)), b)],
  },
  // y = a^b: da = dy*b*a^(b-1), db = dy*y*ln(a)
  Pow: {
    infer: broadcast,
    grad: ({ inputs: [a, b], outputs: [y] }, [dy]) => [
      sumTo(mul(dy!, mul(b, pow(a, sub(b, 1)))), a),
      sumTo(mul(dy!, mul(y, log(a))), b),
    ],
  },
  Neg: { infer: same, grad: (_n, [dy]) => [neg(dy!)] },
  Identity: { infer: same, grad: (_n, [dy]) => [dy] },
  Exp: { infer: same, grad: ({ outputs: [y] }, [dy]) => [mul(dy!, y)] },
  Log: { infer: same, grad: ({ inputs: [x] }, [dy]) => [div(dy!, x)] },
  // y = sqrt(x): dx = dy / (2y)
  Sqrt: { infer: same, grad: ({ outputs: [y] }, [dy]) => [div(dy!, mul(y, 2))] },
  // y = 1/x: dx = -dy*y^2
  Reciprocal: { infer: same, grad: ({ outputs: [y] }, [dy]) => [neg(mul(dy!, mul(y, y)))] },
  Abs: { infer: same, grad: ({ inputs: [x] }, [dy]) => [mul(dy!, sign(x))] },
  Sign: { infer: same },
  Relu: { infer: same, grad: ({ inputs: [x] }, [dy]) => [where(greater(x, 0), dy!, 0)] },
  // y = tanh(x): dx = dy*(1-y^2)
  Tanh: { infer: same, grad: ({ outputs: [y] }, [dy]) => [mul(dy!, sub(1, mul(y, y)))] },
  // y = sigmoid(x): dx = dy*y*(1-y)
  Sigmoid: { infer: same, grad: ({ outputs: [y] }, [dy]) => [mul(dy!, mul(y, sub(1, y)))] },
  // y = erf(x): dx = dy * 2/sqrt(pi) * exp(-x^2)
  Erf: {
    infer: same,
    grad: ({ inputs: [x] }, [dy]) => [mul(dy!, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))],
  },
  // y = ln(1+e^x): dx = dy*sigmoid(x)
  Softplus: { infer: same, grad: ({ inputs: [x] }, [dy]) => [mul(dy!, sigmoid(x))] },

  IsNaN: { infer: ([x]) => [{ dtype: "bool", shape: x.shape }] },
  // string -> int64 lookup (ONNX-ML); attributes keys_strings, values_int64s, default_int64
  "ai.onnx.ml:LabelEncoder": { infer: ([x]) => [{ dtype: "int64", shape: x.shape }] },
  Greater: { infer: compare },
  Less: { infer: compare },
  Equal: { infer: compare },
  Cast: {
    infer: ([x], attrs) => [{ dtype: castTarget(attrs), shape: x.shape }],
    grad: ({ inputs: [x] }, [dy]) => [isFloat(x.dtype) && isFloat(dy!.dtype) ? cast(dy!, x.dtype) : undefined],
  },
  // y = c ? a : b
  Where: {
    infer: ([c, a, b]) => [{ dtype: a.dtype, shape: broadcastShapes(c.shape, broadcastShapes(a.shape, b.shape)) }],
    grad: ({ inputs: [c, a, b] }, [dy]) => [undefined, sumTo(where(c, dy!, 0), a), sumTo(where(c, 0, dy!), b)],
  },

  // [..., M, K] x [K, N], or batched [..., M, K] x [..., K, N] broadcasting the leading dims (numpy)
  MatMul: {
    infer: ([a, b]) => {
      if (a.rank < 2 || b.rank < 2) throw new Error(`MatMul takes [..., M, K] x [..., K, N]; got ${a} x ${b}`);
      const [k, kb] = [a.shape[a.rank - 1], b.shape[b.rank - 2]];
      if (typeof k === "number" && typeof kb === "number" && k !== kb) throw new Error(`MatMul inner dimensions differ: ${a} x ${b}`);
      const lead = b.rank === 2 ? a.shape.slice(0, -2) : broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
      return [{ dtype: a.dtype, shape: [...lead, a.shape[a.rank - 2], b.shape[b.rank - 1]] }];
    },
    // dA = dy B^T; dB = A^T dy. With a 2-D B, A and dy are flattened to 2-D first; batched, both
    // products are over the last two axes, summed back over the leading dims each input was broadcast along.
    grad: ({ inputs: [a, b] }, [dy]) => {
      if (b.rank > 2) return [sumTo(matmul(dy!, swapLast(b)), a), sumTo(matmul(swapLast(a), dy!), b)];
      const da = matmul(dy!, transpose(b, [1, 0]));
      const a2 = a.rank === 2 ? a : reshape(a, [-1, b.shape[0] as number]);
      const dy2 = dy!.rank === 2 ? dy! : reshape(dy!, [-1, b.shape[1] as number]);
      return [da, matmul(transpose(a2, [1, 0]), dy2)];
    },
  },
  Transpose: {
    infer: ([x], attrs) => [{ dtype: x.dtype, shape: attrInts(attrs, "perm")!.map((p) => x.shape[p]) }],
    grad: ({ attrs }, [dy]) => [transpose(dy!, inversePerm(attrInts(attrs, "perm")!))],
  },
  Reshape: { grad: ({ inputs: [x] }, [dy]) => [reshapeLike(dy!, x), undefined] },
  Expand: { grad: ({ inputs: [x] }, [dy]) => [sumTo(dy!, x), undefined] },
  Unsqueeze: { grad: ({ inputs: [x] }, [dy]) => [reshapeLike(dy!, x), undefined] },
  Squeeze: { grad: ({ inputs: [x] }, [dy]) => [reshapeLike(dy!, x), undefined] },
  Shape: { infer: ([x]) => [{ dtype: "int64", shape: [x.rank] }] },
  Size: { infer: () => [{ dtype: "int64", shape: [] }] },
  Gather: {
    infer: ([data, idx], attrs) => {
      const axis = normAxis(attrInt(attrs, "axis", 0), data.rank);
      return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)] }];
    },
    // y = data[idx] along axis 0: d(data) = zeros with dy's rows added at idx (ScatterND, "add")
    grad: ({ inputs: [data, idx], attrs }, [dy]) => {
      if (normAxis(attrInt(attrs, "axis", 0), data.rank) !== 0) throw new Error(`Gather's gradient is implemented for axis 0 only; got axis ${attrInt(attrs, "axis", 0)} of ${data}`);
      return [scatterNdAdd(zerosLike(data), unsqueeze(idx, [-1]), dy!), undefined];
    },
  },

  Concat: {
    infer: (inputs, attrs) => {
      const axis = normAxis(attrInt(attrs, "axis", 0), inputs[0].rank);
      const shape: Dim[] = [...inputs[0].shape];
      const dims = inputs.map((v) => v.shape[axis]);
      shape[axis] = dims.every((d) => typeof d === "number") ? (dims as number[]).reduce((p, d) => p + d, 0) : `${inputs[0].name}_cat`;
      return [{ dtype: inputs[0].dtype, shape }];
    },
    // each input's gradient is its span of dy along the axis (static sizes)
    grad: ({ inputs, attrs }, [dy]) => {
      const axis = normAxis(attrInt(attrs, "axis", 0), inputs[0].rank);
      let start = 0;
      return inputs.map((v) => {
        const d = v.shape[axis];
        if (typeof d !== "number") throw new Error(`Concat's gradient needs static sizes on axis ${axis}; got ${v}`);
        start += d;
        return slice(dy!, [axis], [start - d], [start]);
      });
    },
  },

  // Split into static sizes along an axis; d(x) = the outputs' gradients concatenated back (zeros
  // for an output that has none). One node instead of a Slice per piece keeps the gradient linear in
  // the number of pieces: each Slice's gradient would pad to x's whole extent.
  Split: {
    grad: ({ attrs, outputs }, dys) => [concat(outputs.map((y, k) => dys[k] ?? zerosLike(y)), attrInt(attrs, "axis", 0)), undefined],
  },
  // Slice with constant bounds (the builder's); d(x) = dy padded with zeros back to x's extent.
  Slice: {
    grad: ({ inputs: [x, starts, ends, axes] }, [dy]) => [unslice(dy!, x, starts, ends, axes), undefined, undefined, undefined],
  },
  // Pad with constant zeros; its gradient slices the padding off again.
  Pad: {
    grad: ({ inputs: [x, pads] }, [dy]) => {
      const p = constantInts(pads);
      const axes = x.shape.map((_d, i) => i).filter((i) => p[i] !== 0 || p[x.rank + i] !== 0);
      const ends = axes.map((i) => (dy!.shape[i] as number) - p[x.rank + i]);
      return [slice(dy!, axes, axes.map((i) => p[i]), ends), undefined];
    },
  },
  // ConstantOfShape and ScatterElements serve gradient rules (conv and pooling); their builders
  // compute the output types. ScatterElements / ScatterND with reduction="add" sum duplicate indices.
  ConstantOfShape: {},
  ScatterElements: { infer: same },
  ScatterND: { infer: same },

  // ReduceSum takes its axes as an input (opset 13+); the builder computes the output type.
  ReduceSum: {
    grad: ({ inputs: [x, axes], attrs, outputs: [y] }, [dy]) => [spreadReduced(dy!, x, y, axes, attrs), undefined],
  },
  // ReduceMean keeps axes as an attribute up to opset 17. dx = spread(dy) / (|x| / |y|)
  ReduceMean: {
    grad: ({ inputs: [x], attrs, outputs: [y] }, [dy]) => {
      const axes = attrInts(attrs, "axes");
      const spread = spreadReduced(dy!, x, y, axes ? x.graph.ints(axes) : undefined, attrs);
      return [div(spread, cast(div(size(x), size(y)), x.dtype))];
    },
  },
  ArgMax: {
    infer: ([x], attrs) => [{ dtype: "int64", shape: reducedShape(x.shape, [attrInt(attrs, "axis", 0)], attrInt(attrs, "keepdims", 1) === 1) }],
  },

  // y = softmax(x): dx = y * (dy - sum(dy*y))
  Softmax: {
    infer: same,
    grad: ({ outputs: [y], attrs }, [dy]) => {
      const axis = attrInt(attrs, "axis", -1);
      return [mul(y, sub(dy!, reduceSum(mul(dy!, y), [axis], true)))];
    },
  },
  // y = log softmax(x): dx = dy - softmax(x) * sum(dy)
  LogSoftmax: {
    infer: same,
    grad: ({ outputs: [y], attrs }, [dy]) => {
      const axis = attrInt(attrs, "axis", -1);
      return [sub(dy!, mul(exp(y), reduceSum(dy!, [axis], true)))];
    },
  },

  // Mean cross-entropy of softmax(logits) against class indices, optionally class-weighted:
  // L = sum_i w[y_i] * -log p_i[y_i] / sum_i w[y_i];  dlogits = w[y_i] * (p_i - onehot(y_i)) / sum_i w[y_i].
  // Fused because this gradient is exact and stable, unlike differentiating Exp and Log.
  SoftmaxCrossEntropyLoss: {
    infer: ([logits]) => [{ dtype: logits.dtype, shape: [] }],
    grad: ({ inputs: [logits, labels, weights] }, [dy]) => {
      const classes = logits.shape[1] as number;
      const diff = sub(softmax(logits, 1), oneHot(labels, classes, logits.dtype));
      let scaled: Value;
      if (weights) {
        const w = gather(weights, labels);
        scaled = div(mul(diff, unsqueeze(w, [1])), reduceSum(w));
      } else {
        scaled = div(diff, cast(size(labels), logits.dtype));
      }
      return [mul(scaled, dy!), undefined, undefined];
    },
  },
  // Mean binary cross-entropy of sigmoid(z) against targets in [0, 1], written in the stable form
  // L = mean(max(z, 0) - z*y + ln(1 + e^-|z|));  dz = (sigmoid(z) - y) / numel.
  // ln(1 + e^-|z|) is written with Log and Exp (e^-|z| <= 1, so it is exact enough): ONNX Runtime
  // has no float64 Softplus, and float64 is how the gradient checks run.
  SigmoidBinaryCrossEntropy: {
    infer: ([z, y]) => {
      if (!sameShape(z.shape, y.shape)) throw new Error(`SigmoidBinaryCrossEntropy: logits ${z} and targets ${y} differ in shape`);
      return [{ dtype: z.dtype, shape: [] }];
    },
    grad: ({ inputs: [z, y] }, [dy]) => [mul(div(sub(sigmoid(z), y), cast(size(z), z.dtype)), dy!), undefined],
    emit: ({ inputs: [logits] }, e, [z, y], [out]) => {
      const dtype = logits.dtype as "float32" | "float64";
      const one = e.constant({ dtype, dims: [], data: dtype === "float32" ? Float32Array.of(1) : Float64Array.of(1) });
      const pos = e.node("Relu", [z]);
      const zy = e.node("Mul", [z, y]);
      const tail = e.node("Log", [e.node("Add", [one, e.node("Exp", [e.node("Neg", [e.node("Abs", [z])])])])]);
      const each = e.node("Add", [e.node("Sub", [pos, zy]), tail]);
      e.node("ReduceMean", [each], { keepdims: { i: 0 } }, out);
    },
  },
};

/** The op table: the entries above plus those other op files add with `registerOps`. */
export const OPS: Readonly<Record<string, OpDef>> = TABLE;

/** Adds the entries of an op file to the table; an op is defined once. */
export function registerOps(defs: Readonly<Record<string, OpDef>>): void {
  for (const [name, def] of Object.entries(defs)) {
    if (name in TABLE) throw new Error(`op '${name}' is defined twice`);
    TABLE[name] = def;
  }
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

type Operand = Value | number;

/** Appends `op` to the graph of its first input; output types from the table unless given. */
export function apply(op: string, inputs: readonly Value[], attrs: Attrs = {}, out?: OutType[]): Value[] {
  const def = OPS[op];
  if (!def) throw new Error(`unknown op '${op}'`);
  const types = out ?? def.infer?.(inputs, attrs);
  if (!types) throw new Error(`op '${op}' needs its output types from its builder`);
  return inputs[0].graph.addNode(op, inputs, attrs, types);
}

function operands(a: Operand, b: Operand): [Value, Value] {
  if (a instanceof Value && b instanceof Value) return [a, b];
  if (a instanceof Value) return [a, a.graph.scalar(b as number, floatOf(a))];
  if (b instanceof Value) return [b.graph.scalar(a, floatOf(b)), b];
  throw new Error("an op needs at least one tensor operand");
}

function floatOf(v: Value): "float32" | "float64" | "int64" {
  return v.dtype === "float64" || v.dtype === "int64" ? v.dtype : "float32";
}

const binary = (op: string) => (a: Operand, b: Operand): Value => apply(op, operands(a, b))[0];
const unary = (op: string) => (x: Value): Value => apply(op, [x])[0];

export const add = binary("Add");
export const sub = binary("Sub");
export const mul = binary("Mul");
export const div = binary("Div");
export const pow = binary("Pow");
export const greater = binary("Greater");
export const less = binary("Less");
export const equal = binary("Equal");
export const neg = unary("Neg");
export const exp = unary("Exp");
export const log = unary("Log");
export const sqrt = unary("Sqrt");
export const reciprocal = unary("Reciprocal");
export const abs = unary("Abs");
export const sign = unary("Sign");
export const relu = unary("Relu");
export const tanh = unary("Tanh");
export const sigmoid = unary("Sigmoid");
export const erf = unary("Erf");
export const softplus = unary("Softplus");
export const identity = unary("Identity");
export const isNan = unary("IsNaN");
export const shapeOf = unary("Shape");
export const size = unary("Size");

export function cast(x: Value, dtype: DType): Value {
  if (x.dtype === dtype) return x;
  return apply("Cast", [x], { to: { i: onnxTypeCode(dtype) } })[0];
}

function castTarget(attrs: Attrs): DType {
  const code = attrInt(attrs, "to", -1);
  const hit = (Object.keys(ONNX_TYPE) as DType[]).find((d) => ONNX_TYPE[d] === code);
  if (!hit) throw new Error(`Cast to unsupported ONNX type ${code}`);
  return hit;
}

/** y = c ? a : b, with numbers taken as scalars of the other branch's type. */
export function where(c: Value, a: Operand, b: Operand): Value {
  const [va, vb] = operands(a, b);
  return apply("Where", [c, va, vb])[0];
}

export function matmul(a: Value, b: Value): Value {
  return apply("MatMul", [a, b])[0];
}

export function transpose(x: Value, perm: readonly number[]): Value {
  return apply("Transpose", [x], { perm: { ints: perm } })[0];
}

/** x with its last two axes swapped. */
export function swapLast(x: Value): Value {
  const perm = x.shape.map((_d, i) => i);
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return transpose(x, perm);
}

function inversePerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Reshape to static dims (0 keeps a dim, -1 infers one). */
export function reshape(x: Value, dims: readonly number[]): Value {
  const out: Dim[] = dims.map((d, i) => (d === 0 ? x.shape[i] : d));
  const inferred = out.indexOf(-1);
  if (inferred >= 0) out[inferred] = inferredDim(x.shape, out.filter((_d, i) => i !== inferred));
  return apply("Reshape", [x, x.graph.ints(dims)], {}, [{ dtype: x.dtype, shape: out }])[0];
}

/** The size of a reshape's -1 dim: |input| / |other output dims|, with named dims cancelling out. */
function inferredDim(input: Shape, others: readonly Dim[]): Dim {
  const rest = [...input];
  let known = 1;
  for (const d of others) {
    const k = typeof d === "string" ? rest.indexOf(d) : -1;
    if (k >= 0) rest.splice(k, 1);
    else if (typeof d === "number") known *= d;
    else return `${d}_rest`;
  }
  const named = rest.filter((d) => typeof d === "string");
  const size = (rest.filter((d) => typeof d === "number") as number[]).reduce((p, d) => p * d, 1) / known;
  if (named.length === 0) return size;
  return named.length === 1 && size === 1 ? named[0] : `${named.join("x")}x${size}`;
}

/** Reshape `x` to the run-time shape of `like`. */
export function reshapeLike(x: Value, like: Value): Value {
  if (sameShape(x.shape, like.shape) && x.shape.every((d) => typeof d === "number")) return x;
  return apply("Reshape", [x, shapeOf(like)], {}, [{ dtype: x.dtype, shape: like.shape }])[0];
}

/** Broadcast `x` to the run-time shape of `like`. */
export function expandLike(x: Value, like: Value): Value {
  return apply("Expand", [x, shapeOf(like)], {}, [{ dtype: x.dtype, shape: broadcastShapes(x.shape, like.shape) }])[0];
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const shape: Dim[] = [...x.shape];
  const rank = x.rank + axes.length;
  for (const a of [...axes].map((a) => normAxis(a, rank)).sort((p, q) => p - q)) shape.splice(a, 0, 1);
  return apply("Unsqueeze", [x, x.graph.ints(axes)], {}, [{ dtype: x.dtype, shape }])[0];
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  const drop = new Set(axes.map((a) => normAxis(a, x.rank)));
  const shape = x.shape.filter((_d, i) => !drop.has(i));
  return apply("Squeeze", [x, x.graph.ints(axes)], {}, [{ dtype: x.dtype, shape }])[0];
}

function reducedShape(shape: Shape, axes: readonly number[] | undefined, keepdims: boolean): Dim[] {
  const all = axes === undefined || axes.length === 0;
  const set = new Set((axes ?? []).map((a) => normAxis(a, shape.length)));
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (all || set.has(i)) {
      if (keepdims) out.push(1);
    } else out.push(d);
  });
  return out;
}

/** Sum over `axes` (all axes when omitted). */
export function reduceSum(x: Value, axes?: readonly number[], keepdims = false): Value {
  const inputs = axes && axes.length > 0 ? [x, x.graph.ints(axes)] : [x];
  const out = { dtype: x.dtype, shape: reducedShape(x.shape, axes, keepdims) };
  return apply("ReduceSum", inputs, { keepdims: { i: keepdims ? 1 : 0 } }, [out])[0];
}

/** Mean over `axes` (all axes when omitted). */
export function reduceMean(x: Value, axes?: readonly number[], keepdims = false): Value {
  const attrs: Attrs = axes && axes.length > 0 ? { axes: { ints: axes }, keepdims: { i: keepdims ? 1 : 0 } } : { keepdims: { i: keepdims ? 1 : 0 } };
  return apply("ReduceMean", [x], attrs, [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, keepdims) }])[0];
}

/** The gradient of a reduction, spread back over the input's shape. */
function spreadReduced(dy: Value, x: Value, y: Value, axesInput: Value | undefined, attrs: Attrs): Value {
  let g = dy;
  if (attrInt(attrs, "keepdims", 1) === 0 && y.rank < x.rank) {
    const t = axesInput ? x.graph.constants.get(axesInput) : undefined;
    const axes = t ? Array.from(t.data as BigInt64Array, Number) : x.shape.map((_d, i) => i);
    g = unsqueeze(dy, axes.map((a) => normAxis(a, x.rank)));
  }
  return expandLike(g, x);
}

/** Sums a gradient over the axes along which `like` was broadcast, and gives it `like`'s shape. */
export function sumTo(dy: Value, like: Value): Value {
  if (sameShape(dy.shape, like.shape)) return dy;
  const { leading, kept } = reductionAxes(dy.shape, like.shape);
  let g = dy;
  if (kept.length > 0) g = reduceSum(g, kept, true);
  if (leading.length > 0) g = reduceSum(g, leading, false);
  return sameShape(g.shape, like.shape) ? g : reshapeLike(g, like);
}

export function softmax(x: Value, axis = -1): Value {
  return apply("Softmax", [x], { axis: { i: axis } })[0];
}

export function logSoftmax(x: Value, axis = -1): Value {
  return apply("LogSoftmax", [x], { axis: { i: axis } })[0];
}

export function argmax(x: Value, axis: number, keepdims = false): Value {
  return apply("ArgMax", [x], { axis: { i: axis }, keepdims: { i: keepdims ? 1 : 0 } })[0];
}

export function gather(data: Value, indices: Value, axis = 0): Value {
  return apply("Gather", [data, indices], { axis: { i: axis } })[0];
}

export function concat(inputs: readonly Value[], axis: number): Value {
  return apply("Concat", inputs, { axis: { i: axis } })[0];
}

/** `x[starts:ends]` along `axes`, with static bounds (clipped to the dim, as ONNX does). */
export function slice(x: Value, axes: readonly number[], starts: readonly number[], ends: readonly number[]): Value {
  const shape: Dim[] = [...x.shape];
  axes.forEach((a, i) => {
    const axis = normAxis(a, x.rank);
    const d = shape[axis];
    if (typeof d !== "number") throw new Error(`slice needs a static dim on axis ${a}; got ${x}`);
    shape[axis] = Math.max(0, clipBound(ends[i], d) - clipBound(starts[i], d));
  });
  const g = x.graph;
  return apply("Slice", [x, g.ints(starts), g.ints(ends), g.ints(axes)], {}, [{ dtype: x.dtype, shape }])[0];
}

/** `x` cut along `axis` into consecutive pieces of the static `sizes`. */
export function split(x: Value, axis: number, sizes: readonly number[]): Value[] {
  const a = normAxis(axis, x.rank);
  const d = x.shape[a];
  const total = sizes.reduce((p, q) => p + q, 0);
  if (d !== total) throw new Error(`split of ${x} along axis ${axis} needs sizes summing to ${String(d)}; got [${sizes}]`);
  const types = sizes.map((n) => ({ dtype: x.dtype, shape: x.shape.map((dim, i) => (i === a ? n : dim)) }));
  return apply("Split", [x, x.graph.ints(sizes)], { axis: { i: a } }, types);
}

/** A slice bound as ONNX reads it: negative counts from the end, then clipped to [0, d]. */
function clipBound(b: number, d: number): number {
  return Math.max(0, Math.min(b < 0 ? b + d : b, d));
}

/** The ints of a constant int64 value (slice bounds, pads). */
function constantInts(v: Value): number[] {
  const t = v.graph.constants.get(v);
  if (!t) throw new Error(`${v} must be a constant`);
  return Array.from(t.data as BigInt64Array, Number);
}

/** The gradient of a constant-bound Slice: dy placed back at its offsets in zeros of x's extent. */
function unslice(dy: Value, x: Value, starts: Value, ends: Value, axes: Value): Value {
  const [s, e, a] = [constantInts(starts), constantInts(ends), constantInts(axes)];
  const pads = new Array<number>(2 * x.rank).fill(0);
  a.forEach((axis, i) => {
    const k = normAxis(axis, x.rank);
    const d = x.shape[k];
    if (typeof d !== "number") throw new Error(`Slice's gradient needs a static dim on axis ${k}; got ${x}`);
    pads[k] = clipBound(s[i], d);
    pads[x.rank + k] = d - Math.max(clipBound(s[i], d), clipBound(e[i], d));
  });
  return pad(dy, pads);
}

/** x padded with zeros: `pads` = [begin of each axis..., end of each axis...] (static). */
export function pad(x: Value, pads: readonly number[]): Value {
  if (pads.length !== 2 * x.rank) throw new Error(`pad of ${x} needs ${2 * x.rank} pads; got [${pads}]`);
  const shape = x.shape.map((d, i) => (pads[i] === 0 && pads[x.rank + i] === 0 ? d : typeof d === "number" ? d + pads[i] + pads[x.rank + i] : `${d}_pad`));
  return apply("Pad", [x, x.graph.ints(pads)], {}, [{ dtype: x.dtype, shape }])[0];
}

/** Zeros of `x`'s run-time shape and type. */
export function zerosLike(x: Value): Value {
  const dtype = x.dtype as "float32" | "float64";
  const zero = { dtype, dims: [1], data: dtype === "float64" ? Float64Array.of(0) : Float32Array.of(0) };
  return apply("ConstantOfShape", [shapeOf(x)], { value: { t: zero } }, [{ dtype, shape: x.shape }])[0];
}

/** data with `updates` added at the index tuples of `indices` [..., k] (ScatterND, reduction "add"). */
export function scatterNdAdd(data: Value, indices: Value, updates: Value): Value {
  return apply("ScatterND", [data, indices, updates], { reduction: { s: "add" } })[0];
}

/** A 1-D tensor of zeros with as many elements as `x` has at run time. */
export function flatZerosLike(x: Value): Value {
  const dtype = x.dtype as "float32" | "float64";
  const zero = { dtype, dims: [1], data: dtype === "float64" ? Float64Array.of(0) : Float32Array.of(0) };
  const count = reshape(size(x), [1]);
  return apply("ConstantOfShape", [count], { value: { t: zero } }, [{ dtype, shape: [inferredDim(x.shape, [])] }])[0];
}

/** data with `updates[i]` added at `indices[i]` along `axis` (ScatterElements, reduction "add"). */
export function scatterAdd(data: Value, indices: Value, updates: Value, axis = 0): Value {
  return apply("ScatterElements", [data, indices, updates], { axis: { i: axis }, reduction: { s: "add" } })[0];
}

/** Maps strings to their index in `keys`; anything else to `fallback` (ONNX-ML LabelEncoder). */
export function labelEncode(x: Value, keys: readonly string[], fallback: number): Value {
  const attrs: Attrs = {
    keys_strings: { strings: keys },
    values_int64s: { ints: keys.map((_k, i) => i) },
    default_int64: { i: fallback },
  };
  return apply("ai.onnx.ml:LabelEncoder", [x], attrs)[0];
}

/** [N] class indices -> [N, classes] one-hot rows of `dtype`. */
export function oneHot(labels: Value, classes: number, dtype: DType): Value {
  const ids = labels.graph.ints(Array.from({ length: classes }, (_v, i) => i));
  return cast(equal(unsqueeze(labels, [1]), ids), dtype);
}

/** Mean softmax cross-entropy of [N, C] logits against [N] int64 labels, optionally class-weighted. */
export function softmaxCrossEntropy(logits: Value, labels: Value, classWeights?: Value): Value {
  if (logits.rank !== 2 || labels.rank !== 1 || labels.dtype !== "int64") {
    throw new Error(`softmaxCrossEntropy takes [N, C] logits and [N] int64 labels; got ${logits} and ${labels}`);
  }
  const inputs = classWeights ? [logits, labels, classWeights] : [logits, labels];
  return apply("SoftmaxCrossEntropyLoss", inputs, { reduction: { s: "mean" } })[0];
}

/** Mean binary cross-entropy of sigmoid(logits) against 0/1 targets of the same shape. */
export function sigmoidBinaryCrossEntropy(logits: Value, targets: Value): Value {
  return apply("SigmoidBinaryCrossEntropy", [logits, targets])[0];
}

/** Mean squared error: mean((pred - target)^2). */
export function meanSquaredError(pred: Value, target: Value): Value {
  const d = sub(pred, target);
  return reduceMean(mul(d, d));
}
