/** The options a `Model` is made with, and those of `predict()`. */
import type { Backend } from '../backends/backend.js';
import type { BackendChoiceName } from '../backends/create.js';
import type { ImageInputOptions } from '../engine/input.js';
import type { Bindings } from './graph.js';
import type { SymbolicTensor } from './functional.js';

export interface ModelOptions {
  /**
   * Backend to run on: a `Backend` (an engine's: `engine.backend`), or by name, a backend shared
   * by the models that name it, made on first use and disposed with the last of them: 'auto'
   * (default: WebGPU on a hardware adapter, else wasm), 'webgpu' (on any adapter), 'wasm' (the
   * CPU engine) or 'reference' (also 'cpu': the reference backend).
   */
  backend?: Backend | BackendChoiceName;
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

/**
 * Where loading a model has got to, for `onProgress`: the phase, and how much of it is done.
 * Phases come in this order (a phase with nothing to do is still reported, as 0 of 0 or 1 of 1):
 * - 'import': ONNX nodes converted (`loadOnnx`, `engine.load` of an ONNX model), `done` of `total`;
 * - 'weights': parameter tensors uploaded to the backend;
 * - 'compile': GPU pipelines compiled, of those the model needs that were not compiled yet (0 of
 *   0 on the CPU, or when every pipeline is already compiled);
 * - 'ready': reported once, last (1 of 1), before the promise resolves.
 * `done` never decreases within a phase and ends at `total`. The callback is never called after
 * the promise settles; if it throws, the call rejects with that error.
 */
export interface LoadProgress {
  readonly phase: 'import' | 'weights' | 'compile' | 'ready';
  readonly done: number;
  readonly total: number;
}

export type ProgressCallback = (progress: LoadProgress) => void;

/**
 * Options of `model.warmup()`: the sizes to compile for (as `predict`'s `batch` and `dims`;
 * default batch 1) and a progress callback.
 */
export interface WarmupOptions {
  batch?: number;
  /** Sizes of symbolic dimensions by name. */
  dims?: Bindings;
  onProgress?: ProgressCallback;
}

/** What `engine.load` and `loadOnnx` take besides the model: progress, and whether to warm it up. */
export interface LoadProgressOptions {
  /**
   * Called as loading goes (see `LoadProgress`): 'import' (ONNX only), then, with `warmup`,
   * 'weights' and 'compile', and last 'ready'.
   */
  onProgress?: ProgressCallback;
  /**
   * Warm the model up before the load resolves (see `model.warmup`): true for batch 1, a batch
   * size, or `{ batch, dims }`. Default false: compiling waits for the first `predict`.
   */
  warmup?: boolean | number | Omit<WarmupOptions, 'onProgress'>;
}

export interface FunctionalModelSpec extends ModelOptions {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  name?: string;
}
