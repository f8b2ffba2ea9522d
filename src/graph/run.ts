/**
 * Running a lowered graph with a backend's ops: the loop `Model.forward` compiles (and
 * `activations()` runs eagerly), each node in its backend scope, intermediates freed after
 * their last reader; and the check of the layer names `activations()` may return.
 */
import type { Backend } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { InvalidArgumentError } from '../errors.js';
import { applyLayer } from '../ops/registry.js';
import { type Graph, withLayerName } from './graph.js';
import type { Lowered } from './lower.js';

/**
 * The lowered graph on `inputs` (in the graph's input order, shapes already checked) with the
 * parameters `weights` (by key); keeps the outputs, the inputs and the nodes named in `keep`.
 */
export function runLowered(
  backend: Backend,
  graph: Graph,
  lowered: Lowered,
  weights: ReadonlyMap<string, Tensor>,
  inputs: readonly Tensor[],
  keep: ReadonlySet<string> = new Set(),
): Map<string, Tensor> {
  const values = new Map<string, Tensor>();
  graph.inputs.forEach((gi, i) => values.set(gi.name, inputs[i]));
  const remaining = new Map<string, number>();
  for (const n of lowered.nodes) for (const i of n.inputs) remaining.set(i, (remaining.get(i) ?? 0) + 1);
  const kept = new Set([...lowered.outputs, ...graph.inputs.map((g) => g.name), ...keep]);
  for (const n of lowered.nodes) {
    const ins = n.inputs.map((i) => values.get(i)!);
    const params = n.params.map((k) => weights.get(k)!);
    const out = backend.scope(n.name, () => withLayerName(n.name, n.layer.type, () => applyLayer(backend, n.layer, n.name, ins, params)));
    values.set(n.name, out);
    for (const i of n.inputs) {
      const left = (remaining.get(i) ?? 1) - 1;
      remaining.set(i, left);
      if (left === 0 && !kept.has(i)) values.get(i)!.dispose();
    }
  }
  return values;
}

/**
 * Refuses names that have no output of their own at inference, saying why: unknown, fused into
 * another layer (ask for that one, or build the model with fuse: false), or the identity there.
 */
export function checkActivationNames(graph: Graph, lowered: Lowered, names: readonly string[], where: string): void {
  const available = new Set([...graph.inputs.map((i) => i.name), ...lowered.nodes.map((x) => x.name)]);
  for (const name of names) {
    if (available.has(name)) continue;
    if (!graph.nodes.some((x) => x.name === name)) {
      throw new InvalidArgumentError(where, `no layer '${name}' (layers: ${[...available].slice(0, 12).join(', ')}${available.size > 12 ? ', …' : ''})`);
    }
    const into = lowered.fusions.find((f) => f.endsWith(` → ${name}`))?.split(' → ')[0];
    throw new InvalidArgumentError(
      where,
      into
        ? `layer '${name}' runs fused with '${into}' at inference and has no output of its own; ask for '${into}', or build the model with fuse: false`
        : `layer '${name}' does not run at inference (dropout is the identity there); ask for its input`,
    );
  }
}
