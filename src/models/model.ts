// The in-process TypeScript API: define a model from a spec, fit it on typed arrays, predict, export.
import type { EncodeOptions } from "../engine/onnx-codec.js";
import { encodeModel } from "../engine/onnx-codec.js";
import { defaultRuntime } from "../runtime/onnxruntime.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Problem } from "./network.js";
import { FEATURES_INPUT, inferenceGraph } from "./network.js";
import type { ModelSpec, ModelSpecInput, Task, TrainingSpec, TrainingSpecInput } from "./spec.js";
import { ModelSpecSchema, resolveTraining } from "./spec.js";
import type { Split } from "./split.js";
import type { EpochReport, FitOptions, TrainingData } from "./trainer.js";
import { fit } from "./trainer.js";

export interface ModelDefinition {
  model: ModelSpecInput;
  training?: TrainingSpecInput;
  /** Defaults: `linear` regression, `logistic` classification, `mlp` regression unless said. */
  task?: Task;
  /** Classes for classification; defaults to the largest class index in the target + 1. */
  classes?: number;
}

export interface Predictions {
  /** Regression: the value; classification: the class index. */
  prediction: Float32Array;
  /** Classification: row-major [rows, classes]. */
  probabilities?: Float32Array;
}


/** Works out the task and class count, or says why the definition and data do not fit. */
export function resolveProblem(spec: ModelSpec, def: ModelDefinition, data: TrainingData): Problem {
  const task: Task = def.task ?? (spec.kind === "logistic" ? "classification" : "regression");
  if (spec.kind === "linear" && task !== "regression") throw new Error("a linear model does regression; use logistic for classification");
  if (spec.kind === "logistic" && task !== "classification") throw new Error("a logistic model does classification; use linear for regression");
  let classes = 1;
  if (task === "classification") {
    let max = -1;
    for (const y of data.target) {
      if (!Number.isInteger(y) || y < 0) throw new Error(`classification targets must be class indices 0, 1, ...; found ${y}`);
      if (y > max) max = y;
    }
    classes = def.classes ?? max + 1;
    if (classes < 2) throw new Error(`classification needs at least two classes; the target has ${classes}`);
    if (max >= classes) throw new Error(`target has class index ${max}, but classes is ${classes}`);
  }
  return { task, features: data.columns, classes };
}

/** A trained model: its spec, its parameters and how it got them. */
export class Model {
  private session: Promise<Session> | undefined;

  private constructor(
    readonly spec: ModelSpec,
    readonly training: TrainingSpec,
    readonly problem: Problem,
    readonly params: ReadonlyMap<string, Float32Array>,
    readonly history: readonly EpochReport[],
    readonly bestEpoch: number,
    readonly split: Split,
    private readonly runtime: Runtime,
  ) {}

  /**
   * Trains a model.
   * @example const m = await Model.fit({ model: { kind: "mlp", hidden: [32] }, task: "classification" }, data);
   */
  static async fit(def: ModelDefinition, data: TrainingData, options: FitOptions & { runtime?: Runtime } = {}): Promise<Model> {
    const spec = ModelSpecSchema.parse(def.model);
    const training = resolveTraining(spec.kind, def.training);
    const problem = resolveProblem(spec, def, data);
    const runtime = options.runtime ?? defaultRuntime();
    const result = await fit(runtime, spec, training, problem, data, options);
    return new Model(spec, training, problem, result.params, result.history, result.bestEpoch, result.split, runtime);
  }

  /** The model as a standard, self-contained ONNX file: input `features` [N, columns]; outputs `prediction` and (classifiers) `probabilities`. */
  toOnnx(options: EncodeOptions = {}): Uint8Array {
    const { features } = this.problem;
    const graph = inferenceGraph(this.spec, this.problem, this.params, (g) => g.input(FEATURES_INPUT, "float32", ["batch", features]));
    return encodeModel(graph, options);
  }

  /** Predictions for `rows` rows of row-major features. */
  async predict(features: Float32Array, rows: number): Promise<Predictions> {
    const cols = this.problem.features;
    if (features.length !== rows * cols) throw new Error(`predict got ${features.length} values for ${rows} rows of ${cols} features`);
    this.session ??= this.runtime.createSession(this.toOnnx(), { threads: this.training.threads, spinning: false });
    const out = await (await this.session).run({ [FEATURES_INPUT]: { dtype: "float32", dims: [rows, cols], data: features } });
    const prediction = out.prediction.dtype === "int64" ? Float32Array.from(out.prediction.data as BigInt64Array, Number) : (out.prediction.data as Float32Array);
    return out.probabilities ? { prediction, probabilities: out.probabilities.data as Float32Array } : { prediction };
  }

  /** Frees the prediction session. */
  async release(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s) await (await s).release();
  }
}
