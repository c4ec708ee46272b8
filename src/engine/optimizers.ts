// Optimizers as graph updates: each turns (parameter, gradient, state, lr, step) into the next
// parameter and state, as nodes of the training-step graph. Semantics follow PyTorch's optimizers.
import type { Value } from "./graph.js";
import { add, div, less, mul, pow, reduceSum, sqrt, sub, where } from "./ops.js";

/** Options every optimizer takes. */
interface Common {
  /** L2 penalty (sgd, momentum, adam) or decoupled decay (adamw) on weights (default 0). */
  weightDecay?: number;
  /**
   * Clip the gradients by their global norm before the update, as torch.nn.utils.clip_grad_norm_:
   * g_i *= min(1, clipNorm / (sqrt(sum_i |g_i|^2) + 1e-6)) (default: no clipping).
   */
  clipNorm?: number;
}

export type OptimizerConfig =
  | ({ kind: "sgd" } & Common)
  | ({ kind: "momentum"; momentum?: number; nesterov?: boolean } & Common)
  | ({ kind: "adam" | "adamw"; beta1?: number; beta2?: number; eps?: number } & Common);

/** A parameter with its gradient; `decay` says whether weight decay applies (weights yes, biases no). */
export interface Trainable {
  param: Value;
  grad: Value;
  decay: boolean;
}

/** A graph input (parameter or optimizer state) and the value it takes after the step. */
export interface Update {
  input: Value;
  next: Value;
  /** True for optimizer state (initialised to zeros), false for the parameter itself. */
  isState: boolean;
}

/**
 * Appends one optimizer step. `lr` and `step` (1-based, for Adam's bias correction) are scalar graph
 * inputs, so schedules need no new graph.
 *
 * - sgd:       p -= lr * (g + wd p)
 * - momentum:  b = mu b + (g + wd p);  p -= lr * b        (nesterov: p -= lr * (g + wd p + mu b))
 * - adam:      m = b1 m + (1-b1) g';  v = b2 v + (1-b2) g'^2;  p -= lr * m/(1-b1^t) / (sqrt(v/(1-b2^t)) + eps),
 *              with g' = g + wd p
 * - adamw:     as adam with g' = g, and p -= lr * wd * p first (decoupled decay, Loshchilov & Hutter)
 */
export function optimizerStep(config: OptimizerConfig, unclipped: readonly Trainable[], lr: Value, step: Value): Update[] {
  const items = config.clipNorm === undefined ? unclipped : clipByGlobalNorm(unclipped, config.clipNorm);
  const updates: Update[] = [];
  const wd = config.weightDecay ?? 0;
  const state = (p: Value, suffix: string): Value => p.graph.input(`${p.name}.${suffix}`, p.dtype, p.shape);
  const l2 = (item: Trainable): Value => (wd > 0 && item.decay ? add(item.grad, mul(item.param, wd)) : item.grad);

  for (const item of items) {
    const p = item.param;
    switch (config.kind) {
      case "sgd":
        updates.push({ input: p, next: sub(p, mul(l2(item), lr)), isState: false });
        break;
      case "momentum": {
        const mu = config.momentum ?? 0.9;
        const g = l2(item);
        const b = state(p, "momentum");
        const bNext = add(mul(b, mu), g);
        const direction = config.nesterov ? add(g, mul(bNext, mu)) : bNext;
        updates.push({ input: b, next: bNext, isState: true });
        updates.push({ input: p, next: sub(p, mul(direction, lr)), isState: false });
        break;
      }
      case "adam":
      case "adamw": {
        const b1 = config.beta1 ?? 0.9;
        const b2 = config.beta2 ?? 0.999;
        const eps = config.eps ?? 1e-8;
        const decoupled = config.kind === "adamw";
        const g = decoupled ? item.grad : l2(item);
        const m = state(p, "m");
        const v = state(p, "v");
        // m' = m + (1-b1)(g - m), v' = v + (1-b2)(g^2 - v); the bias corrections are scalars, so
        // lr m'/(1-b1^t) / (sqrt(v'/(1-b2^t)) + eps) = (lr/(1-b1^t)) m' / (sqrt(v') / sqrt(1-b2^t) + eps),
        // as PyTorch computes it: four passes over the parameter fewer than dividing m' and v' first.
        const mNext = add(m, mul(sub(g, m), 1 - b1));
        const vNext = add(v, mul(sub(mul(g, g), v), 1 - b2));
        const dtype = p.dtype as "float32";
        const stepSize = div(lr, sub(1, pow(p.graph.scalar(b1, dtype), step)));
        const root2 = sqrt(sub(1, pow(p.graph.scalar(b2, dtype), step)));
        const base = decoupled && wd > 0 && item.decay ? sub(p, mul(mul(p, wd), lr)) : p;
        updates.push({ input: m, next: mNext, isState: true });
        updates.push({ input: v, next: vNext, isState: true });
        updates.push({ input: p, next: sub(base, mul(div(mNext, add(div(sqrt(vNext), root2), eps)), stepSize)), isState: false });
        break;
      }
    }
  }
  return updates;
}

/** The items with gradients scaled by min(1, maxNorm / (||g|| + 1e-6)), ||g|| over all of them. */
function clipByGlobalNorm(items: readonly Trainable[], maxNorm: number): Trainable[] {
  if (!(maxNorm > 0)) throw new Error(`clipNorm must be positive; got ${maxNorm}`);
  if (items.length === 0) return [];
  const squares = items.map((item) => reduceSum(mul(item.grad, item.grad)));
  const norm = sqrt(squares.reduce((total, sq) => add(total, sq)));
  const coef = div(maxNorm, add(norm, 1e-6));
  const scale = where(less(coef, 1), coef, 1);
  return items.map((item) => ({ ...item, grad: mul(item.grad, scale) }));
}
