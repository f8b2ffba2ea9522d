/** The options a `Model` is made with, and those of `predict()`. */
import type { Backend } from '../backends/backend.js';
import type { ImageInputOptions } from '../engine/input.js';
import type { Bindings } from './graph.js';
import type { SymbolicTensor } from './functional.js';

export interface ModelOptions {
  /**
   * Backend to run on: a `Backend` (an engine's: `engine.backend`), or by name: 'cpu' (the
   * reference backend), 'webgpu' (the shared default backend, which must then be WebGPU) or
   * 'auto' (default: the shared default backend, WebGPU else the CPU, made on first use and
   * disposed with the last model that uses it).
   */
  backend?: Backend | 'auto' | 'webgpu' | 'cpu';
  /** Seed of the random initial weights (default 0). */
  seed?: number;
  /** Debug switch: no layer fusion at inference. */
  fuse?: boolean;
  /** Debug switch: one buffer per tensor in execution plans. */
  reuseMemory?: boolean;
  /** How `predict()` turns images into input (range, padding, invert…); zoo models set their own. */
  image?: ImageInputOptions;
  /**
   * Sizes of symbolic input dimensions other than the leading (batch) ones, for shape inference
   * and parameter shapes when a call does not give them: `{ H: 224, W: 224 }`.
   */
  dims?: Bindings;
}

/** Options of `predict()`: the batch size (checked against the input), other dimensions, and image conversion. */
export interface PredictOptions {
  batch?: number;
  /** Sizes of symbolic dimensions by name, for inputs whose size alone does not determine them. */
  dims?: Bindings;
  /** Overrides the model's `image` options for this call. */
  image?: ImageInputOptions;
}

export interface FunctionalModelSpec extends ModelOptions {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  name?: string;
}
