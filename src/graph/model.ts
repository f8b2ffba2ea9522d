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
import type { Backend, Executable, PlanProfile, ProfileOptions } from '../backends/backend.js';
import type { DispatchReport } from '../backends/dispatch_report.js';
import type { Tensor } from '../tensor.js';
import { type Shape, fmtShape } from '../shape.js';
import { DisposedError, WebCnnError, InvalidArgumentError, ShapeError, WebGpuUnavailableError } from '../errors.js';
import { acquireSharedBackend, checkBackendName, type BackendChoiceName } from '../backends/create.js';
import { CpuBackend } from '../backends/cpu/backend.js';
import {
  type Graph, type GraphNode, type GraphInfo, type Bindings, checkGraph, inferGraph, formatSummary, resolveBindings, bindShape,
  bindingsKey, fmtDims,
} from './graph.js';
import { type SymbolicTensor, graphFromSymbolic } from './functional.js';
import { bindFromShapes, bindFromData, layerMemoryPlan, describeValue } from './bind.js';
import { runLowered, checkActivationNames } from './run.js';
import { Resident } from './resident.js';
import { lowerForInference, type Lowered } from './lower.js';
import { writeSafetensors } from '../io/safetensors.js';
import { initialWeights, checkWeights, weightsFromSafetensors } from './weights.js';
import type { Dataset, FitOptions, History, EvalResult } from '../train/fit.js';
import { toModelInput, type ModelInput } from '../engine/input.js';
import type { ModelOptions, PredictOptions, FunctionalModelSpec, WarmupOptions } from './options.js';
import { ProgressReporter } from './progress.js';
import { opOf } from '../ops/registry.js';

export type { ModelOptions, PredictOptions, FunctionalModelSpec, WarmupOptions, LoadProgress, ProgressCallback } from './options.js';

/** One input of `Model.run`: values with their whole shape, or values alone (sizes solved from the length). */
export type Feed = Float32Array | { readonly data: Float32Array; readonly shape: readonly number[] };

/** One output of `Model.run`. */
export interface OutputTensor {
  readonly name: string;
  readonly data: Float32Array;
  readonly shape: Shape;
  readonly dtype: 'float32';
}

export class Model {
  #graph: Graph;
  #order: GraphNode[] | null = null;
  #info = new Map<string, GraphInfo>();
  #weights: Map<string, Float32Array> | null = null;
  #device: Resident | null = null;
  #lowered: Lowered | null = null;
  #backend: Backend | null;
  /** Gives back this model's share of the default backend, when it runs on that one. */
  #releaseShared: (() => void) | null = null;
  /** Asked for 'webgpu' by name: the default backend must be WebGPU. */
  readonly #needsWebGpu: boolean = false;
  /** The shared backend to take on first use when none was given. */
  readonly #sharedName: BackendChoiceName = 'auto';
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
    const b = this.#options.backend;
    if (typeof b === 'object' && b !== null) {
      if (typeof (b as Partial<Backend>).compile !== 'function' || typeof (b as Partial<Backend>).tensor !== 'function') {
        throw new InvalidArgumentError('Model', "backend must be one of 'auto', 'webgpu', 'wasm', 'reference' or a Backend (an engine's engine.backend), got an object that is not a Backend", this.#graph.name);
      }
      this.#backend = b as Backend;
    } else {
      const name = checkBackendName(b, 'Model');
      this.#backend = name === 'cpu' || name === 'reference' ? new CpuBackend() : null;
      this.#needsWebGpu = name === 'webgpu';
      this.#sharedName = name;
    }
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
    return this.bind(bindFromShapes(this.#graph, shapes, `model '${this.name}'`));
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

  /**
   * The shapes parameters are made for: batch 1 (with the `dims` option), or, when that leaves
   * sizes unknown, the first binding the model was inferred for. Every later binding must give
   * the same parameter shapes (`#checkParamShapes`).
   */
  #paramInfo(): GraphInfo {
    const first = this.#info.values().next();
    return first.done ? this.info(1) : first.value;
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
    return this.#paramInfo().totalParams;
  }

  /**
   * The static memory plan at layer granularity: each layer's output lives from the layer that
   * makes it to its last reader; outputs whose lifetimes do not overlap share memory.
   */
  memoryPlan(dims: number | Bindings = 1): { peakBytes: number; naiveBytes: number } {
    return layerMemoryPlan(this.info(dims), this.#graph.outputs);
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
    this.#weights ??= initialWeights(this.#paramInfo(), this.#options.seed ?? 0);
    return this.#weights;
  }

  /** Parameter names (`layer.weight`, `layer.bias`, `bn.running_mean`, …) and shapes, in layer order. */
  parameterShapes(): Map<string, Shape> {
    const out = new Map<string, Shape>();
    for (const node of this.#paramInfo().nodes) for (const p of node.params) out.set(`${node.name}.${p.name}`, p.shape);
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
    const entries = checkWeights(this.name, this.parameterShapes(), values, options.strict ?? true);
    const weights = this.#ensureWeights();
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
    this.setWeights(weightsFromSafetensors(bytes, this.parameterShapes(), options.label), { strict: options.strict });
  }

  // ---------------------------------------------------------------------------------------
  // Running

  /**
   * The backend this model runs on: the one it was given, or a share of the default backend,
   * taken on first use and given back by `dispose()` or `useBackend()`.
   */
  async backend(): Promise<Backend> {
    if (this.#backend) return this.#backend;
    const share = await acquireSharedBackend(this.#sharedName);
    if (this.#disposed || this.#backend) {
      share.release();
      this.#assertLive('backend');
      return this.#backend!;
    }
    if (this.#needsWebGpu && share.backend.name !== 'webgpu') {
      share.release();
      throw new WebGpuUnavailableError(`model '${this.name}' asks for backend 'webgpu', but ${share.fallbackReason ?? 'there is no WebGPU adapter'}`);
    }
    this.#backend = share.backend;
    this.#releaseShared = share.release;
    return this.#backend;
  }

  /** Runs the model on `backend` from now on (its weights move there on the next run). */
  useBackend(backend: Backend): void {
    this.#assertLive('useBackend');
    if (this.#backend === backend) return;
    this.#releaseDevice();
    this.#giveBackShared();
    this.#backend = backend;
  }

  #giveBackShared(): void {
    const release = this.#releaseShared;
    this.#releaseShared = null;
    release?.();
  }

  /** The model's weights on `backend`, uploaded if they are not (reported as the 'weights' phase). */
  #deviceState(backend: Backend, progress?: ProgressReporter): Resident {
    if (this.#device?.isCurrent(backend)) {
      progress?.report('weights', this.#device.weights.size, this.#device.weights.size);
      return this.#device;
    }
    this.#releaseDevice();
    const lowered = this.#lowering();
    const count = Resident.uploads(lowered);
    progress?.report('weights', 0, count);
    this.#device = new Resident(backend, lowered, this.#ensureWeights(), this.parameterShapes());
    progress?.report('weights', count, count);
    return this.#device;
  }

  #releaseDevice(): void {
    this.#lowered = null; // it holds weights folded from the old values
    const d = this.#device;
    if (!d) return;
    this.#device = null;
    d.dispose();
  }

  /**
   * Runs the lowered graph with a backend's ops on `inputs` (whole shapes) and returns the
   * outputs. Intermediates are disposed as soon as their last reader has run.
   */
  forward(backend: Backend, inputs: readonly Tensor[]): Tensor[] {
    const values = this.#run(backend, inputs, new Set());
    return this.#lowering().outputs.map((o) => values.get(o)!);
  }

  #run(backend: Backend, inputs: readonly Tensor[], keep: ReadonlySet<string>): Map<string, Tensor> {
    this.#assertLive('forward');
    const state = this.#deviceState(backend);
    this.bindShapes(inputs.map((t) => t.shape));
    return runLowered(backend, this.#graph, state.lowered, state.weights, inputs, keep);
  }

  /** The inference lowering of the graph with the current weights (made once, until they change). */
  #lowering(): Lowered {
    this.#lowered ??= lowerForInference(this.#graph, this.#nodesInOrder(), this.#paramInfo().nodes, this.#ensureWeights(), { fuse: this.#options.fuse ?? true });
    return this.#lowered;
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
    checkActivationNames(this.#graph, this.#lowering(), names, where);
    this.info(bindings); // shape errors before any GPU work
    const backend = await this.backend();
    const x = backend.tensor(input, bindShape(graphInputs[0].shape, bindings));
    let values = new Map<string, Tensor>();
    try {
      values = this.#run(backend, [x], new Set(names));
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
   * Runs the model on named inputs and resolves to every output by name, with its shape, like
   * ONNX Runtime Web's `session.run(feeds)`. Each feed is `{ data, shape }` (the shape binds the
   * symbolic dimensions) or a bare Float32Array (sizes solved from its length, as `predict`
   * does). Throws InvalidArgumentError naming an unknown or missing input before any GPU work.
   */
  async run(feeds: Readonly<Record<string, Feed>>): Promise<Record<string, OutputTensor>> {
    const issuedOn = this.#issuedOn();
    this.#assertLive('run');
    const names = this.inputNames();
    const where = `model '${this.name}'`;
    if (feeds === null || typeof feeds !== 'object' || feeds instanceof Float32Array) {
      throw new InvalidArgumentError('run', `feeds must be an object of inputs by name (${names.join(', ')}), got ${describeValue(feeds)}`, this.name);
    }
    const unknown = Object.keys(feeds).filter((k) => !names.includes(k));
    if (unknown.length > 0) throw new InvalidArgumentError('run', `no input named ${unknown.map((k) => `'${k}'`).join(', ')}; the inputs are ${names.join(', ')}`, this.name);
    const missing = names.filter((k) => feeds[k] === undefined);
    if (missing.length > 0) throw new InvalidArgumentError('run', `missing input ${missing.map((k) => `'${k}'`).join(', ')}; the inputs are ${names.join(', ')}`, this.name);
    const given = names.map((k) => feeds[k]);
    const data = given.map((f, i) => {
      const d = f instanceof Float32Array ? f : f?.data;
      if (!(d instanceof Float32Array)) throw new InvalidArgumentError('run', `input '${names[i]}' must be a Float32Array or { data: Float32Array, shape }, got ${describeValue(f)}`, this.name);
      return d;
    });
    let dims: Bindings;
    if (given.every((f) => !(f instanceof Float32Array))) {
      const shapes = given.map((f) => (f as { shape: readonly number[] }).shape);
      shapes.forEach((shape, i) => {
        if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new InvalidArgumentError('run', `input '${names[i]}' has shape ${describeValue(shape)}: give non-negative integer sizes`, this.name);
        const size = shape.reduce((a, b) => a * b, 1);
        if (size !== data[i].length) throw new ShapeError(where, `input '${names[i]}' of shape ${fmtShape(shape)} needs ${size} values, got ${data[i].length}`);
      });
      dims = this.bindShapes(shapes);
    } else {
      dims = this.#bindData(data, undefined, undefined);
    }
    const shapes = this.outputShapes(dims);
    const outs = await this.#predictAll(data, undefined, dims, issuedOn);
    const outNames = this.outputNames();
    return Object.fromEntries(outs.map((values, i) => [outNames[i], { name: outNames[i], data: values, shape: [...shapes[i]], dtype: 'float32' as const }]));
  }

  /** The names `run` takes its inputs by, in graph order. */
  inputNames(): readonly string[] {
    return this.#graph.inputs.map((i) => i.name);
  }

  /** The names `run` gives its outputs by, in graph order (an ONNX model's own output names). */
  outputNames(): readonly string[] {
    return this.#graph.outputs;
  }

  /**
   * Runs the model on one Float32Array per graph input and resolves to every output's values.
   * `batch` (or named `dims`) sizes the symbolic dimensions an input's length does not determine.
   */
  async predictAll(inputs: readonly Float32Array[], batch?: number | { batch?: number; dims?: Bindings }): Promise<Float32Array[]> {
    const opts = typeof batch === 'object' ? batch : { batch };
    return this.#predictAll(inputs, opts.batch, opts.dims, this.#issuedOn());
  }

  #bindData(inputs: readonly Float32Array[], batch: number | undefined, dims: Bindings | undefined, where = `model '${this.name}'`): Bindings {
    return bindFromData(this.#graph, inputs, { batch, dims: { ...this.#options.dims, ...dims } }, where);
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
  #checkLimits(backend: Backend, bindings: Bindings, op = 'predict'): void {
    const refuse = (what: string, shape: Shape, kind?: { parameter: boolean; splittable: boolean }) => backend.checkFits(`${op}: model '${this.name}' ${what}`, shape, kind);
    const info = this.info(bindings);
    const layers = new Map(this.#graph.nodes.map((n) => [n.name, n.layer]));
    this.#graph.inputs.forEach((gi, i) => refuse(`input '${gi.name}'`, info.inputShapes[i]));
    for (const node of info.nodes) {
      const layer = layers.get(node.name)!;
      const splits = opOf(layer, node.name).splitsParams?.(layer) ?? [];
      for (const p of node.params) {
        refuse(`layer '${node.name}' (${node.type}) parameter '${p.name}'`, p.shape, { parameter: true, splittable: splits.includes(p.name) });
      }
      refuse(`layer '${node.name}' (${node.type}) output`, node.outputShape);
    }
  }

  /**
   * The model compiled for a batch size (or named sizes) on its backend: made once, then
   * cached (on WebGPU, its execution plan).
   */
  async plan(dims: number | Bindings = 1): Promise<Executable> {
    return this.#plan(dims);
  }

  async #plan(dims: number | Bindings, progress?: ProgressReporter): Promise<Executable> {
    this.#assertLive('plan');
    const backend = await this.backend();
    // After a device loss: a new device, then (below) the weights again from the CPU copy and new plans.
    await backend.prepare();
    this.#assertLive('plan');
    const state = this.#deviceState(backend, progress);
    const info = this.info(dims);
    const key = bindingsKey(info.bindings);
    const label = `${this.name} (${typeof dims === 'number' ? `batch ${dims}` : key})`;
    let compiled = false;
    const made = await state.executable(key, () => {
      compiled = true;
      return backend.compile(info.inputShapes, (ins) => this.forward(backend, ins), { label, reuseMemory: this.#options.reuseMemory, onProgress: progress?.compile });
    });
    // Compiled before (or by a call still in flight when this one began): nothing left to compile.
    if (!compiled) progress?.report('compile', 0, 0);
    return made;
  }

  /**
   * Gets the model ready to run at a batch size (default 1) or named sizes, without running it:
   * uploads the weights and compiles the plan and every GPU pipeline it needs, so the first
   * `predict`/`run` at those sizes does no compilation. Resolves when ready; `onProgress`
   * reports the phases ('weights', 'compile' with pipelines done of total, then 'ready'). On
   * SwiftShader compiling is most of the time to a first result (seconds for ResNet-18); on the
   * CPU backend there is nothing to compile and it resolves at once.
   */
  async warmup(options: number | WarmupOptions = {}): Promise<void> {
    this.#assertLive('warmup');
    const opts: WarmupOptions = typeof options === 'number' ? { batch: options } : (options ?? {});
    if (typeof opts !== 'object') throw new InvalidArgumentError('warmup', `options must be a batch size or { batch, dims, onProgress }, got ${describeValue(options)}`, this.name);
    const issuedOn = this.#issuedOn();
    await ProgressReporter.around('warmup', opts.onProgress, async (progress) => {
      const lead: Record<string, number> = {};
      for (const i of this.#graph.inputs) if (typeof i.shape[0] === 'string') lead[i.shape[0]] = opts.batch ?? 1;
      const bindings = this.bind({ ...lead, ...opts.dims });
      this.info(bindings); // shape errors before any GPU work
      const backend = await this.backend();
      const where = `warmup: model '${this.name}'`;
      backend.checkEpoch(issuedOn, where);
      this.#checkLimits(backend, bindings, 'warmup');
      try {
        await this.#plan(bindings, progress);
      } catch (e) {
        if (e === progress.thrown) throw e;
        backend.checkEpoch(issuedOn, where);
        throw e instanceof WebCnnError ? e : await backend.explainFailure('warmup', e);
      }
      progress.report('ready', 1, 1);
    });
  }

  /**
   * Runs one forward of `input` and times each layer: on WebGPU each dispatch on the GPU
   * (timestamp queries when the adapter has them), on the CPU each layer on the host clock.
   * Fused layers are reported under the name of the last layer folded into them. `options.runs`
   * averages that many runs; by default one, or 20 when the GPU's timestamps are quantized
   * (Chrome without its WebGPU developer features: `profile.coarseTimer`; see docs/guide.md).
   */
  async profile(input: Float32Array, batch?: number, options: ProfileOptions = {}): Promise<PlanProfile> {
    const bindings = this.#bindData([input], batch, undefined);
    await this.predictAll([input], { dims: bindings });
    return (await this.plan(bindings)).profile([input], options);
  }

  /**
   * What one forward at a batch size (default 1) or named sizes asks of the GPU's parallelism:
   * its dispatches, workgroups per dispatch, and the share of multiply-adds in dispatches of
   * fewer than 128 workgroups (see `DispatchReport`). Recorded, not compiled or run, so it is
   * quick at any input size. The kernels are chosen as the backend would choose them (its
   * adapter's tuning, or the `debug.tuningAdapter` it was made with). WebGPU only.
   */
  async dispatchReport(dims: number | Bindings = 1): Promise<DispatchReport> {
    this.#assertLive('dispatchReport');
    const info = this.info(dims);
    const backend = await this.backend();
    if (!backend.dispatchReport) throw new InvalidArgumentError('dispatchReport', `the ${backend.name} backend issues no GPU dispatches; use a WebGPU backend`, this.name);
    this.#checkLimits(backend, info.bindings, 'dispatchReport');
    return backend.dispatchReport(info.inputShapes, (ins) => this.forward(backend, ins));
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
    return this.#lowering().fusions;
  }

  /** Frees the model's GPU weights and plans. A second call is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#releaseDevice();
    this.#giveBackShared();
    this.#disposed = true;
  }
}
