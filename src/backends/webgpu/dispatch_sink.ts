/**
 * Where the backend's ops go. `WebGpuBackend.empty`, `zeros`, `run` and `auxBuffer` hand their
 * work to the current sink: the eager sink (`eager_sink.ts`) encodes it at once into an open
 * compute pass and submits it on demand; while a plan is recorded, the recording sink
 * (`recording_sink.ts`) captures it for `ExecutionPlan` to lay out and replay.
 */
import type { Shape } from '../../shape.js';
import type { KernelCall } from './program.js';
import type { GpuStorage, GpuTensor } from './gpu_tensor.js';

export interface DispatchSink {
  /** Storage for a new tensor of `shape` (`bytes` of data), whose kernel writes it in full. */
  empty(bytes: number, op: string, shape: Shape): GpuStorage;
  /** Storage for a new tensor that reads as zeros when the work runs. */
  zeros(bytes: number, op: string, shape: Shape): GpuStorage;
  /**
   * One dispatch, already checked against the device's limits. `buffers` fill the kernel's
   * non-uniform bindings in order; `scope` is the layer that issued it (`withLabel`).
   */
  dispatch(call: KernelCall, buffers: readonly (GpuTensor | GPUBuffer)[], scope: string | undefined): void;
  /** A read-only buffer holding `data`, freed with the work that reads it. */
  auxBuffer(data: Uint32Array | Int32Array | Float32Array, label: string): GPUBuffer;
}
