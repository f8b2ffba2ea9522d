/**
 * The functional API: `input()` makes a model input, `apply()` a layer applied to symbolic
 * values, and the graph is collected from the outputs back (`graphFromSymbolic`) when a
 * `Model` is made from them.
 */
import type { Shape } from '../shape.js';
import { InvalidArgumentError } from '../errors.js';
import type { Dim, Graph, GraphNode } from './graph.js';
import type { LayerConfig } from '../ops/registry.js';

/** A value in a functional model under construction. */
export class SymbolicTensor {
  /** @internal */
  constructor(
    readonly name: string,
    /** The node that makes it, or null for a model input. */
    readonly node: GraphNode | null,
    /** Upstream symbolic tensors, for collecting the graph. */
    readonly sources: readonly SymbolicTensor[],
    /** For inputs: the whole shape, symbolic dimensions by name. */
    readonly inputShape: readonly Dim[] | null,
  ) {}
}

let autoName = 0;
function nextName(prefix: string): string {
  autoName += 1;
  return `${prefix}_${autoName}`;
}

/**
 * A model input. Given one sample's shape (`[1, 32, 32]`), the input is a batch of them:
 * `['N', 1, 32, 32]`, with N bound when the model runs. Given `{ shape }`, the shape is taken
 * whole, with any dimensions named (`{ shape: ['N', 3, 'H', 'W'] }`) or none (`{ shape: [10] }`).
 */
export function input(shape: Shape | { readonly shape: readonly Dim[]; readonly name?: string }, name?: string): SymbolicTensor {
  if (Array.isArray(shape)) return new SymbolicTensor(name ?? nextName('input'), null, [], ['N', ...(shape as Shape)]);
  const spec = shape as { readonly shape: readonly Dim[]; readonly name?: string };
  return new SymbolicTensor(name ?? spec.name ?? nextName('input'), null, [], [...spec.shape]);
}

/** Applies a layer to symbolic inputs (one for most layers, several for add and concat). */
export function apply(layer: LayerConfig, inputs: SymbolicTensor | readonly SymbolicTensor[], name = nextName(layer.type)): SymbolicTensor {
  const list = Array.isArray(inputs) ? [...inputs] : [inputs as SymbolicTensor];
  const node: GraphNode = { name, layer, inputs: list.map((t) => t.name) };
  return new SymbolicTensor(name, node, list, null);
}

/** The graph of a functional model: every node the outputs depend on, inputs first. */
export function graphFromSymbolic(name: string, inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): Graph {
  const nodes: GraphNode[] = [];
  const seen = new Set<SymbolicTensor>();
  const inputSet = new Set(inputs);
  const visit = (t: SymbolicTensor) => {
    if (seen.has(t)) return;
    seen.add(t);
    if (!t.node) {
      if (!inputSet.has(t)) throw new InvalidArgumentError(`model '${name}'`, `input '${t.name}' is used but not listed in inputs`);
      return;
    }
    for (const s of t.sources) visit(s);
    nodes.push(t.node);
  };
  for (const o of outputs) visit(o);
  return {
    name,
    inputs: inputs.map((i) => {
      if (!i.inputShape) throw new InvalidArgumentError(`model '${name}'`, `'${i.name}' is not a model input (make inputs with input())`);
      return { name: i.name, shape: i.inputShape };
    }),
    nodes,
    outputs: outputs.map((o) => o.name),
  };
}
