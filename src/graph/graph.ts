/**
 * The graph IR both model APIs and the ONNX importer compile to: named inputs with whole
 * shapes, named nodes (each a layer applied to named inputs: graph inputs or other nodes) and
 * named outputs. Pure data; `checkGraph` validates it and returns the nodes in topological
 * order, and `inferGraph` infers every shape and parameter count on the meta backend for one
 * binding of the symbolic dimensions, before any GPU work.
 *
 * No axis is special by position: an input's shape is whole, and a dimension that varies from
 * run to run is a name (`['N', 1, 32, 32]`, `['batch', 'seq']`), bound to a size when the
 * model runs. What a dimension means comes from the ops that read it.
 */
import type { Shape } from '../shape.js';
import { fmtShape, sizeOf } from '../shape.js';
import { ShapeError, InvalidArgumentError, WebCnnError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { MetaBackend } from '../backends/meta/backend.js';
import type { ParamSpec } from '../ops/op.js';
import { type LayerConfig, layerParams, applyLayer, layerFlops } from '../ops/registry.js';

/** A dimension of a graph input: a size, or the name of a size bound when the model runs. */
export type Dim = number | string;

/** Sizes of symbolic dimensions, by name: `{ N: 8 }`. */
export type Bindings = Readonly<Record<string, number>>;

export interface GraphInput {
  readonly name: string;
  /** The whole shape: `['N', 1, 32, 32]` for a batch of 32×32 grey images, `[]` for a scalar. */
  readonly shape: readonly Dim[];
}

/** Every symbolic dimension of a graph's inputs, in order of first appearance. */
export function symbolsOf(graph: Pick<Graph, 'inputs'>): string[] {
  const out: string[] = [];
  for (const i of graph.inputs) for (const d of i.shape) if (typeof d === 'string' && !out.includes(d)) out.push(d);
  return out;
}

/** `[N,1,32,32]`: a whole shape with its symbols. */
export function fmtDims(shape: readonly Dim[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Bindings for a graph: a number binds every symbol that leads an input's shape (the batch, in
 * the usual layout); an object gives symbols by name. Every symbol must end up bound to a
 * positive integer; `defaults` fill the others.
 */
export function resolveBindings(graph: Pick<Graph, 'name' | 'inputs'>, arg: number | Bindings = 1, defaults: Bindings = {}): Bindings {
  const where = `graph '${graph.name}'`;
  const out: Record<string, number> = { ...defaults };
  if (typeof arg === 'number') {
    if (!Number.isInteger(arg) || arg < 1) throw new InvalidArgumentError(where, `batch must be a positive integer, got ${arg}`);
    for (const i of graph.inputs) if (typeof i.shape[0] === 'string') out[i.shape[0]] = arg;
  } else {
    for (const [k, v] of Object.entries(arg)) {
      if (!Number.isInteger(v) || v < 1) throw new InvalidArgumentError(where, `dimension '${k}' must be a positive integer, got ${v}`);
      out[k] = v;
    }
  }
  const symbols = symbolsOf(graph);
  const missing = symbols.filter((s) => out[s] === undefined);
  if (missing.length > 0) {
    throw new InvalidArgumentError(where, `the size of ${missing.map((m) => `'${m}'`).join(', ')} is not given (inputs ${graph.inputs.map((i) => `'${i.name}' ${fmtDims(i.shape)}`).join(', ')})`);
  }
  const bound: Record<string, number> = {};
  for (const s of symbols) bound[s] = out[s];
  return bound;
}

/** A whole shape with its symbols replaced by their sizes. */
export function bindShape(shape: readonly Dim[], bindings: Bindings): number[] {
  return shape.map((d) => (typeof d === 'number' ? d : bindings[d]));
}

/** A stable cache key of bindings: `N=4,H=32`. */
export function bindingsKey(bindings: Bindings): string {
  return Object.entries(bindings).map(([k, v]) => `${k}=${v}`).join(',');
}

export interface GraphNode {
  readonly name: string;
  readonly layer: LayerConfig;
  /** Names of graph inputs or earlier nodes, in the order the layer takes them. */
  readonly inputs: readonly string[];
}

export interface Graph {
  readonly name: string;
  readonly inputs: readonly GraphInput[];
  readonly nodes: readonly GraphNode[];
  readonly outputs: readonly string[];
}

/** Shape, parameters and cost of one node for given bindings of the symbolic dimensions. */
export interface NodeInfo {
  readonly name: string;
  readonly type: LayerConfig['type'];
  readonly inputs: readonly string[];
  readonly inputShapes: readonly Shape[];
  readonly outputShape: Shape;
  readonly params: readonly ParamSpec[];
  /** Number of parameter values, trainable and fixed; buffers (running statistics) excluded, as PyTorch counts. */
  readonly paramCount: number;
  /** Number of buffer values (batch norm's running mean and variance). */
  readonly bufferCount: number;
  readonly flops: number;
}

export interface GraphInfo {
  readonly nodes: readonly NodeInfo[];
  /** Parameters, trainable and fixed (PyTorch's count: buffers excluded). */
  readonly totalParams: number;
  readonly trainableParams: number;
  /** Values of buffers (running statistics), not counted as parameters. */
  readonly bufferValues: number;
  readonly flops: number;
  readonly outputShapes: readonly Shape[];
  /** Bytes of every node output for these bindings (what a plan without reuse would allocate). */
  readonly activationBytes: number;
  /** The symbolic dimensions' sizes this was inferred for. */
  readonly bindings: Bindings;
  /** Every input's concrete shape for these bindings. */
  readonly inputShapes: readonly Shape[];
}

/** Validates names and references and returns the nodes in topological order. */
export function checkGraph(graph: Graph): GraphNode[] {
  const where = `graph '${graph.name}'`;
  if (graph.outputs.length === 0) throw new InvalidArgumentError(where, 'has no outputs');
  const names = new Set<string>();
  for (const n of [...graph.inputs.map((i) => i.name), ...graph.nodes.map((n) => n.name)]) {
    if (typeof n !== 'string' || n.length === 0) throw new InvalidArgumentError(where, 'every input and node needs a non-empty name');
    if (names.has(n)) throw new InvalidArgumentError(where, `the name '${n}' is used twice`);
    names.add(n);
  }
  for (const node of graph.nodes) {
    for (const i of node.inputs) {
      if (!names.has(i)) throw new InvalidArgumentError(where, `node '${node.name}' reads '${i}', which is neither a graph input nor a node`);
    }
  }
  for (const o of graph.outputs) if (!names.has(o)) throw new InvalidArgumentError(where, `output '${o}' is neither a graph input nor a node`);

  // Kahn's algorithm, stable in declaration order.
  const done = new Set(graph.inputs.map((i) => i.name));
  const order: GraphNode[] = [];
  let pending = [...graph.nodes];
  while (pending.length > 0) {
    const ready = pending.filter((n) => n.inputs.every((i) => done.has(i)));
    if (ready.length === 0) {
      throw new InvalidArgumentError(where, `has a cycle through ${pending.map((n) => `'${n.name}'`).join(', ')}`);
    }
    for (const n of ready) {
      order.push(n);
      done.add(n.name);
    }
    const readySet = new Set(ready);
    pending = pending.filter((n) => !readySet.has(n));
  }
  return order;
}

/** Re-throws an op's error with the layer's name when the op did not know it. */
export function withLayerName<T>(name: string, type: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if ((e instanceof ShapeError || e instanceof InvalidArgumentError) && !e.layer) {
      const detail = e.message.startsWith(`${e.op}: `) ? e.message.slice(e.op.length + 2) : e.message;
      const Ctor = e instanceof ShapeError ? ShapeError : InvalidArgumentError;
      throw new Ctor(e.op, detail, name);
    }
    if (e instanceof WebCnnError || !(e instanceof Error)) throw e;
    throw new WebCnnError(`${type} '${name}': ${e.message}`);
  }
}

/**
 * Infers every node's shapes, parameters and FLOPs for one binding of the symbolic dimensions
 * (a number binds the leading symbols: see `resolveBindings`), on the meta backend.
 */
export function inferGraph(graph: Graph, bindings: number | Bindings = 1): GraphInfo {
  const order = checkGraph(graph);
  const bound = resolveBindings(graph, bindings);
  const meta = new MetaBackend();
  const values = new Map<string, Tensor>();
  for (const i of graph.inputs) {
    if (!Array.isArray(i.shape) || i.shape.some((d) => (typeof d === 'number' ? !Number.isInteger(d) || d < 0 : typeof d !== 'string' || d.length === 0))) {
      throw new InvalidArgumentError(`graph '${graph.name}'`, `input '${i.name}' has an invalid shape ${JSON.stringify(i.shape)}: dimensions are non-negative integers or names`);
    }
    values.set(i.name, meta.placeholder(bindShape(i.shape, bound)));
  }
  const nodes: NodeInfo[] = [];
  for (const node of order) {
    const inputs = node.inputs.map((i) => values.get(i)!);
    const inputShapes = inputs.map((t) => t.shape);
    const info = withLayerName(node.name, node.layer.type, () => {
      const params = layerParams(node.layer, node.name, inputShapes);
      const out = applyLayer(
        meta,
        node.layer,
        node.name,
        inputs,
        params.map((p) => meta.placeholder(p.shape)),
      );
      return { params, out };
    });
    values.set(node.name, info.out);
    nodes.push({
      name: node.name,
      type: node.layer.type,
      inputs: node.inputs,
      inputShapes,
      outputShape: info.out.shape,
      params: info.params,
      paramCount: info.params.filter((p) => !p.buffer).reduce((s, p) => s + sizeOf(p.shape), 0),
      bufferCount: info.params.filter((p) => p.buffer).reduce((s, p) => s + sizeOf(p.shape), 0),
      flops: layerFlops(node.layer, inputShapes, info.out.shape, info.params),
    });
  }
  const count = (trainable: boolean | null) =>
    nodes.reduce((s, n) => s + n.params.filter((p) => !p.buffer && (trainable === null || p.trainable === trainable)).reduce((a, p) => a + sizeOf(p.shape), 0), 0);
  return {
    nodes,
    totalParams: count(null),
    trainableParams: count(true),
    bufferValues: nodes.reduce((s, n) => s + n.bufferCount, 0),
    flops: nodes.reduce((s, n) => s + n.flops, 0),
    outputShapes: graph.outputs.map((o) => values.get(o)!.shape),
    activationBytes: nodes.reduce((s, n) => s + sizeOf(n.outputShape) * 4, 0),
    bindings: bound,
    inputShapes: graph.inputs.map((i) => values.get(i.name)!.shape),
  };
}

/** A fixed-width text table of the nodes: name, type, output shape, parameters. */
export function formatSummary(graph: Graph, info: GraphInfo, extra: readonly string[] = []): string {
  const rows = info.nodes.map((n) => [n.name, n.type, fmtShape(n.outputShape), n.paramCount.toLocaleString('en-US')]);
  const header = ['layer', 'type', 'output shape', 'params'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ');
  const rule = '-'.repeat(widths.reduce((s, w) => s + w + 2, -2));
  return [
    `model '${graph.name}'`,
    rule,
    line(header),
    rule,
    ...rows.map(line),
    rule,
    `total params: ${info.totalParams.toLocaleString('en-US')} (trainable ${info.trainableParams.toLocaleString('en-US')})` +
      (info.bufferValues > 0 ? `; buffers (running statistics): ${info.bufferValues.toLocaleString('en-US')} values` : ''),
    `FLOPs per forward: ${info.flops.toLocaleString('en-US')}`,
    ...extra,
  ].join('\n');
}
