import onnxProto from "onnx-proto";
import { describe, expect, test } from "vitest";
import { MaasError } from "../errors.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Runtime } from "../runtime/runtime.js";
import { DEFAULT_OPSETS, IR_VERSIONS, checkImport } from "./onnx-import.js";

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const SOURCE = "upload.onnx";
const MAX = 1 << 20;

function tensorInfo(name: string, elemType = FLOAT, dims: (number | string)[] = ["batch", 4]): onnxProto.onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } } };
}

/** y = Relu(x + b): a valid model, with the given fields replaced. */
function modelProto(fields: Partial<onnxProto.onnx.IModelProto> = {}, graph: Partial<onnxProto.onnx.IGraphProto> = {}): onnxProto.onnx.IModelProto {
  return {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "test",
    producerVersion: "1",
    ...fields,
    graph: {
      name: "g",
      node: [
        { opType: "Add", input: ["x", "b"], output: ["h"], name: "add" },
        { opType: "Relu", input: ["h"], output: ["y"], name: "relu" },
      ],
      initializer: [{ name: "b", dims: [4], dataType: FLOAT, floatData: [1, 2, 3, 4] }],
      input: [tensorInfo("x")],
      output: [tensorInfo("y")],
      ...graph,
    },
  };
}

function encode(m: onnxProto.onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create(m)).finish();
}

/** The MaasError checkImport rejects with (fails the test if it resolves or throws anything else). */
async function rejection(bytes: Uint8Array, runtime?: Runtime, maxBytes = MAX): Promise<MaasError> {
  const error = await checkImport(bytes, { source: SOURCE, maxBytes, runtime }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MaasError);
  const e = error as MaasError;
  expect(e.message.startsWith(`${SOURCE}: `)).toBe(true);
  expect(e.message).not.toContain("\n");
  return e;
}

/** A runtime that records whether a load was attempted and refuses it. */
function refusingRuntime(): Runtime & { loads: number } {
  return {
    loads: 0,
    createSession() {
      this.loads++;
      return Promise.reject(new Error("not to be loaded"));
    },
  };
}

test("a valid model passes and its interface is reported, symbolic dims as strings", async () => {
  const report = await checkImport(encode(modelProto()), { source: SOURCE, maxBytes: MAX });
  expect(report).toEqual({
    irVersion: 8,
    opsets: { "": 17 },
    producer: "test 1",
    inputs: [{ name: "x", dtype: "float32", shape: ["batch", 4] }],
    outputs: [{ name: "y", dtype: "float32", shape: ["batch", 4] }],
  });
});

test("an unnamed dim is '?' and an undeclared rank is null", async () => {
  const x = { name: "x", type: { tensorType: { elemType: FLOAT, shape: { dim: [{}, { dimValue: 4 }] } } } };
  const y = { name: "y", type: { tensorType: { elemType: FLOAT } } };
  const report = await checkImport(encode(modelProto({}, { input: [x], output: [y] })), { source: SOURCE, maxBytes: MAX });
  expect(report.inputs[0].shape).toEqual(["?", 4]);
  expect(report.outputs[0].shape).toBeNull();
});

describe("size", () => {
  test("an empty file is bad input", async () => {
    const e = await rejection(new Uint8Array(0));
    expect(e.code).toBe("bad_input");
    expect(e.message).toBe(`${SOURCE}: the file is empty; expected an ONNX model (.onnx)`);
  });

  test("a file over the limit is too large, with its size and the limit", async () => {
    const bytes = encode(modelProto());
    const e = await rejection(bytes, undefined, bytes.length - 1);
    expect(e.code).toBe("too_large");
    expect(e.message).toContain(`${bytes.length} bytes`);
    expect(e.message).toContain(`limit of ${bytes.length - 1} bytes`);
  });
});

describe("not an ONNX model", () => {
  test("bytes that are not a protobuf message", async () => {
    const e = await rejection(new TextEncoder().encode("a,b\n1,2\n3,4\n"));
    expect(e.code).toBe("bad_input");
    expect(e.message).toMatch(/^upload\.onnx: not an ONNX model \(the bytes do not decode as an ONNX ModelProto: .+\); expected a \.onnx file$/);
  });

  test("a ModelProto without a graph", async () => {
    const e = await rejection(encode({ irVersion: 8, opsetImport: [{ domain: "", version: 17 }] }));
    expect(e.message).toBe(`${SOURCE}: not an ONNX model (it has no graph); expected a .onnx file`);
  });
});

describe("versions", () => {
  test.each([IR_VERSIONS.min - 1, IR_VERSIONS.max + 1])("IR version %i is refused with the supported range", async (ir) => {
    const runtime = refusingRuntime();
    const e = await rejection(encode(modelProto({ irVersion: ir })), runtime);
    expect(e.message).toBe(`${SOURCE}: IR version ${ir} is not supported (ONNX Runtime loads IR versions 3 to 13)`);
    expect(runtime.loads).toBe(0);
  });

  test.each([DEFAULT_OPSETS.min - 1, DEFAULT_OPSETS.max + 1])("default-domain opset %i is refused with the supported range", async (opset) => {
    const e = await rejection(encode(modelProto({ opsetImport: [{ domain: "ai.onnx", version: opset }] })), refusingRuntime());
    expect(e.message).toBe(`${SOURCE}: opset ${opset} of the default ONNX domain is not supported (export with an opset from 7 to 26)`);
  });

  test("the bounds are ONNX Runtime's: it loads the newest accepted versions and refuses the next ones", async () => {
    const newest = modelProto({ irVersion: IR_VERSIONS.max, opsetImport: [{ domain: "", version: DEFAULT_OPSETS.max }] });
    await expect(checkImport(encode(newest), { source: SOURCE, maxBytes: MAX })).resolves.toMatchObject({ irVersion: IR_VERSIONS.max });
    const oldest = modelProto({ irVersion: IR_VERSIONS.min, opsetImport: [{ domain: "", version: DEFAULT_OPSETS.min }] });
    await expect(checkImport(encode(oldest), { source: SOURCE, maxBytes: MAX })).resolves.toMatchObject({ irVersion: IR_VERSIONS.min });
    const runtime = defaultRuntime();
    await expect(runtime.createSession(encode(modelProto({ irVersion: IR_VERSIONS.max + 1 })))).rejects.toThrow(/IR version/);
    await expect(runtime.createSession(encode(modelProto({ opsetImport: [{ domain: "", version: DEFAULT_OPSETS.max + 1 }] })))).rejects.toThrow(/[Oo]pset/);
  });
});

describe("custom operators", () => {
  test("a node of another domain is named with its domain", async () => {
    const m = modelProto(
      { opsetImport: [{ domain: "", version: 17 }, { domain: "com.example", version: 1 }] },
      { node: [{ opType: "FancyRelu", domain: "com.example", input: ["x"], output: ["y"] }] },
    );
    const e = await rejection(encode(m), refusingRuntime());
    expect(e.message).toBe(`${SOURCE}: custom operator FancyRelu of domain 'com.example' (only the standard domains ai.onnx and ai.onnx.ml are supported)`);
  });

  test("custom nodes inside a subgraph are found, and an unused custom opset import is named", async () => {
    const branch = (op: string): onnxProto.onnx.IGraphProto => ({
      name: op,
      node: [{ opType: op, domain: "org.custom", input: ["x"], output: [`${op}_out`] }],
      output: [tensorInfo(`${op}_out`)],
    });
    const cond = { name: "cond", dims: [], dataType: onnx.TensorProto.DataType.BOOL, int32Data: [1] };
    const ifNode = {
      opType: "If",
      input: ["cond"],
      output: ["y"],
      attribute: [
        { name: "then_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: branch("Left") },
        { name: "else_branch", type: onnx.AttributeProto.AttributeType.GRAPH, g: branch("Right") },
      ],
    };
    const m = modelProto(
      { opsetImport: [{ domain: "", version: 17 }, { domain: "org.custom", version: 1 }, { domain: "com.unused", version: 2 }] },
      { node: [ifNode], initializer: [cond] },
    );
    const e = await rejection(encode(m), refusingRuntime());
    expect(e.details).toEqual({
      problems: [
        "custom operators Left, Right of domain 'org.custom' (only the standard domains ai.onnx and ai.onnx.ml are supported)",
        "opset import of custom domain 'com.unused' (only the standard domains ai.onnx and ai.onnx.ml are supported)",
      ],
    });
  });

  test("a model's own local function is not a custom operator", async () => {
    const fn = {
      name: "DoubleRelu",
      domain: "local",
      input: ["a"],
      output: ["b"],
      opsetImport: [{ domain: "", version: 17 }],
      node: [
        { opType: "Add", input: ["a", "a"], output: ["s"] },
        { opType: "Relu", input: ["s"], output: ["b"] },
      ],
    };
    const m = modelProto(
      { opsetImport: [{ domain: "", version: 17 }, { domain: "local", version: 1 }], functions: [fn] },
      { node: [{ opType: "DoubleRelu", domain: "local", input: ["x"], output: ["y"] }], initializer: [] },
    );
    const report = await checkImport(encode(m), { source: SOURCE, maxBytes: MAX });
    expect(report.opsets).toEqual({ "": 17, local: 1 });
  });
});

test("external data is refused before anything is loaded, with how to save the model in one file", async () => {
  const external = {
    name: "b",
    dims: [4],
    dataType: FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [{ key: "location", value: "/etc/passwd" }],
  };
  const runtime = refusingRuntime();
  const e = await rejection(encode(modelProto({}, { initializer: [external] })), runtime);
  expect(e.code).toBe("bad_input");
  expect(e.message).toBe(
    `${SOURCE}: tensor 'b' keeps its data in a separate file (external data), but an upload is one file: ` +
      "save the model with every tensor inside it, e.g. onnx.save(model, path, save_as_external_data=False)",
  );
  expect(runtime.loads).toBe(0);
});

describe("inputs and outputs", () => {
  test("a ZipMap output (sequence of maps) is refused with how to convert without it", async () => {
    const probabilities = {
      name: "output_probability",
      type: { sequenceType: { elemType: { mapType: { keyType: onnx.TensorProto.DataType.INT64, valueType: { tensorType: { elemType: FLOAT } } } } } },
    };
    const e = await rejection(encode(modelProto({}, { output: [tensorInfo("y"), probabilities] })), refusingRuntime());
    expect(e.message).toContain("output 'output_probability' is a sequence of maps (scikit-learn's ZipMap)");
    expect(e.message).toContain(`options={id(model): {"zipmap": False}}`);
  });

  test("other non-tensor values are refused as such", async () => {
    const seq = { name: "y", type: { sequenceType: { elemType: { tensorType: { elemType: FLOAT } } } } };
    const e = await rejection(encode(modelProto({}, { output: [seq] })), refusingRuntime());
    expect(e.message).toBe(`${SOURCE}: output 'y' is a sequence, not a tensor (every output must be a tensor: export the model so that it returns tensors only)`);
  });

  test("an element type outside the project's DTypes is named", async () => {
    const e = await rejection(encode(modelProto({}, { input: [tensorInfo("x", onnx.TensorProto.DataType.BFLOAT16)] })), refusingRuntime());
    expect(e.message).toMatch(/^upload\.onnx: input 'x' has element type BFLOAT16 \(supported element types are float32, .*, string\)$/);
  });
});

test("every problem found before loading is listed in one message", async () => {
  const m = modelProto(
    { irVersion: 99, opsetImport: [{ domain: "", version: 17 }, { domain: "com.x", version: 1 }] },
    { input: [tensorInfo("x", onnx.TensorProto.DataType.COMPLEX64)], node: [{ opType: "Op", domain: "com.x", input: ["x"], output: ["y"] }] },
  );
  const e = await rejection(encode(m), refusingRuntime());
  const problems = (e.details as { problems: string[] }).problems;
  expect(problems).toHaveLength(3);
  expect(problems[0]).toMatch(/^IR version 99/);
  expect(problems[1]).toMatch(/^custom operator Op of domain 'com\.x'/);
  expect(problems[2]).toMatch(/^input 'x' has element type COMPLEX64/);
  expect(e.message).toBe(`${SOURCE}: ${problems.join("; ")}`);
});

describe("loading", () => {
  test("a model ONNX Runtime cannot load is bad input with the runtime's reason", async () => {
    const e = await rejection(encode(modelProto({}, { node: [{ opType: "NoSuchOp", input: ["x"], output: ["y"] }] })));
    expect(e.code).toBe("bad_input");
    expect(e.message).toMatch(/^upload\.onnx: ONNX Runtime cannot load the model: .*No Op registered for NoSuchOp/);
  });

  test("the runtime's C++ source location and signature are left out of the message", async () => {
    const m = modelProto({ opsetImport: [{ domain: "", version: 17 }, { domain: "ai.onnx.ml", version: 99 }] });
    const e = await rejection(encode(m));
    expect(e.message).toMatch(/^upload\.onnx: ONNX Runtime cannot load the model: ONNX Runtime only \*guarantees\* support .*Opset 99/);
    expect(e.message).not.toMatch(/\.h:\d+|onnxruntime::/);
  });

  test("the given runtime is the one that loads the model", async () => {
    const runtime = refusingRuntime();
    const e = await rejection(encode(modelProto()), runtime);
    expect(runtime.loads).toBe(1);
    expect(e.message).toBe(`${SOURCE}: ONNX Runtime cannot load the model: not to be loaded`);
  });
});
