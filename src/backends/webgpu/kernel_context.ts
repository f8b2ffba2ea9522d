/**
 * What a kernel function may use of the backend (after ONNX Runtime Web's `ComputeContext`):
 * allocate outputs, issue dispatches, upload small read-only tables, check its inputs, and read
 * the device's limits, adapter and the debug switches. Kernels are written against this, not
 * against `WebGpuBackend`, so the backend can import them without a cycle; the same kernel code
 * runs eagerly or into a plan's recording, whichever the backend's current dispatch sink is.
 */
import type { Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { GpuContext } from '../../device/device.js';
import type { KernelCall } from './program.js';
import type { GpuTensor } from './gpu_tensor.js';
import type { PipelineCompilation } from './pipeline_cache.js';

/** Debug switches a user can reach. */
export interface WebGpuDebugOptions {
  /** Called with the key and WGSL of every pipeline the first time it is created. */
  dumpWgsl?: (key: string, code: string) => void;
  /** Use the simplest kernel of each family (e.g. direct conv instead of implicit GEMM). */
  forceNaive?: boolean;
  /**
   * How plans compile the pipelines they lack: 'sync' (one after another; the default in Node)
   * or 'async' (`createComputePipelineAsync`, all at once; the default in browsers).
   */
  compilePipelines?: PipelineCompilation;
  /**
   * Choose kernel configurations (tiles, split-K) from the tuning tables' entries for this
   * adapter class instead of the device's own (see src/backends/webgpu/tuning.ts): for
   * example `{ vendor: '', architecture: '' }`, the default hardware entry, on SwiftShader. The
   * device's limits still apply.
   */
  tuningAdapter?: { readonly vendor: string; readonly architecture: string };
}

export interface KernelContext {
  /** The device, its adapter summary, limits and features. */
  readonly ctx: GpuContext;
  /** `ctx.limits`: the limits in force. */
  readonly limits: GpuContext['limits'];
  readonly debug: WebGpuDebugOptions;
  /** A new output tensor whose contents the kernel must write in full (`op` names it in errors). */
  empty(shape: Shape, op?: string): GpuTensor;
  /** A new tensor that reads as zeros when the kernels run, for kernels that accumulate into it. */
  zeroed(shape: Shape): GpuTensor;
  /** Issues one dispatch; `buffers` fill the kernel's non-uniform bindings in order. */
  run(call: KernelCall, buffers: readonly (GpuTensor | GPUBuffer)[]): void;
  /** A read-only buffer holding `data` (tables, indices), kept as long as the work that uses it. */
  auxBuffer(data: Uint32Array | Int32Array | Float32Array, label?: string): GPUBuffer;
  /** Checks that `t` is a live tensor of this backend and returns it typed. */
  own(t: Tensor, op: string, what?: string): GpuTensor;
  /** A new tensor handle sharing `t`'s buffer, with another shape of the same size. */
  view(t: GpuTensor, shape: Shape): GpuTensor;
}
