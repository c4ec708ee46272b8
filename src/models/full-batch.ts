// Full-batch training with L-BFGS: the compiled graph gives the loss and its gradient on all training
// rows; engine/lbfgs.ts chooses the steps. An epoch is one L-BFGS iteration.
import { initialise } from "../engine/init.js";
import { lbfgs } from "../engine/lbfgs.js";
import type { Random } from "../engine/random.js";
import { compileLossGradient } from "../engine/training-step.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Tensor } from "../runtime/tensor.js";
import type { TrainingData } from "./evaluation.js";
import { Batcher, Evaluator } from "./evaluation.js";
import type { Problem } from "./network.js";
import { objective } from "./network.js";
import type { ModelSpec, TrainingSpec } from "./spec.js";
import type { Split } from "./split.js";
import type { EpochReport, FitOptions, FitResult } from "./trainer.js";

/** Trains with L-BFGS on all training rows at once; `training.epochs` caps the iterations. */
export async function fitFullBatch(
  runtime: Runtime,
  spec: ModelSpec,
  training: TrainingSpec,
  p: Problem,
  data: TrainingData,
  split: Split,
  classWeights: Float32Array | undefined,
  initRng: Random,
  options: FitOptions,
): Promise<FitResult> {
  const compiled = compileLossGradient((b) => objective(b, spec, p, classWeights));
  const session = await runtime.createSession(compiled.model, { threads: training.threads });
  const monitorValidation = split.validation.length > 0;
  const evaluator = await Evaluator.create(runtime, spec, p, classWeights, data, monitorValidation ? split.validation : split.train, training.threads);
  try {
    // All parameters as one float64 vector for L-BFGS, and as float32 tensors for the graph.
    const params: Record<string, Tensor> = {};
    const offsets: number[] = [];
    let size = 0;
    for (const s of compiled.params) {
      offsets.push(size);
      const values = new Float32Array(s.shape.reduce((a, d) => a * d, 1));
      initialise(s.init, s.shape, initRng, values, s.fans);
      params[s.name] = { dtype: "float32", dims: s.shape, data: values };
      size += values.length;
    }
    // Layer state (batch-norm running statistics) stays at its initial value: eval mode updates nothing.
    for (const s of compiled.states) params[s.name] = { dtype: "float32", dims: s.shape, data: new Float32Array(s.shape.reduce((a, d) => a * d, 1)).fill(s.init === "ones" ? 1 : 0) };
    const x0 = new Float64Array(size);
    const load = (x: Float64Array) => compiled.params.forEach((s, i) => (params[s.name].data as Float32Array).set(x.subarray(offsets[i], offsets[i] + (params[s.name].data as Float32Array).length)));
    compiled.params.forEach((s, i) => x0.set(params[s.name].data as Float32Array, offsets[i]));
    const batch = new Batcher(data, p, split.train.length).feeds(split.train);
    const fetch = ["loss", ...compiled.params.map((s) => `${s.name}.grad`)];
    const wd = training.weightDecay;

    let dataLoss = NaN;
    let evaluations = 0;
    // f = loss + wd/2 |w|^2 over decayed parameters (weights, not biases): the same penalty as the
    // gradient-descent optimizers' L2 term.
    const objectiveFn = async (x: Float64Array) => {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error("training was cancelled");
      load(x);
      const out = await session.run({ ...params, ...batch }, fetch);
      evaluations++;
      dataLoss = (out.loss.data as Float32Array)[0];
      let f = dataLoss;
      const g = new Float64Array(size);
      compiled.params.forEach((s, i) => {
        const gi = out[`${s.name}.grad`].data as Float32Array;
        const o = offsets[i];
        for (let j = 0; j < gi.length; j++) {
          g[o + j] = gi[j];
          if (wd > 0 && s.decay) {
            f += 0.5 * wd * x[o + j] * x[o + j];
            g[o + j] += wd * x[o + j];
          }
        }
      });
      return { f, g };
    };

    const history: EpochReport[] = [];
    let started = performance.now();
    const report = async (epoch: number, x: Float64Array) => {
      const trainSeconds = (performance.now() - started) / 1000;
      load(x);
      const evaluated = await evaluator.evaluate(params);
      const r: EpochReport = {
        epoch,
        epochs: training.epochs,
        trainLoss: dataLoss,
        ...(monitorValidation ? { validationLoss: evaluated.loss } : {}),
        metrics: evaluated.metrics,
        lr: 0,
        samplesPerSecond: (split.train.length * evaluations) / Math.max(trainSeconds, 1e-9),
        seconds: (performance.now() - started) / 1000,
      };
      history.push(r);
      options.onEpoch?.(r);
      evaluations = 0;
      started = performance.now();
    };
    const result = await lbfgs(objectiveFn, x0, { maxIterations: training.epochs, onIteration: (it, _f, x) => report(it, x) });
    if (history.length === 0) await report(1, result.x); // optimal from the start: still one report
    load(result.x);
    const kept = new Map([...compiled.params, ...compiled.states].map((s) => [s.name, Float32Array.from(params[s.name].data as Float32Array)]));
    return { params: kept, paramSpecs: compiled.params, history, bestEpoch: history.length, stoppedEarly: result.reason !== "iterations", split };
  } finally {
    await session.release();
    await evaluator.release();
  }
}
