/**
 * The WebGPU backend. Ops are recorded eagerly into one open command encoder and compute pass;
 * the work is submitted when a result is read, on `flush()`/`sync()`, or every
 * `MAX_PENDING_DISPATCHES` dispatches. Pipelines come from the cache; buffers are accounted
 * for (`memoryInfo()`).
 */
import type { Backend } from '../backend.js';
import type {
  TrainingBackend, GradRequest, Conv2dGrads, DenseGrads, SubsampleGrads, LossResult, BatchNormTrainParams,
  BatchNormTrainResult, BatchNormGrads, SgdParams, AdamParams,
} from '../training.js';
import { conv2dBackwardGpu } from './kernels/conv2d_backward.js';
import { pool2dBackwardGpu, globalPoolBackwardGpu, adaptiveAvgPoolBackwardGpu, subsampleBackwardGpu } from './kernels/pool_backward.js';
import { denseBackwardGpu, rbfBackwardGpu } from './kernels/matmul_backward.js';
import { softmaxCrossEntropyGpu, mseLossGpu, rbfLossGpu } from './kernels/loss.js';
import { augmentGpu } from './kernels/augment.js';
import type { AugmentParams } from '../../ops/augment.js';
import { dropoutTrainGpu } from './kernels/dropout.js';
import { sgdStepGpu, adamStepGpu } from './kernels/optimizer.js';
import type { Tensor } from '../../tensor.js';
import { type Shape, fmtShape, sizeOf, assertValidShape } from '../../shape.js';
import {
  BackendMismatchError,
  DeviceLostError,
  DisposedError,
  LimitExceededError,
  ShapeError,
} from '../../errors.js';
import { type GpuContext, type DeviceOptions, acquireDevice } from '../../device/device.js';
import { PipelineCache } from './pipeline_cache.js';
import { type KernelCall, checkWorkgroups } from './program.js';
import { GpuStorage, GpuTensor } from './gpu_tensor.js';
import type { Activation } from '../../ops/activation.js';
import type { Conv2dParams } from '../../ops/conv2d.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../../ops/pool.js';
import type { MatmulParams } from '../../ops/matmul.js';
import type { BatchNormParams } from '../../ops/normalization.js';
import { addGpu, mulGpu } from './kernels/elementwise.js';
import { activationGpu, activationBackwardGpu } from './kernels/activation.js';
import { conv2dGpu } from './kernels/conv2d.js';
import { pool2dGpu, globalPoolGpu, adaptiveAvgPoolGpu, subsampleGpu } from './kernels/pool.js';
import { lrnGpu, lrnBackwardGpu } from './kernels/lrn.js';
import { matmulGpu, denseGpu, rbfGpu, softmaxGpu } from './kernels/matmul.js';
import { batchNormGpu, batchNormTrainGpu, batchNormBackwardGpu } from './kernels/batchnorm.js';
import { concatGpu, sumToGpu, sliceGpu, accumulateGpu } from './kernels/tensor_ops.js';
import { reshapeShape, flattenShape, checkDropoutRate } from '../../ops/elementwise.js';

/** Submit after this many recorded dispatches even if nobody reads. */
const MAX_PENDING_DISPATCHES = 512;

/** Debug switches a user can reach. */
export interface WebGpuDebugOptions {
  /** Called with the key and WGSL of every pipeline the first time it is created. */
  dumpWgsl?: (key: string, code: string) => void;
  /** Use the simplest kernel of each family (e.g. direct conv instead of implicit GEMM). */
  forceNaive?: boolean;
}

export interface WebGpuBackendOptions extends DeviceOptions {
  /** Use this context instead of acquiring a device (the backend will not destroy it). */
  context?: GpuContext;
  debug?: WebGpuDebugOptions;
}

/** One dispatch captured while recording a plan: the call and its non-uniform bindings. */
export interface RecordedDispatch {
  readonly call: KernelCall;
  readonly bindings: readonly (GpuStorage | GPUBuffer)[];
  /** The layer (or other scope) that issued it, from `withLabel`. */
  readonly scope?: string;
}

/** What the backend captures while a plan is recorded (see `ExecutionPlan`). */
export interface Recording {
  readonly dispatches: RecordedDispatch[];
  /** Virtual storages in creation order. */
  readonly storages: GpuStorage[];
  /** Buffers made during recording that the plan owns (kernel tables, indices). */
  readonly owned: GPUBuffer[];
}

export interface MemoryInfo {
  /** Live tensor storage buffers and their bytes. */
  buffers: number;
  bytes: number;
  /** Compiled pipelines in the cache. */
  pipelines: number;
}

export class WebGpuBackend implements Backend, TrainingBackend {
  readonly name = 'webgpu' as const;
  readonly debug: WebGpuDebugOptions;
  readonly #ownsDevice: boolean;
  readonly #deviceOptions: DeviceOptions;
  #ctx: GpuContext;
  #pipelines: PipelineCache;
  /** Incremented each time `recover()` installs a new device; tensors and plans remember theirs. */
  #generation = 0;
  #recovering: Promise<void> | null = null;
  #encoder: GPUCommandEncoder | null = null;
  #pass: GPUComputePassEncoder | null = null;
  #pendingDispatches = 0;
  #transient: GPUBuffer[] = [];
  #deferredFree: GPUBuffer[] = [];
  #liveBuffers = 0;
  #liveBytes = 0;
  #submits = 0;
  #lost: GPUDeviceLostInfo | null = null;
  #disposed = false;
  #recording: Recording | null = null;
  #scopes: string[] = [];

  /** `deviceOptions` are what `recover()` acquires a new device with (when the backend owns its device). */
  constructor(ctx: GpuContext, ownsDevice: boolean, debug: WebGpuDebugOptions = {}, deviceOptions: DeviceOptions = {}) {
    this.#ownsDevice = ownsDevice;
    this.#deviceOptions = deviceOptions;
    this.debug = debug;
    this.#ctx = ctx;
    this.#pipelines = this.#install(ctx);
  }

  /** Acquires a device (or uses `options.context`) and makes a backend on it. */
  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const ctx = options.context ?? (await acquireDevice(options));
    const { context, debug, ...deviceOptions } = options;
    return new WebGpuBackend(ctx, !context, debug, deviceOptions);
  }

  /** Watches `ctx` for loss and makes its pipeline cache. */
  #install(ctx: GpuContext): PipelineCache {
    const generation = this.#generation;
    void ctx.lost.then((info) => {
      if (this.#generation === generation) this.#lost = info;
    });
    const cache = new PipelineCache(ctx.device);
    if (this.debug.dumpWgsl) cache.onCreate = this.debug.dumpWgsl;
    return cache;
  }

  /** The device in use (a new one after `recover()`). */
  get ctx(): GpuContext {
    return this.#ctx;
  }

  /** The pipeline cache of the current device. */
  get pipelines(): PipelineCache {
    return this.#pipelines;
  }

  /** Which device this is: 0 for the first, +1 per `recover()`. */
  get generation(): number {
    return this.#generation;
  }

  /** How the device was lost, or null while it is fine (or after `recover()` replaced it). */
  get lostInfo(): GPUDeviceLostInfo | null {
    return this.#lost;
  }

  /** Whether the device was lost (and `recover()` has not yet replaced it). */
  get isLost(): boolean {
    return this.#lost !== null;
  }

  /**
   * After a device loss, acquires a new device with the options the backend was made with and
   * makes it current: an empty pipeline cache, no live buffers. Tensors and plans made before
   * are dead (using them throws `DeviceLostError`); `Model` re-uploads its weights (it keeps
   * them on the CPU) and re-plans by itself on its next call. A no-op when the device is fine;
   * concurrent calls share one acquisition. A backend on a borrowed device (`context` option)
   * cannot re-acquire it and throws `DeviceLostError`.
   */
  async recover(): Promise<void> {
    if (this.#disposed) throw new DisposedError('recover: the WebGPU backend was disposed');
    if (!this.#lost) return;
    if (!this.#ownsDevice) {
      throw new DeviceLostError(
        `recover: the GPU device was lost (${this.#lost.reason}: ${this.#lost.message}) and this backend runs on a device it was lent (the context option): acquire a new device and make a new backend`,
        this.#lost.reason,
      );
    }
    this.#recovering ??= (async () => {
      try {
        const ctx = await acquireDevice(this.#deviceOptions);
        this.#generation++;
        this.#ctx = ctx;
        this.#pipelines = this.#install(ctx);
        this.#encoder = null;
        this.#pass = null;
        this.#pendingDispatches = 0;
        this.#transient = [];
        this.#deferredFree = [];
        this.#liveBuffers = 0;
        this.#liveBytes = 0;
        this.#lost = null;
      } finally {
        this.#recovering = null;
      }
    })();
    return this.#recovering;
  }

  /**
   * The error to reject a pending call with when GPU work failed: `DeviceLostError` if the
   * device was lost (waiting briefly for the loss to be reported), else `error` itself.
   */
  async lostError(op: string, error: unknown): Promise<unknown> {
    const ctx = this.#ctx;
    const info = this.#lost ?? (await Promise.race([ctx.lost, new Promise<null>((r) => setTimeout(() => r(null), 1000))]));
    if (!info) return error;
    return new DeviceLostError(`${op}: the GPU device was lost while the work was pending (${info.reason}: ${info.message})`, info.reason);
  }

  get device(): GPUDevice {
    return this.ctx.device;
  }

  get limits(): GpuContext['limits'] {
    return this.ctx.limits;
  }

  /** Number of queue submits so far (a planned forward is exactly one). */
  get submitCount(): number {
    return this.#submits;
  }

  memoryInfo(): MemoryInfo {
    return { buffers: this.#liveBuffers, bytes: this.#liveBytes, pipelines: this.pipelines.stats.pipelines };
  }

  // ---------------------------------------------------------------------------------------
  // Tensors and buffers

  #checkUsable(op: string): void {
    if (this.#disposed) throw new DisposedError(`${op}: the WebGPU backend was disposed`);
    if (this.#lost) {
      throw new DeviceLostError(`${op}: the GPU device was lost (${this.#lost.reason}: ${this.#lost.message})`, this.#lost.reason);
    }
  }

  /** Checks that `t` is a live tensor of this backend and returns it typed. */
  own(t: Tensor, op: string, what = 'input'): GpuTensor {
    if (!(t instanceof GpuTensor) || t.backend !== this) {
      throw new BackendMismatchError(`${op}: ${what} ${String(t)} belongs to another backend; move it with tensor(await t.read(), t.shape)`);
    }
    t.assertLive(op);
    if (t.storage.generation !== this.#generation) {
      throw new DeviceLostError(`${op}: ${what} ${String(t)} was made on a GPU device that has since been lost; make it again on the recovered device`, 'destroyed');
    }
    return t;
  }

  #checkSize(bytes: number, op: string, shape: Shape): void {
    const max = Math.min(this.limits.maxStorageBufferBindingSize, this.limits.maxBufferSize);
    if (bytes > max) {
      throw new LimitExceededError(
        `${op}: tensor ${fmtShape(shape)} needs ${bytes} bytes, more than this device's maxStorageBufferBindingSize (${max} bytes)`,
      );
    }
  }

  #allocate(bytes: number, op: string, shape: Shape): GPUBuffer {
    this.#checkSize(bytes, op, shape);
    // Rounded to 16 bytes so vec4 loads at the tail stay in bounds.
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const buffer = this.device.createBuffer({
      label: `${op} ${fmtShape(shape)}`,
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.#liveBuffers++;
    this.#liveBytes += size;
    return buffer;
  }

  /** An uninitialised (zero-filled by WebGPU) tensor, for kernels to write into. */
  empty(shape: Shape, op = 'empty'): GpuTensor {
    this.#checkUsable(op);
    assertValidShape(op, 'output', shape);
    const bytes = sizeOf(shape) * 4;
    let t: GpuTensor;
    if (this.#recording) {
      this.#checkSize(bytes, op, shape);
      const storage = new GpuStorage(null, Math.max(16, Math.ceil(bytes / 16) * 16), this.#generation);
      this.#recording.storages.push(storage);
      t = new GpuTensor(this, storage, shape);
    } else {
      const buffer = this.#allocate(bytes, op, shape);
      t = new GpuTensor(this, new GpuStorage(buffer, buffer.size, this.#generation), shape);
    }
    this.#opScopes.at(-1)?.push(t);
    return t;
  }

  /** Per op being run (innermost last), the tensors `empty()` made for it: see `#op`. */
  #opScopes: GpuTensor[][] = [];

  /**
   * Runs one op's kernel code. If it throws part-way (a dispatch over the device's limits,
   * say, found after the output was allocated), the tensors it had made are disposed, so a
   * refused op leaves no buffer behind. On success they pass to the enclosing op, if any.
   */
  #op<T>(fn: () => T): T {
    const made: GpuTensor[] = [];
    this.#opScopes.push(made);
    try {
      const result = fn();
      this.#opScopes.pop();
      this.#opScopes.at(-1)?.push(...made);
      return result;
    } catch (e) {
      this.#opScopes.pop();
      for (const t of made) t.dispose();
      throw e;
    }
  }

  tensor(data: Float32Array | readonly number[], shape: Shape): GpuTensor {
    this.#checkUsable('tensor');
    assertValidShape('tensor', 'data', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('tensor', `data has ${data.length} values but shape ${fmtShape(shape)} needs ${sizeOf(shape)}`);
    }
    // Always a real buffer, even while recording a plan: data given up front is a constant.
    const buffer = this.#allocate(sizeOf(shape) * 4, 'tensor', shape);
    const t = new GpuTensor(this, new GpuStorage(buffer, buffer.size, this.#generation), shape);
    if (data.length > 0) {
      const src = data instanceof Float32Array ? data : Float32Array.from(data);
      this.device.queue.writeBuffer(t.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    }
    return t;
  }

  write(t: Tensor, data: Float32Array): void {
    const g = this.own(t, 'write');
    this.#checkUsable('write');
    if (data.length !== g.size) throw new ShapeError('write', `${data.length} values for tensor ${fmtShape(g.shape)} of ${g.size}`);
    // Recorded-but-unsubmitted work must see the old values: submit it first.
    this.flush();
    if (data.length > 0) this.device.queue.writeBuffer(g.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  zeros(shape: Shape): GpuTensor {
    return this.empty(shape, 'zeros');
  }

  /** A transient read-only buffer (tables, indices) freed after the next submit. */
  auxBuffer(data: Uint32Array | Int32Array | Float32Array, label = 'aux'): GPUBuffer {
    this.#checkUsable(label);
    const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    const buffer = this.device.createBuffer({ label, size, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
    this.device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    if (this.#recording) this.#recording.owned.push(buffer);
    else this.#transient.push(buffer);
    return buffer;
  }

  /** A new tensor handle sharing `t`'s buffer (reshape, flatten, dropout at inference). */
  view(t: GpuTensor, shape: Shape): GpuTensor {
    t.storage.refs++;
    return new GpuTensor(this, t.storage, shape);
  }

  /** Called by `GpuTensor.dispose()`. Buffers used by unsubmitted work are freed after the submit. */
  releaseStorage(storage: GpuStorage): void {
    storage.refs--;
    if (storage.refs > 0 || !storage.buffer) return;
    // A buffer of a lost device: not counted any more, and nothing to free on the new device.
    if (storage.generation !== this.#generation) return;
    this.#liveBuffers--;
    this.#liveBytes -= storage.bytes;
    if (this.#encoder) this.#deferredFree.push(storage.buffer);
    else storage.buffer.destroy();
  }

  // ---------------------------------------------------------------------------------------
  // Recording and submitting

  /**
   * Records one dispatch. `buffers` fill the kernel's non-uniform bindings in order; the
   * uniform binding (if any) is made from `call.uniforms`.
   */
  run(call: KernelCall, buffers: readonly (GpuTensor | GPUBuffer)[]): void {
    this.#checkUsable(call.label ?? call.kernel.name);
    checkWorkgroups(call, this.limits.maxComputeWorkgroupsPerDimension);
    if (this.#recording) {
      const expected = call.kernel.bindings.filter((k) => k !== 'uniform').length;
      if (expected !== buffers.length) throw new Error(`${call.kernel.name}: ${buffers.length} buffers given, ${expected} bindings`);
      this.#recording.dispatches.push({
        call,
        bindings: buffers.map((b) => (b instanceof GpuTensor ? b.storage : b)),
        scope: this.#scopes.at(-1),
      });
      return;
    }
    const pipeline = this.pipelines.get(call.kernel, call.overrides);
    const entries: GPUBindGroupEntry[] = [];
    let next = 0;
    call.kernel.bindings.forEach((kind, binding) => {
      if (kind === 'uniform') {
        if (!call.uniforms) throw new Error(`${call.kernel.name}: kernel declares a uniform binding but the call has no uniforms`);
        const ub = this.device.createBuffer({ size: call.uniforms.byteLength, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
        new Uint8Array(ub.getMappedRange()).set(new Uint8Array(call.uniforms));
        ub.unmap();
        this.#transient.push(ub);
        entries.push({ binding, resource: { buffer: ub } });
      } else {
        const b = buffers[next++];
        if (!b) throw new Error(`${call.kernel.name}: binding ${binding} has no buffer`);
        entries.push({ binding, resource: { buffer: b instanceof GpuTensor ? b.buffer : b } });
      }
    });
    if (next !== buffers.length) throw new Error(`${call.kernel.name}: ${buffers.length} buffers given, ${next} bindings`);
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    if (!this.#encoder) this.#encoder = this.device.createCommandEncoder({ label: 'webcnn eager' });
    if (!this.#pass) this.#pass = this.#encoder.beginComputePass({ label: 'webcnn eager' });
    this.#pass.setPipeline(pipeline);
    this.#pass.setBindGroup(0, bindGroup);
    const [x, y, z] = call.workgroups;
    if (x > 0 && y > 0 && z > 0) this.#pass.dispatchWorkgroups(x, y, z);
    if (++this.#pendingDispatches >= MAX_PENDING_DISPATCHES) this.flush();
  }

  /**
   * Records instead of running: inside `build`, ops allocate virtual tensors and append their
   * dispatches to the returned recording. Used by `ExecutionPlan`.
   */
  record<T>(build: () => T): { result: T; recording: Recording } {
    if (this.#recording) throw new Error('record: a plan is already being recorded on this backend');
    this.#checkUsable('record');
    const recording: Recording = { dispatches: [], storages: [], owned: [] };
    this.#recording = recording;
    try {
      return { result: build(), recording };
    } catch (e) {
      for (const b of recording.owned) b.destroy();
      throw e;
    } finally {
      this.#recording = null;
    }
  }

  /** Runs `fn` with dispatches attributed to `label` (a layer name) for per-layer timing. */
  withLabel<T>(label: string, fn: () => T): T {
    this.#scopes.push(label);
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  /** Runs `encode` on a new command encoder after any eager work, and submits both at once. */
  submitWith(encode: (encoder: GPUCommandEncoder) => void): void {
    this.#checkUsable('submit');
    this.flush(encode);
  }

  /** Counts buffers made outside `empty()` (execution plans) in `memoryInfo()`. */
  accountExternal(buffers: number, bytes: number): void {
    this.#liveBuffers += buffers;
    this.#liveBytes += bytes;
  }

  /** Throws `DeviceLostError`/`DisposedError` if the backend can no longer run work. */
  assertUsable(op: string): void {
    this.#checkUsable(op);
  }

  /** Ends the open pass, submits recorded work and frees what it no longer needs. */
  flush(extra?: (encoder: GPUCommandEncoder) => void): void {
    if (!this.#encoder && !extra) return;
    const encoder = this.#encoder ?? this.device.createCommandEncoder({ label: 'webcnn eager' });
    this.#pass?.end();
    extra?.(encoder);
    this.device.queue.submit([encoder.finish()]);
    this.#submits++;
    this.#encoder = null;
    this.#pass = null;
    this.#pendingDispatches = 0;
    for (const b of this.#transient) b.destroy();
    for (const b of this.#deferredFree) b.destroy();
    this.#transient = [];
    this.#deferredFree = [];
  }

  async read(t: Tensor): Promise<Float32Array> {
    const g = this.own(t, 'read');
    this.#checkUsable('read');
    const bytes = g.size * 4;
    if (bytes === 0) return new Float32Array(0);
    const staging = this.device.createBuffer({ label: 'readback', size: Math.ceil(bytes / 4) * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.flush((enc) => enc.copyBufferToBuffer(g.buffer, 0, staging, 0, bytes));
    try {
      await Promise.race([
        staging.mapAsync(GPUMapMode.READ),
        this.ctx.lost.then((info) => {
          throw new DeviceLostError(`read: the GPU device was lost while reading ${fmtShape(g.shape)} (${info.message})`, info.reason);
        }),
      ]);
      return new Float32Array(staging.getMappedRange().slice(0));
    } finally {
      staging.destroy();
    }
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.flush();
    this.#disposed = true;
    if (this.#ownsDevice) this.device.destroy();
  }

  // ---------------------------------------------------------------------------------------
  // Ops

  conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params: Conv2dParams = {}): Tensor {
    return this.#op(() => conv2dGpu(this, this.own(x, 'conv2d'), this.own(w, 'conv2d', 'weights'), bias && this.own(bias, 'conv2d', 'bias'), params));
  }
  pool2d(x: Tensor, params: Pool2dParams): Tensor {
    return this.#op(() => pool2dGpu(this, this.own(x, 'pool2d'), params));
  }
  globalPool(x: Tensor, type: 'max' | 'avg'): Tensor {
    return this.#op(() => globalPoolGpu(this, this.own(x, 'globalPool'), type));
  }
  adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor {
    return this.#op(() => adaptiveAvgPoolGpu(this, this.own(x, 'adaptiveAvgPool'), params));
  }
  subsample(x: Tensor, coeff: Tensor, bias: Tensor, params: SubsampleParams = {}): Tensor {
    return this.#op(() => subsampleGpu(this, this.own(x, 'subsample'), this.own(coeff, 'subsample', 'coeff'), this.own(bias, 'subsample', 'bias'), params));
  }
  lrn(x: Tensor, params: LrnParams = {}): Tensor {
    return this.#op(() => lrnGpu(this, this.own(x, 'lrn'), params));
  }
  matmul(a: Tensor, b: Tensor, params: MatmulParams = {}): Tensor {
    const bias = params.bias && this.own(params.bias, 'matmul', 'bias');
    return this.#op(() => matmulGpu(this, this.own(a, 'matmul', 'a'), this.own(b, 'matmul', 'b'), bias, params));
  }
  dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor {
    return this.#op(() => denseGpu(this, this.own(x, 'dense'), this.own(w, 'dense', 'weights'), bias && this.own(bias, 'dense', 'bias'), activation));
  }
  rbf(x: Tensor, centers: Tensor): Tensor {
    return this.#op(() => rbfGpu(this, this.own(x, 'rbf'), this.own(centers, 'rbf', 'centers')));
  }
  softmax(x: Tensor, axis = -1): Tensor {
    return this.#op(() => softmaxGpu(this, this.own(x, 'softmax'), axis));
  }
  activation(x: Tensor, act: Activation): Tensor {
    return this.#op(() => activationGpu(this, this.own(x, 'activation'), act));
  }
  add(a: Tensor, b: Tensor): Tensor {
    return this.#op(() => addGpu(this, this.own(a, 'add', 'a'), this.own(b, 'add', 'b')));
  }
  mul(a: Tensor, b: Tensor): Tensor {
    return this.#op(() => mulGpu(this, this.own(a, 'mul', 'a'), this.own(b, 'mul', 'b')));
  }
  batchNorm(x: Tensor, params: BatchNormParams): Tensor {
    const own = (t: Tensor, what: string) => this.own(t, 'batchNorm', what);
    const xin = own(x, 'input');
    const p = { ...params, gamma: own(params.gamma, 'gamma'), beta: own(params.beta, 'beta'), mean: own(params.mean, 'mean'), variance: own(params.variance, 'variance') };
    return this.#op(() => batchNormGpu(this, xin, p));
  }
  concat(xs: readonly Tensor[], axis = 1): Tensor {
    return this.#op(() => concatGpu(this, xs.map((t, i) => this.own(t, 'concat', `input ${i}`)), axis));
  }
  reshape(x: Tensor, shape: Shape): Tensor {
    const g = this.own(x, 'reshape');
    return this.view(g, reshapeShape(g.shape, shape));
  }
  flatten(x: Tensor, axis = 1): Tensor {
    const g = this.own(x, 'flatten');
    return this.view(g, flattenShape(g.shape, axis));
  }
  dropout(x: Tensor, rate: number): Tensor {
    const g = this.own(x, 'dropout');
    checkDropoutRate(rate);
    return this.view(g, g.shape);
  }

  // ---------------------------------------------------------------------------------------
  // Training (see ../training.ts)

  activationBackward(y: Tensor, dy: Tensor, act: Activation): Tensor {
    return this.#op(() => activationBackwardGpu(this, this.own(y, 'activationBackward', 'y'), this.own(dy, 'activationBackward', 'dy'), act));
  }
  conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, params: Conv2dParams = {}, want: GradRequest = {}): Conv2dGrads {
    return this.#op(() => conv2dBackwardGpu(this, this.own(x, 'conv2dBackward'), this.own(w, 'conv2dBackward', 'weights'), this.own(dy, 'conv2dBackward', 'dy'), params, want));
  }
  denseBackward(x: Tensor, w: Tensor, dy: Tensor, want: GradRequest = {}): DenseGrads {
    return this.#op(() => denseBackwardGpu(this, this.own(x, 'denseBackward'), this.own(w, 'denseBackward', 'weights'), this.own(dy, 'denseBackward', 'dy'), want));
  }
  rbfBackward(x: Tensor, centers: Tensor, dy: Tensor): { dx: Tensor; dcenters: Tensor } {
    return this.#op(() => rbfBackwardGpu(this, this.own(x, 'rbfBackward'), this.own(centers, 'rbfBackward', 'centers'), this.own(dy, 'rbfBackward', 'dy')));
  }
  pool2dBackward(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor {
    return this.#op(() => pool2dBackwardGpu(this, this.own(x, 'pool2dBackward'), this.own(dy, 'pool2dBackward', 'dy'), params));
  }
  globalPoolBackward(x: Tensor, dy: Tensor, type: 'max' | 'avg'): Tensor {
    return this.#op(() => globalPoolBackwardGpu(this, this.own(x, 'globalPoolBackward'), this.own(dy, 'globalPoolBackward', 'dy'), type));
  }
  adaptiveAvgPoolBackward(x: Tensor, dy: Tensor, params: AdaptivePoolParams): Tensor {
    return this.#op(() => adaptiveAvgPoolBackwardGpu(this, this.own(x, 'adaptiveAvgPoolBackward'), this.own(dy, 'adaptiveAvgPoolBackward', 'dy'), params));
  }
  subsampleBackward(x: Tensor, coeff: Tensor, dy: Tensor, params: SubsampleParams = {}): SubsampleGrads {
    return this.#op(() => subsampleBackwardGpu(this, this.own(x, 'subsampleBackward'), this.own(coeff, 'subsampleBackward', 'coeff'), this.own(dy, 'subsampleBackward', 'dy'), params));
  }
  lrnBackward(x: Tensor, dy: Tensor, params: LrnParams = {}): Tensor {
    return this.#op(() => lrnBackwardGpu(this, this.own(x, 'lrnBackward'), this.own(dy, 'lrnBackward', 'dy'), params));
  }
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): LossResult {
    return this.#op(() => softmaxCrossEntropyGpu(this, this.own(logits, 'softmaxCrossEntropy', 'logits'), this.own(labels, 'softmaxCrossEntropy', 'labels')));
  }
  mseLoss(pred: Tensor, target: Tensor): LossResult {
    return this.#op(() => mseLossGpu(this, this.own(pred, 'mseLoss', 'prediction'), this.own(target, 'mseLoss', 'target')));
  }
  rbfLoss(distances: Tensor, labels: Tensor): LossResult {
    return this.#op(() => rbfLossGpu(this, this.own(distances, 'rbfLoss', 'distances'), this.own(labels, 'rbfLoss', 'labels')));
  }
  batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, params: BatchNormTrainParams = {}): BatchNormTrainResult {
    const o = (t: Tensor, what: string) => this.own(t, 'batchNormTrain', what);
    return this.#op(() => batchNormTrainGpu(this, o(x, 'input'), o(gamma, 'gamma'), o(beta, 'beta'), o(runningMean, 'runningMean'), o(runningVar, 'runningVar'), params));
  }
  batchNormBackward(x: Tensor, dy: Tensor, gamma: Tensor, mean: Tensor, invStd: Tensor): BatchNormGrads {
    const o = (t: Tensor, what: string) => this.own(t, 'batchNormBackward', what);
    return this.#op(() => batchNormBackwardGpu(this, o(x, 'input'), o(dy, 'dy'), o(gamma, 'gamma'), o(mean, 'mean'), o(invStd, 'invStd')));
  }
  dropoutTrain(x: Tensor, rate: number, seed: Tensor): { y: Tensor; mask: Tensor } {
    return this.#op(() => dropoutTrainGpu(this, this.own(x, 'dropoutTrain'), rate, this.own(seed, 'dropoutTrain', 'seed')));
  }
  augment(x: Tensor, seed: Tensor, params: AugmentParams = {}): Tensor {
    return this.#op(() => augmentGpu(this, this.own(x, 'augment'), this.own(seed, 'augment', 'seed'), params));
  }
  sumTo(x: Tensor, shape: Shape): Tensor {
    return this.#op(() => sumToGpu(this, this.own(x, 'sumTo'), shape));
  }
  slice(x: Tensor, axis: number, start: number, size: number): Tensor {
    return this.#op(() => sliceGpu(this, this.own(x, 'slice'), axis, start, size));
  }
  accumulate(acc: Tensor, x: Tensor): void {
    accumulateGpu(this, this.own(acc, 'accumulate', 'accumulator'), this.own(x, 'accumulate'));
  }
  sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | undefined, hyper: Tensor, params: SgdParams = {}): void {
    const o = (t: Tensor, what: string) => this.own(t, 'sgdStep', what);
    sgdStepGpu(this, o(param, 'param'), o(grad, 'grad'), velocity && o(velocity, 'velocity'), o(hyper, 'hyper'), params);
  }
  adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: Tensor, params: AdamParams = {}): void {
    const o = (t: Tensor, what: string) => this.own(t, 'adamStep', what);
    adamStepGpu(this, o(param, 'param'), o(grad, 'grad'), o(m, 'm'), o(v, 'v'), o(hyper, 'hyper'), params);
  }
}
