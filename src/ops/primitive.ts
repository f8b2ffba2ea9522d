/**
 * Backend primitives defined by name: a primitive is what every backend implements (the CPU
 * twin, the WebGPU kernel, the shape-only meta backend), and its definition here is the one
 * thing they share: its name and its shape inference. A backend runs one with
 * `backend.prim(primitive, inputs, attrs)`, finding its own implementation by the name (see
 * `cpuKernels` in src/backends/cpu/ and `gpuKernels` in src/backends/webgpu/kernels/), so a new
 * primitive needs no change to any backend class.
 */
import type { Shape } from '../shape.js';

export interface Primitive<A> {
  /** The key of its implementations on every backend. */
  readonly name: string;
  /** The output shape; validates the inputs and attributes, throwing ShapeError/InvalidArgumentError naming the primitive. */
  infer(inputs: readonly Shape[], attrs: A): Shape;
}

/** Declares a primitive; the identity, for type inference of `A`. */
export function definePrimitive<A>(p: Primitive<A>): Primitive<A> {
  return p;
}
