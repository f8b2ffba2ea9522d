/**
 * Binding a graph's symbolic dimensions to sizes from what a call gives: whole shapes
 * (`bindFromShapes`), or flat data whose lengths determine the sizes (`bindFromData`); and the
 * layer-granularity memory plan a model reports for a binding.
 */
import { type Shape, fmtShape, sizeOf } from '../shape.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { planMemory } from '../backends/memory_plan.js';
import { type Graph, type GraphInfo, type Bindings, resolveBindings, bindShape, bindingsKey, fmtDims } from './graph.js';

/**
 * Sizes of the symbolic dimensions from the inputs' whole shapes; throws ShapeError naming the
 * input when a shape does not fit (a fixed size differs, or one symbol gets two sizes).
 */
export function bindFromShapes(graph: Pick<Graph, 'inputs'>, shapes: readonly Shape[], where: string): Record<string, number> {
  const inputs = graph.inputs;
  if (shapes.length !== inputs.length) throw new ShapeError(where, `expects ${inputs.length} inputs, got ${shapes.length}`);
  const bound: Record<string, number> = {};
  inputs.forEach((gi, i) => {
    const got = shapes[i];
    const ok = got.length === gi.shape.length && gi.shape.every((d, j) => (typeof d === 'number' ? got[j] === d : (bound[d] ??= got[j]) === got[j] && got[j] >= 1));
    if (!ok) throw new ShapeError(where, `input '${gi.name}' must have shape ${fmtDims(gi.shape)}, got ${fmtShape(got)}`);
  });
  return bound;
}

/**
 * Sizes of the symbolic dimensions for inputs of these lengths: `batch` binds the leading
 * ones, `dims` names others, and an input with one size left unknown determines it by its
 * length. Throws ShapeError naming the input whose length no sizes fit.
 */
export function bindFromData(graph: Pick<Graph, 'name' | 'inputs'>, data: readonly Float32Array[], given: { batch?: number; dims?: Bindings }, where: string): Bindings {
  const inputs = graph.inputs;
  const known: Record<string, number> = { ...given.dims };
  const notWhole = (i: number): ShapeError => {
    const gi = inputs[i];
    if (typeof gi.shape[0] === 'string' && gi.shape.slice(1).every((d) => typeof d === 'number')) {
      const sample = gi.shape.slice(1) as number[];
      return new ShapeError(where, `input '${gi.name}' has ${data[i].length} values, not a whole batch of samples of shape [${sample.join(',')}] (${sizeOf(sample)} values each)`);
    }
    return new ShapeError(where, `input '${gi.name}' has ${data[i].length} values, which no sizes of its shape ${fmtDims(gi.shape)} give${Object.keys(known).length ? ` (with ${bindingsKey(known)})` : ''}`);
  };
  const { batch } = given;
  if (batch !== undefined) {
    if (!Number.isInteger(batch) || batch < 1) throw notWhole(Math.max(0, inputs.findIndex((gi) => typeof gi.shape[0] === 'string')));
    for (const gi of inputs) if (typeof gi.shape[0] === 'string') known[gi.shape[0]] = batch;
  }
  // An input with one unknown size left determines it; that may leave another with one.
  for (let progress = true; progress; ) {
    progress = false;
    inputs.forEach((gi, i) => {
      const unknown = [...new Set(gi.shape.filter((d): d is string => typeof d === 'string' && known[d] === undefined))];
      if (unknown.length !== 1) return;
      const rest = gi.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : (known[d] ?? 1)), 1);
      const count = gi.shape.filter((d) => d === unknown[0]).length;
      const v = rest > 0 ? Math.round(Math.pow(data[i].length / rest, 1 / count)) : 0;
      if (!(v >= 1) || rest * v ** count !== data[i].length) throw notWhole(i);
      known[unknown[0]] = v;
      progress = true;
    });
  }
  let bindings: Bindings;
  try {
    bindings = resolveBindings(graph, known);
  } catch (e) {
    if (e instanceof InvalidArgumentError) throw new ShapeError(where, `${e.message.replace(/^[^:]*: /, '')}: give them with the dims option`);
    throw e;
  }
  inputs.forEach((gi, i) => {
    if (data[i].length !== sizeOf(bindShape(gi.shape, bindings))) throw notWhole(i);
  });
  return bindings;
}

/**
 * The static memory plan at layer granularity: each layer's output lives from the layer that
 * makes it to its last reader; outputs whose lifetimes do not overlap share memory.
 */
export function layerMemoryPlan(info: GraphInfo, outputs: readonly string[]): { peakBytes: number; naiveBytes: number } {
  const index = new Map(info.nodes.map((n, i) => [n.name, i]));
  const last = new Map<string, number>();
  info.nodes.forEach((n, i) => n.inputs.forEach((src) => last.set(src, Math.max(last.get(src) ?? -1, i))));
  const isOutput = new Set(outputs);
  const plan = planMemory(
    info.nodes.map((n) => ({
      bytes: sizeOf(n.outputShape) * 4,
      first: index.get(n.name)!,
      last: isOutput.has(n.name) ? Infinity : (last.get(n.name) ?? index.get(n.name)!),
    })),
  );
  return { peakBytes: plan.peakBytes, naiveBytes: plan.naiveBytes };
}

/** What a wrong-typed input was, for error messages: `Float64Array`, `Array`, `null`, `number`. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
