/**
 * The wasm kernels of the primitives defined by name (src/ops/primitive.ts), gathered from every
 * module of ./kernels/ that exports `wasmKernels` (an object from primitive name to kernel), so
 * a new primitive's wasm kernel is its own file. A primitive without one runs the reference kernel.
 */
import type { WasmRuntime } from './runtime.js';
import type { WasmTensor } from './wasm_tensor.js';

/**
 * Computes a primitive into `out` (shape `outShape`, from the primitive's `infer`), or returns
 * false to leave this call to the reference kernel (an attribute the wasm kernel does not take).
 */
export type WasmKernel = (rt: WasmRuntime, inputs: readonly WasmTensor[], attrs: never, out: WasmTensor) => boolean;

const modules = import.meta.glob<{ wasmKernels?: Readonly<Record<string, WasmKernel>> }>('./kernels/*.ts', { eager: true });

export const WASM_KERNELS: ReadonlyMap<string, WasmKernel> = new Map(Object.values(modules).flatMap((m) => Object.entries(m.wasmKernels ?? {})));
