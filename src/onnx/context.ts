/**
 * The importer's working state: what every ONNX value is (a constant known at import, or a
 * value computed by the graph, with its shape), the webcnn graph being built, and the weights.
 * Each emitted layer's output shape is inferred on the meta backend as it is added, with the
 * same code that runs the model, so shape errors surface at import and name the ONNX node.
 */
import { OnnxError } from './errors.js';
import type { ConstTensor } from './tensor.js';
import type { AttributeProto, NodeProto } from './proto.js';
import { tensorFromProto } from './tensor.js';
import { intList } from './fold.js';
import type { GraphNode } from '../graph/graph.js';
import { type LayerConfig, layerParams, applyLayer } from '../ops/registry.js';
import { MetaBackend } from '../backends/meta/backend.js';
import { WebCnnError } from '../errors.js';
import { type OnnxAttributes, withParamInputs } from '../ops/op.js';
import { type Shape, fmtShape, shapesEqual, sizeOf } from '../shape.js';

/** A value the graph computes at run time; `shape` includes the batch dimension (as imported). */
export interface DynValue {
  readonly kind: 'dyn';
  /** Name of the webcnn graph input or node that holds it. */
  readonly ref: string;
  readonly shape: Shape;
  /**
   * Its shape when every symbolic dimension of the graph inputs takes the probe size instead of
   * its size at import: the axes where it differs from `shape` depend on a symbolic dimension
   * (a reshape keeps them symbolic). Absent when that is unknown (a layer refused the probe sizes).
   */
  readonly probe?: Shape;
}
export interface ConstValue {
  readonly kind: 'const';
  readonly tensor: ConstTensor;
}
export type Value = DynValue | ConstValue;

/**
 * Thrown by a converter that needs as a constant a value computed from these graph inputs
 * (integer shapes or axes, a scalar bound): the importer makes them value inputs, whose values
 * are given when the model runs and select a specialised import, and converts again.
 */
export class NeedsValues extends Error {
  constructor(readonly names: readonly string[]) {
    super(`needs the values of ${names.join(', ')}`);
  }
}

/** Float graph inputs up to this many values may become value inputs (scalars, scales, bounds); integer ones of any size. */
export const MAX_FLOAT_VALUE_INPUT = 16;

export class ImportContext {
  readonly meta = new MetaBackend();
  readonly values = new Map<string, Value>();
  readonly nodes: GraphNode[] = [];
  readonly weights = new Map<string, Float32Array>();
  /** Names taken in the webcnn graph (inputs and nodes). */
  readonly taken = new Set<string>();
  /** Every value some node reads, plus the graph outputs: outputs not in here may be ignored. */
  readonly consumed = new Set<string>();
  /** Integer and boolean graph inputs computed at run time (as exact float values). */
  readonly integerInputs = new Set<string>();
  /** Graph inputs computed at run time that may instead become value inputs (see `NeedsValues`). */
  readonly valueCandidates = new Set<string>();
  /** Values whose node could not be converted: nodes reading them are skipped, not reported again. */
  readonly failed = new Set<string>();

  /** The graph inputs among `valueCandidates` that computed value `ref` depends on. */
  valueSources(ref: string): string[] {
    const inputsOf = new Map(this.nodes.map((n) => [n.name, n.inputs]));
    const out: string[] = [];
    const seen = new Set<string>();
    const walk = (r: string): void => {
      if (seen.has(r)) return;
      seen.add(r);
      if (this.valueCandidates.has(r)) out.push(r);
      for (const i of inputsOf.get(r) ?? []) walk(i);
    };
    walk(ref);
    return out;
  }

  constructor(
    readonly label: string,
    readonly opset: number,
  ) {}

  unique(preferred: string): string {
    let name = preferred || 'node';
    for (let k = 1; this.taken.has(name); k++) name = `${preferred}#${k}`;
    return name;
  }

  /**
   * Adds a layer reading `inputs` with parameters `params` (in the layer's parameter order)
   * and returns its output. A parameter is its values, or a value computed by the graph: the
   * layer then takes it as an input (`LayerBase.paramInputs`). `where` names the ONNX node in errors.
   */
  emit(preferred: string, layer: LayerConfig, inputs: readonly DynValue[], params: readonly (Float32Array | DynValue)[], where: string): DynValue {
    if (params.some((p) => !(p instanceof Float32Array))) {
      const names = this.#paramNames(layer, inputs, where);
      const given = params.flatMap((p, i) => (p instanceof Float32Array ? [] : [{ name: names[i], value: p }]));
      const held = params.filter((p): p is Float32Array => p instanceof Float32Array);
      return this.#emitHeld(preferred, withParamInputs(layer, given.map((g) => g.name)), [...inputs, ...given.map((g) => g.value)], held, where);
    }
    return this.#emitHeld(preferred, layer, inputs, params as readonly Float32Array[], where);
  }

  #emitHeld(preferred: string, layer: LayerConfig, inputs: readonly DynValue[], params: readonly Float32Array[], where: string): DynValue {
    const name = this.unique(preferred);
    const shapes = inputs.map((v) => v.shape);
    let out: Shape;
    try {
      const specs = layerParams(layer, name, shapes);
      if (specs.length !== params.length) throw new OnnxError(`${where}: internal: ${layer.type} takes ${specs.length} parameters, ${params.length} given`);
      specs.forEach((s, i) => {
        if (params[i].length !== sizeOf(s.shape)) {
          throw new OnnxError(`${where}: ${layer.type} parameter '${s.name}' needs shape ${fmtShape(s.shape)} (${sizeOf(s.shape)} values) for input ${fmtShape(shapes[0] ?? [])}, the file gives ${params[i].length} values`);
        }
      });
      const t = applyLayer(this.meta, layer, name, inputs.map((v) => this.meta.placeholder(v.shape)), specs.map((s) => this.meta.placeholder(s.shape)));
      out = t.shape;
      specs.forEach((s, i) => this.weights.set(`${name}.${s.name}`, params[i]));
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      if (e instanceof WebCnnError) throw new OnnxError(`${where}: ${e.message}`);
      throw e;
    }
    this.taken.add(name);
    this.nodes.push({ name, layer, inputs: inputs.map((v) => v.ref) });
    return { kind: 'dyn', ref: name, shape: out, probe: this.#probe(layer, name, inputs, out) };
  }

  /** The layer's output shape at the probe sizes (see `DynValue.probe`): inferred again when an input's differs. */
  #probe(layer: LayerConfig, name: string, inputs: readonly DynValue[], out: Shape): Shape | undefined {
    if (inputs.some((v) => v.probe === undefined)) return undefined;
    if (inputs.every((v) => shapesEqual(v.probe!, v.shape))) return out;
    const shapes = inputs.map((v) => v.probe!);
    try {
      const atImport = layerParams(layer, name, inputs.map((v) => v.shape));
      const specs = layerParams(layer, name, shapes);
      // Parameters sized by a symbolic dimension: the layer cannot take other sizes of it.
      if (specs.some((s, i) => !shapesEqual(s.shape, atImport[i].shape))) return undefined;
      return applyLayer(this.meta, layer, name, shapes.map((s) => this.meta.placeholder(s)), specs.map((s) => this.meta.placeholder(s.shape))).shape;
    } catch (e) {
      if (e instanceof WebCnnError) return undefined;
      throw e;
    }
  }

  /** The names of a layer's parameters, in order. */
  #paramNames(layer: LayerConfig, inputs: readonly DynValue[], where: string): string[] {
    try {
      return layerParams(layer, 'layer', inputs.map((v) => v.shape)).map((s) => s.name);
    } catch (e) {
      if (e instanceof WebCnnError && !(e instanceof OnnxError)) throw new OnnxError(`${where}: ${e.message}`);
      throw e;
    }
  }
}

/** One ONNX node being converted: its inputs, attributes and outputs, with errors that name it. */
export class NodeContext implements OnnxAttributes {
  readonly where: string;
  readonly #attrs: Map<string, AttributeProto>;

  constructor(
    readonly ctx: ImportContext,
    readonly node: NodeProto,
  ) {
    const id = node.name || node.outputs[0] || '?';
    this.where = `${ctx.label}: node '${id}' (${node.opType}, opset ${ctx.opset})`;
    this.#attrs = new Map(node.attributes.map((a) => [a.name, a]));
  }

  get opset(): number {
    return this.ctx.opset;
  }

  fail(msg: string): never {
    throw new OnnxError(`${this.where}: ${msg}`);
  }

  /** Input i, or null when absent (optional inputs are given as ''). */
  input(i: number): Value | null {
    const name = this.node.inputs[i];
    if (name === undefined || name === '') return null;
    const v = this.ctx.values.get(name);
    if (!v) this.fail(`input '${name}' has no value`);
    return v;
  }

  inputCount(): number {
    return this.node.inputs.length;
  }

  /** The rank of input i (computed or constant). */
  rank(i: number): number {
    const v = this.input(i);
    if (!v) this.fail(`input ${i} is missing`);
    return v.kind === 'dyn' ? v.shape.length : v.tensor.dims.length;
  }

  /** Input i, which must be computed by the graph (a constant here means folding this op, which is not supported). */
  dyn(i: number, what = `input ${i}`): DynValue {
    const v = this.input(i);
    if (!v) this.fail(`${what} is missing`);
    if (v.kind !== 'dyn') this.fail(`${what} ('${this.node.inputs[i]}') is a constant; folding ${this.node.opType} on constants is not supported`);
    return v;
  }

  /** Input i, which must be a constant (an initializer, a Constant node or a folded value). */
  konst(i: number, what = `input ${i}`): ConstTensor {
    const v = this.input(i);
    if (!v) this.fail(`${what} is missing`);
    if (v.kind !== 'const') {
      const sources = this.ctx.valueSources(v.ref);
      if (sources.length > 0) throw new NeedsValues(sources);
      this.fail(`${what} ('${this.node.inputs[i]}') must be a constant (an initializer, or computed from constants and value inputs), but it is computed by the graph`);
    }
    return v.tensor;
  }

  optConst(i: number, what = `input ${i}`): ConstTensor | null {
    return this.input(i) ? this.konst(i, what) : null;
  }

  floatData(t: ConstTensor): Float32Array {
    return t.data instanceof Float32Array ? t.data : Float32Array.from(t.data);
  }

  has(name: string): boolean {
    return this.#attrs.has(name);
  }

  int(name: string, dflt: number): number {
    const a = this.#attrs.get(name);
    if (!a) return dflt;
    if (!Number.isInteger(a.i)) this.fail(`attribute ${name} must be an integer, got ${a.i}`);
    return a.i;
  }

  ints(name: string, dflt: readonly number[] | null): number[] | null {
    const a = this.#attrs.get(name);
    if (!a) return dflt ? [...dflt] : null;
    if (a.ints.some((v) => !Number.isInteger(v))) this.fail(`attribute ${name} must hold integers`);
    return [...a.ints];
  }

  float(name: string, dflt: number): number {
    const a = this.#attrs.get(name);
    return a ? a.f : dflt;
  }

  floats(name: string): number[] | null {
    const a = this.#attrs.get(name);
    return a ? [...a.floats] : null;
  }

  str(name: string, dflt: string): string {
    const a = this.#attrs.get(name);
    return a ? new TextDecoder().decode(a.s) : dflt;
  }

  tensorAttr(name: string): ConstTensor | null {
    const a = this.#attrs.get(name);
    if (!a) return null;
    if (!a.t) this.fail(`attribute ${name} holds no tensor`);
    return tensorFromProto(a.t, `${this.where}: attribute ${name}`);
  }

  /** An integer list from input i (opset ≥ some version) or the attribute of the same meaning before. */
  intsFromInputOrAttr(i: number, attr: string, fromOpset: number): number[] | null {
    if (this.opset >= fromOpset) {
      const t = this.optConst(i, attr);
      return t ? intList(t, `${this.where}: ${attr}`) : null;
    }
    return this.ints(attr, null);
  }

  /** Sets output i. */
  out(i: number, v: Value): void {
    const name = this.node.outputs[i];
    if (name === undefined || name === '') return;
    this.ctx.values.set(name, v);
  }

  /** The name a layer making output i should get. */
  outName(i = 0, suffix?: string): string {
    const base = this.node.outputs[i] || this.node.name || this.node.opType;
    return suffix ? `${base}/${suffix}` : base;
  }

  /** Input i: a constant, a computed value, or null when absent. */
  operand(i: number): ConstTensor | DynValue | null {
    const v = this.input(i);
    if (!v) return null;
    return v.kind === 'const' ? v.tensor : v;
  }

  /** A parameter from input i: its float values when constant, else the computed value (the layer takes it as an input). */
  paramOf(t: ConstTensor | DynValue): Float32Array | DynValue {
    return t.kind === 'dyn' ? t : this.floatData(t);
  }

  /** Emits a layer for this node; a parameter computed by the graph becomes an input of the layer. */
  emit(layer: LayerConfig, inputs: readonly DynValue[], params: readonly (Float32Array | DynValue)[] = [], suffix?: string): DynValue {
    return this.ctx.emit(this.outName(0, suffix), layer, inputs, params, this.where);
  }

  /** Fails if an optional output (a mask, indices, batch statistics) is read by anything. */
  unusedOutputsFrom(first: number, what: string): void {
    for (let i = first; i < this.node.outputs.length; i++) {
      const name = this.node.outputs[i];
      if (name && this.ctx.consumed.has(name)) this.fail(`output ${i} ('${name}', ${what}) is used, which is not supported`);
    }
  }
}
