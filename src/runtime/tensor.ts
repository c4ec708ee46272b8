/** Element types the project moves across the runtime boundary: every tensor type ONNX models use. */
export type DType = "float32" | "float64" | "float16" | "int8" | "int16" | "int32" | "int64" | "uint8" | "uint16" | "uint32" | "uint64" | "bool" | "string";

/** Every DType, for validation. */
export const DTYPES: readonly DType[] = ["float32", "float64", "float16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "string"];

/** float16 is carried as its IEEE 754 half-precision bit patterns (Uint16Array); bool as bytes 0 / 1. */
export type TensorData = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array | string[];

/** A dense, row-major tensor in the project's own terms (no runtime types leak out of runtime/). */
export interface Tensor {
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly data: TensorData;
}

/** Number of elements of a shape. */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** A float tensor of the given float dtype. */
export function floatTensor(dtype: "float32" | "float64", dims: readonly number[], data?: ArrayLike<number>): Tensor {
  const n = sizeOf(dims);
  const buf = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
  if (data) {
    if (data.length !== n) throw new Error(`tensor data has ${data.length} values, shape [${dims.join(", ")}] needs ${n}`);
    buf.set(data);
  }
  return { dtype, dims: [...dims], data: buf };
}

/** An int64 tensor from plain numbers. */
export function int64Tensor(dims: readonly number[], data: ArrayLike<number>): Tensor {
  const n = sizeOf(dims);
  if (data.length !== n) throw new Error(`tensor data has ${data.length} values, shape [${dims.join(", ")}] needs ${n}`);
  const buf = new BigInt64Array(n);
  for (let i = 0; i < n; i++) buf[i] = BigInt(data[i]);
  return { dtype: "int64", dims: [...dims], data: buf };
}
