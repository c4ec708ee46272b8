// Recurrent layers, embedding and the ops they need, against oracles: every layer's gradient
// (backpropagation through the unrolled graph) against central finite differences, in float64, of a
// float64 reference written element by element with PyTorch's equations (recurrent-fixtures.ts),
// which also checks the forward output. Sizes are small and odd (N=3, T=5, F=2, H=3); masked cases
// have a full-length row, a row of length 1 and one in between.
import { describe, expect, it } from "vitest";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, int64Tensor, sizeOf } from "../runtime/tensor.js";
import { Builder } from "./builder.js";
import type { RecurrentOptions } from "./builder.js";
import type { Case, Input } from "./gradcheck-fixtures.js";
import { float, runtime, suite } from "./gradcheck-fixtures.js";
import { gradCheck, uniformTensor } from "./gradcheck.js";
import type { Value } from "./graph.js";
import { initialise } from "./init.js";
import * as op from "./ops.js";
import { Random } from "./random.js";
import type { CellKind } from "./recurrent.js";
import type { RefWeights } from "./recurrent-fixtures.js";
import { referenceLayer } from "./recurrent-fixtures.js";

const [N, T, F, H] = [3, 5, 2, 3];
const LENGTHS = [5, 1, 3];

// ---------------------------------------------------------------------------------------------
// The ops sequences need: Slice, Concat, Pad, Gather (axis 0) gradients
// ---------------------------------------------------------------------------------------------

/** int64 ids in [0, vocab) with repeats, of a static shape. */
const ids = (shape: number[], vocab: number): Input => ({
  shape,
  make: (dims) => int64Tensor(dims, Array.from({ length: sizeOf(dims) }, (_v, i) => (i * 5 + 1) % vocab)),
});

suite("sequence ops", [
  { name: "Slice [N,7] axis 1 [2:5]", inputs: { x: float(["N", 7]) }, f: ({ x }) => op.slice(x, [1], [2], [5]) },
  { name: "Slice [4,5,3] two axes, negative start", inputs: { x: float([4, 5, 3]) }, f: ({ x }) => op.slice(x, [0, 2], [-3, 1], [4, 3]) },
  { name: "Slice [6] past the end", inputs: { x: float([6]) }, f: ({ x }) => op.slice(x, [0], [4], [99]) },
  { name: "Concat [N,2] [N,3] [N,1] axis 1", inputs: { a: float(["N", 2]), b: float(["N", 3]), c: float(["N", 1]) }, f: ({ a, b, c }) => op.concat([a, b, c], 1) },
  { name: "Concat [2,3] [4,3] axis 0", inputs: { a: float([2, 3]), b: float([4, 3]) }, f: ({ a, b }) => op.concat([a, b], 0) },
  { name: "Pad [N,3] columns 1 and 2", inputs: { x: float(["N", 3]) }, f: ({ x }) => op.pad(x, [0, 1, 0, 2]) },
  {
    name: "Gather [7,3] rows by [2,5] ids with repeats",
    inputs: { table: float([7, 3]), i: ids([2, 5], 7) },
    f: ({ table, i }) => op.gather(table, i, 0),
    wrt: ["table"],
  },
  { name: "Gather [4,3] one row by a scalar id", inputs: { table: float([4, 3]), i: ids([], 4) }, f: ({ table, i }) => op.gather(table, i, 0), wrt: ["table"] },
] satisfies Case[]);

// ---------------------------------------------------------------------------------------------
// Layers against the float64 reference
// ---------------------------------------------------------------------------------------------

interface LayerSpec {
  kind: CellKind;
  options: Omit<RecurrentOptions, "lengths" | "mask">;
}

interface LayerCase {
  name: string;
  layers: LayerSpec[];
  /** Variable lengths (default LENGTHS), fed as int64 lengths or as a [N, T] mask. */
  masking?: "lengths" | "mask";
  lengths?: number[];
  /** Feed int64 ids through an embedding of this vocabulary first (x is then [N, T] ids). */
  vocab?: number;
}

/** Builds the case's graph in float64 train mode (inputs x or ids, lengths or mask, parameters); its output. */
function buildLayers(c: LayerCase): { builder: Builder; output: Value } {
  const b = new Builder(c.name.replace(/\W+/g, "_"), "train", "float64");
  const g = b.graph;
  let h: Value = c.vocab ? b.embedding(g.input("ids", "int64", ["N", T]), c.vocab, F, "embed") : g.input("x", "float64", ["N", T, F]);
  const masking: Pick<RecurrentOptions, "lengths" | "mask"> =
    c.masking === "lengths" ? { lengths: g.input("lengths", "int64", ["N"]) } : c.masking === "mask" ? { mask: g.input("mask", "float64", ["N", T]) } : {};
  c.layers.forEach((l, k) => {
    const layer = { rnn: b.rnn, lstm: b.lstm, gru: b.gru }[l.kind].bind(b);
    h = layer(h, H, `l${k}`, { ...l.options, ...masking });
  });
  return { builder: b, output: h };
}

function layerCase(c: LayerCase): () => Promise<void> {
  return async () => {
    const random = new Random(7);
    const probe = buildLayers(c).builder;
    const lengths = c.masking ? (c.lengths ?? LENGTHS) : LENGTHS.map(() => T);
    const feeds: Record<string, Tensor> = {};
    if (c.vocab) feeds.ids = int64Tensor([N, T], Array.from({ length: N * T }, (_v, i) => (i * 3 + 2) % c.vocab!));
    else feeds.x = uniformTensor(random, "float64", [N, T, F]);
    if (c.masking === "lengths") feeds.lengths = int64Tensor([N], lengths);
    if (c.masking === "mask") feeds.mask = floatTensor("float64", [N, T], Array.from({ length: N * T }, (_v, i) => (i % T < lengths[Math.floor(i / T)] ? 1 : 0)));
    for (const p of probe.params) feeds[p.name] = uniformTensor(random, "float64", p.shape, -0.8, 0.8);

    const reference = (v: Record<string, Float64Array>): Float64Array => {
      let x: Float64Array;
      if (c.vocab) {
        x = new Float64Array(N * T * F);
        v.ids.forEach((id, i) => x.set(v["embed.weight"].subarray(id * F, (id + 1) * F), i * F));
      } else x = v.x;
      let dims: [number, number, number] = [N, T, F];
      for (const [k, l] of c.layers.entries()) {
        const w = (suffix: string): RefWeights => ({
          wIh: v[`l${k}.weight_ih${suffix}`],
          wHh: v[`l${k}.weight_hh${suffix}`],
          bIh: v[`l${k}.bias_ih${suffix}`],
          bHh: v[`l${k}.bias_hh${suffix}`],
        });
        const out = referenceLayer(
          { kind: l.kind, hidden: H, weights: w(""), reverse: l.options.bidirectional ? w("_reverse") : undefined, returnSequences: l.options.returnSequences ?? false },
          x,
          dims,
          lengths,
        );
        [x, dims] = [out.data, out.dims];
      }
      return x;
    };
    const wrt = Object.keys(feeds).filter((k) => k !== "ids" && k !== "lengths" && k !== "mask");
    const report = await gradCheck(runtime, { build: () => buildLayers(c).output, feeds, wrt, reference });
    expect(report.mismatches).toEqual([]);
    expect(report.checked).toBe(wrt.reduce((s, k) => s + sizeOf(feeds[k].dims), 0));
  };
}

const KINDS: CellKind[] = ["rnn", "lstm", "gru"];
const CASES: LayerCase[] = [
  ...KINDS.flatMap((kind) => [
    { name: `${kind}, last state`, layers: [{ kind, options: {} }] },
    { name: `${kind}, sequences`, layers: [{ kind, options: { returnSequences: true } }] },
    { name: `${kind}, lengths, last state`, layers: [{ kind, options: {} }], masking: "lengths" as const },
    { name: `${kind}, lengths, sequences`, layers: [{ kind, options: { returnSequences: true } }], masking: "lengths" as const },
    { name: `${kind}, bidirectional, lengths, sequences`, layers: [{ kind, options: { returnSequences: true, bidirectional: true } }], masking: "lengths" as const },
  ]),
  { name: "gru, mask input, last state", layers: [{ kind: "gru", options: {} }], masking: "mask" },
  { name: "lstm, bidirectional, a row of length 0, last state", layers: [{ kind: "lstm", options: { bidirectional: true } }], masking: "lengths", lengths: [2, 0, 5] },
  { name: "lstm, bidirectional, last state", layers: [{ kind: "lstm", options: { bidirectional: true } }] },
  {
    name: "stacked: bidirectional lstm then gru, lengths",
    layers: [
      { kind: "lstm", options: { returnSequences: true, bidirectional: true } },
      { kind: "gru", options: {} },
    ],
    masking: "lengths",
  },
  { name: "embedding then lstm", layers: [{ kind: "lstm", options: { returnSequences: true } }], vocab: 4 },
];

describe("recurrent layers: forward against a float64 reference, gradients against finite differences", () => {
  for (const c of CASES) it(c.name, layerCase(c));
});

// ---------------------------------------------------------------------------------------------
// Declared parameters and their initialisation
// ---------------------------------------------------------------------------------------------

describe("recurrent and embedding parameters", () => {
  it("are PyTorch's tensors transposed, `_reverse` for the backward direction, with per-gate fans", () => {
    const b = new Builder("params", "train");
    const x = b.embedding(b.graph.input("ids", "int64", ["N", T]), 11, F, "embed");
    b.lstm(x, H, "l", { bidirectional: true, unitForgetBias: true });
    b.gru(x, H, "g");
    const specs = b.params.map((p) => [p.name, p.shape.join("x"), p.init, p.decay, p.fans ? `${p.fans.fanIn}/${p.fans.fanOut}` : ""].join(" "));
    expect(specs).toEqual([
      "embed.weight 11x2 he true 2/2",
      "l.weight_ih 2x12 xavier true 2/3",
      "l.weight_hh 3x12 xavier true 3/3",
      "l.bias_ih 12 lstm-forget-ones false ",
      "l.bias_hh 12 zeros false ",
      "l.weight_ih_reverse 2x12 xavier true 2/3",
      "l.weight_hh_reverse 3x12 xavier true 3/3",
      "l.bias_ih_reverse 12 lstm-forget-ones false ",
      "l.bias_hh_reverse 12 zeros false ",
      "g.weight_ih 2x9 xavier true 2/3",
      "g.weight_hh 3x9 xavier true 3/3",
      "g.bias_ih 9 zeros false ",
      "g.bias_hh 9 zeros false ",
    ]);
  });

  it("lstm-forget-ones sets the forget block [H, 2H) of a [4H] bias to 1", () => {
    const out = new Float32Array(12).fill(7);
    initialise("lstm-forget-ones", [12], new Random(1), out);
    expect(Array.from(out)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(() => initialise("lstm-forget-ones", [10], new Random(1), new Float32Array(10))).toThrow(/\[4H\]/);
  });

  it("reject an input without static T and F, and lengths given with a mask", () => {
    const b = new Builder("bad", "train");
    const g = b.graph;
    expect(() => b.lstm(g.input("x", "float32", ["N", "T", F]), H, "l")).toThrow(/static T and F; got x:float32\[N,T,2\]/);
    const x = g.input("x2", "float32", ["N", T, F]);
    expect(() => b.gru(x, H, "g", { lengths: g.input("len", "int64", ["N"]), mask: g.input("m", "float32", ["N", T]) })).toThrow(/not both/);
  });
});
