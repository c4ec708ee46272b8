// The training loop. The compiled step does all the arithmetic; this loop only shuffles, slices
// batches, feeds them with the current parameters, swaps in the updated ones, evaluates each epoch
// and stops early when validation loss stops improving.
import type { ParamSpec } from "../engine/builder.js";
import { MaasError } from "../errors.js";
import type { OptimizerConfig } from "../engine/optimizers.js";
import { Random } from "../engine/random.js";
import { learningRate } from "../engine/schedules.js";
import type { CompiledStep } from "../engine/training-step.js";
import { compileTrainingStep, initialCarries } from "../engine/training-step.js";
import type { Runtime, Session } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { TrainingData } from "./evaluation.js";
import { Batcher, Evaluator } from "./evaluation.js";
import { bucketBounds, bucketRows, epochBatches } from "./buckets.js";
import { fitFullBatch } from "./full-batch.js";
import type { Problem } from "./network.js";
import { objective } from "./network.js";
import type { ModelSpec, TrainingSpec } from "./spec.js";
import type { Split } from "./split.js";
import { splitRows } from "./split.js";
import { EpochLog } from "./epoch-log.js";

export type { TrainingData };

/** What one epoch achieved. Validation fields are absent when nothing was held out. */
export interface EpochReport {
  epoch: number;
  epochs: number;
  trainLoss: number;
  validationLoss?: number;
  /**
   * Validation metrics of the task. When nothing was held out, the training rows' metrics, measured
   * once after training and reported on the kept epoch only (empty on the others): a pass over the
   * training set every epoch would cost as much as training on it.
   */
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
  /** The rows to train on and hold out; by default `trainingSplit` of the training seed. */
  split?: Split;
}

/**
 * The seeded train/validation split of a training run (stratified for classification). Callers that
 * fit preprocessing on the training rows before `fit` compute it first and pass it in.
 */
export function trainingSplit(training: TrainingSpec, p: Pick<Problem, "task" | "classes">, target: Float32Array): Split {
  const splitRng = new Random(training.seed).fork(); // the first stream of the seed, as in fit
  const classification = p.task === "classification";
  return splitRows(target.length, training.validationSplit, splitRng, classification ? target : undefined, classification ? p.classes : 0);
}

export interface FitResult {
  /** Trained parameters and layer state (e.g. batch-norm running statistics), by name. */
  params: Map<string, Float32Array>;
  paramSpecs: ParamSpec[];
  history: EpochReport[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  stoppedEarly: boolean;
  /** Row indices trained on and held out. */
  split: Split;
  /** The length buckets' bounds, when sequences of varying length trained on several graphs. */
  buckets?: number[];
}

export function optimizerConfig(t: TrainingSpec): OptimizerConfig {
  const weightDecay = t.weightDecay;
  const clip = t.clipNorm > 0 ? { clipNorm: t.clipNorm } : {};
  switch (t.optimizer) {
    case "sgd":
      return { kind: "sgd", weightDecay, ...clip };
    case "momentum":
    case "nesterov":
      return { kind: "momentum", momentum: t.momentum, nesterov: t.optimizer === "nesterov", weightDecay, ...clip };
    case "adam":
    case "adamw":
      return { kind: t.optimizer, beta1: t.beta1, beta2: t.beta2, weightDecay, ...clip };
    case "lbfgs":
      throw new Error("L-BFGS is not a per-step graph update; fit() runs it as a full-batch loop");
  }
}

/** "balanced" class weights n / (k * count_k), from the training rows; classes absent from them get weight 1. */
function balancedWeights(data: TrainingData, rows: Int32Array, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (const r of rows) counts[data.target[r]]++;
  return Float32Array.from(counts, (c) => (c > 0 ? rows.length / (classes * c) : 1));
}

export function copyParams(params: Record<string, Tensor>, specs: readonly { name: string }[]): Map<string, Float32Array> {
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
  rng.fork(); // the split's stream (see trainingSplit)
  const initRng = rng.fork();
  const shuffleRng = rng.fork();
  const dropoutRng = rng.fork();
  const { train, validation } = options.split ?? trainingSplit(training, p, data.target);
  if (train.length === 0) throw new Error("no training rows");
  const weights = p.task === "classification" && training.classWeights === "balanced" ? balancedWeights(data, train, p.classes) : undefined;

  if (training.optimizer === "lbfgs") return fitFullBatch(runtime, spec, training, p, data, { train, validation }, weights, initRng, options);

  // Sequences of varying length train on one graph per length bucket (buckets.ts), all else on one.
  const bounds = p.lengths && data.lengths && training.lengthBuckets > 1 ? bucketBounds(data.lengths, train, training.lengthBuckets) : undefined;
  const buckets = bounds ? bucketRows(data.lengths!, train, bounds) : [train];
  const capacity = Math.min(training.batchSize, train.length);
  const graphs: { step: CompiledStep; session: Session; batcher: Batcher }[] = [];
  const monitorValidation = validation.length > 0;
  let evaluator: Evaluator | undefined;
  try {
    for (const steps of bounds ?? [undefined]) {
      const q = steps === undefined ? p : withSteps(p, steps);
      const step = compileTrainingStep((b) => objective(b, spec, q, weights), optimizerConfig(training));
      graphs.push({ step, session: await runtime.createSession(step.model, { threads: training.threads }), batcher: new Batcher(data, p, capacity, steps) });
    }
    evaluator = await Evaluator.create(runtime, spec, p, weights, data, monitorValidation ? validation : train, training.threads);
    // Every graph has the same parameters and optimizer state: the first one's describe them all.
    const { step } = graphs[0];
    const zeros = (shape: number[]): Tensor => ({ dtype: "float32", dims: shape, data: new Float32Array(shape.reduce((a, d) => a * d, 1)) });
    const carried = initialCarries(step, initRng);
    const spare: Record<string, Tensor> = { loss: zeros([]) };
    for (const c of step.carries) spare[c.output] = zeros(c.shape);
    const fetch = ["loss", ...step.carries.map((c) => c.output)];
    // What evaluation and the result keep: the parameters and the layer state.
    const kept = [...step.params, ...step.states];
    const paramsAndState = (): Record<string, Tensor> => Object.fromEntries(kept.map((s) => [s.name, carried[s.name]]));
    const batchesPerEpoch = buckets.reduce((sum, rows) => sum + Math.ceil(rows.length / training.batchSize), 0);
    const totalSteps = training.epochs * batchesPerEpoch;
    const log = new EpochLog<Map<string, Float32Array>>(training, options.onEpoch);
    let stepCount = 0;

    for (let epoch = 0; epoch < training.epochs; epoch++) {
      const started = performance.now();
      let lossSum = 0;
      let lr = training.lr;
      for (const batch of epochBatches(buckets, training.batchSize, shuffleRng)) {
        if (options.signal?.aborted) throw options.signal.reason ?? new Error("training was cancelled");
        const { session, batcher, step: bucketStep } = graphs[batch.bucket];
        const n = batch.rows.length;
        lr = learningRate(training.schedule, training.lr, { step: stepCount, epoch, totalSteps });
        stepCount++;
        const feeds: Record<string, Tensor> = {
          ...carried,
          ...batcher.feeds(batch.rows),
          lr: { dtype: "float32", dims: [], data: Float32Array.of(lr) },
          step: { dtype: "float32", dims: [], data: Float32Array.of(stepCount) },
        };
        for (const m of bucketStep.masks) feeds[m.name] = dropoutMask(m.shape, m.rate, n, dropoutRng);
        const out = await session.run(feeds, fetch, spare);
        lossSum += (out.loss.data as Float32Array)[0] * n;
        for (const c of step.carries) [carried[c.input], spare[c.output]] = [spare[c.output], carried[c.input]];
      }
      const trainSeconds = (performance.now() - started) / 1000;
      const trainLoss = lossSum / train.length;
      if (!Number.isFinite(trainLoss)) {
        throw new MaasError("unprocessable", `training diverged in epoch ${epoch + 1} (loss ${trainLoss}); lower the learning rate (now ${training.lr})`);
      }
      const evaluated = monitorValidation ? await evaluator.evaluate(paramsAndState()) : undefined;
      const seconds = (performance.now() - started) / 1000;
      const report: EpochReport = {
        epoch: epoch + 1,
        epochs: training.epochs,
        trainLoss,
        ...(evaluated ? { validationLoss: evaluated.loss, metrics: evaluated.metrics } : { metrics: {} }),
        lr,
        samplesPerSecond: train.length / trainSeconds,
        seconds,
      };
      if (log.record(report, () => copyParams(carried, kept))) break;
    }
    const { weights: params, bestEpoch, history, stoppedEarly } = log.result(() => copyParams(carried, kept));
    if (!monitorValidation) {
      history[bestEpoch - 1].metrics = (await evaluator.evaluate(Object.fromEntries([...params].map(([name, data]) => [name, { dtype: "float32", dims: carried[name].dims, data }])))).metrics;
    }
    return { params, paramSpecs: step.params, history, bestEpoch, stoppedEarly, split: { train, validation }, ...(bounds ? { buckets: bounds } : {}) };
  } finally {
    for (const { session } of graphs) await session.release();
    await evaluator?.release();
  }
}

/** The problem with sequences of `steps` steps: a length bucket's graph. */
function withSteps(p: Problem, steps: number): Problem {
  const [, ...rest] = p.input!;
  return { ...p, input: [steps, ...rest], features: rest.reduce((a, d) => a * d, steps) };
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
