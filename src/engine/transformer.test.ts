// The Transformer layers of the Builder, checked as whole layers: multi-head attention's gradients
// with respect to its input and every parameter against finite differences (float64) and its
// output against a plain float64 implementation on the same weights; positional embeddings and
// weight tying likewise; and a one-block decoder-only Transformer whose compiled training step
// (forward, backward, Adam) learns to copy the previous token on ONNX Runtime.
import { beforeAll, describe, expect, it } from "vitest";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, int64Tensor } from "../runtime/tensor.js";
import { Builder } from "./builder.js";
import type { Activation } from "./builder.js";
import { runtime } from "./gradcheck-fixtures.js";
import { gradCheck, toFloat64, uniformTensor } from "./gradcheck.js";
import type { Value } from "./graph.js";
import { checkOnnxModel, hasOnnxChecker } from "./onnx-checker-fixtures.js";
import { encodeModel } from "./onnx-codec.js";
import { add, argmax, reshape, softmaxCrossEntropy } from "./ops.js";
import { Random } from "./random.js";
import { compileTrainingStep, initialCarries } from "./training-step.js";

/** Gradient-checks a network built on a float64 train-mode Builder, every parameter drawn from U(-0.5, 0.5). */
async function checkNetwork(net: (b: Builder) => Value, data: Record<string, Tensor>, seed: number, maxElements?: number): Promise<Tensor> {
  const random = new Random(seed);
  const probe = new Builder("probe", "train", "float64");
  net(probe);
  const feeds: Record<string, Tensor> = { ...data };
  for (const p of probe.params) feeds[p.name] = uniformTensor(random, "float64", p.shape, -0.5, 0.5);
  const report = await gradCheck(runtime, { build: () => net(new Builder("net", "train", "float64")), feeds, maxElements, seed });
  expect(report.mismatches).toEqual([]);
  expect(report.checked).toBeGreaterThan(probe.params.length);
  return report.output;
}

// ---------------------------------------------------------------------------------------------
// Multi-head attention against a float64 implementation
// ---------------------------------------------------------------------------------------------

const [N, T, D, HEADS] = [2, 4, 8, 2];

/** x W + b for rows of x [rows, in] and W [in, out]. */
function dense(x: Float64Array, w: Float64Array, b: Float64Array): Float64Array {
  const [inputs, units] = [w.length / b.length, b.length];
  const y = new Float64Array((x.length / inputs) * units);
  for (let r = 0; r < x.length / inputs; r++) {
    for (let o = 0; o < units; o++) {
      let s = b[o];
      for (let i = 0; i < inputs; i++) s += x[r * inputs + i] * w[i * units + o];
      y[r * units + o] = s;
    }
  }
  return y;
}

/** Multi-head self-attention of x [N, T, D] in loops: per head h, softmax(q_h k_h^T / sqrt(D/H)) v_h. */
function attentionReference(x: Float64Array, p: (name: string) => Float64Array, causal: boolean): Float64Array {
  const proj = (name: string) => dense(x, p(`attn.${name}.weight`), p(`attn.${name}.bias`));
  const [q, k, v] = [proj("query"), proj("key"), proj("value")];
  const dh = D / HEADS;
  const heads = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let h = 0; h < HEADS; h++) {
      const at = (m: Float64Array, t: number, d: number): number => m[(n * T + t) * D + h * dh + d];
      for (let i = 0; i < T; i++) {
        const seen = causal ? i + 1 : T;
        const scores = Array.from({ length: seen }, (_v, j) => {
          let s = 0;
          for (let d = 0; d < dh; d++) s += at(q, i, d) * at(k, j, d);
          return s / Math.sqrt(dh);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, b) => a + b, 0);
        for (let d = 0; d < dh; d++) heads[(n * T + i) * D + h * dh + d] = e.reduce((a, w, j) => a + (w / sum) * at(v, j, d), 0);
      }
    }
  }
  return dense(heads, p("attn.output.weight"), p("attn.output.bias"));
}

describe("Builder.attention (N=2, T=4, D=8, 2 heads)", () => {
  const x = uniformTensor(new Random(7), "float64", [N, T, D]);
  for (const causal of [false, true]) {
    it(`${causal ? "causal" : "bidirectional"}: gradients of x and all eight parameters, and the output against loops`, async () => {
      const net = (b: Builder): Value => b.attention(b.graph.input("x", "float64", ["batch", T, D]), HEADS, "attn", { causal });
      const seed = causal ? 11 : 12;
      const output = await checkNetwork(net, { x }, seed);
      // the same parameter draws as checkNetwork's
      const random = new Random(seed);
      const probe = new Builder("probe", "train", "float64");
      net(probe);
      const params = new Map(probe.params.map((s) => [s.name, toFloat64(uniformTensor(random, "float64", s.shape, -0.5, 0.5))]));
      const expected = attentionReference(toFloat64(x), (name) => params.get(name)!, causal);
      toFloat64(output).forEach((y, i) => expect(y).toBeCloseTo(expected[i], 12));
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Positions, weight tying, and a whole block
// ---------------------------------------------------------------------------------------------

const VOCAB = 5;
const ids = int64Tensor([N, T], [0, 3, 3, 1, 4, 0, 2, 0]); // repeated ids: scattered gradient rows add

/** A decoder-only Transformer block on int64 ids [N, T]: logits [N, T, vocab] through the tied table. */
function decoder(b: Builder, tokens: Value, vocab: number, dim: number, heads: number, activation: Activation, maxLength?: number): Value {
  const steps = tokens.shape[1] as number;
  let h = add(b.embedding(tokens, vocab, dim, "tok"), b.positionalEmbedding(steps, dim, "pos", maxLength));
  h = add(h, b.attention(b.layerNorm(h, "ln1"), heads, "attn", { causal: true }));
  h = add(h, b.dense(b.activation(b.dense(b.layerNorm(h, "ln2"), 4 * dim, "fc1"), activation), dim, "fc2"));
  return b.tiedOutput(b.layerNorm(h, "ln_f"), "tok");
}

describe("positional embeddings and weight tying", () => {
  it("positions sliced from a longer table, and the tied table's gradient from both uses", async () => {
    const net = (b: Builder): Value => {
      const tokens = b.graph.input("ids", "int64", ["batch", T]);
      const h = add(b.embedding(tokens, VOCAB, 3, "tok"), b.positionalEmbedding(T, 3, "pos", T + 2));
      return b.tiedOutput(b.layerNorm(h, "ln"), "tok");
    };
    const out = await checkNetwork(net, { ids }, 21);
    expect(out.dims).toEqual([N, T, VOCAB]);
  });

  it("tiedOutput needs the embedding declared first", () => {
    const b = new Builder("tied", "train", "float32");
    expect(() => b.tiedOutput(b.graph.input("h", "float32", [2, 3]), "tok")).toThrow("tiedOutput: no embedding 'tok' declared before it");
  });

  it("a whole block (tanh MLP: ONNX Runtime has no float64 Erf) differentiates correctly, a sample of every parameter", async () => {
    const net = (b: Builder): Value => decoder(b, b.graph.input("ids", "int64", ["batch", T]), VOCAB, D, HEADS, "tanh");
    await checkNetwork(net, { ids }, 31, 12);
  });
});

// ---------------------------------------------------------------------------------------------
// End to end: a one-block decoder learns to copy the previous token
// ---------------------------------------------------------------------------------------------

describe("a one-block decoder-only Transformer, trained end to end", () => {
  const [ROWS, STEPS, V, LEN, WIDTH] = [32, 150, 8, 6, 16];
  const network = (b: Builder): Value => decoder(b, b.graph.input("ids", "int64", ["batch", LEN]), V, WIDTH, 2, "gelu");
  const step = compileTrainingStep((b: Builder) => {
    const logits = network(b);
    const targets = b.graph.input("targets", "int64", ["batch", LEN]);
    return { loss: softmaxCrossEntropy(reshape(logits, [-1, V]), reshape(targets, [-1])) };
  }, { kind: "adam" });
  const losses: number[] = [];
  const trained = new Map<string, Float32Array>();

  /** Fresh random sequences; the target at t is the token at t - 1 (token 0 at t = 0). */
  function batch(random: Random): Record<string, Tensor> {
    const tokens = Array.from({ length: ROWS * LEN }, () => random.int(V));
    const targets = tokens.map((_v, i) => (i % LEN === 0 ? 0 : tokens[i - 1]));
    return { ids: int64Tensor([ROWS, LEN], tokens), targets: int64Tensor([ROWS, LEN], targets) };
  }

  beforeAll(async () => {
    const random = new Random(3);
    const carried = initialCarries(step, random);
    const session = await runtime.createSession(step.model);
    const scalar = (v: number): Tensor => floatTensor("float32", [], [v]);
    for (let t = 1; t <= STEPS; t++) {
      const out = await session.run({ ...carried, ...batch(random), lr: scalar(0.01), step: scalar(t) });
      losses.push((out.loss.data as Float32Array)[0]);
      for (const c of step.carries) carried[c.input] = out[c.output];
    }
    await session.release();
    for (const s of step.params) trained.set(s.name, carried[s.name].data as Float32Array);
  });

  /** The inference graph with the trained parameters as constants, and the next tokens it predicts. */
  async function predict(tokens: Tensor): Promise<{ model: Uint8Array; next: number[] }> {
    const b = new Builder("decoder", "infer", "float32", trained);
    b.graph.output(argmax(network(b), 2), "next");
    const model = encodeModel(b.graph);
    const session = await runtime.createSession(model);
    const out = await session.run({ ids: tokens });
    await session.release();
    return { model, next: Array.from(out.next.data as BigInt64Array, Number) };
  }

  it("the loss on unseen batches falls from above ln V to near 0", () => {
    expect(losses[0]).toBeGreaterThan(Math.log(V));
    expect(Math.max(...losses.slice(-5))).toBeLessThan(0.05);
  });

  it("the exported inference graph copies the previous token of new sequences", async () => {
    const fresh = batch(new Random(99));
    expect((await predict(fresh.ids)).next).toEqual(Array.from(fresh.targets.data as BigInt64Array, Number));
  });

  describe.skipIf(!hasOnnxChecker)("onnx.checker (python3-onnx)", () => {
    it("accepts the inference graph and the training step, full check with shape inference", async () => {
      expect(checkOnnxModel((await predict(batch(new Random(1)).ids)).model)).toBe("8 17");
      expect(checkOnnxModel(step.model)).toBe("8 17");
    });
  });
});
