// The Open Inference Protocol v2 (KServe V2 / Triton) over HTTP: the JSON bodies as zod schemas, and
// the codec between an inference request or response and the project's tensors, in JSON and in the
// binary tensor data extension (a JSON header of Inference-Header-Content-Length bytes, then each
// binary tensor's raw little-endian bytes in the order the JSON lists them).
//
// Where the spec leaves a choice open, this codec decides (and the tests pin it down):
// - INT64 / UINT64 in JSON: a number must be a safe integer (|v| < 2^53), since JSON.parse has
//   already rounded anything larger; a decimal string ("9007199254740993") is read exactly. Responses
//   write every 64-bit integer as an exact JSON number (Python's json reads it exactly; JavaScript's
//   JSON.parse rounds past 2^53, so such clients should ask for binary data).
// - FP16 in JSON: numbers rounded to the nearest half (ties to even); one that overflows is an error.
//   Responses write each half's exact value, FP32 the shortest decimal that reads back to the float32.
// - NaN and infinities cannot be written in JSON: an output holding one must be requested as binary.
// - BYTES become strings (UTF-8); bytes that are not valid UTF-8 are rejected.
// - A model dim that is a string, negative or 0 is variable (decodeModelInfo reads an unset dim as 0);
//   a model shape of [] (no shape recorded, or a scalar) accepts any rank.
// - An output's `binary_data` overrides the request's `binary_data_output`, as the extension says.
import { z } from "zod";
import { MaasError } from "../errors.js";
import { float32ToNumber, halfBits, halfValue } from "../runtime/floats.js";
import { sizeOf, type DType, type Tensor, type TensorData } from "../runtime/tensor.js";

// ---- schemas -----------------------------------------------------------------------------

/** A parameter value: the spec allows a string, a number or a boolean. */
const ParametersSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** Tensor data: a JSON array, flat or nested row-major; elements are checked against the datatype. */
const TensorDataSchema = z.array(z.unknown());

/** A request input or response output; `data` is absent when `parameters.binary_data_size` is set. */
const TensorSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  parameters: ParametersSchema.optional(),
  data: TensorDataSchema.optional(),
});

export const InferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: ParametersSchema.optional(),
  inputs: z.array(TensorSchema),
  outputs: z.array(z.object({ name: z.string(), parameters: ParametersSchema.optional() })).optional(),
});

export const InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  parameters: ParametersSchema.optional(),
  outputs: z.array(TensorSchema),
});

export const ServerMetadataSchema = z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) });

/** A tensor in model metadata; a variable-size dim is -1. */
export const MetadataTensorSchema = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number().int()) });

export const ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).optional(),
  platform: z.string(),
  inputs: z.array(MetadataTensorSchema),
  outputs: z.array(MetadataTensorSchema),
});

/** The body of every failed v2 request. */
export const V2ErrorSchema = z.object({ error: z.string() });

export type InferRequest = z.infer<typeof InferRequestSchema>;
export type InferResponse = z.infer<typeof InferResponseSchema>;
export type ServerMetadata = z.infer<typeof ServerMetadataSchema>;
export type MetadataTensor = z.infer<typeof MetadataTensorSchema>;
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;
export type V2Error = z.infer<typeof V2ErrorSchema>;

// ---- datatypes ---------------------------------------------------------------------------

/** The v2 datatype of each DType; the element size in binary is the typed array's (BYTES varies). */
const DATATYPE_OF = {
  bool: "BOOL", uint8: "UINT8", uint16: "UINT16", uint32: "UINT32", uint64: "UINT64",
  int8: "INT8", int16: "INT16", int32: "INT32", int64: "INT64",
  float16: "FP16", float32: "FP32", float64: "FP64", string: "BYTES",
} as const satisfies Record<DType, string>;

export type Datatype = (typeof DATATYPE_OF)[DType];

/** Every v2 datatype this codec carries. */
export const DATATYPES = Object.values(DATATYPE_OF) as readonly Datatype[];

const DTYPE_OF = new Map<string, DType>(Object.entries(DATATYPE_OF).map(([d, t]) => [t, d as DType]));

/** The v2 datatype of a DType. @example datatypeOf("float32") // "FP32" */
export function datatypeOf(dtype: DType): Datatype {
  return DATATYPE_OF[dtype];
}

/** The DType of a v2 datatype (case-sensitive, as the spec says); undefined for others (BF16, ...). */
export function dtypeOfDatatype(datatype: string): DType | undefined {
  return DTYPE_OF.get(datatype);
}

/** A model input or output as decodeModelInfo describes it; a string dim is symbolic. */
export interface TensorDesc {
  name: string;
  dtype: DType | "other";
  shape: readonly (number | string)[];
}

/** A model's interface. */
export interface ModelIO {
  inputs: TensorDesc[];
  outputs: TensorDesc[];
}

function isStaticDim(d: number | string): d is number {
  return typeof d === "number" && d > 0;
}

/** A tensor's model metadata: variable dims become -1; a type outside the protocol is "UNSUPPORTED". */
export function metadataTensor(desc: TensorDesc): MetadataTensor {
  return {
    name: desc.name,
    datatype: desc.dtype === "other" ? "UNSUPPORTED" : datatypeOf(desc.dtype),
    shape: desc.shape.map((d) => (isStaticDim(d) ? d : -1)),
  };
}

// ---- decoding a request ------------------------------------------------------------------

/** A decoded inference request: tensors by input name and the outputs to return. */
export interface DecodedInferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: Record<string, Tensor>;
  outputs: { name: string; binary: boolean }[];
}

function badInput(message: string, details?: unknown): MaasError {
  return new MaasError("bad_input", message, details);
}

const fmtShape = (dims: readonly (number | string)[]) => `[${dims.join(", ")}]`;
const quoted = (names: string[]) => (names.length ? names.map((n) => `'${n}'`).join(", ") : "none");

function parseHeader(body: Buffer, headerLength: number | undefined): InferRequest {
  if (headerLength !== undefined && !(Number.isInteger(headerLength) && headerLength >= 0 && headerLength <= body.length)) {
    throw badInput(`Inference-Header-Content-Length is ${headerLength}; it must be an integer from 0 to the body's ${body.length} bytes`);
  }
  const text = body.subarray(0, headerLength ?? body.length).toString("utf8");
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badInput(`the inference request is not valid JSON: ${(e as Error).message}`);
  }
  const parsed = InferRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "body"}: ${i.message}`);
    throw badInput(`invalid inference request: ${issues.join("; ")}`, { issues });
  }
  return parsed.data;
}

/** Checks an input's datatype and shape against the model's description. */
function checkAgainstModel(where: string, datatype: string, dims: number[], desc: TensorDesc): DType {
  if (desc.dtype === "other") throw badInput(`${where}: the model's input has a type the v2 protocol cannot carry`);
  const expected = datatypeOf(desc.dtype);
  if (datatype !== expected) throw badInput(`${where}: datatype ${datatype} does not match the model's ${expected}`);
  if (desc.shape.length > 0) {
    if (dims.length !== desc.shape.length) {
      throw badInput(`${where}: shape ${fmtShape(dims)} has ${dims.length} dims; the model's shape ${fmtShape(desc.shape)} has ${desc.shape.length}`);
    }
    desc.shape.forEach((d, axis) => {
      if (isStaticDim(d) && dims[axis] !== d) {
        throw badInput(`${where}: axis ${axis} is ${dims[axis]}; the model needs ${d} (shape ${fmtShape(desc.shape)})`);
      }
    });
  }
  return desc.dtype;
}

/** Flattens nested row-major data, checking that the nesting follows the shape; flat data passes as is. */
function flatten(where: string, data: unknown[], dims: number[]): unknown[] {
  if (!data.some(Array.isArray)) return data;
  const out: unknown[] = [];
  const walk = (v: unknown, axis: number, path: string): void => {
    if (axis === dims.length) {
      if (Array.isArray(v)) throw badInput(`${where}: data${path} nests deeper than shape ${fmtShape(dims)}`);
      out.push(v);
      return;
    }
    if (!Array.isArray(v)) throw badInput(`${where}: data${path} is a value where shape ${fmtShape(dims)} needs an array of ${dims[axis]}`);
    if (v.length !== dims[axis]) throw badInput(`${where}: data${path} has ${v.length} elements; axis ${axis} of shape ${fmtShape(dims)} needs ${dims[axis]}`);
    v.forEach((x, i) => walk(x, axis + 1, `${path}[${i}]`));
  };
  walk(data, 0, "");
  return out;
}

/** The typed array of each fixed-size dtype (bool and float16 are bytes and half bits). */
const TYPED = {
  bool: Uint8Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array, uint64: BigUint64Array,
  int8: Int8Array, int16: Int16Array, int32: Int32Array, int64: BigInt64Array,
  float16: Uint16Array, float32: Float32Array, float64: Float64Array,
} as const;

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 2 ** 32 - 1],
};

const INT64_RANGE = { int64: [-(2n ** 63n), 2n ** 63n - 1n], uint64: [0n, 2n ** 64n - 1n] } as const;

/** One JSON element as a 64-bit integer: a safe-integer number or a decimal string. */
function bigIntOf(v: unknown): bigint | string {
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return BigInt(v);
    return Number.isInteger(v) ? "beyond 2^53, where a JSON number may already be rounded; send it as a decimal string or binary data" : "not an integer";
  }
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  return "not an integer";
}

/** Typed data of a dtype from flat JSON values, each checked to fit. */
function fromJson(where: string, dtype: DType, values: unknown[]): TensorData {
  const n = values.length;
  const bad = (i: number, why: string) => badInput(`${where}: element ${i} (${JSON.stringify(values[i])}) is ${why}`);
  const dt = datatypeOf(dtype);
  switch (dtype) {
    case "string":
      values.forEach((v, i) => {
        if (typeof v !== "string") throw bad(i, "not a string, which BYTES needs");
      });
      return values as string[];
    case "bool": {
      const out = new Uint8Array(n);
      values.forEach((v, i) => {
        if (typeof v !== "boolean") throw bad(i, "not true or false, which BOOL needs");
        out[i] = v ? 1 : 0;
      });
      return out;
    }
    case "int64":
    case "uint64": {
      const out = dtype === "int64" ? new BigInt64Array(n) : new BigUint64Array(n);
      const [lo, hi] = INT64_RANGE[dtype];
      values.forEach((v, i) => {
        const b = bigIntOf(v);
        if (typeof b === "string") throw bad(i, b);
        if (b < lo || b > hi) throw bad(i, `outside ${dt}'s range ${lo}..${hi}`);
        out[i] = b;
      });
      return out;
    }
    case "float16": {
      const out = new Uint16Array(n);
      values.forEach((v, i) => {
        if (typeof v !== "number") throw bad(i, `not a number, which ${dt} needs`);
        const h = halfBits(v);
        if ((h & 0x7c00) === 0x7c00) throw bad(i, `too large for ${dt} (largest 65504)`);
        out[i] = h;
      });
      return out;
    }
    case "float32":
    case "float64": {
      const out = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
      values.forEach((v, i) => {
        if (typeof v !== "number") throw bad(i, `not a number, which ${dt} needs`);
        out[i] = v;
        if (!Number.isFinite(out[i])) throw bad(i, `too large for ${dt}`);
      });
      return out;
    }
    default: {
      const [lo, hi] = INT_RANGE[dtype]!;
      const out = new TYPED[dtype](n);
      values.forEach((v, i) => {
        if (typeof v !== "number" || !Number.isInteger(v)) throw bad(i, `not an integer, which ${dt} needs`);
        if (v < lo || v > hi) throw bad(i, `outside ${dt}'s range ${lo}..${hi}`);
        out[i] = v;
      });
      return out;
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Typed data of a dtype from its binary form (the host is little-endian, as every onnxruntime-node platform is). */
function fromBinary(where: string, dtype: DType, count: number, bytes: Uint8Array): TensorData {
  if (dtype === "string") return stringsFromBinary(where, count, bytes);
  const Typed = TYPED[dtype];
  const needed = count * Typed.BYTES_PER_ELEMENT;
  if (bytes.length !== needed) {
    throw badInput(`${where}: binary_data_size is ${bytes.length}; ${count} ${datatypeOf(dtype)} elements need ${needed} bytes`);
  }
  const copy = new Uint8Array(needed);
  copy.set(bytes);
  if (dtype === "bool") {
    const i = copy.findIndex((b) => b > 1);
    if (i >= 0) throw badInput(`${where}: BOOL element ${i} is byte ${copy[i]}; BOOL bytes are 0 or 1`);
  }
  return new Typed(copy.buffer);
}

/** BYTES elements in binary: each a 4-byte little-endian length, then that many bytes. */
function stringsFromBinary(where: string, count: number, bytes: Uint8Array): string[] {
  if (count * 4 > bytes.length) throw badInput(`${where}: binary_data_size is ${bytes.length}; ${count} BYTES elements need at least ${count * 4} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = new Array(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > bytes.length) throw badInput(`${where}: BYTES element ${i} starts at byte ${at}, past the ${bytes.length} bytes of binary data`);
    const len = view.getUint32(at, true);
    at += 4;
    if (at + len > bytes.length) throw badInput(`${where}: BYTES element ${i} is ${len} bytes but only ${bytes.length - at} remain in the binary data`);
    try {
      out[i] = utf8.decode(bytes.subarray(at, at + len));
    } catch {
      throw badInput(`${where}: BYTES element ${i} is not valid UTF-8`);
    }
    at += len;
  }
  if (at !== bytes.length) throw badInput(`${where}: binary data holds ${bytes.length - at} bytes after its ${count} BYTES elements`);
  return out;
}

/** A boolean parameter, or undefined when absent; anything else is an issue. */
function boolParam(params: Record<string, unknown> | undefined, key: string, where: string, issues: string[]): boolean | undefined {
  const v = params?.[key];
  if (v === undefined || typeof v === "boolean") return v;
  issues.push(`${where}: parameters.${key} must be true or false`);
  return undefined;
}

/**
 * Decodes a v2 inference request (JSON, or with headerLength the binary tensor data extension) and
 * checks it against the model's interface; every problem found is listed in one bad_input error.
 * @example decodeInferRequest(Buffer.from('{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}'), undefined, model)
 */
export function decodeInferRequest(body: Buffer, headerLength: number | undefined, model: ModelIO): DecodedInferRequest {
  const req = parseHeader(body, headerLength);
  const issues: string[] = [];

  // binary sizes first: they fix where each input's bytes start
  const sizes = req.inputs.map((input) => {
    const size = input.parameters?.binary_data_size;
    if (size === undefined) return undefined;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
      throw badInput(`input '${input.name}': parameters.binary_data_size must be a non-negative integer; got ${JSON.stringify(size)}`);
    }
    if (headerLength === undefined) throw badInput(`input '${input.name}': parameters.binary_data_size is set but the request has no Inference-Header-Content-Length header`);
    return size;
  });
  const start = headerLength ?? body.length;
  const total = sizes.reduce<number>((s, b) => s + (b ?? 0), 0);
  if (total !== body.length - start) {
    throw badInput(`the body holds ${body.length - start} bytes after the JSON header; the inputs' binary_data_size add up to ${total}`);
  }

  const inputs = new Map<string, Tensor>();
  const byName = new Map(model.inputs.map((d) => [d.name, d]));
  let offset = start;
  req.inputs.forEach((input, k) => {
    const where = `input '${input.name}'`;
    const size = sizes[k];
    const bytes = size === undefined ? undefined : body.subarray(offset, offset + size);
    offset += size ?? 0;
    try {
      const desc = byName.get(input.name);
      if (!desc) throw badInput(`${where} is not an input of the model; its inputs are ${quoted(model.inputs.map((d) => d.name))}`);
      if (inputs.has(input.name)) throw badInput(`${where} is given more than once`);
      const dtype = checkAgainstModel(where, input.datatype, input.shape, desc);
      const count = sizeOf(input.shape);
      let data: TensorData;
      if (bytes) {
        if (input.data !== undefined) throw badInput(`${where}: has both data and parameters.binary_data_size`);
        data = fromBinary(where, dtype, count, bytes);
      } else {
        if (input.data === undefined) throw badInput(`${where}: has no data (nor parameters.binary_data_size)`);
        const flat = flatten(where, input.data, input.shape);
        if (flat.length !== count) throw badInput(`${where}: shape ${fmtShape(input.shape)} needs ${count} values; got ${flat.length}`);
        data = fromJson(where, dtype, flat);
      }
      inputs.set(input.name, { dtype, dims: input.shape, data });
    } catch (e) {
      if (!(e instanceof MaasError)) throw e;
      issues.push(e.message);
    }
  });
  const given = new Set(req.inputs.map((i) => i.name));
  for (const d of model.inputs) {
    if (!given.has(d.name)) issues.push(`input '${d.name}' is missing; the model needs ${quoted(model.inputs.map((m) => m.name))}`);
  }

  const allBinary = boolParam(req.parameters, "binary_data_output", "the request", issues) ?? false;
  const modelOutputs = new Set(model.outputs.map((d) => d.name));
  const requested = req.outputs ?? model.outputs.map((d) => ({ name: d.name, parameters: undefined }));
  const outputs: DecodedInferRequest["outputs"] = [];
  const seen = new Set<string>();
  for (const o of requested) {
    const where = `output '${o.name}'`;
    if (!modelOutputs.has(o.name)) issues.push(`${where} is not an output of the model; its outputs are ${quoted([...modelOutputs])}`);
    else if (seen.has(o.name)) issues.push(`${where} is requested more than once`);
    seen.add(o.name);
    outputs.push({ name: o.name, binary: boolParam(o.parameters, "binary_data", where, issues) ?? allBinary });
  }

  if (issues.length) throw badInput(issues.join("; "), { issues });
  return {
    ...(req.id !== undefined ? { id: req.id } : {}),
    ...(req.parameters !== undefined ? { parameters: req.parameters } : {}),
    inputs: Object.fromEntries(inputs),
    outputs,
  };
}

// ---- encoding a response -----------------------------------------------------------------

/** What an inference produced, and how each output is to be sent. */
export interface InferResult {
  modelName: string;
  modelVersion?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: { name: string; tensor: Tensor; binary: boolean }[];
}

/** An encoded response; with headerLength set, send it as the Inference-Header-Content-Length header. */
export interface EncodedInferResponse {
  body: Buffer;
  headerLength?: number;
  contentType: string;
}

/** The JSON text of a tensor's flat data. */
function jsonData(name: string, t: Tensor): string {
  const d = t.data;
  const finite = (v: number, i: number) => {
    if (!Number.isFinite(v)) {
      throw new MaasError("unprocessable", `output '${name}': element ${i} is ${v}, which JSON cannot carry; request the output as binary data`);
    }
  };
  switch (t.dtype) {
    case "string":
      return JSON.stringify(d);
    case "bool":
      return `[${Array.from(d as Uint8Array, (b) => (b ? "true" : "false")).join(",")}]`;
    case "float16":
      return `[${Array.from(d as Uint16Array, (h, i) => {
        // exact: every half is a float32, so any reader gets the same half back
        const v = halfValue(h);
        finite(v, i);
        return String(v);
      }).join(",")}]`;
    case "float32":
      return `[${Array.from(d as Float32Array, (v, i) => {
        finite(v, i);
        return String(float32ToNumber(v));
      }).join(",")}]`;
    case "float64":
      return `[${Array.from(d as Float64Array, (v, i) => {
        finite(v, i);
        return String(v);
      }).join(",")}]`;
    default:
      // integers, including 64-bit ones, written exactly
      return `[${Array.from(d as ArrayLike<number | bigint>, (v) => v.toString()).join(",")}]`;
  }
}

/** The binary form of a tensor's data (little-endian; BYTES as 4-byte length + UTF-8). */
function binaryData(t: Tensor): Buffer {
  if (t.dtype === "string") {
    const parts = (t.data as string[]).flatMap((s) => {
      const bytes = Buffer.from(s, "utf8");
      const len = Buffer.alloc(4);
      len.writeUInt32LE(bytes.length);
      return [len, bytes];
    });
    return Buffer.concat(parts);
  }
  if (t.dtype === "bool") return Buffer.from(Array.from(t.data as Uint8Array, (b) => (b ? 1 : 0)));
  const a = t.data as Exclude<TensorData, string[]>;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}

/**
 * Encodes a v2 inference response: JSON outputs carry flat `data`; binary ones carry
 * `parameters.binary_data_size` and their bytes follow the JSON header in output order.
 * @example const { body, headerLength, contentType } = encodeInferResponse({ modelName: "m", outputs })
 */
export function encodeInferResponse(r: InferResult): EncodedInferResponse {
  const blobs: Buffer[] = [];
  const outputs = r.outputs.map(({ name, tensor, binary }) => {
    const count = sizeOf(tensor.dims);
    if (tensor.data.length !== count) {
      throw new MaasError("internal", `output '${name}': shape ${fmtShape(tensor.dims)} needs ${count} values; the tensor has ${tensor.data.length}`);
    }
    const head = `"name":${JSON.stringify(name)},"datatype":"${datatypeOf(tensor.dtype)}","shape":${JSON.stringify(tensor.dims)}`;
    if (!binary) return `{${head},"data":${jsonData(name, tensor)}}`;
    const bytes = binaryData(tensor);
    blobs.push(bytes);
    return `{${head},"parameters":{"binary_data_size":${bytes.length}}}`;
  });
  const fields = [
    `"model_name":${JSON.stringify(r.modelName)}`,
    ...(r.modelVersion !== undefined ? [`"model_version":${JSON.stringify(r.modelVersion)}`] : []),
    ...(r.id !== undefined ? [`"id":${JSON.stringify(r.id)}`] : []),
    ...(r.parameters !== undefined ? [`"parameters":${JSON.stringify(r.parameters)}`] : []),
    `"outputs":[${outputs.join(",")}]`,
  ];
  const header = Buffer.from(`{${fields.join(",")}}`, "utf8");
  if (!blobs.length) return { body: header, contentType: "application/json" };
  return { body: Buffer.concat([header, ...blobs]), headerLength: header.length, contentType: "application/octet-stream" };
}
