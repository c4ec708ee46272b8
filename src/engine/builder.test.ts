// The Builder's declarations and image layers: parameter and state specs, padding options, the
// modes' differences, and errors that name what is wrong.
import { describe, expect, it } from "vitest";
import { Builder } from "./builder.js";

const image = (b: Builder, shape: (number | string)[] = ["batch", 4, 9, 8]) => b.graph.input("x", "float32", shape);

describe("conv2d", () => {
  it("declares [filters, C/groups, kH, kW] weights with He init and conv fans, and a bias", () => {
    const b = new Builder("conv", "train");
    const y = b.conv2d(image(b), 6, [3, 2], { groups: 2 }, "c");
    expect(b.params).toEqual([
      { name: "c.weight", shape: [6, 2, 3, 2], init: "he", decay: true, fans: { fanIn: 12, fanOut: 36 } },
      { name: "c.bias", shape: [6], init: "zeros", decay: false },
    ]);
    expect(y.shape).toEqual(["batch", 6, 7, 7]);
  });

  it('"same" padding keeps ceil(size / stride); numbers pad both sides; "valid" is the default', () => {
    const b = new Builder("conv", "train");
    const x = image(b);
    expect(b.conv2d(x, 2, 3, { padding: "same", bias: false }, "s1").shape).toEqual(["batch", 2, 9, 8]);
    expect(b.conv2d(x, 2, 3, { padding: "same", stride: 2 }, "s2").shape).toEqual(["batch", 2, 5, 4]);
    expect(b.conv2d(x, 2, 3, { padding: "same", dilation: 2 }, "s3").shape).toEqual(["batch", 2, 9, 8]);
    expect(b.conv2d(x, 2, 3, { padding: [2, 0] }, "p").shape).toEqual(["batch", 2, 11, 6]);
    expect(b.conv2d(x, 2, 3, {}, "v").shape).toEqual(["batch", 2, 7, 6]);
    expect(b.params.find((p) => p.name === "s1.bias")).toBeUndefined();
  });

  it("refuses groups that do not divide the channels, naming the layer", () => {
    const b = new Builder("conv", "train");
    expect(() => b.conv2d(image(b), 6, 3, { groups: 3 }, "bad")).toThrow("conv2d 'bad': 3 groups must divide 4 channels and 6 filters");
  });
});

describe("pooling layers", () => {
  it("max pooling outputs its indices only in train mode, where the gradient needs them", () => {
    for (const [mode, outputs] of [["train", 2], ["eval", 1]] as const) {
      const b = new Builder("pool", mode);
      expect(b.maxPool2d(image(b), 2).shape).toEqual(["batch", 4, 4, 4]);
      expect(b.graph.nodes.find((n) => n.op === "MaxPool")!.outputs.length).toBe(outputs);
    }
  });

  it("strides default to the window; padding options as for conv", () => {
    const b = new Builder("pool", "eval");
    const x = image(b);
    expect(b.avgPool2d(x, 3, { stride: 1, padding: "same" }).shape).toEqual(["batch", 4, 9, 8]);
    expect(b.avgPool2d(x, [3, 2]).shape).toEqual(["batch", 4, 3, 4]);
    expect(b.flatten(b.globalAvgPool(x)).shape).toEqual(["batch", 4]);
  });
});

describe("state", () => {
  it("is an input in train and eval mode and a constant in infer mode", () => {
    for (const mode of ["train", "eval"] as const) {
      const b = new Builder("s", mode);
      b.batchNorm2d(image(b), "bn");
      expect(b.graph.inputs.map((v) => v.name)).toEqual(["x", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"]);
      expect(b.states).toEqual([
        { name: "bn.running_mean", shape: [4], init: "zeros" },
        { name: "bn.running_var", shape: [4], init: "ones" },
      ]);
      expect([...b.stateUpdates.keys()]).toEqual(mode === "train" ? ["bn.running_mean", "bn.running_var"] : []);
    }
    const values = new Map(["bn.weight", "bn.bias", "bn.running_mean", "bn.running_var"].map((n) => [n, new Float32Array(4)]));
    const b = new Builder("s", "infer", "float32", values);
    b.batchNorm2d(image(b), "bn");
    expect(b.graph.inputs.map((v) => v.name)).toEqual(["x"]);
  });

  it("errors: missing trained value, double declaration, bad updates", () => {
    const values = new Map([["bn.weight", new Float32Array(4)], ["bn.bias", new Float32Array(4)]]);
    const infer = new Builder("s", "infer", "float32", values);
    expect(() => infer.batchNorm2d(image(infer), "bn")).toThrow("no trained value for state 'bn.running_mean'");
    const b = new Builder("s", "train");
    const s = b.state("s", [2], "zeros");
    expect(() => b.param("s", [2], "zeros", false)).toThrow("'s' is declared twice");
    expect(() => b.updateState("t", s)).toThrow("no state named 't' to update");
    expect(() => b.updateState("s", image(b))).toThrow(/state 's' has shape \[2\]; its update is x:float32\[batch,4,9,8\]/);
    b.updateState("s", s);
    expect(() => b.updateState("s", s)).toThrow("state 's' is updated twice");
  });
});
