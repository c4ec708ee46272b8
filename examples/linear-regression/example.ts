// The classic first example: a straight line fitted to noisy points by gradient descent, checked
// against the least-squares solution in closed form.
import { Random } from "../../src/engine/random.js";
import { Model } from "../../src/models/model.js";
import type { TrainingSpecInput } from "../../src/models/spec.js";
import type { TrainingData } from "../../src/models/trainer.js";
import { scatterPlot } from "../../src/plot/svg.js";

/** A line y = weight * x + bias. */
export interface Line {
  weight: number;
  bias: number;
}

export interface ExampleResult extends Line {
  /** The least-squares line in closed form, for comparison. */
  exact: Line;
  /** Mean squared error of the trained line on the data, from the last epoch. */
  loss: number;
  epochs: number;
  /** The data and the trained line as a standalone SVG document. */
  svg: string;
}

export const ROWS = 100;
/**
 * Seeds the data and the training. 100 points pin the slope down to about +-0.1 (one standard error),
 * so the sample's best line depends on the draw: seed 2 gives 2.99x + 2.50, seed 42 3.19x + 2.35.
 */
export const SEED = 2;

/**
 * Full-batch gradient descent. With L = mean((w x + b - y)^2) and x ~ U(0, 1) the Hessian is about
 * 2 [[1/3, 1/2], [1/2, 1]], eigenvalues 2.54 and 0.13: a step is stable for lr < 2 / 2.54 = 0.79, and
 * lr = 0.5 shrinks the slowest error direction by 1 - 0.5 * 0.13 = 0.934 per epoch: float32 precision
 * in about 200 epochs (measured), 500 for margin. (lr = 0.8 diverges, as the bound says.)
 */
export const TRAINING: TrainingSpecInput = {
  optimizer: "sgd",
  lr: 0.5,
  epochs: 500,
  batchSize: ROWS,
  validationSplit: 0,
  earlyStopping: false,
  seed: SEED,
};

/** `rows` points with x ~ U(0, 1) and y = 3x + 2 + U(0, 1): the best line is about y = 3x + 2.5. */
export function makeData(rows = ROWS, seed = SEED): TrainingData {
  const rng = new Random(seed);
  const features = new Float32Array(rows);
  const target = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    features[i] = rng.uniform();
    target[i] = 3 * features[i] + 2 + rng.uniform();
  }
  return { features, rows, columns: 1, target };
}

/** Least squares in closed form: w = cov(x, y) / var(x), b = mean(y) - w mean(x). */
export function leastSquares(x: ArrayLike<number>, y: ArrayLike<number>): Line {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) [mx, my] = [mx + x[i] / n, my + y[i] / n];
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) [sxy, sxx] = [sxy + (x[i] - mx) * (y[i] - my), sxx + (x[i] - mx) ** 2];
  const weight = sxy / sxx;
  return { weight, bias: my - weight * mx };
}

/** Generates the data, trains a linear model on it, and plots both. */
export async function runExample(): Promise<ExampleResult> {
  const data = makeData();
  const model = await Model.fit({ model: { kind: "linear" }, training: TRAINING }, data);
  const weight = model.params.get("output.weight")![0];
  const bias = model.params.get("output.bias")![0];
  const last = model.history[model.history.length - 1];

  const points = Array.from(data.features, (x, i) => ({ x, y: data.target[i] }));
  const svg = scatterPlot({
    points,
    lines: [{ from: { x: 0, y: bias }, to: { x: 1, y: weight + bias }, label: `gradient descent: y = ${weight.toFixed(3)}x + ${bias.toFixed(3)}` }],
    title: `Linear regression on ${data.rows} points`,
    xLabel: "x",
    yLabel: "y = 3x + 2 + U(0, 1)",
  });
  return { weight, bias, exact: leastSquares(data.features, data.target), loss: last.trainLoss, epochs: last.epoch, svg };
}
