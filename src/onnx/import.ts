/**
 * ONNX import: an `.onnx` file (as PyTorch exports it, opsets 7–18; 11–18 tested) becomes a
 * webcnn `Model` — the same class as the zoo's, so `predict()` runs it on WebGPU or the CPU.
 *
 * 1. The bytes are decoded by protobufjs (`proto.ts`); every tensor's declared size is checked
 *    against the bytes present before anything is allocated (`tensor.ts`).
 * 2. Nodes are put in topological order (a cycle or a value nobody produces is an error).
 * 3. Each node is converted (`ops.ts`): constants are folded, the rest becomes layers whose
 *    shapes are inferred as they are added.
 * 4. The graph and weights make a Model; its inference lowering then folds batch norms into
 *    the convolutions before them and fuses activations.
 *
 * Graph inputs keep the file's shapes: a symbolic leading dimension (a dynamic batch) stays
 * symbolic and runs any size; fixed dimensions stay fixed.
 */
import { OnnxError } from './errors.js';
import { decodeModel, type NodeProto } from './proto.js';
import { DataType } from './proto.js';
import { type ConstTensor, checkDims, dataTypeName, tensorFromProto } from './tensor.js';
import { ImportContext, NodeContext } from './context.js';
import { CONVERTERS, REGISTRY_ONNX, SUPPORTED_OPS } from './ops.js';
import { fuseDecomposedNorms } from './patterns.js';
import { Model, type ModelOptions } from '../graph/model.js';
import type { LoadProgressOptions } from '../graph/options.js';
import { ProgressReporter, finishLoad } from '../graph/progress.js';
import type { Graph, GraphInput } from '../graph/graph.js';
import { WebCnnError } from '../errors.js';
import type { OpDef } from '../ops/op.js';
import type { LayerConfig } from '../ops/registry.js';
import { type Shape, fmtShape } from '../shape.js';

/** Opsets of the default ONNX domain the importer accepts. */
export const MIN_OPSET = 7;
export const MAX_OPSET = 18;

/** A value given for a graph input at load time (a weight fed as an input, an int64 shape). */
export interface OnnxConstant {
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

export interface LoadOnnxOptions extends ModelOptions, LoadProgressOptions {
  /** Name of the file in error messages (default: the URL, or 'model.onnx'). */
  label?: string;
  /** Graph inputs whose values are known at load time: they become constants (int64 shape inputs, weights passed as inputs). */
  constants?: Readonly<Record<string, OnnxConstant>>;
  /** Whole shapes for graph inputs whose dimensions are symbolic or missing (a symbolic leading dimension stays symbolic). */
  inputShapes?: Readonly<Record<string, readonly number[]>>;
  /** Size used for a symbolic leading dimension while importing (default 1); any size runs later. Fixed dimensions stay fixed. */
  batch?: number;
}

export interface OnnxModelInfo {
  /** Graph inputs computed at run time, with their whole shapes at import. */
  readonly inputs: readonly { readonly name: string; readonly shape: Shape }[];
  /** Graph output names, in the order `predictAll()` returns them. */
  readonly outputs: readonly string[];
  readonly opset: number;
  readonly irVersion: number;
  readonly producer: string;
  /** Number of ONNX nodes and of webcnn layers they became (before inference lowering). */
  readonly onnxNodes: number;
  readonly layers: number;
}

/** A model imported from ONNX: a `Model`, plus what the file said. */
export class OnnxModel extends Model {
  readonly onnx: OnnxModelInfo;
  constructor(graph: Graph, options: ModelOptions, onnx: OnnxModelInfo) {
    super(graph, options);
    this.onnx = onnx;
  }

  /** The file's input names. */
  override inputNames(): readonly string[] {
    return this.onnx.inputs.map((i) => i.name);
  }

  /** The file's output names. */
  override outputNames(): readonly string[] {
    return this.onnx.outputs;
  }
}

function constantFromOption(name: string, c: OnnxConstant, label: string): ConstTensor {
  const where = `${label}: constant for input '${name}'`;
  const size = checkDims(c.dims, where);
  if (!c || c.data.length !== size) throw new OnnxError(`${where}: shape ${fmtShape(c.dims)} needs ${size} values, got ${c.data?.length}`);
  if (c.data instanceof Float32Array) return { dims: [...c.dims], kind: 'float', data: c.data };
  return { dims: [...c.dims], kind: 'int', data: Float64Array.from(c.data as ArrayLike<number | bigint>, (v) => Number(v)) };
}

/** A converter from a registry op's ONNX declaration: its layer from the node's attributes, its inputs all computed. */
function fromRegistry(def: OpDef<LayerConfig>): (c: NodeContext) => void {
  return (c) => {
    const inputs = c.node.inputs.map((name, i) => (name ? c.dyn(i) : null)).filter((v) => v !== null);
    const layer = def.onnx![c.node.opType](c);
    c.unusedOutputsFrom(1, 'an output webcnn does not compute');
    c.out(0, c.emit(layer, inputs));
  };
}

/** Kahn's algorithm over ONNX value names; stable in file order. */
function topoSort(nodes: readonly NodeProto[], known: ReadonlySet<string>, label: string): NodeProto[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.outputs) {
      if (!o) continue;
      if (known.has(o) || producer.has(o)) throw new OnnxError(`${label}: value '${o}' is produced twice (by node '${n.name || n.opType}' and ${producer.has(o) ? `node '${nodes[producer.get(o)!].name}'` : 'an initializer or input'})`);
      producer.set(o, i);
    }
  });
  const waiting = new Array<number>(nodes.length).fill(0);
  const readers = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    for (const inp of n.inputs) {
      if (!inp || known.has(inp)) continue;
      const p = producer.get(inp);
      if (p === undefined) throw new OnnxError(`${label}: node '${n.name || n.outputs[0] || n.opType}' (${n.opType}) reads '${inp}', which no node, initializer or graph input produces`);
      waiting[i]++;
      const list = readers.get(p) ?? [];
      list.push(i);
      readers.set(p, list);
    }
  });
  const ready = nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: NodeProto[] = [];
  for (let k = 0; k < ready.length; k++) {
    const i = ready[k];
    order.push(nodes[i]);
    for (const r of readers.get(i) ?? []) if (--waiting[r] === 0) ready.push(r);
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.filter((_, i) => waiting[i] > 0).map((n) => `'${n.name || n.outputs[0] || n.opType}'`);
    throw new OnnxError(`${label}: the graph has a cycle through ${stuck.slice(0, 6).join(', ')}${stuck.length > 6 ? ', …' : ''}`);
  }
  return order;
}

/**
 * Converts the bytes of an `.onnx` file into a model. Throws OnnxError for anything it cannot
 * use. Synchronous: `onProgress` gets the 'import' phase only (nodes converted of the nodes
 * to convert), and `warmup` is refused; `loadOnnx` does both.
 */
export function importOnnx(bytes: Uint8Array, options: LoadOnnxOptions = {}): OnnxModel {
  if (options.warmup !== undefined && options.warmup !== false) throw new OnnxError(`${options.label ?? 'model.onnx'}: importOnnx is synchronous and cannot warm up; use loadOnnx (or engine.load) with warmup, or call model.warmup()`);
  return convertOnnx(bytes, options, new ProgressReporter(options.onProgress));
}

function convertOnnx(bytes: Uint8Array, loadOptions: LoadOnnxOptions, progress: ProgressReporter): OnnxModel {
  const { onProgress: _onProgress, warmup: _warmup, ...options } = loadOptions;
  const label = options.label ?? 'model.onnx';
  const proto = decodeModel(bytes, label);
  const opset = proto.opsets.get('');
  if (opset === undefined) throw new OnnxError(`${label}: the model imports no opset of the default ONNX domain`);
  if (!(opset >= MIN_OPSET && opset <= MAX_OPSET)) throw new OnnxError(`${label}: opset ${opset} is not supported (supported: ${MIN_OPSET}–${MAX_OPSET})`);
  const g = proto.graph;
  const ctx = new ImportContext(label, opset);

  for (const init of g.initializers) {
    if (!init.name) throw new OnnxError(`${label}: an initializer has no name`);
    if (ctx.values.has(init.name)) throw new OnnxError(`${label}: initializer '${init.name}' is defined twice`);
    ctx.values.set(init.name, { kind: 'const', tensor: tensorFromProto(init, `${label}: initializer '${init.name}'`) });
  }
  const inputs: GraphInput[] = [];
  const inputShapes: { name: string; shape: Shape }[] = [];
  for (const vi of g.inputs) {
    if (!vi.name) throw new OnnxError(`${label}: a graph input has no name`);
    if (ctx.values.has(vi.name)) continue; // an initializer listed as input (older exporters)
    const given = options.constants?.[vi.name];
    if (given) {
      ctx.values.set(vi.name, { kind: 'const', tensor: constantFromOption(vi.name, given, label) });
      continue;
    }
    const where = `${label}: graph input '${vi.name}'`;
    if (vi.elemType !== DataType.FLOAT) {
      throw new OnnxError(`${where} is ${dataTypeName(vi.elemType)}; computed inputs must be FLOAT (give integer inputs at load time with options.constants)`);
    }
    const batch = options.batch ?? 1;
    // A symbolic leading dimension (the batch, in every exporter's layout) stays symbolic: the
    // model runs any size of it. Other symbolic dimensions take a size at import.
    const first = vi.dims?.[0];
    const symbol = vi.dims && vi.dims.length > 0 && typeof first !== 'number' ? (first || 'N') : null;
    let dims: number[];
    const override = options.inputShapes?.[vi.name];
    if (override) dims = [...override];
    else {
      if (!vi.dims) throw new OnnxError(`${where} has no shape; give one with options.inputShapes`);
      dims = vi.dims.map((d, i) => {
        if (typeof d === 'number') return d;
        if (i === 0) return batch;
        throw new OnnxError(`${where} has a symbolic dimension ${d === null ? '(unnamed)' : `'${d}'`} at axis ${i}; give its shape with options.inputShapes`);
      });
    }
    checkDims(dims, where);
    if (dims.some((d) => d === 0)) throw new OnnxError(`${where} has shape ${fmtShape(dims)} with no elements`);
    if (ctx.taken.has(vi.name)) throw new OnnxError(`${where} is listed twice`);
    ctx.values.set(vi.name, { kind: 'dyn', ref: vi.name, shape: dims });
    ctx.taken.add(vi.name);
    inputs.push({ name: vi.name, shape: symbol !== null && dims.length > 0 ? [symbol, ...dims.slice(1)] : dims });
    inputShapes.push({ name: vi.name, shape: dims });
  }
  if (inputs.length === 0) throw new OnnxError(`${label}: the graph has no computed inputs (everything is constant)`);
  if (g.outputs.length === 0) throw new OnnxError(`${label}: the graph has no outputs`);

  // Subgraphs exporters write op by op (layer norm below opset 17, group norm) become the one node they compute.
  const nodes = fuseDecomposedNorms(g.nodes, g.initializers, g.outputs.map((o) => o.name), label);
  for (const n of nodes) for (const i of n.inputs) if (i) ctx.consumed.add(i);
  for (const o of g.outputs) ctx.consumed.add(o.name);

  const order = topoSort(nodes, new Set(ctx.values.keys()), label);
  progress.report('import', 0, order.length);
  for (const [k, node] of order.entries()) {
    const c: NodeContext = new NodeContext(ctx, node);
    const computed = node.inputs.every((i) => !i || ctx.values.get(i)?.kind === 'dyn');
    const def = node.domain === '' ? REGISTRY_ONNX.get(node.opType) : undefined;
    // A registry op takes the node when its inputs are all computed (constants are folded by
    // the converter of the same type, if there is one).
    const convert = def && (computed || !CONVERTERS[node.opType]) ? fromRegistry(def) : node.domain === '' ? CONVERTERS[node.opType] : undefined;
    if (!convert) {
      c.fail(`unsupported op '${node.opType}'${node.domain ? ` of domain '${node.domain}'` : ''}; supported ops: ${SUPPORTED_OPS.join(', ')}`);
    }
    try {
      convert(c);
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      if (e instanceof WebCnnError) throw new OnnxError(`${c.where}: ${e.message}`);
      throw e;
    }
    for (const o of node.outputs) {
      if (o && !ctx.values.has(o) && ctx.consumed.has(o)) c.fail(`output '${o}' is used but the importer does not compute it`);
    }
    progress.report('import', k + 1, order.length);
  }

  const outputs: string[] = [];
  for (const vo of g.outputs) {
    const v = ctx.values.get(vo.name);
    if (!v) throw new OnnxError(`${label}: graph output '${vo.name}' is not computed by any node`);
    if (v.kind === 'const') throw new OnnxError(`${label}: graph output '${vo.name}' is a constant; webcnn models compute their outputs from their inputs`);
    let ref = v.ref;
    if (ref !== vo.name || outputs.includes(ref)) {
      // An output that is another value (Identity, Dropout) or a graph input: a no-copy view under its own name.
      ref = ctx.emit(vo.name, { type: 'reshape', shape: v.shape.map(() => 0) }, [v], [], `${label}: graph output '${vo.name}'`).ref;
    }
    outputs.push(ref);
  }

  const graph: Graph = { name: g.name || 'onnx', inputs, nodes: ctx.nodes, outputs };
  const model = new OnnxModel(graph, options, {
    inputs: inputShapes,
    outputs: g.outputs.map((o) => o.name),
    opset,
    irVersion: proto.irVersion,
    producer: proto.producer,
    onnxNodes: g.nodes.length,
    layers: ctx.nodes.length,
  });
  try {
    model.setWeights(ctx.weights);
  } catch (e) {
    if (e instanceof WebCnnError && !(e instanceof OnnxError)) throw new OnnxError(`${label}: ${e.message}`);
    throw e;
  }
  return model;
}

/**
 * Loads an ONNX model from its bytes or a URL (fetched with `fetch`, in the browser or Node).
 * Resolves to a Model whose `predict()` runs on WebGPU or the CPU like the zoo's; rejects with
 * OnnxError for a file it cannot use.
 */
export async function loadOnnx(source: Uint8Array | ArrayBuffer | string | URL, options: LoadOnnxOptions = {}): Promise<OnnxModel> {
  return ProgressReporter.around('loadOnnx', options.onProgress, async (progress) => {
    const bytes = await onnxBytes(source, options.label);
    const label = options.label ?? (source instanceof Uint8Array || source instanceof ArrayBuffer ? undefined : String(source));
    return finishLoad(convertOnnx(bytes, { ...options, label }, progress), options.warmup, progress);
  });
}

async function onnxBytes(source: Uint8Array | ArrayBuffer | string | URL, label: string | undefined): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  const url = String(source);
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new OnnxError(`${label ?? url}: could not fetch (${(e as Error).message})`);
  }
  if (!res.ok) throw new OnnxError(`${label ?? url}: fetch failed with HTTP ${res.status} ${res.statusText}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** What an `.onnx` file holds, without converting it: opset, producer, graph inputs and outputs, and the op types its nodes use. */
export interface OnnxSummary {
  readonly opset: number | undefined;
  readonly producer: string;
  readonly inputs: readonly { readonly name: string; readonly dims: readonly (number | string | null)[] | null; readonly initializer: boolean }[];
  readonly outputs: readonly string[];
  /** Distinct op types, in order of first use (with their domain when not the default one: `com.microsoft:FusedConv`). */
  readonly ops: readonly string[];
}

export function inspectOnnx(bytes: Uint8Array, label = 'model.onnx'): OnnxSummary {
  const proto = decodeModel(bytes, label);
  const inits = new Set(proto.graph.initializers.map((t) => t.name));
  return {
    opset: proto.opsets.get(''),
    producer: proto.producer,
    inputs: proto.graph.inputs.map((i) => ({ name: i.name, dims: i.dims, initializer: inits.has(i.name) })),
    outputs: proto.graph.outputs.map((o) => o.name),
    ops: [...new Set(proto.graph.nodes.map((n) => (n.domain ? `${n.domain}:${n.opType}` : n.opType)))],
  };
}
