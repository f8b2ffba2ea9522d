/**
 * The WebGPU kernels of the primitives defined by name (src/ops/primitive.ts), gathered from
 * every module of kernels/ that exports `gpuKernels` (an object from primitive name to
 * kernel), so a new primitive's kernel is its own file and its WGSL, and nothing else.
 */
import type { Shape } from '../../shape.js';
import type { GpuTensor } from './gpu_tensor.js';
import type { KernelContext } from './kernel_context.js';

/** Records a primitive's dispatches and returns its output, whose shape the primitive's `infer` already gave. */
export type GpuKernel = (kc: KernelContext, inputs: readonly GpuTensor[], attrs: never, outShape: Shape) => GpuTensor;

const modules = import.meta.glob<{ gpuKernels?: Readonly<Record<string, GpuKernel>> }>('./kernels/*.ts', { eager: true });

export const GPU_KERNELS: ReadonlyMap<string, GpuKernel> = new Map(Object.values(modules).flatMap((m) => Object.entries(m.gpuKernels ?? {})));
