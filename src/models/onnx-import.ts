// Checks an uploaded ONNX file before it is registered: that it is one self-contained model, in
// versions and operator domains ONNX Runtime runs, whose inputs and outputs are tensors OpenMaaS
// can pass, and that the runtime loads it. Every problem found without loading is reported at once.
import onnxProto from "onnx-proto";
import { dtypeOfCode } from "../engine/ops.js";
import type { Shape } from "../engine/graph.js";
import { MaasError } from "../errors.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { DType } from "../runtime/tensor.js";
import { DTYPES } from "../runtime/tensor.js";

const { onnx } = onnxProto;

/** IR versions onnxruntime-node 1.30 loads (it rejects 14; IR 3 is the first with opset imports). */
export const IR_VERSIONS = { min: 3, max: 13 } as const;
/** Opsets of the default domain it runs: from 7 (the oldest it guarantees) to 26 (its newest released). */
export const DEFAULT_OPSETS = { min: 7, max: 26 } as const;
/** Operator domains of the ONNX standard; anything else is a custom operator library. */
export const STANDARD_DOMAINS: readonly string[] = ["", "ai.onnx", "ai.onnx.ml"];

/** One input or output of an imported model. */
export interface ImportedValue {
  name: string;
  dtype: DType;
  /** Dims are numbers or names ("batch"); "?" for a dim the file leaves unnamed; null when the rank is undeclared. */
  shape: Shape | null;
}

/** What an accepted model declares about itself. */
export interface ImportReport {
  irVersion: number;
  /** Opset version per domain ("" is the default domain). */
  opsets: Record<string, number>;
  /** "name version" of the tool that wrote the file, e.g. "pytorch 1.13.0". */
  producer: string;
  inputs: ImportedValue[];
  outputs: ImportedValue[];
}

export interface ImportOptions {
  /** The file's name as the user knows it; every message starts with it. */
  source: string;
  /** Largest accepted file, in bytes. */
  maxBytes: number;
  /** Where to load the model; the process's ONNX Runtime by default. */
  runtime?: Runtime;
}

/** How many names one problem lists before "and N more". */
const LISTED = 5;

// ---- reading the ModelProto ------------------------------------------------------------------

type Model = onnxProto.onnx.ModelProto;
type Graph = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

function list(names: readonly string[]): string {
  const shown = names.slice(0, LISTED).join(", ");
  return names.length > LISTED ? `${shown} and ${names.length - LISTED} more` : shown;
}

/** Every node and tensor of the model: main graph, subgraphs (If, Loop, Scan bodies), local functions. */
function walk(model: Model, visitNode: (n: NodeProto) => void, visitTensor: (t: TensorProto, owner: string) => void): void {
  const graph = (g: Graph): void => {
    for (const t of g.initializer ?? []) visitTensor(t, t.name ?? "");
    for (const s of g.sparseInitializer ?? []) {
      if (s.values) visitTensor(s.values, s.values.name ?? "");
      if (s.indices) visitTensor(s.indices, s.indices.name ?? "");
    }
    for (const n of g.node ?? []) node(n);
  };
  const node = (n: NodeProto): void => {
    visitNode(n);
    const owner = `${n.opType ?? "?"} node ${n.name || (n.output ?? [])[0] || "?"}`;
    for (const a of n.attribute ?? []) {
      for (const t of [a.t, ...(a.tensors ?? [])]) if (t) visitTensor(t, t.name || owner);
      for (const s of [a.sparseTensor, ...(a.sparseTensors ?? [])]) if (s?.values) visitTensor(s.values, s.values.name || owner);
      for (const g of [a.g, ...(a.graphs ?? [])]) if (g) graph(g);
    }
  };
  if (model.graph) graph(model.graph);
  for (const f of model.functions ?? []) for (const n of f.node ?? []) node(n);
}

function elemTypeName(code: number): string {
  return onnx.TensorProto.DataType[code] ?? `type code ${code}`;
}

function describe(v: onnxProto.onnx.IValueInfoProto): ImportedValue {
  const tt = v.type?.tensorType;
  const dims = tt?.shape?.dim;
  const shape = dims ? dims.map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? Number(d.dimValue) : "?")) : null;
  // interfaceProblems has turned away every value that is not a tensor of a DType.
  return { name: v.name ?? "", dtype: dtypeOfCode(tt?.elemType ?? 0)!, shape };
}

// ---- the checks ------------------------------------------------------------------------------

function versionProblems(model: Model, opsets: Record<string, number>): string[] {
  const problems: string[] = [];
  const ir = Number(model.irVersion ?? 0);
  if (ir < IR_VERSIONS.min || ir > IR_VERSIONS.max) {
    problems.push(`IR version ${ir} is not supported (ONNX Runtime loads IR versions ${IR_VERSIONS.min} to ${IR_VERSIONS.max})`);
  }
  const opset = opsets[""] ?? opsets["ai.onnx"];
  if (opset !== undefined && (opset < DEFAULT_OPSETS.min || opset > DEFAULT_OPSETS.max)) {
    problems.push(`opset ${opset} of the default ONNX domain is not supported (export with an opset from ${DEFAULT_OPSETS.min} to ${DEFAULT_OPSETS.max})`);
  }
  return problems;
}

/** Nodes and opset imports outside the standard domains; a model's own local functions are allowed. */
function customOpProblems(model: Model): string[] {
  const local = new Set((model.functions ?? []).map((f) => `${f.domain ?? ""}:${f.name ?? ""}`));
  const localDomains = new Set((model.functions ?? []).map((f) => f.domain ?? ""));
  const opsByDomain = new Map<string, Set<string>>();
  const note = (domain: string, op?: string): void => {
    if (STANDARD_DOMAINS.includes(domain)) return;
    const ops = opsByDomain.get(domain) ?? new Set<string>();
    if (op !== undefined) ops.add(op);
    opsByDomain.set(domain, ops);
  };
  walk(model, (n) => {
    const domain = n.domain ?? "";
    if (!local.has(`${domain}:${n.opType ?? ""}`)) note(domain, n.opType ?? "?");
  }, () => undefined);
  for (const o of model.opsetImport ?? []) if (!localDomains.has(o.domain ?? "")) note(o.domain ?? "");
  return [...opsByDomain].map(([domain, ops]) =>
    ops.size > 0
      ? `custom operator${ops.size > 1 ? "s" : ""} ${list([...ops])} of domain '${domain}' (only the standard domains ai.onnx and ai.onnx.ml are supported)`
      : `opset import of custom domain '${domain}' (only the standard domains ai.onnx and ai.onnx.ml are supported)`,
  );
}

function externalDataProblems(model: Model): string[] {
  const external: string[] = [];
  walk(model, () => undefined, (t, owner) => {
    if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL || (t.externalData ?? []).length > 0) external.push(`'${owner}'`);
  });
  if (external.length === 0) return [];
  return [
    `${external.length > 1 ? "tensors" : "tensor"} ${list(external)} ${external.length > 1 ? "keep their" : "keeps its"} data in a separate file (external data), but an upload is one file: ` +
      "save the model with every tensor inside it, e.g. onnx.save(model, path, save_as_external_data=False)",
  ];
}

/** What a non-tensor type is, in words, or undefined for a tensor. */
function nonTensorKind(type: onnxProto.onnx.ITypeProto | null | undefined): string | undefined {
  if (!type) return "of no declared type";
  if (type.tensorType) return undefined;
  if (type.sequenceType) return type.sequenceType.elemType?.mapType ? "a sequence of maps" : "a sequence";
  if (type.mapType) return "a map";
  if (type.optionalType) return "an optional";
  if (type.sparseTensorType) return "a sparse tensor";
  return "of an unknown kind";
}

function interfaceProblems(graph: Graph): string[] {
  const problems: string[] = [];
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name));
  const supported = `supported element types are ${DTYPES.join(", ")}`;
  for (const [role, values] of [["input", inputs], ["output", graph.output ?? []]] as const) {
    for (const v of values) {
      const kind = nonTensorKind(v.type);
      if (kind === "a sequence of maps" && role === "output") {
        problems.push(
          `output '${v.name}' is a sequence of maps (scikit-learn's ZipMap), which the runtime cannot return as a tensor: ` +
            `convert without ZipMap, in skl2onnx with options={id(model): {"zipmap": False}} (or to_onnx(..., options={'zipmap': False}))`,
        );
      } else if (kind) {
        problems.push(`${role} '${v.name}' is ${kind}, not a tensor (every ${role} must be a tensor${role === "output" ? ": export the model so that it returns tensors only" : ""})`);
      } else {
        const code = v.type?.tensorType?.elemType ?? 0;
        if (dtypeOfCode(code) === undefined) problems.push(`${role} '${v.name}' has element type ${elemTypeName(code)} (${supported})`);
      }
    }
  }
  return problems;
}

/** ONNX Runtime's message without its C++ source location and function signature, first line only. */
function runtimeMessage(e: unknown): string {
  const first = (e instanceof Error ? e.message : String(e)).split("\n")[0];
  return first.replace(/^\S+\.(?:cc|cpp|h):\d+ (?:[^()]*\([^()]*\)(?: const)? )?/, "").trim();
}

// ---- entry point -----------------------------------------------------------------------------

/**
 * Checks an uploaded ONNX file and returns its interface; throws a MaasError naming the file and
 * what was expected (`too_large` over `maxBytes`, else `bad_input`). Never reads any other file.
 * @example
 * const report = await checkImport(bytes, { source: "model.onnx", maxBytes: 100 << 20 });
 */
export async function checkImport(bytes: Uint8Array, options: ImportOptions): Promise<ImportReport> {
  const { source, maxBytes } = options;
  if (bytes.length === 0) throw new MaasError("bad_input", `${source}: the file is empty; expected an ONNX model (.onnx)`);
  if (bytes.length > maxBytes) {
    throw new MaasError("too_large", `${source}: the file is ${bytes.length} bytes, over the limit of ${maxBytes} bytes for a model upload`);
  }

  let model: Model;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new MaasError("bad_input", `${source}: not an ONNX model (the bytes do not decode as an ONNX ModelProto: ${why}); expected a .onnx file`);
  }
  if (!model.graph) throw new MaasError("bad_input", `${source}: not an ONNX model (it has no graph); expected a .onnx file`);

  const opsets = Object.fromEntries((model.opsetImport ?? []).map((o) => [o.domain ?? "", Number(o.version ?? 0)]));
  const problems = [...versionProblems(model, opsets), ...customOpProblems(model), ...externalDataProblems(model), ...interfaceProblems(model.graph)];
  if (problems.length > 0) throw new MaasError("bad_input", `${source}: ${problems.join("; ")}`, { problems });

  const runtime = options.runtime ?? defaultRuntime();
  let session: Session;
  try {
    session = await runtime.createSession(bytes);
  } catch (e) {
    throw new MaasError("bad_input", `${source}: ONNX Runtime cannot load the model: ${runtimeMessage(e)}`);
  }
  await session.release();

  const initializers = new Set((model.graph.initializer ?? []).map((t) => t.name));
  return {
    irVersion: Number(model.irVersion ?? 0),
    opsets,
    producer: `${model.producerName ?? ""} ${model.producerVersion ?? ""}`.trim(),
    inputs: (model.graph.input ?? []).filter((v) => !initializers.has(v.name)).map(describe),
    outputs: (model.graph.output ?? []).map(describe),
  };
}
