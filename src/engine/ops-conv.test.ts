// Convolution, pooling and flattening (engine/ops-conv.ts), gradient-checked against central finite
// differences. ONNX Runtime runs Conv, ConvTranspose, AveragePool and GlobalAveragePool in float32
// only: those cases run their graphs (forward and gradient) in float32 against float64 references
// (conv-fixtures.ts), with float32 tolerances. MaxPool and Flatten have float64 kernels: their
// cases run in float64 with the runtime as the oracle, MaxPool's forward checked against the reference.
import { describe, expect, it } from "vitest";
import type { Dims4, Pads, Pair } from "./conv-fixtures.js";
import { avgPoolReference, conv2dReference, globalAvgPoolReference, maxPoolReference } from "./conv-fixtures.js";
import type { Case } from "./gradcheck-fixtures.js";
import { BATCH, float, fmt, suite } from "./gradcheck-fixtures.js";
import type { Shape } from "./graph.js";
import { Graph } from "./graph.js";
import type { ConvOptions } from "./ops-conv.js";
import { avgPool2d, conv2d, flatten, globalAvgPool, maxPool2d, samePads } from "./ops-conv.js";

/** An NCHW shape whose batch may be symbolic, and its run-time dims. */
type Image = readonly [number | "N", number, number, number];
const dims = (s: Image): Dims4 => [s[0] === "N" ? BATCH : s[0], s[1], s[2], s[3]];

// ---------------------------------------------------------------------------------------------
// Conv
// ---------------------------------------------------------------------------------------------

/** [what it exercises, x, w, options, bias] */
const CONVS: [string, Image, Dims4, ConvOptions, boolean][] = [
  ["plain 3x3", ["N", 3, 7, 7], [4, 3, 3, 3], {}, true],
  ["stride 2, pads 1, output_padding 1 on H", [2, 2, 8, 7], [3, 2, 3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }, true],
  ["stride 3, no pads: unused rows past the end pad, sliced", [1, 2, 11, 10], [2, 2, 3, 2], { strides: [3, 3] }, true],
  ["asymmetric pads, kernel 2x3, strides 3x2", [2, 2, 9, 8], [3, 2, 2, 3], { strides: [3, 2], pads: [0, 1, 2, 1] }, true],
  ["dilation 2, pads 2", ["N", 2, 9, 8], [3, 2, 3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }, true],
  ["dilation 2, stride 2, odd sizes", [2, 3, 10, 9], [2, 3, 3, 2], { dilations: [2, 2], strides: [2, 2], pads: [1, 0, 1, 0] }, true],
  ["dilation 2, stride 3: remainder >= dilation, sliced", [1, 2, 11, 11], [2, 2, 2, 2], { dilations: [2, 2], strides: [3, 3] }, false],
  ["groups 2, stride 2, pads 1", ["N", 4, 6, 7], [6, 2, 3, 3], { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }, true],
  ["groups 2, stride 3, output_padding and slice", [2, 4, 11, 8], [4, 2, 3, 3], { group: 2, strides: [3, 3] }, true],
  ["groups 3, dilation 2, asymmetric pads", [2, 6, 7, 5], [3, 2, 3, 3], { group: 3, dilations: [2, 2], pads: [2, 1, 2, 1] }, true],
  ["depthwise (groups = channels), stride 2", [2, 4, 7, 7], [4, 1, 3, 3], { group: 4, strides: [2, 2], pads: [1, 1, 1, 1] }, true],
  ["depthwise with multiplier 2", ["N", 3, 5, 6], [6, 1, 3, 3], { group: 3, pads: [1, 1, 1, 1] }, false],
  ["1x1, no bias", ["N", 5, 4, 3], [2, 5, 1, 1], {}, false],
  ["kernel as large as the image", [2, 3, 4, 4], [2, 3, 4, 4], {}, true],
];

suite(
  "Conv against a float64 reference",
  CONVS.map(([what, xs, ws, options, bias]): Case => ({
    name: `${what}: ${fmt(xs)} * ${fmt(ws)}`,
    inputs: { x: float(xs as Shape), w: float(ws), ...(bias ? { b: float([ws[0]]) } : {}) },
    f: ({ x, w, b }) => conv2d(x, w, b, options),
    reference: ({ x, w, b }) => conv2dReference(x, dims(xs), w, ws, b, options),
    tolerance: { maxElements: 120 },
  })),
);

// ---------------------------------------------------------------------------------------------
// Pooling and Flatten
// ---------------------------------------------------------------------------------------------

/** [what it exercises, x, window, strides (default: the window), pads] */
const POOLS: [string, Image, Pair, Pair | undefined, Pads | undefined][] = [
  ["2x2 stride 2", ["N", 3, 6, 6], [2, 2], undefined, undefined],
  ["overlapping 3x3 stride 1", [2, 2, 5, 7], [3, 3], [1, 1], undefined],
  ["overlapping 3x3 stride 2, pads 1, odd sizes", ["N", 2, 7, 8], [3, 3], [2, 2], [1, 1, 1, 1]],
  ["2x3 strides 1x2, asymmetric pads", [2, 3, 6, 7], [2, 3], [1, 2], [0, 1, 1, 0]],
  ["2x2 stride 3: gaps between windows, rows past the last", [1, 2, 9, 8], [2, 2], [3, 3], undefined],
];

suite(
  "MaxPool (float64), forward against a reference",
  POOLS.flatMap(([what, xs, k, strides, pads]) =>
    [true, false].map(
      (withIndices): Case => ({
        name: `${what} ${fmt(xs)}, ${withIndices ? "indices from the forward node" : "indices recomputed"}`,
        inputs: { x: float(xs as Shape) },
        f: ({ x }) => maxPool2d(x, k, { strides, pads }, withIndices),
        forward: ({ x }) => Array.from(maxPoolReference(x, dims(xs), k, { strides, pads })),
      }),
    ),
  ),
);

suite(
  "AveragePool against a float64 reference",
  POOLS.flatMap(([what, xs, k, strides, pads]) =>
    [false, true].map(
      (countIncludePad): Case => ({
        name: `${what} ${fmt(xs)}, count_include_pad ${countIncludePad ? 1 : 0}`,
        inputs: { x: float(xs as Shape) },
        f: ({ x }) => avgPool2d(x, k, { strides, pads, countIncludePad }),
        reference: ({ x }) => avgPoolReference(x, dims(xs), k, { strides, pads, countIncludePad }),
      }),
    ),
  ),
);

suite(
  "GlobalAveragePool against a float64 reference",
  ([["N", 3, 5, 7], [2, 1, 1, 1], [1, 4, 3, 3]] as Image[]).map((xs): Case => ({
    name: fmt(xs),
    inputs: { x: float(xs as Shape) },
    f: ({ x }) => globalAvgPool(x),
    reference: ({ x }) => globalAvgPoolReference(x, dims(xs)),
  })),
);

suite(
  "Flatten (float64)",
  ([["N", 3, 4, 5], [2, 1, 1, 7], ["N", 2, 3]] as Shape[]).map((xs): Case => ({ name: fmt(xs), inputs: { x: float(xs) }, f: ({ x }) => flatten(x) })),
);

// ---------------------------------------------------------------------------------------------
// The references themselves, on cases worked by hand
// ---------------------------------------------------------------------------------------------

describe("the references", () => {
  const x = Float64Array.from({ length: 16 }, (_v, i) => i); // one 4x4 plane: 0..15 row by row
  it("conv2d: a 2x2 kernel of ones, stride 2, pads 1", () => {
    // windows over the padded 6x6: [[0], [1+2], [3]], ... computed by hand
    const y = conv2dReference(x, [1, 1, 4, 4], Float64Array.of(1, 1, 1, 1), [1, 1, 2, 2], Float64Array.of(0.5), { strides: [2, 2], pads: [1, 1, 1, 1] });
    expect(Array.from(y)).toEqual([0, 3, 3, 12, 30, 18, 12, 27, 15].map((v) => v + 0.5));
  });
  it("conv2d: groups keep channels apart, dilation skips cells", () => {
    const two = Float64Array.from([...x, ...x.map((v) => -v)]); // channel 1 is -channel 0
    const y = conv2dReference(two, [1, 2, 4, 4], Float64Array.of(1, 1, 2, 2), [2, 1, 1, 2], undefined, { group: 2, dilations: [1, 3] });
    // filter 0 on channel 0: x[r,0] + x[r,3]; filter 1 on channel 1: -2 (x[r,0] + x[r,3])
    expect(Array.from(y)).toEqual([3, 11, 19, 27, -6, -22, -38, -54]);
  });
  it("max and average pooling, with and without padded cells counted", () => {
    expect(Array.from(maxPoolReference(x, [1, 1, 4, 4], [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }))).toEqual([5, 7, 13, 15]);
    expect(Array.from(avgPoolReference(x, [1, 1, 4, 4], [2, 2], { strides: [2, 2], pads: [1, 1, 1, 1] })).slice(0, 2)).toEqual([0, 1.5]);
    expect(Array.from(avgPoolReference(x, [1, 1, 4, 4], [2, 2], { strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: true })).slice(0, 2)).toEqual([0, 0.75]);
    expect(Array.from(globalAvgPoolReference(x, [1, 1, 4, 4]))).toEqual([7.5]);
  });
});

// ---------------------------------------------------------------------------------------------
// Static shapes and errors
// ---------------------------------------------------------------------------------------------

describe("static shapes", () => {
  const g = new Graph("shapes", "float32");
  const x = g.input("x", "float32", ["batch", 4, 9, 8]);
  it("Conv: [N, M, floor((H + pads - d(k-1) - 1) / s) + 1, ...]", () => {
    const w = g.input("w", "float32", [6, 2, 3, 3]);
    expect(conv2d(x, w, undefined, { group: 2, strides: [2, 3], pads: [1, 0, 1, 2], dilations: [1, 2] }).shape).toEqual(["batch", 6, 5, 2]);
  });
  it("pools and flatten keep the symbolic batch", () => {
    expect(maxPool2d(x, [2, 2]).shape).toEqual(["batch", 4, 4, 4]);
    expect(avgPool2d(x, [3, 3], { strides: [1, 1], pads: [1, 1, 1, 1] }).shape).toEqual(["batch", 4, 9, 8]);
    expect(globalAvgPool(x).shape).toEqual(["batch", 4, 1, 1]);
    expect(flatten(x).shape).toEqual(["batch", 288]);
  });
  it("errors name the shapes", () => {
    expect(() => conv2d(x, g.input("w3", "float32", [6, 3, 3, 3]), undefined)).toThrow(/Conv with group 1 and kernel \[3,3\] cannot take x:float32\[batch,4,9,8\], w3:float32\[6,3,3,3\]/);
    expect(() => conv2d(x, g.input("w9", "float32", [2, 4, 10, 3]), undefined)).toThrow(/does not fit x:float32\[batch,4,9,8\]/);
    expect(() => maxPool2d(x, [2, 2], { pads: [2, 0, 0, 0] })).toThrow(/pads \[2,0,0,0\] must be smaller than the window \[2,2\]/);
    expect(() => conv2d(g.input("flat", "float32", ["batch", 4, "h", 8]), g.input("w1", "float32", [1, 4, 1, 1]), undefined)).toThrow(/static H and W/);
  });
  it('"same" pads give ceil(size / stride), the odd pad at the end', () => {
    expect(samePads([7, 7], [3, 3], [1, 1])).toEqual([1, 1, 1, 1]);
    expect(samePads([7, 7], [4, 4], [1, 1])).toEqual([1, 1, 2, 2]);
    expect(samePads([8, 7], [3, 3], [2, 2])).toEqual([0, 1, 1, 1]);
    expect(samePads([9, 9], [3, 3], [1, 1], [2, 2])).toEqual([2, 2, 2, 2]);
  });
});
