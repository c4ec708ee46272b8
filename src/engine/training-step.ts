// Compiles one training step — forward, loss, backward, optimizer update — into one ONNX model:
// inputs are the parameters, the optimizer state, the layer state (batch normalisation's running
// statistics), the batch, `lr` and `step`; outputs are `loss`, anything extra the network reports,
// and the next value of every parameter and state tensor.
import type { Tensor } from "../runtime/tensor.js";
import { sizeOf } from "../runtime/tensor.js";
import { gradients } from "./autodiff.js";
import type { MaskSpec, ParamSpec, StateInit, StateSpec } from "./builder.js";
import { Builder } from "./builder.js";
import type { Value } from "./graph.js";
import { initialise } from "./init.js";
import { encodeModel } from "./onnx-codec.js";
import type { OptimizerConfig } from "./optimizers.js";
import { optimizerStep } from "./optimizers.js";
import type { Random } from "./random.js";

/** What a network gives the step compiler: its scalar loss and any values to fetch beside it. */
export interface Objective {
  loss: Value;
  extra?: Record<string, Value>;
}

/** A tensor carried from one step to the next: fed as `input`, fetched as `output`. */
export interface Carry {
  input: string;
  output: string;
  shape: number[];
  /** True for optimizer and layer state, false for parameters (which start from their ParamSpec). */
  isState: boolean;
  /** How state starts before the first step (absent for parameters). */
  init?: StateInit;
}

export interface CompiledStep {
  model: Uint8Array;
  params: ParamSpec[];
  masks: MaskSpec[];
  carries: Carry[];
  /** Layer state carried between steps; the trained values belong with the parameters. */
  states: StateSpec[];
  /** Names of the batch inputs the network declared (its data, labels, ...). */
  dataInputs: string[];
}

/** Builds and serialises the training step of the network `build` describes. */
export function compileTrainingStep(
  build: (b: Builder) => Objective,
  optimizer: OptimizerConfig,
  floatType: "float32" | "float64" = "float32",
): CompiledStep {
  const b = new Builder("train_step", "train", floatType);
  const { loss, extra } = build(b);
  const g = b.graph;
  const declared = new Set([...b.params, ...b.states, ...b.masks].map((d) => d.name));
  const dataInputs = g.inputs.filter((v) => !declared.has(v.name)).map((v) => v.name);

  const paramValues = b.params.map((p) => g.inputs.find((v) => v.name === p.name)!);
  const grads = gradients(loss, paramValues);
  const lr = g.input("lr", floatType, []);
  const step = g.input("step", floatType, []);
  const updates = optimizerStep(
    optimizer,
    b.params.map((p, i) => ({ param: paramValues[i], grad: grads[i], decay: p.decay })),
    lr,
    step,
  );

  g.output(loss, "loss");
  for (const [name, v] of Object.entries(extra ?? {})) g.output(v, name);
  const carries: Carry[] = updates.map((u) => {
    const out = g.output(u.next, `${u.input.name}.next`);
    const init = u.isState ? { init: "zeros" as const } : {};
    return { input: u.input.name, output: out.name, shape: u.input.shape as number[], isState: u.isState, ...init };
  });
  // Layer state: its declared update, or carried unchanged when the network declared none.
  for (const s of b.states) {
    const next = b.stateUpdates.get(s.name) ?? g.inputs.find((v) => v.name === s.name)!;
    const out = g.output(next, `${s.name}.next`);
    carries.push({ input: s.name, output: out.name, shape: s.shape, isState: true, init: s.init });
  }
  return { model: encodeModel(g), params: b.params, masks: b.masks, carries, states: b.states, dataInputs };
}

/**
 * What a step's carried inputs hold before the first step: each parameter drawn by its init scheme
 * (in declaration order, from `rng`), optimizer and layer state filled by its init (zeros or ones).
 */
export function initialCarries(step: Pick<CompiledStep, "params" | "carries">, rng: Random): Record<string, Tensor> {
  const carried: Record<string, Tensor> = {};
  for (const s of step.params) {
    const data = new Float32Array(sizeOf(s.shape));
    initialise(s.init, s.shape, rng, data, s.fans);
    carried[s.name] = { dtype: "float32", dims: s.shape, data };
  }
  for (const c of step.carries) {
    if (c.isState) carried[c.input] = { dtype: "float32", dims: c.shape, data: new Float32Array(sizeOf(c.shape)).fill(c.init === "ones" ? 1 : 0) };
  }
  return carried;
}

export interface CompiledGradient {
  model: Uint8Array;
  params: ParamSpec[];
  /** Layer state the graph reads (as inputs, held at their initial values: eval mode updates nothing). */
  states: StateSpec[];
  /** Names of the batch inputs the network declared. */
  dataInputs: string[];
}

/**
 * Compiles the loss and its gradient with respect to every parameter (outputs `loss` and
 * `<param>.grad`), with dropout off and layer state read but not updated (eval mode): the
 * deterministic objective of full-batch optimizers.
 */
export function compileLossGradient(build: (b: Builder) => Objective, floatType: "float32" | "float64" = "float32"): CompiledGradient {
  const b = new Builder("loss_gradient", "eval", floatType);
  const { loss } = build(b);
  const g = b.graph;
  const declared = new Set([...b.params, ...b.states].map((d) => d.name));
  const paramValues = b.params.map((p) => g.inputs.find((v) => v.name === p.name)!);
  const grads = gradients(loss, paramValues);
  g.output(loss, "loss");
  b.params.forEach((p, i) => g.output(grads[i], `${p.name}.grad`));
  return { model: encodeModel(g), params: b.params, states: b.states, dataInputs: g.inputs.filter((v) => !declared.has(v.name)).map((v) => v.name) };
}
