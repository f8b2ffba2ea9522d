/**
 * Models: a graph plus its weights, run on a backend. Two ways to build one, like Keras:
 * `Sequential` (add layers in order) and the functional API (`input()`, `apply()`, then
 * `new Model({ inputs, outputs })`) for graphs with branches, concatenation and residual adds.
 * Both make the same graph IR.
 *
 * On WebGPU, `predict()` runs an execution plan per input shape (cached): weights uploaded
 * once, every pipeline and bind group made at plan time, one submit per call. On the CPU it
 * runs the reference ops eagerly.
 *
 * Device loss: calls issued before the loss was noticed reject with `DeviceLostError`, even
 * those that had not reached the GPU yet (they never run on a device other than the one they
 * were issued on); the next call acquires a new device (`WebGpuBackend.recover()`), uploads
 * the weights again from the model's CPU copy and re-plans, then runs as before.
 */
import type { Backend } from '../backends/backend.js';
import type { Tensor } from '../tensor.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';
import { DeviceLostError, DisposedError, WebCnnError, InvalidArgumentError, LimitExceededError, ShapeError } from '../errors.js';
import { WebGpuBackend } from '../backends/webgpu/backend.js';
import { ExecutionPlan, type PlanProfile } from '../backends/webgpu/plan.js';
import { createBackend } from '../backends/create.js';
import { planMemory } from '../backends/webgpu/memory_plan.js';
import { type Graph, type GraphNode, type GraphInfo, checkGraph, inferGraph, formatSummary, withLayerName } from './graph.js';
import { type LayerConfig, type Init, applyLayer } from './layers.js';
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
    /** For inputs: the shape of one sample. */
    readonly sampleShape: Shape | null,
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

/** A model input of one sample's shape, (C, H, W) for images. */
export function input(shape: Shape, name = nextName('input')): SymbolicTensor {
  return new SymbolicTensor(name, null, [], [...shape]);
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
}

/** Options of `predict()`: the batch size (checked against the input) and image conversion. */
export interface PredictOptions {
  batch?: number;
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
      if (!i.sampleShape) throw new InvalidArgumentError(`model '${name}'`, `'${i.name}' is not a model input (make inputs with input())`);
      return { name: i.name, shape: i.sampleShape };
    }),
    nodes,
    outputs: outputs.map((o) => o.name),
  };
}

interface DeviceState {
  backend: Backend;
  weights: Map<string, Tensor>;
  plans: Map<number, Promise<ExecutionPlan>>;
  /** Plans already made, so dispose() can free them at once (pending ones are freed when made). */
  ready: Set<ExecutionPlan>;
  lowered: Lowered;
  /** The WebGPU backend's device generation the weights were uploaded to (0 elsewhere). */
  generation: number;
}

export class Model {
  #graph: Graph;
  #order: GraphNode[] | null = null;
  #info = new Map<number, GraphInfo>();
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

  /** Shapes, parameters and FLOPs of every layer for a batch size; throws naming the layer on any shape error. */
  info(batch = 1): GraphInfo {
    let got = this.#info.get(batch);
    if (!got) {
      got = inferGraph(this.#graph, batch);
      this.#info.set(batch, got);
    }
    return got;
  }

  /** Output shapes for a batch size. */
  outputShapes(batch = 1): readonly Shape[] {
    return this.info(batch).outputShapes;
  }

  get totalParams(): number {
    return this.info(1).totalParams;
  }

  /**
   * The static memory plan at layer granularity: each layer's output lives from the layer that
   * makes it to its last reader; outputs whose lifetimes do not overlap share memory.
   */
  memoryPlan(batch = 1): { peakBytes: number; naiveBytes: number } {
    const info = this.info(batch);
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
  summary(batch = 1): string {
    const info = this.info(batch);
    const mem = this.memoryPlan(batch);
    return formatSummary(this.#graph, info, [
      `activation memory (batch ${batch}): peak ${mem.peakBytes.toLocaleString('en-US')} bytes with reuse, ${mem.naiveBytes.toLocaleString('en-US')} without`,
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
    const generation = backend instanceof WebGpuBackend ? backend.generation : 0;
    if (this.#device && this.#device.backend === backend && this.#device.generation === generation) return this.#device;
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
    this.#device = { backend, weights: onDevice, plans: new Map(), ready: new Set(), lowered, generation };
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
    graphInputs.forEach((gi, i) => {
      const want = gi.shape;
      const got = inputs[i].shape;
      if (got.length !== want.length + 1 || want.some((d, j) => got[j + 1] !== d)) {
        throw new ShapeError(`model '${this.name}'`, `input '${gi.name}' must have shape [N,${want.join(',')}], got ${fmtShape(got)}`);
      }
      values.set(gi.name, inputs[i]);
    });
    const remaining = new Map<string, number>();
    for (const n of nodes) for (const i of n.inputs) remaining.set(i, (remaining.get(i) ?? 0) + 1);
    const keep = new Set([...outputs, ...graphInputs.map((g) => g.name), ...extra]);
    for (const n of nodes) {
      const ins = n.inputs.map((i) => values.get(i)!);
      const params = n.params.map((k) => state.weights.get(k)!);
      const run = () => withLayerName(n.name, n.layer.type, () => applyLayer(backend, n.layer, n.name, ins, params));
      const out = backend instanceof WebGpuBackend ? backend.withLabel(n.name, run) : run();
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
    const per = sizeOf(graphInputs[0].shape);
    const n = batch ?? (per > 0 ? input.length / per : 1);
    if (!(input instanceof Float32Array) || !Number.isInteger(n) || n < 1 || input.length !== per * n) {
      throw new ShapeError(where, `input has ${input instanceof Float32Array ? input.length : typeof input} values, not a whole batch of samples of shape [${graphInputs[0].shape.join(',')}] (${per} values each)`);
    }
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
    this.info(n); // shape errors before any GPU work
    const backend = await this.backend();
    const x = backend.tensor(input, [n, ...graphInputs[0].shape]);
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
    if (input instanceof Float32Array) return (await this.#predictAll([input], opts.batch, issuedOn))[0];
    this.#assertLive('predict');
    const shape = this.#graph.inputs[0]?.shape ?? [];
    const { data, batch } = await toModelInput(input, shape, { batch: opts.batch, image: { ...this.#options.image, ...opts.image }, model: this.name });
    return (await this.#predictAll([data], batch, issuedOn))[0];
  }

  /** Runs the model on one Float32Array per graph input and resolves to every output's values. */
  async predictAll(inputs: readonly Float32Array[], batch?: number): Promise<Float32Array[]> {
    return this.#predictAll(inputs, batch, this.#issuedOn());
  }

  /**
   * The device generation a call is issued on, or null when there is no WebGPU backend yet or
   * its device is known to be lost (such a call recovers). See `#checkIssuedOn`.
   */
  #issuedOn(): number | null {
    const b = this.#backend;
    return b instanceof WebGpuBackend && !b.isLost ? b.generation : null;
  }

  /**
   * A call issued on a device that has since been lost rejects instead of running on the
   * recovered one: the contract is that every call pending at a loss rejects, whatever point
   * it had reached, and only calls made after the loss are served by the new device.
   */
  #checkIssuedOn(backend: WebGpuBackend, issuedOn: number | null): void {
    if (issuedOn === null || (!backend.isLost && backend.generation === issuedOn)) return;
    throw new DeviceLostError(
      `predict: model '${this.name}': the GPU device was lost while this call was pending; the next call runs on a new device`,
      backend.lostInfo?.reason ?? 'destroyed',
    );
  }

  async #predictAll(inputs: readonly Float32Array[], batch: number | undefined, issuedOn: number | null): Promise<Float32Array[]> {
    this.#assertLive('predict');
    const graphInputs = this.#graph.inputs;
    if (inputs.length !== graphInputs.length) {
      throw new ShapeError(`model '${this.name}'`, `expects ${graphInputs.length} inputs, got ${inputs.length}`);
    }
    inputs.forEach((x, i) => {
      if (!(x instanceof Float32Array)) throw new ShapeError(`model '${this.name}'`, `input '${graphInputs[i].name}' must be a Float32Array, got ${describeValue(x)}`);
    });
    const per = sizeOf(graphInputs[0].shape);
    const n = batch ?? (per > 0 ? inputs[0].length / per : 1);
    inputs.forEach((x, i) => {
      const want = sizeOf(graphInputs[i].shape) * n;
      if (!Number.isInteger(n) || n < 1 || x.length !== want) {
        throw new ShapeError(
          `model '${this.name}'`,
          `input '${graphInputs[i].name}' has ${x.length} values, not a whole batch of samples of shape [${graphInputs[i].shape.join(',')}] (${sizeOf(graphInputs[i].shape)} values each)`,
        );
      }
    });
    this.info(n); // shape errors before any GPU work
    const backend = await this.backend();
    if (backend instanceof WebGpuBackend) {
      this.#checkIssuedOn(backend, issuedOn);
      this.#checkLimits(backend, n);
      let plan: ExecutionPlan;
      try {
        plan = await this.plan(n);
      } catch (e) {
        // Planning on a device that went away fails however the implementation reports it.
        this.#checkIssuedOn(backend, issuedOn);
        throw e instanceof WebCnnError ? e : await backend.lostError('predict', e);
      }
      this.#checkIssuedOn(backend, issuedOn);
      return plan.run(inputs);
    }
    const ts = inputs.map((x, i) => backend.tensor(x, [n, ...graphInputs[i].shape]));
    try {
      const outs = this.forward(backend, ts);
      const data = await Promise.all(outs.map((o) => o.read()));
      for (const o of outs) if (!ts.includes(o)) o.dispose();
      return data;
    } finally {
      for (const t of ts) t.dispose();
    }
  }

  /**
   * Refuses a batch whose declared sizes (inputs, every layer's output, parameters) exceed the
   * device's buffer limits, naming the layer, before weights are uploaded or a plan is made.
   */
  #checkLimits(backend: WebGpuBackend, batch: number): void {
    const max = Math.min(backend.limits.maxStorageBufferBindingSize, backend.limits.maxBufferSize);
    const refuse = (what: string, shape: Shape) => {
      const bytes = sizeOf(shape) * 4;
      if (bytes <= max) return;
      throw new LimitExceededError(
        `predict: model '${this.name}' ${what} ${fmtShape(shape)} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${max} bytes); use a smaller batch or input`,
      );
    };
    for (const gi of this.#graph.inputs) refuse(`input '${gi.name}'`, [batch, ...gi.shape]);
    for (const node of this.info(batch).nodes) {
      for (const p of node.params) refuse(`layer '${node.name}' (${node.type}) parameter '${p.name}'`, p.shape);
      refuse(`layer '${node.name}' (${node.type}) output`, node.outputShape);
    }
  }

  /** The execution plan for a batch size on the WebGPU backend (made once, then cached). */
  async plan(batch = 1): Promise<ExecutionPlan> {
    this.#assertLive('plan');
    const backend = await this.backend();
    if (!(backend instanceof WebGpuBackend)) throw new InvalidArgumentError('plan', `model '${this.name}' runs on the ${backend.name} backend; plans are for WebGPU`);
    // After a device loss: a new device, then (below) the weights again from the CPU copy and new plans.
    if (backend.isLost) await backend.recover();
    this.#assertLive('plan');
    const state = this.#deviceState(backend);
    let plan = state.plans.get(batch);
    if (!plan) {
      this.info(batch);
      plan = ExecutionPlan.create(
        backend,
        this.#graph.inputs.map((i) => [batch, ...i.shape]),
        (ins) => this.forward(backend, ins),
        { label: `${this.name} (batch ${batch})`, reuseMemory: this.#options.reuseMemory },
      );
      state.plans.set(batch, plan);
      plan.then(
        (made) => void state.ready.add(made),
        () => state.plans.delete(batch),
      );
    }
    return plan;
  }

  /**
   * Runs one forward of `input` on WebGPU and times each layer on the GPU (timestamp queries
   * when the adapter has them). Fused layers are reported under the name of the last layer
   * folded into them.
   */
  async profile(input: Float32Array, batch?: number): Promise<PlanProfile> {
    const per = sizeOf(this.#graph.inputs[0].shape);
    const n = batch ?? (per > 0 ? input.length / per : 1);
    await this.predict(input, n);
    return (await this.plan(n)).profile([input]);
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
  /** Shape of one sample, (C, H, W) for images. */
  inputShape: Shape;
  name?: string;
}

/** A model whose layers run one after another: `new Sequential({ inputShape }).add(…).add(…)`. */
export class Sequential extends Model {
  #count = 0;
  constructor(options: SequentialOptions) {
    super({ name: options.name ?? 'sequential', inputs: [{ name: 'input', shape: [...options.inputShape] }], nodes: [], outputs: ['input'] }, options);
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
