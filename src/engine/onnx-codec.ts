// Graph <-> ONNX ModelProto bytes (opset 17, IR version 8).
import onnxProto from "onnx-proto";
import type { DType, Tensor } from "../runtime/tensor.js";
import type { Attr, Attrs, Graph, Node, Shape, Value } from "./graph.js";
import { OPS, dtypeOfCode, onnxTypeCode } from "./ops.js";

const { onnx } = onnxProto;

export const OPSET = 17;
export const IR_VERSION = 8;
/** The ONNX-ML domain, for the few steps standard operators cannot express. */
export const ML_DOMAIN = "ai.onnx.ml";
export const ML_OPSET = 3;

export interface EncodeOptions {
  /** `metadata_props`: each value is stored as given (callers JSON-encode structured values). */
  metadata?: Record<string, string>;
  producerVersion?: string;
  docString?: string;
}

function tensorProto(t: Tensor, name: string): onnxProto.onnx.ITensorProto {
  const base = { name, dims: [...t.dims], dataType: onnxTypeCode(t.dtype) };
  if (t.dtype === "string") {
    const enc = new TextEncoder();
    return { ...base, stringData: (t.data as string[]).map((s) => enc.encode(s)) };
  }
  const view = t.data as Exclude<Tensor["data"], string[]>;
  // raw_data is little-endian, as are the typed arrays on every platform ONNX Runtime supports.
  return { ...base, rawData: new Uint8Array(view.buffer, view.byteOffset, view.byteLength) };
}

function valueInfo(name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnxTypeCode(dtype),
        shape: { dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("i" in a) return { name, type: T.INT, i: a.i };
  if ("f" in a) return { name, type: T.FLOAT, f: a.f };
  if ("ints" in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ("floats" in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ("s" in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ("strings" in a) return { name, type: T.STRINGS, strings: a.strings.map((x) => new TextEncoder().encode(x)) };
  return { name, type: T.TENSOR, t: tensorProto(a.t, name) };
}

/** The nodes the graph's outputs depend on, in their original (topological) order. */
function liveNodes(graph: Graph): Node[] {
  const needed = new Set<Value>(graph.outputs);
  const live: Node[] = [];
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.outputs.some((v) => needed.has(v))) continue;
    live.push(node);
    for (const v of node.inputs) needed.add(v);
  }
  return live.reverse();
}

/**
 * The nodes without the Identity that names a graph output: the value it copies takes the output's
 * name instead (other nodes may read it under that name too). An Identity of a graph output
 * survives ONNX Runtime's optimiser as a copy: a training step would copy every parameter and
 * optimizer state tensor each step. Graph inputs and constants keep their Identity, as does a
 * value that names a second output.
 */
function withoutOutputCopies(graph: Graph, live: Node[]): { nodes: Node[]; renamed: Map<Value, string> } {
  const outputs = new Set(graph.outputs);
  const renamed = new Map<Value, string>();
  const dropped = new Set<Node>();
  for (const node of live) {
    const [source] = node.inputs;
    const [out] = node.outputs;
    if (node.op !== "Identity" || !outputs.has(out) || outputs.has(source) || renamed.has(source) || !graph.producer.has(source)) continue;
    renamed.set(source, out.name);
    dropped.add(node);
  }
  return { nodes: live.filter((n) => !dropped.has(n)), renamed };
}

/** Serialises a graph as a self-contained ONNX model. */
export function encodeModel(graph: Graph, options: EncodeOptions = {}): Uint8Array {
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  let usesMl = false;
  let fresh = 0;
  const names = new Set<string>([...graph.inputs, ...graph.outputs].map((v) => v.name));
  const freshName = (hint: string): string => {
    let n: string;
    do n = `${hint}__${fresh++}`;
    while (names.has(n));
    names.add(n);
    return n;
  };
  const push = (op: string, inputs: readonly string[], attrs: Attrs, outputs: readonly string[], domain = ""): void => {
    if (domain === ML_DOMAIN) usesMl = true;
    nodes.push({
      opType: op,
      domain,
      input: [...inputs],
      output: [...outputs],
      name: freshName(op),
      attribute: Object.entries(attrs).map(([k, a]) => attribute(k, a)),
    });
  };

  // Only what the outputs depend on is written: gradient rules build the gradients of every input,
  // and a runtime may well compute a dead node (ONNX Runtime does).
  const { nodes: live, renamed } = withoutOutputCopies(graph, liveNodes(graph));
  const read = new Set(live.flatMap((n) => n.inputs));
  for (const [v, t] of graph.constants) if (read.has(v)) initializers.push(tensorProto(t, v.name));
  const emitter = {
    node(op: string, inputs: readonly string[], attrs: Attrs = {}, output?: string): string {
      const out = output ?? freshName(op.toLowerCase());
      const [domain, type] = op.includes(":") ? op.split(":") : ["", op];
      push(type, inputs, attrs, [out], domain);
      return out;
    },
    constant(t: Tensor): string {
      const n = freshName("const");
      initializers.push(tensorProto(t, n));
      return n;
    },
  };
  for (const node of live) {
    const ins = node.inputs.map((v) => renamed.get(v) ?? v.name);
    const outs = node.outputs.map((v) => renamed.get(v) ?? v.name);
    const custom = OPS[node.op]?.emit;
    if (custom) custom(node, emitter, ins, outs);
    else {
      const [domain, type] = node.op.includes(":") ? node.op.split(":") : ["", node.op];
      push(type, ins, node.attrs, outs, domain);
    }
  }

  const opsetImport = [{ domain: "", version: OPSET }];
  if (usesMl) opsetImport.push({ domain: ML_DOMAIN, version: ML_OPSET });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport,
    producerName: "openmaas",
    producerVersion: options.producerVersion ?? "",
    docString: options.docString ?? "",
    graph: {
      name: graph.name,
      node: nodes,
      initializer: initializers,
      input: graph.inputs.map((v: Value) => valueInfo(v.name, v.dtype, v.shape)),
      output: graph.outputs.map((v: Value) => valueInfo(v.name, v.dtype, v.shape)),
    },
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

/** What a model file declares about itself, read without running it. */
export interface ModelInfo {
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  inputs: { name: string; dtype: DType | "other"; shape: Shape }[];
  outputs: { name: string; dtype: DType | "other"; shape: Shape }[];
  metadata: Record<string, string>;
}

function dtypeOf(code: number | null | undefined): DType | "other" {
  return dtypeOfCode(code ?? 0) ?? "other";
}

function describe(v: onnxProto.onnx.IValueInfoProto): ModelInfo["inputs"][number] {
  const tt = v.type?.tensorType;
  // A dim with neither a size nor a name is unknown: "?" (as a variable dim).
  const shape = (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue ?? 0) > 0 ? Number(d.dimValue) : "?"));
  return { name: v.name ?? "", dtype: dtypeOf(tt?.elemType), shape };
}

/** Reads a model's interface and metadata; throws a plain Error if the bytes are not an ONNX model. */
export function decodeModelInfo(bytes: Uint8Array): ModelInfo {
  const m = onnx.ModelProto.decode(bytes);
  if (!m.graph) throw new Error("the file is not an ONNX model: it has no graph");
  const initNames = new Set((m.graph.initializer ?? []).map((t) => t.name));
  return {
    irVersion: Number(m.irVersion ?? 0),
    opsets: Object.fromEntries((m.opsetImport ?? []).map((o) => [o.domain ?? "", Number(o.version ?? 0)])),
    producer: `${m.producerName ?? ""} ${m.producerVersion ?? ""}`.trim(),
    inputs: (m.graph.input ?? []).filter((v) => !initNames.has(v.name)).map(describe),
    outputs: (m.graph.output ?? []).map(describe),
    metadata: Object.fromEntries((m.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""])),
  };
}

/** The float32 initializers of a model by name (others are skipped): what a file's weights are. */
export function decodeFloatInitializers(bytes: Uint8Array): Map<string, Tensor> {
  const m = onnx.ModelProto.decode(bytes);
  const out = new Map<string, Tensor>();
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataType !== onnxTypeCode("float32") || !t.name) continue;
    const dims = (t.dims ?? []).map(Number);
    const raw = t.rawData;
    // Copied into a buffer of their own: the decoded bytes are a view into the whole file (in Node,
    // a Buffer whose slice() does not copy), at an offset that need not be a multiple of 4.
    const data = raw && raw.length > 0 ? new Float32Array(new Uint8Array(raw).buffer) : Float32Array.from(t.floatData ?? []);
    out.set(t.name, { dtype: "float32", dims, data });
  }
  return out;
}
