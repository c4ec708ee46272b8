/** Element types the project moves across the runtime boundary. */
export type DType = "float32" | "float64" | "int64" | "bool" | "string";

export type TensorData = Float32Array | Float64Array | BigInt64Array | Uint8Array | string[];

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
