/**
 * What the WebGPU backend's tensors and ops run on, wired from its parts: the device session
 * (`device_session.ts`: the device, its loss and recovery), the allocator (`allocator.ts`:
 * buffers, accounting, rollback of a refused op), and the current dispatch sink, eager
 * (`eager_sink.ts`: one open pass, submitted when a result is read, on `flush()`/`sync()`, or
 * every 512 dispatches) or recording (`recording_sink.ts`, while an `ExecutionPlan` is built).
 * `WebGpuBackend` (backend.ts) adds tensors and ops on top; this class knows buffers and
 * dispatches only.
 */
import type { GpuContext, DeviceOptions } from '../../device/device.js';
import { DeviceLostError } from '../../errors.js';
import { PipelineCache } from './pipeline_cache.js';
import { type KernelCall, checkWorkgroups, checkWorkgroupSize } from './program.js';
import type { GpuStorage, GpuTensor } from './gpu_tensor.js';
import type { WebGpuDebugOptions } from './kernel_context.js';
import { DeviceSession } from './device_session.js';
import { Allocator } from './allocator.js';
import type { DispatchSink } from './dispatch_sink.js';
import { EagerSink } from './eager_sink.js';
import { RecordingSink, type Recording } from './recording_sink.js';
import { type Shape, sizeOf } from '../../shape.js';

export interface MemoryInfo {
  /** Live tensor storage buffers and their bytes. */
  buffers: number;
  bytes: number;
  /** Compiled pipelines in the cache. */
  pipelines: number;
}

/** What belongs to one device: replaced as a whole when `recover()` installs a new one. */
interface PerDevice {
  readonly pipelines: PipelineCache;
  readonly eager: EagerSink;
}

export class WebGpuRuntime {
  readonly debug: WebGpuDebugOptions;
  readonly #session: DeviceSession;
  /** Tensor buffers and op scopes, for the tensors the backend makes. */
  protected readonly allocator: Allocator;
  #current: PerDevice;
  /** The recording sink while a plan is recorded; otherwise the eager sink is current. */
  #recording: RecordingSink | null = null;
  /** `withLabel` scopes, innermost last. */
  readonly #labels: string[] = [];
  #submits = 0;

  /** `deviceOptions` are what `recover()` acquires a new device with (when the backend owns its device). */
  constructor(ctx: GpuContext, ownsDevice: boolean, debug: WebGpuDebugOptions = {}, deviceOptions: DeviceOptions = {}) {
    this.debug = debug;
    this.#session = new DeviceSession(ctx, ownsDevice, deviceOptions, (next) => {
      this.allocator.reset();
      this.#current = this.#forDevice(next.device);
    });
    this.allocator = new Allocator(this.#session);
    this.#current = this.#forDevice(ctx.device);
  }

  #forDevice(device: GPUDevice): PerDevice {
    const pipelines = new PipelineCache(device, this.debug.compilePipelines);
    if (this.debug.dumpWgsl) pipelines.onCreate = this.debug.dumpWgsl;
    return { pipelines, eager: new EagerSink(device, pipelines, this.allocator, () => this.#submits++) };
  }

  /** Where work goes now: the recording while a plan is recorded, else the eager encoder. */
  protected get sink(): DispatchSink {
    return this.#recording ?? this.#current.eager;
  }

  /** The device in use (a new one after `recover()`). */
  get ctx(): GpuContext {
    return this.#session.ctx;
  }

  get device(): GPUDevice {
    return this.#session.ctx.device;
  }

  get limits(): GpuContext['limits'] {
    return this.#session.ctx.limits;
  }

  /** The pipeline cache of the current device. */
  get pipelines(): PipelineCache {
    return this.#current.pipelines;
  }

  /** Which device this is: 0 for the first, +1 per `recover()`. Tensors and plans remember theirs. */
  get generation(): number {
    return this.#session.generation;
  }

  /** How the device was lost, or null while it is fine (or after `recover()` replaced it). */
  get lostInfo(): GPUDeviceLostInfo | null {
    return this.#session.lostInfo;
  }

  /** Whether the device was lost (and `recover()` has not yet replaced it). */
  get isLost(): boolean {
    return this.#session.lostInfo !== null;
  }

  /**
   * After a device loss, acquires a new device with the options the backend was made with and
   * makes it current: an empty pipeline cache, no live buffers. Tensors and plans made before
   * are dead (using them throws `DeviceLostError`); `Model` re-uploads its weights (it keeps
   * them on the CPU) and re-plans by itself on its next call. A no-op when the device is fine;
   * concurrent calls share one acquisition. A backend on a borrowed device (`context` option)
   * cannot re-acquire it and throws `DeviceLostError`.
   */
  recover(): Promise<void> {
    return this.#session.recover();
  }

  /**
   * The error to reject a pending call with when GPU work failed: `DeviceLostError` if the
   * device was lost (waiting briefly for the loss to be reported), else `error` itself.
   */
  lostError(op: string, error: unknown): Promise<unknown> {
    return this.#session.lostError(op, error);
  }

  /** Throws `DeviceLostError`/`DisposedError` if the backend can no longer run work. */
  assertUsable(op: string): void {
    this.#session.assertUsable(op);
  }

  /** The device generation work is issued in, or null while the device is lost (`prepare()` replaces it). */
  get epoch(): number | null {
    return this.isLost ? null : this.generation;
  }

  /** After a device loss, acquires a new device (`recover()`); nothing to do while the device is fine. */
  async prepare(): Promise<void> {
    if (this.isLost) await this.recover();
  }

  /**
   * Rejects a call issued in epoch `issued` whose device has since been lost: every call pending
   * at a loss fails, whatever point it had reached, and only calls made after it run on the new
   * device. A call issued while the device was known lost (null) starts the new epoch.
   */
  checkEpoch(issued: number | null, op: string): void {
    if (issued === null || (!this.isLost && this.generation === issued)) return;
    throw new DeviceLostError(
      `${op}: the GPU device was lost while this call was pending; the next call runs on a new device`,
      this.lostInfo?.reason ?? 'destroyed',
    );
  }

  /** The error to reject a failed call with: see `lostError`. */
  explainFailure(op: string, error: unknown): Promise<unknown> {
    return this.#session.lostError(op, error);
  }

  /** Refuses, before any work, a tensor of `shape` this device cannot bind, naming `what` (`LimitExceededError`). */
  checkFits(what: string, shape: Shape, kind: { parameter?: boolean; splittable?: boolean } = {}): void {
    this.allocator.checkFits(what, shape, kind);
  }

  /** Number of queue submits so far (a planned forward is exactly one). */
  get submitCount(): number {
    return this.#submits;
  }

  memoryInfo(): MemoryInfo {
    return { ...this.allocator.live, pipelines: this.pipelines.stats.pipelines };
  }

  /** Storage for a new tensor from the current sink; `zeroed`: it must read as zeros. */
  protected newStorage(shape: Shape, op: string, zeroed: boolean): GpuStorage {
    const bytes = sizeOf(shape) * 4;
    return zeroed ? this.sink.zeros(bytes, op, shape) : this.sink.empty(bytes, op, shape);
  }

  /** A read-only buffer (tables, indices) freed after the next submit, or owned by the plan being recorded. */
  auxBuffer(data: Uint32Array | Int32Array | Float32Array, label = 'aux'): GPUBuffer {
    this.#session.assertUsable(label);
    return this.sink.auxBuffer(data, label);
  }

  /** Called by `GpuTensor.dispose()`. Buffers used by unsubmitted work are freed after the submit. */
  releaseStorage(storage: GpuStorage): void {
    const buffer = this.allocator.release(storage);
    if (buffer) this.#current.eager.free(buffer);
  }

  /** Counts buffers made outside the allocator (execution plans) in `memoryInfo()`; negative to uncount. */
  accountExternal(buffers: number, bytes: number): void {
    this.allocator.account(buffers, bytes);
  }

  /**
   * Issues one dispatch to the current sink. `buffers` fill the kernel's non-uniform bindings
   * in order; the uniform binding (if any) is made from `call.uniforms`.
   */
  run(call: KernelCall, buffers: readonly (GpuTensor | GPUBuffer)[]): void {
    this.#session.assertUsable(call.label ?? call.kernel.name);
    checkWorkgroups(call, this.limits.maxComputeWorkgroupsPerDimension);
    checkWorkgroupSize(call, this.limits);
    this.sink.dispatch(call, buffers, this.#labels.at(-1));
  }

  /**
   * Records instead of running: inside `build`, ops allocate virtual tensors and append their
   * dispatches to the returned recording. Used by `ExecutionPlan`.
   */
  record<T>(build: () => T): { result: T; recording: Recording } {
    if (this.#recording) throw new Error('record: a plan is already being recorded on this backend');
    this.#session.assertUsable('record');
    const sink = new RecordingSink(this.allocator);
    this.#recording = sink;
    try {
      return { result: build(), recording: sink.recording };
    } catch (e) {
      sink.discard();
      throw e;
    } finally {
      this.#recording = null;
    }
  }

  /** Runs `fn` with dispatches attributed to `label` (a layer name) for per-layer timing. */
  withLabel<T>(label: string, fn: () => T): T {
    this.#labels.push(label);
    try {
      return fn();
    } finally {
      this.#labels.pop();
    }
  }

  /** `withLabel`, by the name every backend has. */
  scope<T>(label: string, fn: () => T): T {
    return this.withLabel(label, fn);
  }

  /** Runs `encode` on a new command encoder after any eager work, and submits both at once. */
  submitWith(encode: (encoder: GPUCommandEncoder) => void): void {
    this.#session.assertUsable('submit');
    this.flush(encode);
  }

  /** Ends the open pass, submits the eager work and frees what it no longer needs. */
  flush(extra?: (encoder: GPUCommandEncoder) => void): void {
    this.#current.eager.flush(extra);
  }

  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
  }

  /** Submits what is pending and destroys the device if the backend acquired it. A second call is harmless. */
  dispose(): void {
    if (this.#session.disposed) return;
    this.flush();
    this.#session.dispose();
  }
}
