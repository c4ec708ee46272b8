// A small convolutional network end to end (conv - batch norm - relu - max pool - grouped conv -
// flatten - dense):
// its compiled training step learns on random data, its inference graph reproduces the eval-mode
// forward pass with the trained parameters and running statistics, and the files it exports are
// standard ONNX that the reference checker accepts (when python3-onnx is installed).
import onnxProto from "onnx-proto";
import { beforeAll, describe, expect, it } from "vitest";
import { checkOnnxModel, hasOnnxChecker } from "./onnx-checker-fixtures.js";
import { OnnxRuntime } from "../runtime/onnxruntime.js";
import type { Tensor } from "../runtime/tensor.js";
import { floatTensor, int64Tensor } from "../runtime/tensor.js";
import { Builder } from "./builder.js";
import { uniformTensor } from "./gradcheck.js";
import type { Value } from "./graph.js";
import { encodeModel } from "./onnx-codec.js";
import { softmaxCrossEntropy } from "./ops.js";
import { Random } from "./random.js";
import { compileTrainingStep, initialCarries } from "./training-step.js";

const runtime = new OnnxRuntime();
const ROWS = 24;
const CLASSES = 3;
const IMAGE = [3, 9, 9];

function network(b: Builder): Value {
  const x = b.graph.input("images", "float32", ["batch", ...IMAGE]);
  let h = b.conv2d(x, 6, 3, { padding: "same", bias: false }, "conv1");
  h = b.activation(b.batchNorm2d(h, "bn1"), "relu");
  h = b.maxPool2d(h, 3, { stride: 2 }); // overlapping windows: [N, 6, 4, 4]
  h = b.activation(b.conv2d(h, 4, 3, { groups: 2, padding: 1, stride: 2 }, "conv2"), "relu"); // [N, 4, 2, 2]
  return b.dense(b.flatten(h), CLASSES, "out");
}

/** Random images; the label is the channel with the largest mean, something a conv net can learn. */
function dataset(random: Random): { images: Tensor; labels: Tensor } {
  const images = uniformTensor(random, "float32", [ROWS, ...IMAGE]);
  const plane = IMAGE[1] * IMAGE[2];
  const pixels = images.data as Float32Array;
  const labels = Array.from({ length: ROWS }, (_v, n) => {
    const means = [0, 1, 2].map((c) => pixels.subarray((n * 3 + c) * plane, (n * 3 + c + 1) * plane).reduce((s, v) => s + v, 0));
    return means.indexOf(Math.max(...means));
  });
  return { images, labels: int64Tensor([ROWS], labels) };
}

/** The ONNX nodes of a model: operator, domain and output count. */
function nodesOf(model: Uint8Array): { op: string; domain: string; outputs: number }[] {
  const graph = onnxProto.onnx.ModelProto.decode(model).graph!;
  return (graph.node ?? []).map((n) => ({ op: n.opType ?? "", domain: n.domain ?? "", outputs: (n.output ?? []).filter((o) => o !== "").length }));
}

describe("a conv net, end to end", () => {
  const random = new Random(21);
  const { images, labels } = dataset(random);
  const step = compileTrainingStep((b) => ({ loss: softmaxCrossEntropy(network(b), b.graph.input("labels", "int64", ["batch"])) }), { kind: "adam" });
  const carried: Record<string, Tensor> = {};
  const losses: number[] = [];
  const trained = new Map<string, Float32Array>();

  // Parameters by their init schemes and fans, state by its init kind; then 40 full-batch steps.
  beforeAll(async () => {
    Object.assign(carried, initialCarries(step, random));
    const session = await runtime.createSession(step.model);
    for (let t = 1; t <= 40; t++) {
      const scalar = (v: number): Tensor => floatTensor("float32", [], [v]);
      const out = await session.run({ ...carried, images, labels, lr: scalar(0.01), step: scalar(t) });
      losses.push((out.loss.data as Float32Array)[0]);
      for (const c of step.carries) carried[c.input] = out[c.output];
    }
    await session.release();
    for (const s of [...step.params, ...step.states]) trained.set(s.name, carried[s.name].data as Float32Array);
  });

  it("trains: the loss falls, and the running statistics move off their initial values", () => {
    expect(losses[losses.length - 1]).toBeLessThan(0.1 * losses[0]);
    expect(Array.from(trained.get("bn1.running_mean")!).some((v) => v !== 0)).toBe(true);
    expect(Array.from(trained.get("bn1.running_var")!).some((v) => v !== 1)).toBe(true);
  });

  /** The network's logits, built in `mode`, on the training images. */
  async function logits(mode: "eval" | "infer"): Promise<{ model: Uint8Array; logits: Float32Array }> {
    const b = new Builder(`conv_net_${mode}`, mode, "float32", mode === "infer" ? trained : undefined);
    b.graph.output(network(b), "logits");
    const model = encodeModel(b.graph);
    const s = await runtime.createSession(model);
    const feeds: Record<string, Tensor> = { images };
    if (mode === "eval") for (const [name, data] of trained) feeds[name] = { dtype: "float32", dims: carried[name].dims, data };
    const out = await s.run(feeds);
    await s.release();
    return { model, logits: out.logits.data as Float32Array };
  }

  it("the inference graph gives the eval-mode forward outputs", async () => {
    const evaluated = (await logits("eval")).logits;
    const inferred = (await logits("infer")).logits;
    evaluated.forEach((v, i) => expect(Math.abs(inferred[i] - v)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(v))));
  });

  it("the inference graph is standard operators, and MaxPool computes no indices there", async () => {
    const nodes = nodesOf((await logits("infer")).model);
    expect(nodes.every((n) => n.domain === "")).toBe(true);
    expect(new Set(nodes.map((n) => n.op))).toEqual(new Set(["Conv", "BatchNormalization", "Relu", "MaxPool", "Flatten", "MatMul", "Add"]));
    expect(nodes.find((n) => n.op === "MaxPool")!.outputs).toBe(1);
  });

  it("the training step computes conv and pool gradients with standard operators", () => {
    const nodes = nodesOf(step.model);
    const count = (op: string): number => nodes.filter((n) => n.op === op).length;
    // two forward convs and one weight gradient each; one input gradient (the images need none)
    expect([count("Conv"), count("ConvTranspose")]).toEqual([4, 1]);
    expect(nodes.filter((n) => n.op === "MaxPool").map((n) => n.outputs)).toEqual([2]); // indices reused, not recomputed
    expect(count("ScatterElements")).toBe(1);
    // train mode: the batch statistics from ReduceMean, then one BatchNormalization given them (bn1)
    expect(count("BatchNormalization")).toBe(1);
    expect(nodes.every((n) => n.domain === "")).toBe(true);
  });

  describe.skipIf(!hasOnnxChecker)("onnx.checker (python3-onnx)", () => {
    it("accepts the inference graph and the training step, full check with shape inference", async () => {
      expect(checkOnnxModel((await logits("infer")).model)).toBe("8 17");
      expect(checkOnnxModel(step.model)).toBe("8 17");
    });
  });
});
