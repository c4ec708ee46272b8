// Reverse-mode automatic differentiation: appends the gradient graph, as ordinary nodes, to the
// graph that computed the loss.
import type { Node } from "./graph.js";
import type { Value } from "./graph.js";
import { OPS, add } from "./ops.js";

/**
 * Gradients of a scalar `loss` with respect to each of `wrt`, as new values of the same graph.
 * @example const [dW, db] = gradients(loss, [W, b]);
 */
export function gradients(loss: Value, wrt: readonly Value[]): Value[] {
  if (loss.rank !== 0) throw new Error(`gradients need a scalar loss; got ${loss}`);
  const g = loss.graph;
  const nodes = [...g.nodes];

  // Values that depend on some `wrt` (forward) ...
  const dependsOnWrt = new Set<Value>(wrt);
  for (const node of nodes) {
    if (node.inputs.some((v) => dependsOnWrt.has(v))) for (const v of node.outputs) dependsOnWrt.add(v);
  }
  // ... and nodes the loss depends on (backward): only their intersection is differentiated.
  const lossNeeds = new Set<Value>([loss]);
  const onPath: Node[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i];
    if (!node.outputs.some((v) => lossNeeds.has(v))) continue;
    for (const v of node.inputs) lossNeeds.add(v);
    if (node.outputs.some((v) => dependsOnWrt.has(v))) onPath.push(node);
  }

  const grad = new Map<Value, Value>([[loss, g.scalar(1, loss.dtype as "float32" | "float64")]]);
  for (const node of onPath) {
    const dy = node.outputs.map((v) => grad.get(v));
    if (dy.every((d) => d === undefined)) continue;
    const rule = OPS[node.op].grad;
    if (!rule) throw new Error(`op ${node.op} has no gradient, but ${node.outputs[0]} lies between the parameters and the loss`);
    const dx = rule(node, dy);
    node.inputs.forEach((input, k) => {
      const d = dx[k];
      if (!d || !dependsOnWrt.has(input)) return;
      const prev = grad.get(input);
      grad.set(input, prev ? add(prev, d) : d);
    });
  }

  return wrt.map((w) => {
    const d = grad.get(w);
    if (!d) throw new Error(`${w} does not affect the loss ${loss}`);
    return d;
  });
}
