import { describe, expect, it } from "vitest";
import { MaasError } from "../errors.js";
import type { DType, Tensor, TensorData } from "../runtime/tensor.js";
import {
  DATATYPES,
  InferResponseSchema,
  ModelMetadataSchema,
  ServerMetadataSchema,
  V2ErrorSchema,
  datatypeOf,
  decodeInferRequest,
  dtypeOfDatatype,
  encodeInferResponse,
  metadataTensor,
  type ModelIO,
} from "./v2.js";

// ---- helpers -----------------------------------------------------------------------------

const json = (body: unknown) => Buffer.from(JSON.stringify(body));

/** A model with one input "x" and one output "y", both of the given dtype and shape. */
const single = (dtype: DType | "other", shape: (number | string)[] = ["n"]): ModelIO => ({
  inputs: [{ name: "x", dtype, shape }],
  outputs: [{ name: "y", dtype, shape }],
});

/** The bad_input error message fn throws. */
function badInput(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MaasError);
    expect((e as MaasError).code).toBe("bad_input");
    return (e as MaasError).message;
  }
  throw new Error("expected a bad_input error");
}

/** A binary request body: the JSON header, then each part; returns it with the header's length. */
function binaryBody(header: unknown, ...parts: Uint8Array[]): [Buffer, number] {
  const head = json(header);
  return [Buffer.concat([head, ...parts]), head.length];
}

/** Bytes written element by element with DataView, little-endian (the oracle for binary data). */
function bytesOf(datatype: string, values: TensorData): Uint8Array {
  if (datatype === "BYTES") {
    const encoded = (values as string[]).map((s) => new TextEncoder().encode(s));
    const out = new Uint8Array(encoded.reduce((n, b) => n + 4 + b.length, 0));
    const view = new DataView(out.buffer);
    let at = 0;
    for (const b of encoded) {
      view.setUint32(at, b.length, true);
      out.set(b, at + 4);
      at += 4 + b.length;
    }
    return out;
  }
  const size = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 }[datatype]!;
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  const v = values as ArrayLike<number | bigint>;
  for (let i = 0; i < values.length; i++) {
    const at = i * size;
    if (datatype === "BOOL" || datatype === "UINT8") view.setUint8(at, Number(v[i]));
    else if (datatype === "INT8") view.setInt8(at, Number(v[i]));
    else if (datatype === "UINT16" || datatype === "FP16") view.setUint16(at, Number(v[i]), true);
    else if (datatype === "INT16") view.setInt16(at, Number(v[i]), true);
    else if (datatype === "UINT32") view.setUint32(at, Number(v[i]), true);
    else if (datatype === "INT32") view.setInt32(at, Number(v[i]), true);
    else if (datatype === "FP32") view.setFloat32(at, Number(v[i]), true);
    else if (datatype === "FP64") view.setFloat64(at, Number(v[i]), true);
    else if (datatype === "UINT64") view.setBigUint64(at, BigInt(v[i]), true);
    else view.setBigInt64(at, BigInt(v[i]), true);
  }
  return out;
}

// ---- every datatype: JSON in, tensor, JSON and binary out --------------------------------

/** Per datatype: JSON elements sent, the tensor data they must decode to, the JSON text written back. */
const CASES: { datatype: string; dtype: DType; sent: unknown[]; data: TensorData; written: string }[] = [
  { datatype: "BOOL", dtype: "bool", sent: [true, false, true], data: new Uint8Array([1, 0, 1]), written: "[true,false,true]" },
  { datatype: "UINT8", dtype: "uint8", sent: [0, 255, 7], data: new Uint8Array([0, 255, 7]), written: "[0,255,7]" },
  { datatype: "UINT16", dtype: "uint16", sent: [0, 65535, 7], data: new Uint16Array([0, 65535, 7]), written: "[0,65535,7]" },
  { datatype: "UINT32", dtype: "uint32", sent: [0, 4294967295, 7], data: new Uint32Array([0, 4294967295, 7]), written: "[0,4294967295,7]" },
  {
    datatype: "UINT64",
    dtype: "uint64",
    sent: [0, 9007199254740991, "18446744073709551615"],
    data: new BigUint64Array([0n, 9007199254740991n, 18446744073709551615n]),
    written: "[0,9007199254740991,18446744073709551615]",
  },
  { datatype: "INT8", dtype: "int8", sent: [-128, 127, 0], data: new Int8Array([-128, 127, 0]), written: "[-128,127,0]" },
  { datatype: "INT16", dtype: "int16", sent: [-32768, 32767, 0], data: new Int16Array([-32768, 32767, 0]), written: "[-32768,32767,0]" },
  { datatype: "INT32", dtype: "int32", sent: [-2147483648, 2147483647, 0], data: new Int32Array([-2147483648, 2147483647, 0]), written: "[-2147483648,2147483647,0]" },
  {
    datatype: "INT64",
    dtype: "int64",
    sent: [-9007199254740991, "-9223372036854775808", "9223372036854775807"],
    data: new BigInt64Array([-9007199254740991n, -9223372036854775808n, 9223372036854775807n]),
    written: "[-9007199254740991,-9223372036854775808,9223372036854775807]",
  },
  // half bits: 1.0 = 0x3C00, -2.0 = 0xC000, 65504 = 0x7BFF (largest), 0.5 = 0x3800, 2^-24 = 0x0001 (smallest
  // subnormal), 0.1 = 0x2E66 (nearest half, exactly 0.0999755859375), 2049 ties to even 2048 = 0x6800, 2051 to 2052 = 0x6802
  {
    datatype: "FP16",
    dtype: "float16",
    sent: [1, -2, 65504, 0.5, 2 ** -24, 0.1, 2049, 2051, 65519],
    data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x3800, 0x0001, 0x2e66, 0x6800, 0x6802, 0x7bff]),
    written: `[1,-2,65504,0.5,${2 ** -24},0.0999755859375,2048,2052,65504]`,
  },
  { datatype: "FP32", dtype: "float32", sent: [1.5, -0.1, 3.4e38], data: new Float32Array([1.5, -0.1, 3.4e38]), written: "[1.5,-0.1,3.4e+38]" },
  { datatype: "FP64", dtype: "float64", sent: [0.1, -1e300, 5e-324], data: new Float64Array([0.1, -1e300, 5e-324]), written: "[0.1,-1e+300,5e-324]" },
  { datatype: "BYTES", dtype: "string", sent: ["a", "héllo ✓", ""], data: ["a", "héllo ✓", ""], written: '["a","héllo ✓",""]' },
];

describe("datatypes", () => {
  it("maps every v2 datatype to a DType and back", () => {
    expect(DATATYPES).toHaveLength(13);
    for (const c of CASES) {
      expect(dtypeOfDatatype(c.datatype)).toBe(c.dtype);
      expect(datatypeOf(c.dtype)).toBe(c.datatype);
    }
    expect(dtypeOfDatatype("BF16")).toBeUndefined();
    expect(dtypeOfDatatype("fp32")).toBeUndefined();
  });

  it("describes model tensors for model metadata, variable dims as -1", () => {
    expect(metadataTensor({ name: "x", dtype: "float32", shape: ["batch", 3, -1, 0] })).toEqual({ name: "x", datatype: "FP32", shape: [-1, 3, -1, -1] });
    expect(metadataTensor({ name: "x", dtype: "other", shape: [] }).datatype).toBe("UNSUPPORTED");
  });
});

describe("FP16 from JSON numbers", () => {
  /** The value of half bits h, from the IEEE 754 definition (the oracle). */
  const value = (h: number) => {
    const [sign, e, m] = [h >> 15 ? -1 : 1, (h >> 10) & 31, h & 1023];
    return e === 0 ? sign * m * 2 ** -24 : sign * (1 + m / 1024) * 2 ** (e - 15);
  };
  const decodeHalves = (values: number[]) =>
    decodeInferRequest(json({ inputs: [{ name: "x", shape: [values.length], datatype: "FP16", data: values }] }), undefined, single("float16")).inputs.x.data;

  it("reads every finite half's value as its bits", () => {
    // all finite halves but -0, which JSON writes as 0
    const bits = [...Array(0x7c00).keys()].flatMap((h) => (h === 0 ? [0] : [h, h | 0x8000]));
    expect(decodeHalves(bits.map(value))).toEqual(new Uint16Array(bits));
  });

  it("rounds a value halfway between two halves to the one with an even mantissa", () => {
    const lower = [...Array(0x7bff).keys()];
    const mids = lower.map((h) => (value(h) + value(h + 1)) / 2);
    expect(decodeHalves(mids)).toEqual(new Uint16Array(lower.map((h) => (h % 2 === 0 ? h : h + 1))));
    expect(decodeHalves(mids.map((v) => -v))).toEqual(new Uint16Array(lower.map((h) => (h % 2 === 0 ? h : h + 1) | 0x8000)));
  });
});

describe.each(CASES)("$datatype", (c) => {
  const n = c.data.length;
  const tensor: Tensor = { dtype: c.dtype, dims: [n], data: c.data };

  it("decodes JSON data", () => {
    const req = decodeInferRequest(json({ inputs: [{ name: "x", shape: [n], datatype: c.datatype, data: c.sent }] }), undefined, single(c.dtype));
    expect(req.inputs.x).toEqual(tensor);
    expect(req.outputs).toEqual([{ name: "y", binary: false }]);
  });

  it("encodes JSON data", () => {
    const res = encodeInferResponse({ modelName: "m", outputs: [{ name: "y", tensor, binary: false }] });
    expect(res.contentType).toBe("application/json");
    expect(res.headerLength).toBeUndefined();
    expect(res.body.toString()).toBe(`{"model_name":"m","outputs":[{"name":"y","datatype":"${c.datatype}","shape":[${n}],"data":${c.written}}]}`);
    expect(InferResponseSchema.safeParse(JSON.parse(res.body.toString())).success).toBe(true);
  });

  it("decodes binary data written by hand", () => {
    const bytes = bytesOf(c.datatype, c.data);
    const [body, headerLength] = binaryBody({ inputs: [{ name: "x", shape: [n], datatype: c.datatype, parameters: { binary_data_size: bytes.length } }] }, bytes);
    expect(decodeInferRequest(body, headerLength, single(c.dtype)).inputs.x).toEqual(tensor);
  });

  it("encodes binary data that reads back by hand, and decodes its own encoding", () => {
    const res = encodeInferResponse({ modelName: "m", outputs: [{ name: "y", tensor, binary: true }] });
    expect(res.contentType).toBe("application/octet-stream");
    const header = JSON.parse(res.body.subarray(0, res.headerLength).toString());
    const expected = bytesOf(c.datatype, c.data);
    expect(header.outputs[0]).toEqual({ name: "y", datatype: c.datatype, shape: [n], parameters: { binary_data_size: expected.length } });
    expect(new Uint8Array(res.body.subarray(res.headerLength))).toEqual(expected);
    // the response's JSON header and bytes, renamed as a request, decode to the same tensor
    const [body, headerLength] = binaryBody({ inputs: [{ ...header.outputs[0], name: "x" }] }, res.body.subarray(res.headerLength));
    expect(decodeInferRequest(body, headerLength, single(c.dtype)).inputs.x).toEqual(tensor);
  });
});

// ---- JSON requests -----------------------------------------------------------------------

describe("JSON requests", () => {
  const model = single("float32", ["batch", 3]);

  it("reads nested row-major data as the flat data", () => {
    const flat = decodeInferRequest(json({ inputs: [{ name: "x", shape: [2, 3], datatype: "FP32", data: [1, 2, 3, 4, 5, 6] }] }), undefined, model);
    const nested = decodeInferRequest(json({ inputs: [{ name: "x", shape: [2, 3], datatype: "FP32", data: [[1, 2, 3], [4, 5, 6]] }] }), undefined, model);
    expect(nested.inputs.x).toEqual({ dtype: "float32", dims: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    expect(nested).toEqual(flat);
  });

  it("reads a rank-0 tensor and an empty one", () => {
    const scalar = decodeInferRequest(json({ inputs: [{ name: "x", shape: [], datatype: "INT32", data: [7] }] }), undefined, single("int32", []));
    expect(scalar.inputs.x).toEqual({ dtype: "int32", dims: [], data: new Int32Array([7]) });
    const empty = decodeInferRequest(json({ inputs: [{ name: "x", shape: [0, 3], datatype: "FP32", data: [] }] }), undefined, model);
    expect(empty.inputs.x.data).toEqual(new Float32Array(0));
  });

  it("keeps the id and parameters, and returns the requested outputs in order", () => {
    const two: ModelIO = { inputs: model.inputs, outputs: [{ name: "a", dtype: "float32", shape: [] }, { name: "b", dtype: "int64", shape: [] }] };
    const req = decodeInferRequest(
      json({ id: "42", parameters: { trace: "on" }, inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }], outputs: [{ name: "b" }, { name: "a" }] }),
      undefined,
      two,
    );
    expect(req.id).toBe("42");
    expect(req.parameters).toEqual({ trace: "on" });
    expect(req.outputs).toEqual([
      { name: "b", binary: false },
      { name: "a", binary: false },
    ]);
  });

  it("takes input names that are Object.prototype's own names as plain names", () => {
    const m: ModelIO = { inputs: [{ name: "constructor", dtype: "int32", shape: [1] }, { name: "__proto__", dtype: "int32", shape: [1] }], outputs: [] };
    const input = (name: string) => ({ name, shape: [1], datatype: "INT32", data: [1] });
    const req = decodeInferRequest(json({ inputs: [input("constructor"), input("__proto__")] }), undefined, m);
    expect(Object.keys(req.inputs)).toEqual(["constructor", "__proto__"]);
    expect(Object.getPrototypeOf(req.inputs)).toBe(Object.prototype);
    expect(badInput(() => decodeInferRequest(json({ inputs: [input("constructor"), input("__proto__"), input("toString")] }), undefined, m))).toBe(
      "input 'toString' is not an input of the model; its inputs are 'constructor', '__proto__'",
    );
  });

  it("returns outputs as binary per binary_data_output, overridden by each output's binary_data", () => {
    const two: ModelIO = { inputs: model.inputs, outputs: [{ name: "a", dtype: "float32", shape: [] }, { name: "b", dtype: "float32", shape: [] }] };
    const input = { name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] };
    const all = decodeInferRequest(json({ parameters: { binary_data_output: true }, inputs: [input] }), undefined, two);
    expect(all.outputs).toEqual([
      { name: "a", binary: true },
      { name: "b", binary: true },
    ]);
    const overridden = decodeInferRequest(
      json({ parameters: { binary_data_output: true }, inputs: [input], outputs: [{ name: "a", parameters: { binary_data: false } }, { name: "b" }] }),
      undefined,
      two,
    );
    expect(overridden.outputs).toEqual([
      { name: "a", binary: false },
      { name: "b", binary: true },
    ]);
    const one = decodeInferRequest(json({ inputs: [input], outputs: [{ name: "b", parameters: { binary_data: true } }] }), undefined, two);
    expect(one.outputs).toEqual([{ name: "b", binary: true }]);
  });
});

describe("request errors", () => {
  const model: ModelIO = {
    inputs: [
      { name: "x", dtype: "float32", shape: ["batch", 3] },
      { name: "ids", dtype: "int64", shape: ["batch"] },
    ],
    outputs: [{ name: "y", dtype: "float32", shape: ["batch", 1] }],
  };
  const ids = { name: "ids", shape: [2], datatype: "INT64", data: [1, 2] };
  const decode = (x: object, extra: object[] = [ids], outputs?: object[]) => decodeInferRequest(json({ inputs: [x, ...extra], ...(outputs ? { outputs } : {}) }), undefined, model);
  const x = (shape: unknown, data: unknown, datatype = "FP32") => ({ name: "x", shape, datatype, data });

  it("rejects a body that is not JSON", () => {
    expect(badInput(() => decodeInferRequest(Buffer.from("{inputs:"), undefined, model))).toMatch(/^the inference request is not valid JSON: /);
  });

  it("lists every schema issue", () => {
    const msg = badInput(() => decodeInferRequest(json({ inputs: [{ name: "x", shape: [2, -1], datatype: "FP32", data: [] }, { shape: [1], datatype: 3 }] }), undefined, model));
    expect(msg).toMatch(/^invalid inference request: /);
    expect(msg).toContain("inputs[0].shape[1]: ");
    expect(msg).toContain("inputs[1].name: ");
    expect(msg).toContain("inputs[1].datatype: ");
    expect(badInput(() => decodeInferRequest(json({ id: 7, inputs: [] }), undefined, model))).toMatch(/^invalid inference request: id: /);
  });

  it("checks the count of values against the shape", () => {
    expect(badInput(() => decode(x([2, 3], [1, 2, 3, 4, 5])))).toBe("input 'x': shape [2, 3] needs 6 values; got 5");
  });

  it("checks nested data against the shape", () => {
    expect(badInput(() => decode(x([2, 3], [[1, 2, 3], [4, 5]])))).toBe("input 'x': data[1] has 2 elements; axis 1 of shape [2, 3] needs 3");
    expect(badInput(() => decode(x([2, 3], [[1, 2, 3]])))).toBe("input 'x': data has 1 elements; axis 0 of shape [2, 3] needs 2");
    expect(badInput(() => decode(x([2, 3], [[1, 2, [3]], [4, 5, 6]])))).toBe("input 'x': data[0][2] nests deeper than shape [2, 3]");
    expect(badInput(() => decode(x([2, 3], [1, [2, 3, 4]])))).toBe("input 'x': data[0] is a value where shape [2, 3] needs an array of 3");
  });

  it("checks each value fits the datatype", () => {
    const one = (datatype: string, value: unknown) => {
      const m: ModelIO = { inputs: [{ name: "v", dtype: dtypeOfDatatype(datatype)!, shape: [1] }], outputs: [] };
      return badInput(() => decodeInferRequest(json({ inputs: [{ name: "v", shape: [1], datatype, data: [value] }] }), undefined, m));
    };
    expect(one("UINT8", 256)).toBe("input 'v': element 0 (256) is outside UINT8's range 0..255");
    expect(one("INT8", -129)).toBe("input 'v': element 0 (-129) is outside INT8's range -128..127");
    expect(one("INT32", 1.5)).toBe("input 'v': element 0 (1.5) is not an integer, which INT32 needs");
    expect(one("UINT32", true)).toBe("input 'v': element 0 (true) is not an integer, which UINT32 needs");
    expect(one("UINT64", -1)).toBe("input 'v': element 0 (-1) is outside UINT64's range 0..18446744073709551615");
    expect(one("INT64", "9223372036854775808")).toBe('input \'v\': element 0 ("9223372036854775808") is outside INT64\'s range -9223372036854775808..9223372036854775807');
    expect(one("INT64", 2 ** 53)).toBe(
      "input 'v': element 0 (9007199254740992) is beyond 2^53, where a JSON number may already be rounded; send it as a decimal string or binary data",
    );
    expect(one("INT64", "1e3")).toBe('input \'v\': element 0 ("1e3") is not an integer');
    expect(one("BOOL", 1)).toBe("input 'v': element 0 (1) is not true or false, which BOOL needs");
    expect(one("BYTES", 5)).toBe("input 'v': element 0 (5) is not a string, which BYTES needs");
    expect(one("FP32", "1.5")).toBe('input \'v\': element 0 ("1.5") is not a number, which FP32 needs');
    expect(one("FP32", 1e39)).toBe("input 'v': element 0 (1e+39) is too large for FP32");
    expect(one("FP16", 65520)).toBe("input 'v': element 0 (65520) is too large for FP16 (largest 65504)");
    expect(one("FP16", null)).toBe("input 'v': element 0 (null) is not a number, which FP16 needs");
  });

  it("checks inputs against the model", () => {
    expect(badInput(() => decode(x([1, 3], [1, 2, 3]), [ids, { name: "z", shape: [1], datatype: "FP32", data: [1] }]))).toBe(
      "input 'z' is not an input of the model; its inputs are 'x', 'ids'",
    );
    expect(badInput(() => decode(x([1, 3], [1, 2, 3]), []))).toBe("input 'ids' is missing; the model needs 'x', 'ids'");
    expect(badInput(() => decode(x([1, 3], [1, 2, 3], "FP64")))).toBe("input 'x': datatype FP64 does not match the model's FP32");
    expect(badInput(() => decode(x([1, 3], [1, 2, 3], "BF16")))).toBe("input 'x': datatype BF16 does not match the model's FP32");
    expect(badInput(() => decode(x([2, 4], [1, 2, 3, 4, 5, 6, 7, 8])))).toBe("input 'x': axis 1 is 4; the model needs 3 (shape [batch, 3])");
    expect(badInput(() => decode(x([3], [1, 2, 3])))).toBe("input 'x': shape [3] has 1 dims; the model's shape [batch, 3] has 2");
    expect(badInput(() => decode(x([1, 3], [1, 2, 3]), [ids, ids]))).toBe("input 'ids' is given more than once");
    expect(badInput(() => decode(x([1, 3], undefined)))).toBe("input 'x': has no data (nor parameters.binary_data_size)");
    const odd: ModelIO = { inputs: [{ name: "x", dtype: "other", shape: [1] }], outputs: [] };
    expect(badInput(() => decodeInferRequest(json({ inputs: [x([1], [1])] }), undefined, odd))).toBe("input 'x': the model's input has a type the v2 protocol cannot carry");
  });

  it("checks the requested outputs against the model", () => {
    expect(badInput(() => decode(x([1, 3], [1, 2, 3]), [ids], [{ name: "q" }]))).toBe("output 'q' is not an output of the model; its outputs are 'y'");
    expect(badInput(() => decode(x([1, 3], [1, 2, 3]), [ids], [{ name: "y" }, { name: "y" }]))).toBe("output 'y' is requested more than once");
    expect(badInput(() => decode(x([1, 3], [1, 2, 3]), [ids], [{ name: "y", parameters: { binary_data: "yes" } }]))).toBe(
      "output 'y': parameters.binary_data must be true or false",
    );
  });

  it("lists every problem in one error", () => {
    const msg = badInput(() => decode(x([2, 3], [1]), [{ name: "ids", shape: [2], datatype: "INT32", data: [1, 2] }], [{ name: "q" }]));
    expect(msg).toBe(
      "input 'x': shape [2, 3] needs 6 values; got 1; input 'ids': datatype INT32 does not match the model's INT64; output 'q' is not an output of the model; its outputs are 'y'",
    );
  });
});

// ---- binary requests ---------------------------------------------------------------------

describe("binary requests", () => {
  // the extension's own example: a UINT32 [2, 2] input and a BOOL [3] input, 16 + 3 bytes after the JSON
  const model: ModelIO = {
    inputs: [
      { name: "input0", dtype: "uint32", shape: [2, 2] },
      { name: "input1", dtype: "bool", shape: [3] },
    ],
    outputs: [{ name: "output0", dtype: "float32", shape: [3, 2] }],
  };
  const header = (size0 = 16, size1 = 3) => ({
    inputs: [
      { name: "input0", shape: [2, 2], datatype: "UINT32", parameters: { binary_data_size: size0 } },
      { name: "input1", shape: [3], datatype: "BOOL", parameters: { binary_data_size: size1 } },
    ],
    outputs: [{ name: "output0", parameters: { binary_data: true } }],
  });
  const data0 = () => {
    const b = new Uint8Array(16);
    const view = new DataView(b.buffer);
    [1, 2, 3, 0xdeadbeef].forEach((v, i) => view.setUint32(i * 4, v, true));
    return b;
  };
  const data1 = () => new Uint8Array([1, 0, 1]);

  it("decodes a hand-built request", () => {
    const [body, headerLength] = binaryBody(header(), data0(), data1());
    expect(body.length).toBe(headerLength + 19);
    const req = decodeInferRequest(body, headerLength, model);
    expect(req.inputs.input0).toEqual({ dtype: "uint32", dims: [2, 2], data: new Uint32Array([1, 2, 3, 0xdeadbeef]) });
    expect(req.inputs.input1).toEqual({ dtype: "bool", dims: [3], data: new Uint8Array([1, 0, 1]) });
    expect(req.outputs).toEqual([{ name: "output0", binary: true }]);
  });

  it("mixes JSON and binary inputs, the bytes belonging to the binary ones in order", () => {
    const h = header();
    const [body, headerLength] = binaryBody({ inputs: [{ ...h.inputs[0], parameters: undefined, data: [[5, 6], [7, 8]] }, h.inputs[1]] }, data1());
    const req = decodeInferRequest(body, headerLength, model);
    expect(req.inputs.input0.data).toEqual(new Uint32Array([5, 6, 7, 8]));
    expect(req.inputs.input1.data).toEqual(new Uint8Array([1, 0, 1]));
    expect(req.outputs).toEqual([{ name: "output0", binary: false }]);
  });

  it("decodes BYTES elements, each a 4-byte length then its bytes", () => {
    const bytes = new Uint8Array([2, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0, 3, 0, 0, 0, 0xe2, 0x9c, 0x93]);
    const [body, headerLength] = binaryBody({ inputs: [{ name: "x", shape: [3], datatype: "BYTES", parameters: { binary_data_size: 17 } }] }, bytes);
    expect(decodeInferRequest(body, headerLength, single("string")).inputs.x.data).toEqual(["hi", "", "✓"]);
  });

  it("checks every size", () => {
    const [body, headerLength] = binaryBody(header(), data0(), data1());
    expect(badInput(() => decodeInferRequest(Buffer.concat([body, Buffer.from([0])]), headerLength, model))).toBe(
      "the body holds 20 bytes after the JSON header; the inputs' binary_data_size add up to 19",
    );
    expect(badInput(() => decodeInferRequest(body.subarray(0, body.length - 1), headerLength, model))).toBe(
      "the body holds 18 bytes after the JSON header; the inputs' binary_data_size add up to 19",
    );
    const [short, shortLength] = binaryBody(header(12, 7), data0(), data1());
    expect(badInput(() => decodeInferRequest(short, shortLength, model))).toBe(
      "input 'input0': binary_data_size is 12; 4 UINT32 elements need 16 bytes; input 'input1': binary_data_size is 7; 3 BOOL elements need 3 bytes",
    );
    expect(badInput(() => decodeInferRequest(body, body.length + 1, model))).toBe(
      `Inference-Header-Content-Length is ${body.length + 1}; it must be an integer from 0 to the body's ${body.length} bytes`,
    );
    const [neg, negLength] = binaryBody(header(-1, 3), data1());
    expect(badInput(() => decodeInferRequest(neg, negLength, model))).toBe("input 'input0': parameters.binary_data_size must be a non-negative integer; got -1");
  });

  it("rejects binary sizes without the header length, and data given twice", () => {
    expect(badInput(() => decodeInferRequest(json(header()), undefined, model))).toBe(
      "input 'input0': parameters.binary_data_size is set but the request has no Inference-Header-Content-Length header",
    );
    const h = header();
    const [body, headerLength] = binaryBody({ inputs: [{ ...h.inputs[0], data: [1, 2, 3, 4] }, h.inputs[1]] }, data0(), data1());
    expect(badInput(() => decodeInferRequest(body, headerLength, model))).toBe("input 'input0': has both data and parameters.binary_data_size");
  });

  it("rejects BOOL bytes other than 0 and 1", () => {
    const [body, headerLength] = binaryBody(header(), data0(), new Uint8Array([1, 2, 0]));
    expect(badInput(() => decodeInferRequest(body, headerLength, model))).toBe("input 'input1': BOOL element 1 is byte 2; BOOL bytes are 0 or 1");
  });

  it("rejects malformed BYTES", () => {
    const strings = (bytes: number[], count = 2) => {
      const [body, headerLength] = binaryBody({ inputs: [{ name: "x", shape: [count], datatype: "BYTES", parameters: { binary_data_size: bytes.length } }] }, new Uint8Array(bytes));
      return badInput(() => decodeInferRequest(body, headerLength, single("string")));
    };
    expect(strings([1, 0, 0, 0, 0x61, 9, 0, 0, 0, 0x62])).toBe("input 'x': BYTES element 1 is 9 bytes but only 1 remain in the binary data");
    expect(strings([1, 0, 0, 0, 0x61, 0, 0, 0, 0, 0x62])).toBe("input 'x': binary data holds 1 bytes after its 2 BYTES elements");
    expect(strings([1, 0, 0, 0, 0x61, 0, 0, 0])).toBe("input 'x': BYTES element 1 starts at byte 5, past the 8 bytes of binary data");
    expect(strings([1, 0, 0, 0, 0xff], 1)).toBe("input 'x': BYTES element 0 is not valid UTF-8");
    expect(strings([0, 0, 0], 1)).toBe("input 'x': binary_data_size is 3; 1 BYTES elements need at least 4 bytes");
  });
});

// ---- responses ---------------------------------------------------------------------------

describe("responses", () => {
  it("writes the id, version and parameters, and binary outputs after the JSON in output order", () => {
    const a: Tensor = { dtype: "float32", dims: [3, 2], data: new Float32Array([1, 1.1, 2, 2.1, 3, 3.1]) };
    const b: Tensor = { dtype: "int64", dims: [2], data: new BigInt64Array([-1n, 2n ** 62n]) };
    const c: Tensor = { dtype: "float16", dims: [2], data: new Uint16Array([0x3c00, 0xc000]) };
    const res = encodeInferResponse({
      modelName: "m",
      modelVersion: "3",
      id: "42",
      parameters: { note: "hi" },
      outputs: [
        { name: "a", tensor: a, binary: true },
        { name: "b", tensor: b, binary: false },
        { name: "c", tensor: c, binary: true },
      ],
    });
    expect(res.contentType).toBe("application/octet-stream");
    const head = JSON.parse(res.body.subarray(0, res.headerLength).toString());
    expect(InferResponseSchema.parse(head)).toEqual({
      model_name: "m",
      model_version: "3",
      id: "42",
      parameters: { note: "hi" },
      outputs: [
        { name: "a", datatype: "FP32", shape: [3, 2], parameters: { binary_data_size: 24 } },
        { name: "b", datatype: "INT64", shape: [2], data: [-1, 2 ** 62] },
        { name: "c", datatype: "FP16", shape: [2], parameters: { binary_data_size: 4 } },
      ],
    });
    expect(res.body.subarray(0, res.headerLength).toString()).toContain('"data":[-1,4611686018427387904]');
    const view = new DataView(res.body.buffer, res.body.byteOffset + res.headerLength!, 28);
    expect(res.body.length).toBe(res.headerLength! + 28);
    expect([0, 1, 2, 3, 4, 5].map((i) => view.getFloat32(i * 4, true))).toEqual(Array.from(new Float32Array([1, 1.1, 2, 2.1, 3, 3.1])));
    expect([view.getUint16(24, true), view.getUint16(26, true)]).toEqual([0x3c00, 0xc000]);
  });

  it("refuses to write NaN or infinity as JSON, and writes it as binary", () => {
    const t: Tensor = { dtype: "float32", dims: [2], data: new Float32Array([1, NaN]) };
    expect(() => encodeInferResponse({ modelName: "m", outputs: [{ name: "y", tensor: t, binary: false }] })).toThrow(
      new MaasError("unprocessable", "output 'y': element 1 is NaN, which JSON cannot carry; request the output as binary data"),
    );
    const half: Tensor = { dtype: "float16", dims: [1], data: new Uint16Array([0x7c00]) };
    expect(() => encodeInferResponse({ modelName: "m", outputs: [{ name: "y", tensor: half, binary: false }] })).toThrow(/element 0 is Infinity/);
    const res = encodeInferResponse({ modelName: "m", outputs: [{ name: "y", tensor: t, binary: true }] });
    expect(Number.isNaN(res.body.readFloatLE(res.headerLength! + 4))).toBe(true);
  });

  it("refuses a tensor whose data does not fill its shape", () => {
    const t: Tensor = { dtype: "float32", dims: [2, 2], data: new Float32Array(3) };
    expect(() => encodeInferResponse({ modelName: "m", outputs: [{ name: "y", tensor: t, binary: false }] })).toThrow("output 'y': shape [2, 2] needs 4 values; the tensor has 3");
  });
});

describe("metadata schemas", () => {
  it("accept the spec's shapes and reject others", () => {
    expect(ServerMetadataSchema.safeParse({ name: "openmaas", version: "0.1.0", extensions: ["binary_tensor_data"] }).success).toBe(true);
    expect(ServerMetadataSchema.safeParse({ name: "openmaas", version: "0.1.0" }).success).toBe(false);
    const meta = { name: "m", versions: ["1"], platform: "onnx_onnxv1", inputs: [{ name: "x", datatype: "FP32", shape: [-1, 3] }], outputs: [] };
    expect(ModelMetadataSchema.parse(meta)).toEqual(meta);
    expect(ModelMetadataSchema.safeParse({ ...meta, inputs: [{ name: "x", shape: [1] }] }).success).toBe(false);
    expect(V2ErrorSchema.safeParse({ error: "no such model" }).success).toBe(true);
    expect(V2ErrorSchema.safeParse({ error: { message: "x" } }).success).toBe(false);
  });
});
