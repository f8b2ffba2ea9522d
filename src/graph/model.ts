/**
 * Models: a graph plus its weights, run on a backend. Two ways to build one, like Keras:
 * `Sequential` (add layers in order) and the functional API (`input()`, `apply()`, then
 * `new Model({ inputs, outputs })`) for graphs with branches, concatenation and residual adds.
 * Both make the same graph IR.
 *
 * The model knows no backend in particular: `predict()` compiles the lowered graph once per
 * binding of the symbolic dimensions with `backend.compile` and caches the `Executable` (on
 * WebGPU an execution plan: weights uploaded once, pipelines and bind groups made at plan
 * time, one submit per call; on the CPU the reference ops run eagerly).
 *
 * Losing resources (a lost GPU device): calls issued before the loss reject (the backend's
 * `checkEpoch`), even those that had not started; the next call has the backend `prepare()` a
 * new generation (a new device), uploads the weights again from the model's CPU copy and
 * compiles again, then runs as before.
 */
import type { Backend, Executable, PlanProfile } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';
import { DisposedError, WebCnnError, InvalidArgumentError, ShapeError } from '../errors.js';
import { createBackend } from '../backends/create.js';
import { planMemory } from '../backends/webgpu/memory_plan.js';
import {
  type Graph, type GraphNode, type GraphInfo, type Dim, type Bindings, checkGraph, inferGraph, formatSummary, withLayerName, resolveBindings, bindShape,
  bindingsKey, fmtDims,
} from './graph.js';
import type { Init } from '../ops/op.js';
import { type LayerConfig, applyLayer } from '../ops/registry.js';
import { lowerForInference, type Lowered } from './lower.js';
import { readSafetensors, writeSafetensors } from '../io/safetensors.js';
import type { Dataset, FitOptions, History, EvalResult } from '../train/fit.js';
import { toModelInput, type ImageInputOptions, type ModelInput } from '../engine/input.js';
import { mulberry32 } from '../util/numeric.js';

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

/** What a wrong-typed input was, for error messages: `Float64Array`, `Array`, `null`, `number`. */
function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
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

export interface ModelOptions {
  /** Backend to run on; default: `createBackend()` on first use (WebGPU, else the CPU). */
  backend?: Backend;
  /** Seed of the random initial weights (default 0). */
  seed?: number;
  /** Debug switch: no layer fusion at inference. */
  fuse?: boolean;
  /** Debug switch: one buffer per tensor in execution plans. */
  reuseMemory?: boolean;
  /** How `predict()` turns images into input (range, padding, invert…); zoo models set their own. */
  image?: ImageInputOptions;
  /**
   * Sizes of symbolic input dimensions other than the leading (batch) ones, for shape inference
   * and parameter shapes when a call does not give them: `{ H: 224, W: 224 }`.
   */
  dims?: Bindings;
}

/** Options of `predict()`: the batch size (checked against the input), other dimensions, and image conversion. */
export interface PredictOptions {
  batch?: number;
  /** Sizes of symbolic dimensions by name, for inputs whose size alone does not determine them. */
  dims?: Bindings;
  /** Overrides the model's `image` options for this call. */
  image?: ImageInputOptions;
}

export interface FunctionalModelSpec extends ModelOptions {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  name?: string;
}


function initValues(init: Init, n: number, rand: () => number): Float32Array {
  if (init.kind === 'values') return Float32Array.from(init.values);
  if (init.kind === 'constant') return new Float32Array(n).fill(init.value);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * init.bound;
  return out;
}

function graphFromSymbolic(name: string, inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): Graph {
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

interface DeviceState {
  backend: Backend;
  weights: Map<string, Tensor>;
  /** By `bindingsKey`. */
  plans: Map<string, Promise<Executable>>;
  /** Executables already made, so dispose() can free them at once (pending ones are freed when made). */
  ready: Set<Executable>;
  lowered: Lowered;
  /** The backend's epoch the weights were uploaded in. */
  epoch: number | null;
}

export class Model {
  #graph: Graph;
  #order: GraphNode[] | null = null;
  #info = new Map<string, GraphInfo>();
  #weights: Map<string, Float32Array> | null = null;
  #device: DeviceState | null = null;
  #backend: Backend | null;
  readonly #options: ModelOptions;
  #disposed = false;

  constructor(spec: Graph | FunctionalModelSpec, options: ModelOptions = {}) {
    if ('nodes' in spec) {
      this.#graph = spec;
      this.#options = options;
    } else {
      const ins = Array.isArray(spec.inputs) ? [...spec.inputs] : [spec.inputs as SymbolicTensor];
      const outs = Array.isArray(spec.outputs) ? [...spec.outputs] : [spec.outputs as SymbolicTensor];
      this.#graph = graphFromSymbolic(spec.name ?? 'model', ins, outs);
      this.#options = { ...spec, ...options };
    }
    this.#backend = this.#options.backend ?? null;
  }

  get name(): string {
    return this.#graph.name;
  }

  get graph(): Graph {
    return this.#graph;
  }

  /** Replaces the graph (used by Sequential.add); drops weights, plans and caches. */
  protected setGraph(graph: Graph): void {
    this.#assertLive('add');
    this.#graph = graph;
    this.#order = null;
    this.#info.clear();
    this.#weights = null;
    this.#releaseDevice();
  }

  #assertLive(op: string): void {
    if (this.#disposed) throw new DisposedError(`${op}: model '${this.name}' was disposed`);
  }

  #nodesInOrder(): GraphNode[] {
    this.#order ??= checkGraph(this.#graph);
    return this.#order;
  }

  /**
   * Sizes of the symbolic dimensions from the inputs' whole shapes; throws ShapeError naming the
   * input when a shape does not fit (a fixed size differs, or one symbol gets two sizes).
   */
  bindShapes(shapes: readonly Shape[]): Bindings {
    const graphInputs = this.#graph.inputs;
    if (shapes.length !== graphInputs.length) throw new ShapeError(`model '${this.name}'`, `expects ${graphInputs.length} inputs, got ${shapes.length}`);
    const bound: Record<string, number> = {};
    graphInputs.forEach((gi, i) => {
      const got = shapes[i];
      const ok = got.length === gi.shape.length && gi.shape.every((d, j) => (typeof d === 'number' ? got[j] === d : (bound[d] ??= got[j]) === got[j] && got[j] >= 1));
      if (!ok) throw new ShapeError(`model '${this.name}'`, `input '${gi.name}' must have shape ${fmtDims(gi.shape)}, got ${fmtShape(got)}`);
    });
    return this.bind(bound);
  }

  /** Sizes of every symbolic dimension: a number is the batch (see `resolveBindings`). */
  bind(dims: number | Bindings = 1): Bindings {
    return resolveBindings(this.#graph, dims, this.#options.dims);
  }

  /**
   * Shapes, parameters and FLOPs of every layer for a batch size or for sizes of the symbolic
   * dimensions by name; throws naming the layer on any shape error.
   */
  info(dims: number | Bindings = 1): GraphInfo {
    const bindings = this.bind(dims);
    const key = bindingsKey(bindings);
    let got = this.#info.get(key);
    if (!got) {
      got = inferGraph(this.#graph, bindings);
      this.#checkParamShapes(got);
      this.#info.set(key, got);
    }
    return got;
  }

  /** Parameters are fixed: sizes that change a parameter's shape (a dense layer after a flatten of a symbolic size) are refused. */
  #checkParamShapes(info: GraphInfo): void {
    const base = [...this.#info.values()][0];
    if (!base) return;
    info.nodes.forEach((n, i) => {
      n.params.forEach((p, k) => {
        const want = base.nodes[i].params[k].shape;
        if (!want.every((d, j) => d === p.shape[j]) || want.length !== p.shape.length) {
          throw new ShapeError(`model '${this.name}'`, `layer '${n.name}' parameter '${p.name}' would need shape ${fmtShape(p.shape)} for ${bindingsKey(info.bindings)}, but it has ${fmtShape(want)}`);
        }
      });
    });
  }

  /** Output shapes for a batch size or named sizes. */
  outputShapes(dims: number | Bindings = 1): readonly Shape[] {
    return this.info(dims).outputShapes;
  }

  get totalParams(): number {
    return this.info(1).totalParams;
  }

  /**
   * The static memory plan at layer granularity: each layer's output lives from the layer that
   * makes it to its last reader; outputs whose lifetimes do not overlap share memory.
   */
  memoryPlan(dims: number | Bindings = 1): { peakBytes: number; naiveBytes: number } {
    const info = this.info(dims);
    const index = new Map(info.nodes.map((n, i) => [n.name, i]));
    const last = new Map<string, number>();
    info.nodes.forEach((n, i) => n.inputs.forEach((src) => last.set(src, Math.max(last.get(src) ?? -1, i))));
    const outputs = new Set(this.#graph.outputs);
    const plan = planMemory(
      info.nodes.map((n) => ({
        bytes: sizeOf(n.outputShape) * 4,
        first: index.get(n.name)!,
        last: outputs.has(n.name) ? Infinity : (last.get(n.name) ?? index.get(n.name)!),
      })),
    );
    return { peakBytes: plan.peakBytes, naiveBytes: plan.naiveBytes };
  }

  /** The layer table as text: name, type, output shape, parameters, totals and the memory plan. */
  summary(dims: number | Bindings = 1): string {
    const info = this.info(dims);
    const mem = this.memoryPlan(dims);
    return formatSummary(this.#graph, info, [
      `activation memory (${typeof dims === 'number' ? `batch ${dims}` : bindingsKey(info.bindings)}): peak ${mem.peakBytes.toLocaleString('en-US')} bytes with reuse, ${mem.naiveBytes.toLocaleString('en-US')} without`,
    ]);
  }

  // ---------------------------------------------------------------------------------------
  // Weights

  #ensureWeights(): Map<string, Float32Array> {
    if (!this.#weights) {
      const rand = mulberry32(this.#options.seed ?? 0);
      const weights = new Map<string, Float32Array>();
      for (const node of this.info(1).nodes) {
        for (const p of node.params) weights.set(`${node.name}.${p.name}`, initValues(p.init, sizeOf(p.shape), rand));
      }
      this.#weights = weights;
    }
    return this.#weights;
  }

  /** Parameter names (`layer.weight`, `layer.bias`, `bn.running_mean`, …) and shapes, in layer order. */
  parameterShapes(): Map<string, Shape> {
    const out = new Map<string, Shape>();
    for (const node of this.info(1).nodes) for (const p of node.params) out.set(`${node.name}.${p.name}`, p.shape);
    return out;
  }

  /** A copy of every parameter's values. */
  getWeights(): Map<string, Float32Array> {
    return new Map([...this.#ensureWeights()].map(([k, v]) => [k, v.slice()]));
  }

  /**
   * Sets parameters by name. Every given name must exist and have the right number of values;
   * with `strict` (default) every parameter must be given.
   */
  setWeights(values: ReadonlyMap<string, Float32Array> | Record<string, Float32Array>, options: { strict?: boolean } = {}): void {
    this.#assertLive('setWeights');
    const entries = values instanceof Map ? [...values.entries()] : Object.entries(values);
    const shapes = this.parameterShapes();
    const weights = this.#ensureWeights();
    for (const [k, v] of entries) {
      const shape = shapes.get(k);
      if (!shape) throw new ShapeError('setWeights', `model '${this.name}' has no parameter '${k}' (it has ${[...shapes.keys()].slice(0, 6).join(', ')}${shapes.size > 6 ? ', …' : ''})`);
      if (!(v instanceof Float32Array) || v.length !== sizeOf(shape)) {
        throw new ShapeError('setWeights', `parameter '${k}' needs ${sizeOf(shape)} values for shape ${fmtShape(shape)}, got ${v instanceof Float32Array ? v.length : typeof v}`);
      }
    }
    if (options.strict ?? true) {
      const given = new Set(entries.map(([k]) => k));
      const missing = [...shapes.keys()].filter((k) => !given.has(k));
      if (missing.length > 0) throw new ShapeError('setWeights', `missing parameters: ${missing.slice(0, 6).join(', ')}${missing.length > 6 ? ', …' : ''}`);
    }
    for (const [k, v] of entries) weights.set(k, Float32Array.from(v));
    this.#releaseDevice();
  }

  /** Every parameter and buffer as safetensors bytes (F32, PyTorch names), with the model's name as metadata. */
  saveWeights(metadata: Record<string, string> = {}): Uint8Array {
    const shapes = this.parameterShapes();
    const tensors = new Map([...this.#ensureWeights()].map(([k, v]) => [k, { shape: shapes.get(k)!, data: v }]));
    return writeSafetensors(tensors, { model: this.name, format: 'webcnn', ...metadata });
  }

  /**
   * Loads weights from safetensors bytes (ours, or a PyTorch state_dict saved with
   * safetensors). Names and shapes must match; with `strict` (default) every parameter must
   * be present. Throws SafetensorsError for a malformed file, ShapeError for a mismatch.
   */
  loadWeights(bytes: Uint8Array, options: { strict?: boolean; label?: string } = {}): void {
    const file = readSafetensors(bytes, options.label);
    const shapes = this.parameterShapes();
    const values = new Map<string, Float32Array>();
    for (const [k, t] of file.tensors) {
      const want = shapes.get(k);
      if (want && (want.length !== t.shape.length || want.some((d, i) => d !== t.shape[i]))) {
        throw new ShapeError('loadWeights', `parameter '${k}' has shape ${fmtShape(t.shape)} in the file, the model needs ${fmtShape(want)}`);
      }
      values.set(k, t.data);
    }
    this.setWeights(values, { strict: options.strict });
  }

  // ---------------------------------------------------------------------------------------
  // Running

  /** The backend this model runs on (created on first use unless given). */
  async backend(): Promise<Backend> {
    this.#backend ??= (await createBackend()).backend;
    return this.#backend;
  }

  /** Runs the model on `backend` from now on (its weights move there on the next run). */
  useBackend(backend: Backend): void {
    this.#assertLive('useBackend');
    if (this.#backend === backend) return;
    this.#releaseDevice();
    this.#backend = backend;
  }

  #deviceState(backend: Backend): DeviceState {
    const epoch = backend.epoch;
    if (this.#device && this.#device.backend === backend && this.#device.epoch === epoch) return this.#device;
    this.#releaseDevice();
    const weights = this.#ensureWeights();
    const lowered = lowerForInference(this.#graph, this.#nodesInOrder(), this.info(1).nodes, weights, { fuse: this.#options.fuse ?? true });
    const needed = new Set(lowered.nodes.flatMap((n) => n.params));
    const onDevice = new Map<string, Tensor>();
    const shapes = this.parameterShapes();
    for (const key of needed) {
      const values = lowered.derived.get(key) ?? weights.get(key)!;
      const shape = lowered.derivedShapes.get(key) ?? shapes.get(key)!;
      onDevice.set(key, backend.tensor(values, shape));
    }
    this.#device = { backend, weights: onDevice, plans: new Map(), ready: new Set(), lowered, epoch };
    return this.#device;
  }

  #releaseDevice(): void {
    const d = this.#device;
    if (!d) return;
    this.#device = null;
    for (const plan of d.ready) plan.dispose();
    for (const p of d.plans.values()) void p.then((plan) => plan.dispose(), () => undefined);
    for (const t of d.weights.values()) t.dispose();
  }

  /**
   * Runs the lowered graph with a backend's ops on `inputs` (batch included) and returns the
   * outputs. Intermediates are disposed as soon as their last reader has run.
   */
  forward(backend: Backend, inputs: readonly Tensor[]): Tensor[] {
    const { values, outputs } = this.#runLowered(backend, inputs, new Set());
    return outputs.map((o) => values.get(o)!);
  }

  /** The lowered graph on `inputs`; keeps the outputs, the inputs and the nodes named in `extra`. */
  #runLowered(backend: Backend, inputs: readonly Tensor[], extra: ReadonlySet<string>): { values: Map<string, Tensor>; outputs: readonly string[] } {
    this.#assertLive('forward');
    const state = this.#deviceState(backend);
    const { nodes, outputs } = state.lowered;
    const graphInputs = this.#graph.inputs;
    if (inputs.length !== graphInputs.length) {
      throw new ShapeError(`model '${this.name}'`, `expects ${graphInputs.length} inputs, got ${inputs.length}`);
    }
    const values = new Map<string, Tensor>();
    this.bindShapes(inputs.map((t) => t.shape));
    graphInputs.forEach((gi, i) => values.set(gi.name, inputs[i]));
    const remaining = new Map<string, number>();
    for (const n of nodes) for (const i of n.inputs) remaining.set(i, (remaining.get(i) ?? 0) + 1);
    const keep = new Set([...outputs, ...graphInputs.map((g) => g.name), ...extra]);
    for (const n of nodes) {
      const ins = n.inputs.map((i) => values.get(i)!);
      const params = n.params.map((k) => state.weights.get(k)!);
      const run = () => withLayerName(n.name, n.layer.type, () => applyLayer(backend, n.layer, n.name, ins, params));
      const out = backend.scope(n.name, run);
      values.set(n.name, out);
      for (const i of n.inputs) {
        const left = (remaining.get(i) ?? 1) - 1;
        remaining.set(i, left);
        if (left === 0 && !keep.has(i)) values.get(i)!.dispose();
      }
    }
    return { values, outputs };
  }

  /**
   * Intermediate outputs of one forward pass, by layer name — what the network "sees":
   * `await model.activations(x, ['c1', 's2', 'c3'])` gives LeNet-5's feature maps, each with its
   * shape (batch included) and values. Runs the inference graph (the one `predict()` runs, with
   * fused activations) eagerly on the model's backend and keeps the named outputs. A layer
   * fused into the next one at inference (a conv whose activation was fused into it) has no
   * output of its own: ask for the activation's name, or build the model with `fuse: false`.
   * Unknown or fused names throw InvalidArgumentError before any GPU work.
   */
  async activations(input: Float32Array, names: readonly string[], batch?: number): Promise<Map<string, { shape: Shape; data: Float32Array }>> {
    this.#assertLive('activations');
    const where = `activations of model '${this.name}'`;
    const graphInputs = this.#graph.inputs;
    if (graphInputs.length !== 1) throw new InvalidArgumentError(where, `takes models with one input; this one has ${graphInputs.length}`);
    if (!(input instanceof Float32Array)) throw new ShapeError(where, `input must be a Float32Array, got ${describeValue(input)}`);
    const bindings = this.#bindData([input], batch, undefined, where);
    const lowered = lowerForInference(this.#graph, this.#nodesInOrder(), this.info(1).nodes, this.#ensureWeights(), { fuse: this.#options.fuse ?? true });
    const available = new Set([graphInputs[0].name, ...lowered.nodes.map((x) => x.name)]);
    for (const name of names) {
      if (available.has(name)) continue;
      if (!this.#graph.nodes.some((x) => x.name === name)) {
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
    this.info(bindings); // shape errors before any GPU work
    const backend = await this.backend();
    const x = backend.tensor(input, bindShape(graphInputs[0].shape, bindings));
    let values = new Map<string, Tensor>();
    try {
      values = this.#runLowered(backend, [x], new Set(names)).values;
      const out = new Map<string, { shape: Shape; data: Float32Array }>();
      const read = await Promise.all(names.map((k) => values.get(k)!.read()));
      names.forEach((k, i) => out.set(k, { shape: [...values.get(k)!.shape], data: read[i] }));
      return out;
    } finally {
      x.dispose();
      for (const t of values.values()) t.dispose(); // disposing twice is harmless
    }
  }

  /**
   * Runs the model on a batch and resolves to the first output's values (`predictAll` returns
   * every output). `input` is N samples of the input's shape back to back (NCHW), a `Tensor`
   * of shape (N, …), or images — `ImageData`, a canvas, `ImageBitmap`, `<img>`, `<video>`, or
   * an array of them — converted as the `image` options say (see `src/engine/input.ts`).
   */
  async predict(input: ModelInput, options?: number | PredictOptions): Promise<Float32Array> {
    const opts = typeof options === 'number' ? { batch: options } : (options ?? {});
    const issuedOn = this.#issuedOn();
    if (input instanceof Float32Array) return (await this.#predictAll([input], opts.batch, opts.dims, issuedOn))[0];
    this.#assertLive('predict');
    const shape = this.#graph.inputs[0]?.shape ?? [];
    if (typeof shape[0] !== 'string' || shape.slice(1).some((d) => typeof d !== 'number')) {
      throw new ShapeError(`model '${this.name}'`, `input '${this.#graph.inputs[0]?.name}' has shape ${fmtDims(shape)}: images and tensors feed a batch of fixed-size samples; pass a Float32Array`);
    }
    const { data, batch } = await toModelInput(input, shape.slice(1) as number[], { batch: opts.batch, image: { ...this.#options.image, ...opts.image }, model: this.name });
    return (await this.#predictAll([data], batch, opts.dims, issuedOn))[0];
  }

  /**
   * Runs the model on one Float32Array per graph input and resolves to every output's values.
   * `batch` (or named `dims`) sizes the symbolic dimensions an input's length does not determine.
   */
  async predictAll(inputs: readonly Float32Array[], batch?: number | { batch?: number; dims?: Bindings }): Promise<Float32Array[]> {
    const opts = typeof batch === 'object' ? batch : { batch };
    return this.#predictAll(inputs, opts.batch, opts.dims, this.#issuedOn());
  }

  /**
   * Sizes of the symbolic dimensions for inputs of these lengths: `batch` binds the leading
   * ones, `dims` and the model's `dims` option name others, and an input with one size left
   * unknown determines it by its length.
   */
  #bindData(inputs: readonly Float32Array[], batch: number | undefined, dims: Bindings | undefined, where = `model '${this.name}'`): Bindings {
    const graphInputs = this.#graph.inputs;
    const known: Record<string, number> = { ...this.#options.dims, ...dims };
    const notWhole = (i: number): ShapeError => {
      const gi = graphInputs[i];
      const lead = typeof gi.shape[0] === 'string' && gi.shape.slice(1).every((d) => typeof d === 'number');
      if (lead) {
        const sample = gi.shape.slice(1) as number[];
        return new ShapeError(where, `input '${gi.name}' has ${inputs[i].length} values, not a whole batch of samples of shape [${sample.join(',')}] (${sizeOf(sample)} values each)`);
      }
      return new ShapeError(where, `input '${gi.name}' has ${inputs[i].length} values, which no sizes of its shape ${fmtDims(gi.shape)} give${Object.keys(known).length ? ` (with ${bindingsKey(known)})` : ''}`);
    };
    if (batch !== undefined) {
      const i = graphInputs.findIndex((gi) => typeof gi.shape[0] === 'string');
      if (!Number.isInteger(batch) || batch < 1) throw notWhole(Math.max(0, i));
      for (const gi of graphInputs) if (typeof gi.shape[0] === 'string') known[gi.shape[0]] = batch;
    }
    for (let progress = true; progress; ) {
      progress = false;
      graphInputs.forEach((gi, i) => {
        const unknown = [...new Set(gi.shape.filter((d): d is string => typeof d === 'string' && known[d] === undefined))];
        if (unknown.length !== 1) return;
        const rest = gi.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : (known[d] ?? 1)), 1);
        const count = gi.shape.filter((d) => d === unknown[0]).length;
        const v = rest > 0 ? Math.round(Math.pow(inputs[i].length / rest, 1 / count)) : 0;
        if (!(v >= 1) || rest * v ** count !== inputs[i].length) throw notWhole(i);
        known[unknown[0]] = v;
        progress = true;
      });
    }
    let bindings: Bindings;
    try {
      bindings = resolveBindings(this.#graph, known);
    } catch (e) {
      if (e instanceof InvalidArgumentError) throw new ShapeError(where, `${e.message.replace(/^[^:]*: /, '')}: give them with the dims option`);
      throw e;
    }
    graphInputs.forEach((gi, i) => {
      if (inputs[i].length !== sizeOf(bindShape(gi.shape, bindings))) throw notWhole(i);
    });
    return bindings;
  }

  /**
   * The backend's epoch a call is issued in, or null when there is no backend yet or it must
   * be prepared first (such a call starts a new epoch). See `Backend.checkEpoch`.
   */
  #issuedOn(): number | null {
    return this.#backend?.epoch ?? null;
  }

  async #predictAll(inputs: readonly Float32Array[], batch: number | undefined, dims: Bindings | undefined, issuedOn: number | null): Promise<Float32Array[]> {
    this.#assertLive('predict');
    const graphInputs = this.#graph.inputs;
    if (inputs.length !== graphInputs.length) {
      throw new ShapeError(`model '${this.name}'`, `expects ${graphInputs.length} inputs, got ${inputs.length}`);
    }
    inputs.forEach((x, i) => {
      if (!(x instanceof Float32Array)) throw new ShapeError(`model '${this.name}'`, `input '${graphInputs[i].name}' must be a Float32Array, got ${describeValue(x)}`);
    });
    const bindings = this.#bindData(inputs, batch, dims);
    this.info(bindings); // shape errors before any GPU work
    const backend = await this.backend();
    const where = `predict: model '${this.name}'`;
    backend.checkEpoch(issuedOn, where);
    this.#checkLimits(backend, bindings);
    let executable: Executable;
    try {
      executable = await this.plan(bindings);
    } catch (e) {
      // Compiling on resources that went away fails however the implementation reports it.
      backend.checkEpoch(issuedOn, where);
      throw e instanceof WebCnnError ? e : await backend.explainFailure('predict', e);
    }
    backend.checkEpoch(issuedOn, where);
    return executable.run(inputs);
  }

  /**
   * Refuses sizes (inputs, every layer's output, parameters) the backend cannot hold, naming
   * the layer, before weights are uploaded or anything is compiled.
   */
  #checkLimits(backend: Backend, bindings: Bindings): void {
    const refuse = (what: string, shape: Shape) => backend.checkFits(`predict: model '${this.name}' ${what}`, shape);
    const info = this.info(bindings);
    this.#graph.inputs.forEach((gi, i) => refuse(`input '${gi.name}'`, info.inputShapes[i]));
    for (const node of info.nodes) {
      for (const p of node.params) refuse(`layer '${node.name}' (${node.type}) parameter '${p.name}'`, p.shape);
      refuse(`layer '${node.name}' (${node.type}) output`, node.outputShape);
    }
  }

  /**
   * The model compiled for a batch size (or named sizes) on its backend: made once, then
   * cached (on WebGPU, its execution plan).
   */
  async plan(dims: number | Bindings = 1): Promise<Executable> {
    this.#assertLive('plan');
    const backend = await this.backend();
    // After a device loss: a new device, then (below) the weights again from the CPU copy and new plans.
    await backend.prepare();
    this.#assertLive('plan');
    const state = this.#deviceState(backend);
    const info = this.info(dims);
    const key = bindingsKey(info.bindings);
    let plan = state.plans.get(key);
    if (!plan) {
      const label = typeof dims === 'number' ? `batch ${dims}` : key;
      plan = backend.compile(info.inputShapes, (ins) => this.forward(backend, ins), { label: `${this.name} (${label})`, reuseMemory: this.#options.reuseMemory });
      state.plans.set(key, plan);
      plan.then(
        (made) => void state.ready.add(made),
        () => state.plans.delete(key),
      );
    }
    return plan;
  }

  /**
   * Runs one forward of `input` and times each layer: on WebGPU each dispatch on the GPU
   * (timestamp queries when the adapter has them), on the CPU each layer on the host clock.
   * Fused layers are reported under the name of the last layer folded into them.
   */
  async profile(input: Float32Array, batch?: number): Promise<PlanProfile> {
    const bindings = this.#bindData([input], batch, undefined);
    await this.predictAll([input], { dims: bindings });
    return (await this.plan(bindings)).profile([input]);
  }

  /**
   * Trains the model on `data` (see `FitOptions`): on WebGPU each step is one recorded plan and
   * one submit. The training code is loaded on first use, so apps that only run inference do
   * not bundle it.
   */
  async fit(data: Dataset, options: FitOptions = {}): Promise<History> {
    this.#assertLive('fit');
    const { fit } = await import('../train/fit.js');
    return fit(this, data, options);
  }

  /** Loss and accuracy on a labelled set with the inference path. */
  async evaluate(data: Dataset, options: { batchSize?: number } = {}): Promise<EvalResult> {
    this.#assertLive('evaluate');
    const { evaluate } = await import('../train/fit.js');
    return evaluate(this, data, options);
  }

  /** What inference lowering fused (e.g. `bn1 → conv1`). */
  fusions(): readonly string[] {
    const weights = this.#ensureWeights();
    return lowerForInference(this.#graph, this.#nodesInOrder(), this.info(1).nodes, weights, { fuse: this.#options.fuse ?? true }).fusions;
  }

  /** Frees the model's GPU weights and plans. A second call is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#releaseDevice();
    this.#disposed = true;
  }
}

export interface SequentialOptions extends ModelOptions {
  /** Shape of one sample, (C, H, W) for images; the input is a batch of them, `['N', ...inputShape]`. */
  inputShape: Shape;
  name?: string;
}

/** A model whose layers run one after another: `new Sequential({ inputShape }).add(…).add(…)`. */
export class Sequential extends Model {
  #count = 0;
  constructor(options: SequentialOptions) {
    super({ name: options.name ?? 'sequential', inputs: [{ name: 'input', shape: ['N', ...options.inputShape] }], nodes: [], outputs: ['input'] }, options);
  }

  /** Appends a layer (named `name`, or `<type>_<k>`). Returns the model, for chaining. */
  add(layer: LayerConfig, name?: string): this {
    const g = this.graph;
    this.#count += 1;
    const nodeName = name ?? `${layer.type}_${this.#count}`;
    const prev = g.outputs[0];
    this.setGraph({ ...g, nodes: [...g.nodes, { name: nodeName, layer, inputs: [prev] }], outputs: [nodeName] });
    try {
      this.info(1);
    } catch (e) {
      this.setGraph(g);
      throw e;
    }
    return this;
  }
}
