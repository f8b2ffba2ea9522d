/**
 * The recording dispatch sink, current while `WebGpuBackend.record()` runs a plan's build:
 * tensors get virtual storages (buffers come later from the plan's memory planner) and
 * dispatches are captured with their bindings, for `ExecutionPlan` to lay out and replay.
 */
import type { Shape } from '../../shape.js';
import type { KernelCall } from './program.js';
import type { Allocator } from './allocator.js';
import type { DispatchSink } from './dispatch_sink.js';
import { type GpuStorage, GpuTensor } from './gpu_tensor.js';
import { storageBindingCount } from './bind_groups.js';

/** One dispatch captured while recording a plan: the call and its non-uniform bindings. */
export interface RecordedDispatch {
  readonly call: KernelCall;
  readonly bindings: readonly (GpuStorage | GPUBuffer)[];
  /** The layer (or other scope) that issued it, from `withLabel`. */
  readonly scope?: string;
}

/** What is captured while a plan is recorded (see `ExecutionPlan`). */
export interface Recording {
  readonly dispatches: RecordedDispatch[];
  /** Virtual storages in creation order. */
  readonly storages: GpuStorage[];
  /** Storages made by `zeros()`: the plan clears their buffers before its first dispatch on every run. */
  readonly zeroed: GpuStorage[];
  /** Buffers made during recording that the plan owns (kernel tables, indices). */
  readonly owned: GPUBuffer[];
}

export class RecordingSink implements DispatchSink {
  readonly recording: Recording = { dispatches: [], storages: [], zeroed: [], owned: [] };
  readonly #allocator: Allocator;

  constructor(allocator: Allocator) {
    this.#allocator = allocator;
  }

  empty(bytes: number, op: string, shape: Shape): GpuStorage {
    const storage = this.#allocator.virtualStorage(bytes, op, shape);
    this.recording.storages.push(storage);
    return storage;
  }

  zeros(bytes: number, op: string, shape: Shape): GpuStorage {
    const storage = this.empty(bytes, op, shape);
    this.recording.zeroed.push(storage);
    return storage;
  }

  auxBuffer(data: Uint32Array | Int32Array | Float32Array, label: string): GPUBuffer {
    const buffer = this.#allocator.dataBuffer(data, label);
    this.recording.owned.push(buffer);
    return buffer;
  }

  dispatch(call: KernelCall, buffers: readonly (GpuTensor | GPUBuffer)[], scope: string | undefined): void {
    const expected = storageBindingCount(call.kernel);
    if (expected !== buffers.length) throw new Error(`${call.kernel.name}: ${buffers.length} buffers given, ${expected} bindings`);
    this.recording.dispatches.push({ call, bindings: buffers.map((b) => (b instanceof GpuTensor ? b.storage : b)), scope });
  }

  /** Frees the buffers the recording made, when no plan will own them. */
  discard(): void {
    for (const b of this.recording.owned) b.destroy();
  }
}
