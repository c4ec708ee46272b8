// Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, algorithms 7.4 and 7.5) with a
// backtracking Armijo line search: the full-batch optimizer that takes convex models (linear and
// logistic regression) to their optimum in tens of iterations, where gradient descent needs
// thousands on ill-conditioned data. The objective and its gradient come from a compiled graph;
// this loop works on one flat vector of all parameters, in float64.

/** f(x) and its gradient. */
export type Objective = (x: Float64Array) => Promise<{ f: number; g: Float64Array }>;

export interface LbfgsOptions {
  /** Correction pairs kept (m). */
  memory?: number;
  maxIterations: number;
  /** Converged when max |g_i| <= gradientTolerance. */
  gradientTolerance?: number;
  /** Converged when |f_k - f_k+1| <= valueTolerance * max(|f_k|, |f_k+1|, 1). */
  valueTolerance?: number;
  /** Called after every iteration; may throw to stop (cancellation). */
  onIteration?: (iteration: number, f: number, x: Float64Array) => void | Promise<void>;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  /** Why it stopped. */
  reason: "gradient" | "value" | "line-search" | "iterations";
}

const dot = (a: Float64Array, b: Float64Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const maxAbs = (a: Float64Array): number => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** The quasi-Newton direction -H g from the stored pairs (the two-loop recursion). */
function direction(g: Float64Array, s: Float64Array[], y: Float64Array[], rho: number[]): Float64Array {
  const q = Float64Array.from(g);
  const alpha = new Array<number>(s.length);
  for (let i = s.length - 1; i >= 0; i--) {
    alpha[i] = rho[i] * dot(s[i], q);
    for (let j = 0; j < q.length; j++) q[j] -= alpha[i] * y[i][j];
  }
  // H0 = gamma I, gamma = s'y / y'y of the newest pair (N&W eq. 7.20).
  const k = s.length - 1;
  const gamma = k >= 0 ? dot(s[k], y[k]) / dot(y[k], y[k]) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
  for (let j = 0; j < q.length; j++) q[j] *= gamma;
  for (let i = 0; i < s.length; i++) {
    const beta = rho[i] * dot(y[i], q);
    for (let j = 0; j < q.length; j++) q[j] += s[i][j] * (alpha[i] - beta);
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j];
  return q;
}

/** Minimises `objective` from `x0`. */
export async function lbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): Promise<LbfgsResult> {
  const memory = options.memory ?? 10;
  const gtol = options.gradientTolerance ?? 1e-6;
  const ftol = options.valueTolerance ?? 1e-10;
  const c1 = 1e-4; // Armijo's sufficient-decrease constant
  let x = Float64Array.from(x0);
  let { f, g } = await objective(x);
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];

  for (let it = 1; it <= options.maxIterations; it++) {
    if (maxAbs(g) <= gtol) return { x, f, iterations: it - 1, reason: "gradient" };
    let d = direction(g, s, y, rho);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (the curvature pairs went stale): restart from steepest descent.
      s.length = y.length = rho.length = 0;
      d = direction(g, s, y, rho);
      slope = dot(g, d);
    }
    let t = 1;
    let next: { f: number; g: Float64Array } | undefined;
    let xNext = x;
    for (let tries = 0; tries < 40; tries++, t /= 2) {
      xNext = x.map((v, j) => v + t * d[j]);
      const trial = await objective(xNext);
      if (Number.isFinite(trial.f) && trial.f <= f + c1 * t * slope) {
        next = trial;
        break;
      }
    }
    if (!next) return { x, f, iterations: it - 1, reason: "line-search" };

    const sk = xNext.map((v, j) => v - x[j]);
    const yk = next.g.map((v, j) => v - g[j]);
    const sy = dot(sk, yk);
    if (sy > 1e-12 * Math.sqrt(dot(sk, sk) * dot(yk, yk))) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const previous = f;
    x = xNext;
    ({ f, g } = next);
    await options.onIteration?.(it, f, x);
    if (Math.abs(previous - f) <= ftol * Math.max(Math.abs(previous), Math.abs(f), 1)) return { x, f, iterations: it, reason: "value" };
  }
  return { x, f, iterations: options.maxIterations, reason: "iterations" };
}
