// Convolution, pooling and flattening of NCHW images (2-D windows), added to the op table of ops.ts.
// Every gradient is written in standard ONNX operators:
//
// - Conv, input:   dX = ConvTranspose(dY, W), same strides/pads/dilations/group, output_padding = r
//                  where r = (H + p0 + p1 - d(k-1) - 1) mod s are the rows past the last window.
// - Conv, weights: dW = Conv(X', dY') transposed back, where dY' = dY with N and M swapped and X'
//                  holds the N images of each group as channels, group-major (see convWeightGrad);
//                  stride s and dilation d trade places, and the end pad drops the r unused rows.
// - Conv, bias:    dB = ReduceSum(dY) over N, H, W.
// - MaxPool:       MaxPool's second output (indices, flat over N*C*H*W) scatters dY into zeros,
//                  adding where windows overlap (ScatterElements, reduction "add").
// - AveragePool:   dY / counts spread back over each window: ConvTranspose of every (n, c) plane by
//                  a kernel of ones, with the same output_padding rule as Conv.
// - GlobalAveragePool: dY / (H*W) broadcast over H, W.  Flatten: dY reshaped back.
import { floatTensor } from "../runtime/tensor.js";
import type { Attrs, Dim, Shape, Value } from "./graph.js";
import type { OutType } from "./ops.js";
import { OPS, apply, attrInt, attrInts, div, expandLike, flatZerosLike, reduceSum, registerOps, reshape, reshapeLike, scatterAdd, slice, transpose } from "./ops.js";

/** A pair of numbers for the H and W axes. */
export type Pair = readonly [number, number];

/** Where a 2-D window (conv kernel, pooling window) goes: per axis H then W. */
interface Window2d {
  kernel: Pair;
  strides: Pair;
  /** [top, left, bottom, right]: begins then ends, the ONNX order. */
  pads: readonly [number, number, number, number];
  dilations: Pair;
}

/** One axis of a window over an input of `size`. */
interface Axis {
  size: number;
  k: number;
  s: number;
  p0: number;
  p1: number;
  d: number;
}

const axisOf = (w: Window2d, size: number, i: 0 | 1): Axis => ({ size, k: w.kernel[i], s: w.strides[i], p0: w.pads[i], p1: w.pads[i + 2], d: w.dilations[i] });

/** The padded input past the first window: size + p0 + p1 - d(k-1) - 1. */
const span = (a: Axis): number => a.size + a.p0 + a.p1 - a.d * (a.k - 1) - 1;
/** Output size along an axis: floor(span / s) + 1. */
const outSize = (a: Axis): number => Math.floor(span(a) / a.s) + 1;
/** Input rows past the last window: span mod s (ConvTranspose gets them back as output_padding). */
const remainder = (a: Axis): number => span(a) % a.s;

function windowOf(attrs: Attrs): Window2d {
  const kernel = attrInts(attrs, "kernel_shape");
  if (!kernel || kernel.length !== 2) throw new Error(`a 2-D window needs kernel_shape [kH, kW]; got [${kernel ?? ""}]`);
  const pads = attrInts(attrs, "pads") ?? [0, 0, 0, 0];
  return {
    kernel: [kernel[0], kernel[1]],
    strides: pair(attrInts(attrs, "strides") ?? [1, 1]),
    pads: [pads[0], pads[1], pads[2], pads[3]],
    dilations: pair(attrInts(attrs, "dilations") ?? [1, 1]),
  };
}

const pair = (v: readonly number[]): Pair => [v[0], v[1]];

/** The window as ONNX attributes; pooling ops of opset 17 other than MaxPool take no dilations. */
function windowAttrs(w: Window2d, withDilations = true): Attrs {
  const attrs: Attrs = { kernel_shape: { ints: w.kernel }, strides: { ints: w.strides }, pads: { ints: w.pads } };
  return withDilations ? { ...attrs, dilations: { ints: w.dilations } } : attrs;
}

/** The image of an NCHW value, with static H and W. */
function image(op: string, x: Value): { n: Dim; c: Dim; h: number; w: number } {
  const [n, c, h, w] = x.shape;
  if (x.rank !== 4 || typeof h !== "number" || typeof w !== "number") throw new Error(`${op} takes [N, C, H, W] with static H and W; got ${x}`);
  return { n, c, h, w };
}

/** Output H and W of a window over x, checked to be at least 1. */
function slide(op: string, x: Value, win: Window2d): [number, number] {
  const { h, w } = image(op, x);
  const out: [number, number] = [outSize(axisOf(win, h, 0)), outSize(axisOf(win, w, 1))];
  if (out[0] < 1 || out[1] < 1 || [...win.kernel, ...win.strides, ...win.dilations].some((v) => v < 1) || win.pads.some((p) => p < 0)) {
    throw new Error(`${op}: window ${JSON.stringify(win)} does not fit ${x}`);
  }
  return out;
}

/** The output_padding that makes ConvTranspose give back an input of x's H and W. */
function outputPadding(x: Value, win: Window2d): Pair {
  const { h, w } = image("ConvTranspose", x);
  return [remainder(axisOf(win, h, 0)), remainder(axisOf(win, w, 1))];
}

function poolShape(op: string, x: Value, attrs: Attrs): Shape {
  const win = windowOf(attrs);
  const out = slide(op, x, win);
  if (win.pads.some((p, i) => p >= win.kernel[i % 2])) throw new Error(`${op}: pads [${win.pads}] must be smaller than the window [${win.kernel}]`);
  return [x.shape[0], x.shape[1], ...out];
}

/** The product of dims: a number when all are static, else a name. */
function dimProduct(dims: readonly Dim[]): Dim {
  if (dims.every((d) => typeof d === "number")) return (dims as number[]).reduce((p, d) => p * d, 1);
  return dims.length === 1 ? dims[0] : dims.join("x");
}

// ---------------------------------------------------------------------------------------------
// The ops
// ---------------------------------------------------------------------------------------------

registerOps({
  // y[n, m] = b[m] + sum over the C/g channels c of m's group: x[n, c] (*) w[m, c]
  Conv: {
    infer: ([x, w, b], attrs): OutType[] => {
      const group = attrInt(attrs, "group", 1);
      const c = image("Conv", x).c;
      const [m, cg, kh, kw] = w.shape;
      const win = windowOf(attrs);
      const fits =
        w.rank === 4 &&
        (typeof c !== "number" || typeof cg !== "number" || c === cg * group) &&
        (typeof m !== "number" || m % group === 0) &&
        (typeof kh !== "number" || kh === win.kernel[0]) &&
        (typeof kw !== "number" || kw === win.kernel[1]) &&
        (!b || (b.rank === 1 && (typeof m !== "number" || b.shape[0] === m)));
      if (!fits) throw new Error(`Conv with group ${group} and kernel [${win.kernel}] cannot take ${x}, ${w}${b ? `, ${b}` : ""}`);
      return [{ dtype: x.dtype, shape: [x.shape[0], m, ...slide("Conv", x, win)] }];
    },
    grad: ({ inputs: [x, w, b], attrs }, [dy]) => {
      const win = windowOf(attrs);
      const group = attrInt(attrs, "group", 1);
      return [convTranspose(dy!, w, win, group, outputPadding(x, win)), convWeightGrad(x, dy!, win, group), b ? reduceSum(dy!, [0, 2, 3]) : undefined];
    },
  },
  // The adjoint of Conv (used by gradients; not differentiated itself):
  // out size = s (in - 1) + output_padding + d (k - 1) + 1 - p0 - p1, channels = W's dim 1 * group.
  ConvTranspose: {
    infer: ([x, w], attrs) => {
      const win = windowOf(attrs);
      const group = attrInt(attrs, "group", 1);
      const extra = attrInts(attrs, "output_padding") ?? [0, 0];
      const { h, w: wd } = image("ConvTranspose", x);
      const size = (a: Axis, i: 0 | 1): number => a.s * (a.size - 1) + extra[i] + a.d * (a.k - 1) + 1 - a.p0 - a.p1;
      const c = w.shape[1];
      return [{ dtype: x.dtype, shape: [x.shape[0], typeof c === "number" ? c * group : c, size(axisOf(win, h, 0), 0), size(axisOf(win, wd, 1), 1)] }];
    },
  },
  // Outputs: the maxima and (optionally) their flat indices into N*C*H*W.
  MaxPool: {
    infer: ([x], attrs) => {
      const shape = poolShape("MaxPool", x, attrs);
      return [
        { dtype: x.dtype, shape },
        { dtype: "int64", shape },
      ];
    },
    grad: ({ inputs: [x], outputs, attrs }, [dy]) => {
      const indices = outputs[1] ?? apply("MaxPool", [x], attrs)[1];
      return [reshapeLike(scatterAdd(flatZerosLike(x), reshape(indices, [-1]), reshape(dy!, [-1])), x)];
    },
  },
  // Mean over each window; with count_include_pad = 0 (the ONNX default) padding is not counted.
  AveragePool: {
    infer: ([x], attrs) => [{ dtype: x.dtype, shape: poolShape("AveragePool", x, attrs) }],
    grad: ({ inputs: [x], outputs: [y], attrs }, [dy]) => [avgPoolGrad(dy!, x, y, attrs)],
  },
  // y[n, c] = mean over H, W of x[n, c]: dx = dy / (H W), broadcast.
  GlobalAveragePool: {
    infer: ([x]) => {
      image("GlobalAveragePool", x);
      return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], 1, 1] }];
    },
    grad: ({ inputs: [x] }, [dy]) => {
      const { h, w } = image("GlobalAveragePool", x);
      return [expandLike(div(dy!, h * w), x)];
    },
  },
  // [d0, ..., dk, ...] -> [d0*...*d(axis-1), d(axis)*...]
  Flatten: {
    infer: ([x], attrs) => {
      const axis = attrInt(attrs, "axis", 1);
      return [{ dtype: x.dtype, shape: [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))] }];
    },
    grad: ({ inputs: [x] }, [dy]) => [reshapeLike(dy!, x)],
  },
});

/**
 * dW of a Conv by one Conv: the images are X's channels of one group position (C/g of them), each
 * with the N images of every group as channels, group-major ([C/g, g*N, H, W]); the kernels are dY
 * with N and M swapped ([M, N, Ho, Wo]), so a convolution with `group` g pairs each filter with the
 * inputs of its own group, and sums over the batch. Output [C/g, M, kH, kW], transposed to W's layout.
 * For g = 1 this is the plain axis swap; for g = C it is the depthwise case.
 */
function convWeightGrad(x: Value, dy: Value, win: Window2d, group: number): Value {
  const { c, h, w } = image("Conv", x);
  let images: Value;
  if (group === 1) images = transpose(x, [1, 0, 2, 3]);
  else {
    if (typeof c !== "number") throw new Error(`Conv with group ${group} needs a static channel count; got ${x}`);
    const perGroup = c / group;
    images = reshape(transpose(reshape(x, [0, group, perGroup, h, w]), [2, 1, 0, 3, 4]), [perGroup, -1, h, w]);
  }
  const kernels = transpose(dy, [1, 0, 2, 3]);
  // Stride and dilation trade places. The r input rows past the last window meet no dY: dropping
  // them from the end pad keeps the output at k; where the end pad is smaller than r, slice instead.
  const ends = ([0, 1] as const).map((i) => Math.max(0, win.pads[2 + i] - remainder(axisOf(win, i === 0 ? h : w, i))));
  const swapped: ConvOptions = { strides: win.dilations, dilations: win.strides, pads: [win.pads[0], win.pads[1], ends[0], ends[1]], group };
  let dw = conv2d(images, kernels, undefined, swapped);
  if (dw.shape[2] !== win.kernel[0] || dw.shape[3] !== win.kernel[1]) dw = slice(dw, [2, 3], [0, 0], [...win.kernel]);
  return transpose(dw, [1, 0, 2, 3]);
}

/** dX of an AveragePool: dY / counts, each (n, c) plane spread over its windows by ConvTranspose. */
function avgPoolGrad(dy: Value, x: Value, y: Value, attrs: Attrs): Value {
  const win = windowOf(attrs);
  const { h, w } = image("AveragePool", x);
  const [ho, wo] = [y.shape[2] as number, y.shape[3] as number];
  const include = attrInt(attrs, "count_include_pad", 0) === 1;
  const rows = windowCounts(axisOf(win, h, 0), ho, include);
  const cols = windowCounts(axisOf(win, w, 1), wo, include);
  const counts = rows.flatMap((r) => cols.map((c) => r * c));
  const g = x.graph;
  const dtype = x.dtype as "float32" | "float64";
  const divisor = counts.every((n) => n === counts[0]) ? counts[0] : g.constant(floatTensor(dtype, [ho, wo], counts), "pool_counts");
  const planes = reshape(div(dy, divisor), [-1, 1, ho, wo]);
  const ones = g.constant(floatTensor(dtype, [1, 1, ...win.kernel], new Array<number>(win.kernel[0] * win.kernel[1]).fill(1)), "pool_window");
  return reshapeLike(convTranspose(planes, ones, win, 1, outputPadding(x, win)), x);
}

/** Per output position along one axis, how many window cells count: all k, or those inside the input. */
function windowCounts(a: Axis, out: number, includePad: boolean): number[] {
  return Array.from({ length: out }, (_v, o) => {
    if (includePad) return a.k;
    const start = o * a.s - a.p0;
    return Math.min(start + a.k, a.size) - Math.max(start, 0);
  });
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/** Conv attributes other than the kernel (which comes from the weights); defaults: 1, 0, 1, 1. */
export interface ConvOptions {
  strides?: Pair;
  pads?: readonly [number, number, number, number];
  dilations?: Pair;
  group?: number;
}

function windowFrom(kernel: Pair, o: ConvOptions): Window2d {
  return { kernel, strides: o.strides ?? [1, 1], pads: o.pads ?? [0, 0, 0, 0], dilations: o.dilations ?? [1, 1] };
}

/**
 * 2-D convolution (cross-correlation, as ONNX and PyTorch define it) of x [N, C, H, W] with
 * w [M, C/group, kH, kW], plus an optional bias [M].
 * @example const y = conv2d(x, w, b, { strides: [2, 2], pads: [1, 1, 1, 1] });
 */
export function conv2d(x: Value, w: Value, b: Value | undefined, options: ConvOptions = {}): Value {
  const [kh, kw] = w.shape.slice(2);
  if (typeof kh !== "number" || typeof kw !== "number") throw new Error(`conv2d needs a static kernel size; got ${w}`);
  const attrs: Attrs = { ...windowAttrs(windowFrom([kh, kw], options)), group: { i: options.group ?? 1 } };
  return apply("Conv", b ? [x, w, b] : [x, w], attrs)[0];
}

function convTranspose(x: Value, w: Value, win: Window2d, group: number, extra: Pair): Value {
  return apply("ConvTranspose", [x, w], { ...windowAttrs(win), group: { i: group }, output_padding: { ints: extra } })[0];
}

/** Pooling window options: strides default to the window (no overlap), pads to 0. */
export interface PoolOptions {
  strides?: Pair;
  pads?: readonly [number, number, number, number];
}

/**
 * Max over each window of x [N, C, H, W]. With `withIndices` the node also outputs the argmax
 * indices, which the gradient reuses (training graphs); without, the gradient recomputes them.
 */
export function maxPool2d(x: Value, kernel: Pair, options: PoolOptions = {}, withIndices = false): Value {
  const attrs = windowAttrs(windowFrom(kernel, { ...options, strides: options.strides ?? kernel }), false);
  const types = OPS.MaxPool.infer!([x], attrs);
  return apply("MaxPool", [x], attrs, withIndices ? types : types.slice(0, 1))[0];
}

/** Mean over each window of x [N, C, H, W]; padding counts only with `countIncludePad`. */
export function avgPool2d(x: Value, kernel: Pair, options: PoolOptions & { countIncludePad?: boolean } = {}): Value {
  const attrs: Attrs = { ...windowAttrs(windowFrom(kernel, { ...options, strides: options.strides ?? kernel }), false), count_include_pad: { i: options.countIncludePad ? 1 : 0 } };
  return apply("AveragePool", [x], attrs)[0];
}

/** Mean over H and W: [N, C, H, W] -> [N, C, 1, 1]. */
export function globalAvgPool(x: Value): Value {
  return apply("GlobalAveragePool", [x])[0];
}

/** [N, ...] -> [N, product of the rest], keeping a symbolic batch. */
export function flatten(x: Value): Value {
  return apply("Flatten", [x], { axis: { i: 1 } })[0];
}

/**
 * Pads [top, left, bottom, right] for "same" output size ceil(size / stride), the extra one at
 * the end (TensorFlow's SAME, ONNX's SAME_UPPER); for stride 1 the output size equals the input's.
 */
export function samePads(size: Pair, kernel: Pair, strides: Pair, dilations: Pair = [1, 1]): [number, number, number, number] {
  const total = ([0, 1] as const).map((i) => Math.max(0, (Math.ceil(size[i] / strides[i]) - 1) * strides[i] + dilations[i] * (kernel[i] - 1) + 1 - size[i]));
  return [Math.floor(total[0] / 2), Math.floor(total[1] / 2), total[0] - Math.floor(total[0] / 2), total[1] - Math.floor(total[1] / 2)];
}
