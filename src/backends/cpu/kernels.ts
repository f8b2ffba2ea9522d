/**
 * The CPU twins of the primitives defined by name (src/ops/primitive.ts), gathered from every
 * module of this folder that exports `cpuKernels` (an object from primitive name to kernel),
 * so a new primitive's CPU twin is its own file and nothing else.
 */
import type { Shape } from '../../shape.js';
import type { HostTensor } from './host_tensor.js';

/** Computes a primitive's output, whose shape the primitive's `infer` already gave. */
export type CpuKernel = (inputs: readonly HostTensor[], attrs: never, outShape: Shape) => HostTensor;

const modules = import.meta.glob<{ cpuKernels?: Readonly<Record<string, CpuKernel>> }>(['./*.ts', '!./kernels.ts', '!./backend.ts'], { eager: true });

export const CPU_KERNELS: ReadonlyMap<string, CpuKernel> = new Map(Object.values(modules).flatMap((m) => Object.entries(m.cpuKernels ?? {})));
