// The training loop. The compiled step does all the arithmetic; this loop only shuffles, slices
// batches, feeds them with the current parameters, swaps in the updated ones, evaluates each epoch
// and stops early when validation loss stops improving.
import type { ParamSpec } from "../engine/builder.js";
import { Builder } from "../engine/builder.js";
import { initialise } from "../engine/init.js";
import { encodeModel } from "../engine/onnx-codec.js";
import type { OptimizerConfig } from "../engine/optimizers.js";
import { Random } from "../engine/random.js";
import { learningRate } from "../engine/schedules.js";
import type { CompiledStep } from "../engine/training-step.js";
import { compileTrainingStep } from "../engine/training-step.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import { classificationMetrics, regressionMetrics } from "./metrics.js";
import type { Problem } from "./network.js";
import { FEATURES_INPUT, TARGET_INPUT, body, head, loss } from "./network.js";
import type { ModelSpec, TrainingSpec } from "./spec.js";
import type { Split } from "./split.js";
import { splitRows } from "./split.js";

/** A numeric training table: row-major features and one target per row (a class index for classifiers). */
export interface TrainingData {
  features: Float32Array;
  rows: number;
  columns: number;
  target: Float32Array;
}

/** What one epoch achieved. Validation fields are absent when nothing was held out. */
export interface EpochReport {
  epoch: number;
  epochs: number;
  trainLoss: number;
  validationLoss?: number;
  /** Validation metrics of the task (training metrics when nothing was held out). */
  metrics: Record<string, number>;
  lr: number;
  /** Training throughput of the epoch (the steps only, not the evaluation). */
  samplesPerSecond: number;
  /** Wall time of the whole epoch, evaluation included. */
  seconds: number;
}

export interface FitOptions {
  onEpoch?: (report: EpochReport) => void;
  signal?: AbortSignal;
}

export interface FitResult {
  params: Map<string, Float32Array>;
  paramSpecs: ParamSpec[];
  history: EpochReport[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Row indices trained on and held out. */
  split: Split;
}

/** Rows evaluated per run of the evaluation graph (bounds memory on large validation sets). */
const EVAL_CHUNK = 8192;

export function optimizerConfig(t: TrainingSpec): OptimizerConfig {
  const weightDecay = t.weightDecay;
  switch (t.optimizer) {
    case "sgd":
      return { kind: "sgd", weightDecay };
    case "momentum":
    case "nesterov":
      return { kind: "momentum", momentum: t.momentum, nesterov: t.optimizer === "nesterov", weightDecay };
    case "adam":
    case "adamw":
      return { kind: t.optimizer, beta1: t.beta1, beta2: t.beta2, weightDecay };
  }
}

/** "balanced" class weights n / (k * count_k), from the training rows; classes absent from them get weight 1. */
function balancedWeights(data: TrainingData, rows: Int32Array, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (const r of rows) counts[data.target[r]]++;
  return Float32Array.from(counts, (c) => (c > 0 ? rows.length / (classes * c) : 1));
}

/**
 * Gathers rows into the batch feeds of the graphs (features, and the target in the form the loss
 * takes), reusing its buffers: the feeds it returns are valid until its next call.
 */
class Batcher {
  private readonly x: Float32Array;
  private readonly y: Float32Array | BigInt64Array;

  constructor(
    private readonly data: TrainingData,
    private readonly p: Problem,
    capacity: number,
  ) {
    this.x = new Float32Array(capacity * data.columns);
    this.y = p.task === "classification" && p.classes > 2 ? new BigInt64Array(capacity) : new Float32Array(capacity);
  }

  feeds(rows: Int32Array): Record<string, Tensor> {
    const { data } = this;
    const n = rows.length;
    const c = data.columns;
    const x = this.x.subarray(0, n * c);
    for (let i = 0; i < n; i++) x.set(data.features.subarray(rows[i] * c, rows[i] * c + c), i * c);
    const feeds: Record<string, Tensor> = { [FEATURES_INPUT]: { dtype: "float32", dims: [n, c], data: x } };
    if (this.y instanceof BigInt64Array) {
      const y = this.y.subarray(0, n);
      for (let i = 0; i < n; i++) y[i] = BigInt(data.target[rows[i]]);
      feeds[TARGET_INPUT] = { dtype: "int64", dims: [n], data: y };
    } else {
      const y = this.y.subarray(0, n);
      for (let i = 0; i < n; i++) y[i] = data.target[rows[i]];
      feeds[TARGET_INPUT] = { dtype: "float32", dims: [n, 1], data: y };
    }
    return feeds;
  }
}

/** Loss and task metrics of the current parameters on some rows. */
async function evaluate(
  session: Session,
  params: Record<string, Tensor>,
  batcher: Batcher,
  data: TrainingData,
  p: Problem,
  rows: Int32Array,
): Promise<{ loss: number; metrics: Record<string, number> }> {
  let lossSum = 0;
  const truth = new Float64Array(rows.length);
  const predicted = new Float64Array(p.task === "regression" ? rows.length : rows.length * p.classes);
  for (let start = 0; start < rows.length; start += EVAL_CHUNK) {
    const chunk = rows.subarray(start, Math.min(rows.length, start + EVAL_CHUNK));
    const out = await session.run({ ...params, ...batcher.feeds(chunk) });
    lossSum += (out.loss.data as Float32Array)[0] * chunk.length;
    predicted.set((p.task === "regression" ? out.prediction.data : out.probabilities.data) as Float32Array, p.task === "regression" ? start : start * p.classes);
    for (let i = 0; i < chunk.length; i++) truth[start + i] = data.target[chunk[i]];
  }
  const metrics =
    p.task === "regression"
      ? { ...regressionMetrics(truth, predicted) }
      : (({ confusion: _c, ...m }) => m)(classificationMetrics(truth, predicted, p.classes));
  return { loss: lossSum / rows.length, metrics };
}

function copyParams(params: Record<string, Tensor>, specs: ParamSpec[]): Map<string, Float32Array> {
  return new Map(specs.map((s) => [s.name, Float32Array.from(params[s.name].data as Float32Array)]));
}

/**
 * Trains a network of `spec` on `data` and returns the best epoch's parameters.
 * @example const { params, history } = await fit(runtime, spec, training, problem, data);
 */
export async function fit(
  runtime: Runtime,
  spec: ModelSpec,
  training: TrainingSpec,
  p: Problem,
  data: TrainingData,
  options: FitOptions = {},
): Promise<FitResult> {
  const rng = new Random(training.seed);
  const splitRng = rng.fork();
  const initRng = rng.fork();
  const shuffleRng = rng.fork();
  const dropoutRng = rng.fork();
  const { train, validation } = splitRows(
    data.rows,
    training.validationSplit,
    splitRng,
    p.task === "classification" ? data.target : undefined,
    p.task === "classification" ? p.classes : 0,
  );
  if (train.length === 0) throw new Error("no training rows");
  const weights = p.task === "classification" && training.classWeights === "balanced" ? balancedWeights(data, train, p.classes) : undefined;

  const network = (b: Builder) => {
    const out = body(b, spec, p, b.graph.input(FEATURES_INPUT, "float32", ["batch", p.features]));
    return { out, loss: loss(b, p, out, weights) };
  };
  const step: CompiledStep = compileTrainingStep((b) => ({ loss: network(b).loss }), optimizerConfig(training));
  const evalBuilder = new Builder("evaluate", "eval");
  const evalNet = network(evalBuilder);
  const evalHead = head(p, evalNet.out);
  evalBuilder.graph.output(evalNet.loss, "loss");
  evalBuilder.graph.output(evalHead.prediction, "prediction");
  if (evalHead.probabilities) evalBuilder.graph.output(evalHead.probabilities, "probabilities");

  const stepSession = await runtime.createSession(step.model, { threads: training.threads });
  // The step session's pool spins between steps, as a tight loop wants. The evaluation session's
  // must not: its idle spinning threads would compete with the step's for the cores (measured:
  // -25% training throughput on 2 cores).
  const evalSession = await runtime.createSession(encodeModel(evalBuilder.graph), { threads: training.threads, spinning: false });
  try {
    // Parameters and optimizer state, keyed by input name, in two sets of buffers: each step reads
    // `carried` and writes `spare` (keyed by output name), then the two swap.
    const zeros = (shape: number[]): Tensor => ({ dtype: "float32", dims: shape, data: new Float32Array(shape.reduce((a, d) => a * d, 1)) });
    const carried: Record<string, Tensor> = {};
    const spare: Record<string, Tensor> = { loss: zeros([]) };
    for (const s of step.params) {
      carried[s.name] = zeros(s.shape);
      initialise(s.init, s.shape, initRng, carried[s.name].data as Float32Array);
    }
    for (const c of step.carries) {
      if (c.isState) carried[c.input] = zeros(c.shape);
      spare[c.output] = zeros(c.shape);
    }
    const fetch = ["loss", ...step.carries.map((c) => c.output)];
    const paramsOnly = (): Record<string, Tensor> => Object.fromEntries(step.params.map((s) => [s.name, carried[s.name]]));
    const batcher = new Batcher(data, p, Math.min(training.batchSize, train.length));
    const monitorValidation = validation.length > 0;
    const evalRows = monitorValidation ? validation : train;
    const evalBatcher = new Batcher(data, p, Math.min(EVAL_CHUNK, evalRows.length));

    const batchesPerEpoch = Math.ceil(train.length / training.batchSize);
    const totalSteps = training.epochs * batchesPerEpoch;
    const history: EpochReport[] = [];
    let best = { loss: Infinity, epoch: 0, params: copyParams(carried, step.params) };
    let sinceBest = 0;
    let stepCount = 0;
    let stoppedEarly = false;

    for (let epoch = 0; epoch < training.epochs; epoch++) {
      const started = performance.now();
      const order = shuffleRng.shuffle(Int32Array.from(train));
      let lossSum = 0;
      let lr = training.lr;
      for (let start = 0; start < order.length; start += training.batchSize) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error("training was cancelled");
        const rows = order.subarray(start, Math.min(order.length, start + training.batchSize));
        const n = rows.length;
        lr = learningRate(training.schedule, training.lr, { step: stepCount, epoch, totalSteps });
        stepCount++;
        const feeds: Record<string, Tensor> = {
          ...carried,
          ...batcher.feeds(rows),
          lr: { dtype: "float32", dims: [], data: Float32Array.of(lr) },
          step: { dtype: "float32", dims: [], data: Float32Array.of(stepCount) },
        };
        for (const m of step.masks) feeds[m.name] = dropoutMask(m.shape, m.rate, n, dropoutRng);
        const out = await stepSession.run(feeds, fetch, spare);
        lossSum += (out.loss.data as Float32Array)[0] * n;
        for (const c of step.carries) [carried[c.input], spare[c.output]] = [spare[c.output], carried[c.input]];
      }
      const trainSeconds = (performance.now() - started) / 1000;
      const trainLoss = lossSum / order.length;
      if (!Number.isFinite(trainLoss)) {
        throw new Error(`training diverged in epoch ${epoch + 1} (loss ${trainLoss}); lower the learning rate (now ${training.lr})`);
      }
      const evaluated = await evaluate(evalSession, paramsOnly(), evalBatcher, data, p, evalRows);
      const seconds = (performance.now() - started) / 1000;
      const report: EpochReport = {
        epoch: epoch + 1,
        epochs: training.epochs,
        trainLoss,
        ...(monitorValidation ? { validationLoss: evaluated.loss } : {}),
        metrics: evaluated.metrics,
        lr,
        samplesPerSecond: order.length / trainSeconds,
        seconds,
      };
      history.push(report);
      options.onEpoch?.(report);

      const monitored = monitorValidation ? evaluated.loss : trainLoss;
      const minDelta = training.earlyStopping === false ? 0 : training.earlyStopping.minDelta;
      if (monitored < best.loss - minDelta) {
        best = { loss: monitored, epoch: epoch + 1, params: copyParams(carried, step.params) };
        sinceBest = 0;
      } else if (training.earlyStopping !== false && ++sinceBest >= training.earlyStopping.patience) {
        stoppedEarly = epoch + 1 < training.epochs;
        break;
      }
    }
    // Without early stopping the last epoch's weights are the result; with it, the best epoch's.
    const params = training.earlyStopping === false ? copyParams(carried, step.params) : best.params;
    const bestEpoch = training.earlyStopping === false ? history.length : best.epoch;
    return { params, paramSpecs: step.params, history, bestEpoch, stoppedEarly, split: { train, validation } };
  } finally {
    await stepSession.release();
    await evalSession.release();
  }
}

/** An inverted-dropout mask for a batch of n rows: 0 with probability `rate`, else 1/(1-rate). */
function dropoutMask(shape: readonly (number | string)[], rate: number, n: number, rng: Random): Tensor {
  const dims = shape.map((d) => (typeof d === "number" ? d : n));
  const size = dims.reduce((a, d) => a * d, 1);
  const keep = 1 / (1 - rate);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = rng.uniform() < rate ? 0 : keep;
  return { dtype: "float32", dims, data };
}
