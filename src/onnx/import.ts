/**
 * ONNX import: an `.onnx` file (as PyTorch exports it, opsets 1–18; 11–18 tested) becomes a
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
 * symbolic and runs any size; fixed dimensions stay fixed. Every graph input is computed at run
 * time (integer data as exact float values), except value inputs: inputs a converter needs as
 * constants (a Reshape's shape, Squeeze's axes, a Clip bound) make the model import itself
 * again for each distinct set of their values, when they are given (see `OnnxModel`).
 *
 * Nothing is converted if anything cannot be: every unsupported op, attribute value or shape
 * case is collected, with its node, into one OnnxError before any GPU work.
 */
import { OnnxError } from './errors.js';
import { decodeModel, type ModelProto, type NodeProto } from './proto.js';
import { DataType } from './proto.js';
import { type ConstTensor, checkDims, dataTypeName, isFloatType, tensorFromProto } from './tensor.js';
import { ImportContext, MAX_FLOAT_VALUE_INPUT, NeedsValues, NodeContext } from './context.js';
import { CONVERTERS, REGISTRY_ONNX, SUPPORTED_OPS } from './ops.js';
import { fuseDecomposedNorms } from './patterns.js';
import { Model, type ModelOptions } from '../graph/model.js';
import type { LoadProgressOptions } from '../graph/options.js';
import { ProgressReporter, finishLoad } from '../graph/progress.js';
import type { Bindings, Graph, GraphInfo, GraphInput, GraphNode } from '../graph/graph.js';
import { ShapeError, WebCnnError } from '../errors.js';
import type { OpDef } from '../ops/op.js';
import type { LayerConfig } from '../ops/registry.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';

/** Opsets of the default ONNX domain the importer accepts (ops whose semantics changed before 7 check the attributes that changed). */
export const MIN_OPSET = 1;
export const MAX_OPSET = 18;

/** A value given for a graph input: at load time (`constants`), or to select a specialisation (`specialise`). */
export interface OnnxConstant {
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array | Int32Array | BigInt64Array;
}

/** What `OnnxModel.predictAll` takes per graph input: float32 values, or the integers of a value input. */
export type OnnxRunInput = Float32Array | Int32Array | BigInt64Array;

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
  /**
   * Graph inputs whose values the graph's shapes depend on (a Reshape's shape, Squeeze's axes,
   * a Clip bound given as an input): `predictAll` takes them with the others and runs the model
   * imported for those values (each distinct set of values is imported and compiled once).
   */
  readonly valueInputs: readonly string[];
  /** Every input `predictAll` takes, in the file's order: the computed inputs and the value inputs. */
  readonly runInputs: readonly string[];
  /** Graph output names, in the order `predictAll()` returns them. */
  readonly outputs: readonly string[];
  readonly opset: number;
  readonly irVersion: number;
  readonly producer: string;
  /** Number of ONNX nodes and of webcnn layers they became (before inference lowering). */
  readonly onnxNodes: number;
  readonly layers: number;
}

/** Specialised imports a model keeps (least recently used dropped first). */
const MAX_SPECIALISED = 16;

/**
 * A model imported from ONNX: a `Model`, plus what the file said. A model with value inputs
 * (`onnx.valueInputs`) has no graph of its own until their values are known: `predictAll`
 * (given every input) and `specialise` (given the values) import it for those values, once.
 */
export class OnnxModel extends Model {
  readonly onnx: OnnxModelInfo;
  readonly #specialiseWith: ((values: Readonly<Record<string, OnnxConstant>>) => OnnxModel) | null;
  readonly #specialised = new Map<string, OnnxModel>();

  constructor(graph: Graph, options: ModelOptions, onnx: OnnxModelInfo, specialise: ((values: Readonly<Record<string, OnnxConstant>>) => OnnxModel) | null = null) {
    super(graph, options);
    this.onnx = onnx;
    this.#specialiseWith = specialise;
  }

  #needsValues(op: string): OnnxError {
    return new OnnxError(
      `${op}: model '${this.name}' needs the values of its input${this.onnx.valueInputs.length > 1 ? 's' : ''} ${this.onnx.valueInputs.map((n) => `'${n}'`).join(', ')} ` +
        'to build its graph (they set shapes, axes or bounds): pass them to predictAll() with the other inputs, call specialise(), or give them with options.constants',
    );
  }

  /**
   * The model imported with these values of the value inputs (made once per distinct values,
   * then cached); the model itself when it has none. The cache keeps the 16 most recently used
   * and disposes the one it drops.
   */
  specialise(values: Readonly<Record<string, OnnxConstant>>): OnnxModel {
    if (!this.#specialiseWith) return this;
    const missing = this.onnx.valueInputs.filter((n) => !values[n]);
    if (missing.length > 0) throw new OnnxError(`specialise: model '${this.name}': no value for ${missing.map((n) => `'${n}'`).join(', ')}`);
    const key = JSON.stringify(this.onnx.valueInputs.map((n) => [values[n].dims, Array.from(values[n].data as ArrayLike<number | bigint>, (v) => String(v))]));
    let got = this.#specialised.get(key);
    if (got) this.#specialised.delete(key);
    else got = this.#specialiseWith(Object.fromEntries(this.onnx.valueInputs.map((n) => [n, values[n]])));
    this.#specialised.set(key, got); // most recently used last
    if (this.#specialised.size > MAX_SPECIALISED) {
      const [oldKey, old] = this.#specialised.entries().next().value!;
      this.#specialised.delete(oldKey);
      old.dispose();
    }
    return got;
  }

  override info(dims: number | Bindings = 1): GraphInfo {
    if (this.#specialiseWith) throw this.#needsValues('info');
    return super.info(dims);
  }

  /**
   * Runs the model on one array per input of `onnx.runInputs` and resolves to every output's
   * values. Computed inputs are Float32Arrays (integer data as exact float values); value
   * inputs may also be Int32Array or BigInt64Array.
   */
  override async predictAll(inputs: readonly OnnxRunInput[], batch?: number | { batch?: number; dims?: Bindings }): Promise<Float32Array[]> {
    if (!this.#specialiseWith) return super.predictAll(inputs as readonly Float32Array[], batch);
    const names = this.onnx.runInputs;
    if (inputs.length !== names.length) throw new ShapeError(`model '${this.name}'`, `expects ${names.length} inputs (${names.join(', ')}), got ${inputs.length}`);
    const values: Record<string, OnnxConstant> = {};
    const rest: OnnxRunInput[] = [];
    names.forEach((n, i) => {
      if (!this.onnx.valueInputs.includes(n)) return void rest.push(inputs[i]);
      const declared = this.#declared.get(n);
      const dims = declared?.dims && sizeOf(declared.dims) === inputs[i].length ? declared.dims : [inputs[i].length];
      // Integer inputs stay integers (an int64 shape given as a Float32Array too).
      const data = declared?.float && inputs[i] instanceof Float32Array ? inputs[i] : Float64Array.from(inputs[i] as ArrayLike<number | bigint>, (v) => Number(v));
      values[n] = { dims, data };
    });
    return this.specialise(values).predictAll(rest, batch);
  }

  /** What the file declares of its value inputs: a fixed shape, if any, and whether they are floating point. */
  readonly #declared = new Map<string, { dims: number[] | null; float: boolean }>();

  /** @internal The importer's record of a value input's declared shape and type. */
  declareValueInput(name: string, dims: number[] | null, float: boolean): void {
    this.#declared.set(name, { dims, float });
  }

  override dispose(): void {
    for (const m of this.#specialised.values()) m.dispose();
    this.#specialised.clear();
    super.dispose();
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

/** Element types a computed graph input may have: floating point (computed in float32) and integers and booleans (taken as exact float values). */
const RUN_TYPES = new Set<number>([
  DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16, DataType.INT64, DataType.INT32, DataType.INT16, DataType.INT8,
  DataType.UINT64, DataType.UINT32, DataType.UINT16, DataType.UINT8, DataType.BOOL,
]);

/**
 * Converts the bytes of an `.onnx` file into a model. Throws OnnxError for anything it cannot
 * use, naming every unsupported node at once. Synchronous: `onProgress` gets the 'import' phase
 * only (nodes converted of the nodes to convert), and `warmup` is refused; `loadOnnx` does both.
 */
export function importOnnx(bytes: Uint8Array, options: LoadOnnxOptions = {}): OnnxModel {
  if (options.warmup !== undefined && options.warmup !== false) throw new OnnxError(`${options.label ?? 'model.onnx'}: importOnnx is synchronous and cannot warm up; use loadOnnx (or engine.load) with warmup, or call model.warmup()`);
  return convertOnnx(bytes, options, new ProgressReporter(options.onProgress));
}

function convertOnnx(bytes: Uint8Array, loadOptions: LoadOnnxOptions, progress: ProgressReporter): OnnxModel {
  const { onProgress: _onProgress, warmup: _warmup, ...options } = loadOptions;
  const label = options.label ?? 'model.onnx';
  return importProto(decodeModel(bytes, label), options, label, progress);
}

function importProto(proto: ModelProto, options: LoadOnnxOptions, label: string, progress = new ProgressReporter(undefined)): OnnxModel {
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
  const runInputs: string[] = [];
  /** Empty integer graph inputs: each must be a value input (the import needs its values), never computed data. */
  const emptyInputs = new Map<string, string>();
  for (const vi of g.inputs) {
    if (!vi.name) throw new OnnxError(`${label}: a graph input has no name`);
    if (ctx.values.has(vi.name)) continue; // an initializer listed as input (older exporters)
    const given = options.constants?.[vi.name];
    if (given) {
      ctx.values.set(vi.name, { kind: 'const', tensor: constantFromOption(vi.name, given, label) });
      continue;
    }
    const where = `${label}: graph input '${vi.name}'`;
    if (!RUN_TYPES.has(vi.elemType)) throw new OnnxError(`${where} is ${dataTypeName(vi.elemType)}, which webcnn cannot compute with`);
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
    // An empty integer input (no axes, no pads) is a legitimate value input; empty data is not.
    if (dims.some((d) => d === 0)) {
      if (isFloatType(vi.elemType)) throw new OnnxError(`${where} has shape ${fmtShape(dims)} with no elements`);
      emptyInputs.set(vi.name, `${where} has shape ${fmtShape(dims)} with no elements, and is not a value the import can specialise on (axes, pads, a shape)`);
    }
    if (ctx.taken.has(vi.name)) throw new OnnxError(`${where} is listed twice`);
    // The probe size of a symbolic dimension differs from its import size and from 1 (see DynValue.probe).
    const probe = symbol !== null && dims.length > 0 ? [2 * dims[0] + 1, ...dims.slice(1)] : dims;
    ctx.values.set(vi.name, { kind: 'dyn', ref: vi.name, shape: dims, probe });
    ctx.taken.add(vi.name);
    const small = dims.length <= 1 && sizeOf(dims) <= MAX_FLOAT_VALUE_INPUT;
    if (small || !isFloatType(vi.elemType)) ctx.valueCandidates.add(vi.name);
    if (!isFloatType(vi.elemType)) ctx.integerInputs.add(vi.name);
    inputs.push({ name: vi.name, shape: symbol !== null && dims.length > 0 ? [symbol, ...dims.slice(1)] : dims });
    inputShapes.push({ name: vi.name, shape: dims });
    runInputs.push(vi.name);
  }
  if (g.outputs.length === 0) throw new OnnxError(`${label}: the graph has no outputs`);

  // Subgraphs exporters write op by op (layer norm below opset 17, group norm) become the one node they compute.
  const nodes = fuseDecomposedNorms(g.nodes, g.initializers, g.outputs.map((o) => o.name), label);
  for (const n of nodes) for (const i of n.inputs) if (i) ctx.consumed.add(i);
  for (const o of g.outputs) ctx.consumed.add(o.name);

  const order = topoSort(nodes, new Set(ctx.values.keys()), label);
  // Every problem is collected, then reported at once: a node that cannot be converted marks
  // its outputs failed, and the nodes reading them are skipped rather than reported again.
  const problems: string[] = [];
  const needs = new Set<string>();
  let unsupported = false;
  progress.report('import', 0, order.length);
  for (const [k, node] of order.entries()) {
    const c: NodeContext = new NodeContext(ctx, node);
    const fail = (msg: string | null): void => {
      if (msg !== null) problems.push(msg);
      for (const o of node.outputs) if (o) ctx.failed.add(o);
    };
    if (node.inputs.some((i) => i && ctx.failed.has(i))) {
      fail(null);
      continue;
    }
    const computed = node.inputs.every((i) => !i || ctx.values.get(i)?.kind === 'dyn');
    const def = node.domain === '' ? REGISTRY_ONNX.get(node.opType) : undefined;
    // A registry op takes the node when its inputs are all computed (constants are folded by
    // the converter of the same type, if there is one).
    const convert = def && (computed || !CONVERTERS[node.opType]) ? fromRegistry(def) : node.domain === '' ? CONVERTERS[node.opType] : undefined;
    if (!convert) {
      unsupported = true;
      fail(`${c.where}: unsupported op '${node.opType}'${node.domain ? ` of domain '${node.domain}'` : ''}`);
      continue;
    }
    try {
      checkLegacyAttributes(c);
      convert(c);
      for (const o of node.outputs) {
        if (o && !ctx.values.has(o) && ctx.consumed.has(o)) c.fail(`output '${o}' is used but the importer does not compute it`);
      }
    } catch (e) {
      if (e instanceof NeedsValues) {
        for (const n of e.names) needs.add(n);
        fail(null);
      } else if (e instanceof OnnxError) fail(e.message);
      else if (e instanceof WebCnnError) fail(`${c.where}: ${e.message}`);
      else throw e;
    }
    progress.report('import', k + 1, order.length);
  }

  const outputs: string[] = [];
  for (const vo of g.outputs) {
    if (ctx.failed.has(vo.name)) continue;
    const v = ctx.values.get(vo.name);
    if (!v) {
      problems.push(`${label}: graph output '${vo.name}' is not computed by any node`);
      continue;
    }
    const where = `${label}: graph output '${vo.name}'`;
    try {
      if (v.kind === 'const') {
        // Known at import (Shape of an input, a Constant): a layer that makes a tensor of it.
        if (v.tensor.data.length === 0) throw new OnnxError(`${where} is a constant with no elements (shape ${fmtShape(v.tensor.dims)}), which webcnn cannot return`);
        // Folded with the import's batch size, it may differ for another batch (a Shape of the input).
        const symbolic = inputs.find((i) => i.shape.some((d) => typeof d === 'string'));
        if (symbolic) throw new OnnxError(`${where} is known at import, but input '${symbolic.name}' has a symbolic dimension it may depend on; give the input a fixed shape with options.inputShapes`);
        outputs.push(ctx.emit(vo.name, { type: 'constant', shape: [...v.tensor.dims] }, [], [Float32Array.from(v.tensor.data)], where).ref);
        continue;
      }
      let ref = v.ref;
      if (ref !== vo.name || outputs.includes(ref)) {
        // An output that is another value (Identity, Dropout) or a graph input: a no-copy view under its own name.
        ref = ctx.emit(vo.name, { type: 'reshape', shape: v.shape.map(() => 0) }, [v], [], where).ref;
      }
      outputs.push(ref);
    } catch (e) {
      if (!(e instanceof OnnxError)) throw e;
      problems.push(e.message);
    }
  }

  for (const [name, why] of emptyInputs) if (!needs.has(name)) problems.push(why);
  if (problems.length === 1 && !unsupported) throw new OnnxError(problems[0]);
  if (problems.length > 0) {
    const strip = (m: string) => (m.startsWith(`${label}: `) ? m.slice(label.length + 2) : m);
    throw new OnnxError(
      `${label}: ${problems.length} problem${problems.length > 1 ? 's' : ''} (nothing was converted):\n` + problems.map((m) => `  - ${strip(m)}`).join('\n') +
        (unsupported ? `\nsupported ops: ${SUPPORTED_OPS.join(', ')}` : ''),
    );
  }

  const info = (layers: number, valueInputs: readonly string[]): OnnxModelInfo => ({
    inputs: inputShapes.filter((i) => !valueInputs.includes(i.name)),
    valueInputs,
    runInputs,
    outputs: g.outputs.map((o) => o.name),
    opset,
    irVersion: proto.irVersion,
    producer: proto.producer,
    onnxNodes: g.nodes.length,
    layers,
  });
  if (needs.size > 0) {
    // Value inputs: the graph is imported per distinct values, when they are given.
    const valueInputs = runInputs.filter((n) => needs.has(n));
    const graph: Graph = { name: g.name || 'onnx', inputs: inputs.filter((i) => !needs.has(i.name)), nodes: [], outputs: [] };
    const model = new OnnxModel(graph, options, info(0, valueInputs), (values) => importProto(proto, { ...options, constants: { ...options.constants, ...values } }, label));
    for (const vi of g.inputs) {
      if (needs.has(vi.name)) model.declareValueInput(vi.name, vi.dims?.every((d) => typeof d === 'number') ? (vi.dims as number[]) : null, isFloatType(vi.elemType));
    }
    return model;
  }

  // Layers no output depends on (a transpose folded into the matmul that read it) are dropped.
  const live = liveNodes(ctx.nodes, outputs);
  const graph: Graph = { name: g.name || 'onnx', inputs, nodes: live, outputs };
  const model = new OnnxModel(graph, options, info(live.length, []));
  const names = new Set(live.map((n) => n.name));
  try {
    model.setWeights(new Map([...ctx.weights].filter(([k]) => names.has(k.slice(0, k.lastIndexOf('.'))))));
  } catch (e) {
    if (e instanceof WebCnnError && !(e instanceof OnnxError)) throw new OnnxError(`${label}: ${e.message}`);
    throw e;
  }
  return model;
}

/** The nodes the outputs depend on, in order. */
function liveNodes(nodes: readonly GraphNode[], outputs: readonly string[]): GraphNode[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const live = new Set<string>();
  const stack = [...outputs];
  while (stack.length > 0) {
    const name = stack.pop()!;
    const n = byName.get(name);
    if (!n || live.has(name)) continue;
    live.add(name);
    stack.push(...n.inputs);
  }
  return nodes.filter((n) => live.has(n.name));
}

/**
 * Before opset 7 some ops had attributes whose semantics later changed or went away: the
 * values that mean what the current converters do pass, the others are refused by name.
 */
function checkLegacyAttributes(c: NodeContext): void {
  const t = c.node.opType;
  if (c.opset < 7 && ['Add', 'Sub', 'Mul', 'Div', 'Gemm'].includes(t) && c.int('broadcast', 0) !== 0 && c.has('axis')) {
    c.fail('broadcast = 1 with an axis (opset < 7) is not supported');
  }
  if (c.opset < 7 && t === 'BatchNormalization' && c.int('spatial', 1) !== 1) c.fail('spatial = 0 (opset < 7) is not supported');
  if (c.opset < 6 && t === 'Cast') c.fail("Cast before opset 6 (its 'to' given as a string) is not supported");
  if (c.opset < 2 && t === 'Pad') c.fail("Pad before opset 2 (its 'paddings' attribute) is not supported");
  if (c.opset < 4 && t === 'Concat' && !c.has('axis')) c.fail('Concat before opset 4 without an axis attribute is not supported');
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
