// The only module that imports onnxruntime-node: everything else speaks the project's Tensor.
import ort from "onnxruntime-node";
import type { Runtime, Session, SessionOptions } from "./runtime.js";
import type { DType, Tensor } from "./tensor.js";
import { DTYPES } from "./tensor.js";

/**
 * The runtime's tensor over a Tensor's buffer (no copy), made once per Tensor: a training loop feeds
 * the same parameter and state tensors every step. (A Tensor's fields never change; its buffer's
 * contents may, and the wrapper sees them.)
 */
const wrappers = new WeakMap<Tensor, ort.Tensor>();

function toOrt(t: Tensor): ort.Tensor {
  let w = wrappers.get(t);
  if (!w) {
    w = new ort.Tensor(t.dtype, t.data as never, t.dims as number[]);
    wrappers.set(t, w);
  }
  return w;
}

function fromOrt(t: ort.Tensor): Tensor {
  const dtype = t.type as DType;
  if (!DTYPES.includes(dtype)) {
    throw new Error(`runtime returned an unsupported tensor type '${t.type}'`);
  }
  return { dtype, dims: [...t.dims], data: t.data as Tensor["data"] };
}

class OrtSession implements Session {
  constructor(private readonly session: ort.InferenceSession) {}

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  async run(feeds: Record<string, Tensor>, fetch?: readonly string[], into?: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    const names = fetch ?? this.session.outputNames;
    let out: ort.InferenceSession.ReturnType;
    if (into) {
      const fetches: Record<string, ort.Tensor | null> = {};
      for (const name of names) fetches[name] = into[name] ? toOrt(into[name]) : null;
      out = await this.session.run(ortFeeds, fetches);
    } else out = await this.session.run(ortFeeds, names as string[]);
    const result: Record<string, Tensor> = {};
    for (const name of names) result[name] = into?.[name] ?? fromOrt(out[name] as ort.Tensor);
    return result;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/** ONNX Runtime (native, CPU execution provider). */
export class OnnxRuntime implements Runtime {
  async createSession(model: Uint8Array, options: SessionOptions = {}): Promise<Session> {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ["cpu"],
      intraOpNumThreads: options.threads ?? 0,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: options.optimization ?? "all",
      extra: { session: { intra_op: { allow_spinning: options.spinning === false ? "0" : "1" } } },
    });
    return new OrtSession(session);
  }
}

let shared: OnnxRuntime | undefined;

/** The process's ONNX Runtime instance. */
export function defaultRuntime(): OnnxRuntime {
  return (shared ??= new OnnxRuntime());
}
