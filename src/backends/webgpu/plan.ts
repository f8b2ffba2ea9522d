/**
 * Execution plans: a computation recorded once on placeholder tensors, then run many times
 * with no allocation, no pipeline or bind-group creation and exactly one queue submit per run.
 *
 * At plan time: the ops run in recording mode (their dispatches are captured, their outputs
 * are virtual), the memory planner gives every virtual tensor a buffer (tensors whose
 * lifetimes do not overlap share one), the pipelines it lacks are compiled (each distinct one
 * once; `PipelineCache.compileAll`), and bind groups and one packed uniform buffer are
 * made. At run time: inputs are written, the buffers of `zeros()` tensors are cleared, one pass
 * replays the dispatches, outputs are copied to persistent staging buffers, and everything
 * goes in one submit.
 */
import type { DispatchTiming, ExecutableMemory, PlanProfile, ProfileOptions } from '../backend.js';
import { averageTimings, isCoarseTimer, profileOf, profileRuns } from '../profile.js';
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { fmtShape, sizeOf } from '../../shape.js';
import { ShapeError, DisposedError, DeviceLostError } from '../../errors.js';
import type { WebGpuRuntime } from './runtime.js';
import type { KernelContext } from './kernel_context.js';
import type { Recording } from './recording_sink.js';
import { type GpuTensor, GpuStorage } from './gpu_tensor.js';
import { planMemory, type Lifetime, type MemoryPlan } from '../memory_plan.js';
import { makeBindGroup } from './bind_groups.js';
import { type Step, type Clear, encodeSteps } from './plan_steps.js';

/** What a plan needs of the backend it is recorded on and runs on (`WebGpuBackend` is one). */
export type PlanBackend = WebGpuRuntime & KernelContext;

export interface PlanOptions {
  /** Share buffers between tensors whose lifetimes do not overlap (default true). Off is a debug switch. */
  reuseMemory?: boolean;
  label?: string;
  /** Pipelines compiled so far, of the distinct ones the plan needs that were not compiled yet. */
  onProgress?: (done: number, total: number) => void;
}

/** What a plan allocates (the `Executable` memory report). */
export type PlanMemoryReport = ExecutableMemory;

export type { PlanProfile, DispatchTiming, ProfileOptions } from '../backend.js';

export class ExecutionPlan {
  readonly inputShapes: readonly Shape[];
  readonly outputShapes: readonly Shape[];
  readonly memory: PlanMemoryReport;
  /** The memory plan itself (buffer of each recorded tensor), for inspection and tests. */
  readonly memoryPlan: MemoryPlan;
  /** Lifetimes of the recorded tensors, in the order of `memoryPlan.assignment`. */
  readonly lifetimes: readonly Lifetime[];
  readonly label: string;
  readonly #be: PlanBackend;
  readonly #steps: Step[];
  readonly #clears: Clear[];
  readonly #inputBuffers: GPUBuffer[];
  readonly #outputBuffers: GPUBuffer[];
  readonly #staging: GPUBuffer[];
  readonly #owned: GPUBuffer[];
  #queue: Promise<unknown> = Promise.resolve();
  #disposed = false;
  /** The backend's device generation the plan's buffers and pipelines belong to. */
  readonly #generation: number;

  private constructor(args: {
    be: PlanBackend;
    label: string;
    inputShapes: Shape[];
    outputShapes: Shape[];
    steps: Step[];
    clears: Clear[];
    inputBuffers: GPUBuffer[];
    outputBuffers: GPUBuffer[];
    staging: GPUBuffer[];
    owned: GPUBuffer[];
    memoryPlan: MemoryPlan;
    lifetimes: Lifetime[];
  }) {
    this.#be = args.be;
    this.#generation = args.be.generation;
    this.label = args.label;
    this.inputShapes = args.inputShapes;
    this.outputShapes = args.outputShapes;
    this.#steps = args.steps;
    this.#clears = args.clears;
    this.#inputBuffers = args.inputBuffers;
    this.#outputBuffers = args.outputBuffers;
    this.#staging = args.staging;
    this.#owned = args.owned;
    this.memoryPlan = args.memoryPlan;
    this.lifetimes = args.lifetimes;
    this.memory = {
      peakBytes: args.memoryPlan.peakBytes,
      naiveBytes: args.memoryPlan.naiveBytes,
      savedBytes: args.memoryPlan.naiveBytes - args.memoryPlan.peakBytes,
      buffers: args.memoryPlan.bufferBytes.length + args.inputBuffers.length,
    };
  }

  /** Number of dispatches one run replays. */
  get dispatchCount(): number {
    return this.#steps.length;
  }

  /**
   * Records `build` on placeholder inputs of `inputShapes` and makes the plan. `build` uses
   * the backend's ops; tensors made with `backend.tensor()` inside or before it (weights) are
   * constants the caller keeps and disposes.
   */
  static async create(
    be: PlanBackend,
    inputShapes: readonly Shape[],
    build: (inputs: Tensor[]) => Tensor | readonly Tensor[],
    options: PlanOptions = {},
  ): Promise<ExecutionPlan> {
    const label = options.label ?? 'plan';
    const { result, recording } = be.record(() => {
      const inputs = inputShapes.map((s) => be.empty(s, `${label} input`));
      const out = build(inputs);
      const list: readonly Tensor[] = Array.isArray(out) ? out : [out as Tensor];
      return { inputs, outputs: list.map((t, i) => be.own(t, label, `output ${i}`)) };
    });
    // Every buffer the plan will own, destroyed if making the plan fails part-way.
    const owned = [...recording.owned];
    try {
      return await ExecutionPlan.#finish(be, label, result.inputs, result.outputs, recording, owned, options);
    } catch (e) {
      for (const b of owned) b.destroy();
      throw e;
    }
  }

  static async #finish(
    be: PlanBackend,
    label: string,
    inputs: GpuTensor[],
    outputs: GpuTensor[],
    recording: Recording,
    owned: GPUBuffer[],
    options: PlanOptions,
  ): Promise<ExecutionPlan> {
    const reuse = options.reuseMemory ?? true;
    const device = be.device;
    const inputStorages = new Set(inputs.map((t) => t.storage));

    // Lifetimes of the virtual intermediate/output storages (inputs get their own buffers). A
    // zeros() tensor is cleared before the pass, so its lifetime starts there (-1), as an
    // input's would: its buffer is never one that an earlier dispatch of the same run uses.
    const zeroed = new Set(recording.zeroed);
    const first = new Map<GpuStorage, number>();
    const last = new Map<GpuStorage, number>();
    recording.dispatches.forEach((d, i) => {
      for (const b of d.bindings) {
        if (!(b instanceof GpuStorage) || !b.isVirtual) continue;
        if (!first.has(b)) first.set(b, i);
        last.set(b, i);
      }
    });
    const outputStorages = new Set(outputs.map((t) => t.storage));
    const planned = recording.storages.filter((s) => !inputStorages.has(s) && (first.has(s) || outputStorages.has(s)));
    const lifetimes: Lifetime[] = planned.map((s) => ({
      bytes: s.bytes,
      first: zeroed.has(s) ? -1 : (first.get(s) ?? -1),
      last: outputStorages.has(s) ? Infinity : (last.get(s) ?? -1),
    }));
    const memoryPlan = planMemory(lifetimes, reuse);

    const usage = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
    const planBuffers = memoryPlan.bufferBytes.map((size, i) => device.createBuffer({ label: `${label} buffer ${i}`, size, usage }));
    const inputBuffers = inputs.map((t, i) => device.createBuffer({ label: `${label} input ${i}`, size: t.storage.bytes, usage }));
    const bufferOf = new Map<GpuStorage, GPUBuffer>();
    planned.forEach((s, i) => bufferOf.set(s, planBuffers[memoryPlan.assignment[i]]));
    inputs.forEach((t, i) => bufferOf.set(t.storage, inputBuffers[i]));
    const resolve = (b: GpuStorage | GPUBuffer): GPUBuffer => {
      if (!(b instanceof GpuStorage)) return b;
      if (b.buffer) return b.buffer;
      const got = bufferOf.get(b);
      if (!got) throw new Error(`${label}: a recorded tensor has no buffer (read before it was written?)`);
      return got;
    };

    // One uniform buffer, each dispatch's block at an aligned offset.
    const align = be.limits.minUniformBufferOffsetAlignment;
    let uniformBytes = 0;
    const offsets = recording.dispatches.map((d) => {
      if (!d.call.uniforms) return -1;
      const at = Math.ceil(uniformBytes / align) * align;
      uniformBytes = at + d.call.uniforms.byteLength;
      return at;
    });
    owned.push(...planBuffers, ...inputBuffers);
    let uniformBuffer: GPUBuffer | null = null;
    if (uniformBytes > 0) {
      uniformBuffer = device.createBuffer({ label: `${label} uniforms`, size: Math.ceil(uniformBytes / 16) * 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      const data = new Uint8Array(uniformBuffer.size);
      recording.dispatches.forEach((d, i) => {
        if (d.call.uniforms) data.set(new Uint8Array(d.call.uniforms), offsets[i]);
      });
      device.queue.writeBuffer(uniformBuffer, 0, data);
      owned.push(uniformBuffer);
    }

    // Pipelines compiled ahead of the first run, each distinct one once (see PipelineCache.compileAll).
    const pipelines = await be.pipelines.compileAll(recording.dispatches.map((d) => d.call), options.onProgress);
    const steps: Step[] = recording.dispatches.map((d, i) => {
      const uniform = uniformBuffer && d.call.uniforms ? { buffer: uniformBuffer, offset: offsets[i], size: d.call.uniforms.byteLength } : null;
      const buffers = d.bindings.map(resolve);
      return {
        pipeline: pipelines[i],
        bindGroup: makeBindGroup(device, pipelines[i].getBindGroupLayout(0), d.call.kernel, uniform, buffers, d.call.label),
        workgroups: d.call.workgroups,
        scope: d.scope ?? d.call.label ?? d.call.kernel.name,
        kernel: d.call.kernel.name,
      };
    });
    const clears = planned.filter((s) => zeroed.has(s)).map((s) => ({ buffer: resolve(s), bytes: s.bytes }));

    const outputBuffers = outputs.map((t) => resolve(t.storage));
    const staging = outputs.map((t, i) =>
      device.createBuffer({ label: `${label} readback ${i}`, size: Math.max(4, t.size * 4), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    );
    owned.push(...staging);
    be.accountExternal(owned.length, owned.reduce((s, b) => s + b.size, 0));
    return new ExecutionPlan({
      be,
      label,
      inputShapes: inputs.map((t) => t.shape),
      outputShapes: outputs.map((t) => t.shape),
      steps,
      clears,
      inputBuffers,
      outputBuffers,
      staging,
      owned,
      memoryPlan,
      lifetimes,
    });
  }

  /**
   * Runs the plan on `inputs` (one Float32Array per input, in order). One submit. Calls are
   * served in order. With `read: false` the outputs stay on the GPU and the promise resolves
   * to [] once the work is submitted (a training step that nobody reads).
   */
  run(inputs: readonly Float32Array[], options: { read?: boolean } = {}): Promise<Float32Array[]> {
    if (this.#disposed) return Promise.reject(new DisposedError(`${this.label}: the plan was disposed`));
    if (this.#generation !== this.#be.generation) {
      return Promise.reject(new DeviceLostError(`${this.label}: the plan was made on a GPU device that has since been lost; make a new plan (Model does this itself)`, 'destroyed'));
    }
    if (inputs.length !== this.inputShapes.length) {
      return Promise.reject(new ShapeError(this.label, `expects ${this.inputShapes.length} inputs, got ${inputs.length}`));
    }
    for (let i = 0; i < inputs.length; i++) {
      const want = sizeOf(this.inputShapes[i]);
      if (!(inputs[i] instanceof Float32Array) || inputs[i].length !== want) {
        const got = inputs[i] instanceof Float32Array ? `${inputs[i].length} values` : typeof inputs[i];
        return Promise.reject(new ShapeError(this.label, `input ${i} must be a Float32Array of ${want} values for shape ${fmtShape(this.inputShapes[i])}, got ${got}`));
      }
    }
    const result = this.#queue.then(() => this.#run(inputs, options.read ?? true));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #run(inputs: readonly Float32Array[], read: boolean): Promise<Float32Array[]> {
    const be = this.#be;
    be.assertUsable(this.label);
    if (this.#generation !== be.generation) throw new DeviceLostError(`${this.label}: the GPU device was lost before this run started`, 'destroyed');
    const device = be.device;
    inputs.forEach((data, i) => device.queue.writeBuffer(this.#inputBuffers[i], 0, data.buffer, data.byteOffset, data.byteLength));
    be.submitWith((encoder) => {
      encodeSteps(encoder, this.#steps, { label: this.label, clears: this.#clears });
      if (!read) return;
      this.#outputBuffers.forEach((b, i) => {
        const bytes = sizeOf(this.outputShapes[i]) * 4;
        if (bytes > 0) encoder.copyBufferToBuffer(b, 0, this.#staging[i], 0, bytes);
      });
    });
    if (!read) return [];
    try {
      await Promise.all(this.#staging.map((s) => s.mapAsync(GPUMapMode.READ)));
    } catch (e) {
      // A device lost with this run pending rejects the map; say so with a typed error.
      throw await be.lostError(this.label, e);
    }
    return this.#staging.map((s, i) => {
      const out = new Float32Array(s.getMappedRange(0, Math.max(4, sizeOf(this.outputShapes[i]) * 4)).slice(0, sizeOf(this.outputShapes[i]) * 4));
      s.unmap();
      return out;
    });
  }

  /**
   * Runs and times every dispatch: with GPU timestamps (one pass per dispatch) when the device
   * has 'timestamp-query', else by submitting and awaiting each dispatch alone (CPU clock,
   * includes submit overhead). The times are means over `options.runs` runs; by default one,
   * or COARSE_TIMER_RUNS when the timestamps are quantized (Chrome without developer features).
   * For finding hot spots, not for latency figures.
   */
  profile(inputs: readonly Float32Array[], options: ProfileOptions = {}): Promise<PlanProfile> {
    if (options.runs !== undefined) profileRuns(options, false); // a bad count is refused before any work
    const check = this.run(inputs); // validates inputs and writes them through the same path
    const result = check.then(() => this.#profile(options));
    this.#queue = result.catch(() => undefined);
    return result;
  }

  async #profile(options: ProfileOptions): Promise<PlanProfile> {
    const first = await this.#timeOnce();
    const coarse = first.source === 'timestamp-query' && isCoarseTimer(first.times.map((d) => d.ms));
    const runs = profileRuns(options, coarse);
    const all = [first.times];
    while (all.length < runs) all.push((await this.#timeOnce()).times);
    return profileOf(averageTimings(all), first.source, runs, coarse);
  }

  /** Times every dispatch of one run. */
  async #timeOnce(): Promise<{ times: DispatchTiming[]; source: PlanProfile['source'] }> {
    const be = this.#be;
    const device = be.device;
    const steps = this.#steps;
    const times: number[] = [];
    let source: PlanProfile['source'];
    if (be.ctx.features.has('timestamp-query') && steps.length > 0) {
      source = 'timestamp-query';
      const chunk = 2048;
      for (let start = 0; start < steps.length; start += chunk) {
        const part = steps.slice(start, start + chunk);
        const querySet = device.createQuerySet({ type: 'timestamp', count: part.length * 2 });
        const resolve = device.createBuffer({ size: part.length * 16, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
        const read = device.createBuffer({ size: part.length * 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
        try {
          be.submitWith((encoder) => {
            encodeSteps(encoder, part, { label: this.label, clears: start === 0 ? this.#clears : [], timestamps: querySet });
            encoder.resolveQuerySet(querySet, 0, part.length * 2, resolve, 0);
            encoder.copyBufferToBuffer(resolve, 0, read, 0, part.length * 16);
          });
          await read.mapAsync(GPUMapMode.READ);
          const ns = new BigInt64Array(read.getMappedRange().slice(0));
          for (let i = 0; i < part.length; i++) times.push(Math.max(0, Number(ns[2 * i + 1] - ns[2 * i])) / 1e6);
          read.unmap();
        } finally {
          querySet.destroy();
          resolve.destroy();
          read.destroy();
        }
      }
    } else {
      source = 'cpu';
      for (const [i, s] of steps.entries()) {
        const t0 = performance.now();
        be.submitWith((encoder) => encodeSteps(encoder, [s], { label: this.label, clears: i === 0 ? this.#clears : [] }));
        await device.queue.onSubmittedWorkDone();
        times.push(performance.now() - t0);
      }
    }
    return { times: steps.map((s, i) => ({ scope: s.scope, kernel: s.kernel, ms: times[i] })), source };
  }

  /** Frees the plan's buffers. A second call is harmless. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    const owned = this.#owned;
    // Buffers of a lost device were dropped from the accounting when the backend recovered.
    if (this.#generation === this.#be.generation) this.#be.accountExternal(-owned.length, -owned.reduce((s, b) => s + b.size, 0));
    void this.#queue.then(() => {
      for (const b of owned) b.destroy();
    });
  }
}

