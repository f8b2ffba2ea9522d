/**
 * The backend interface: every op of the engine, with the same signature on the CPU reference
 * and on WebGPU. Ops validate shapes before doing any work and throw `ShapeError` or
 * `InvalidArgumentError` naming the op and the shapes.
 */
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import type { Activation, Conv2dParams, Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams, MatmulParams, BatchNormParams } from '../ops/params.js';
import type { Primitive } from '../ops/primitive.js';
import type { DispatchReport } from './dispatch_report.js';

export type BackendName = 'webgpu' | 'wasm' | 'reference' | 'meta';

/** Memory of a compiled computation: what it allocates, what one buffer per tensor would, and the count of buffers. */
export interface ExecutableMemory {
  peakBytes: number;
  naiveBytes: number;
  /** naiveBytes − peakBytes. */
  savedBytes: number;
  buffers: number;
}

/** The time of one unit of work of a profiled run: a GPU dispatch, or a layer on the CPU. */
export interface DispatchTiming {
  readonly scope: string;
  readonly kernel: string;
  readonly ms: number;
}

export interface PlanProfile {
  /** Each unit of work in order: a dispatch on WebGPU, a layer on the CPU. */
  readonly dispatches: readonly DispatchTiming[];
  /** Summed per scope (layer), in order of first appearance. */
  readonly layers: readonly { readonly name: string; readonly ms: number; readonly dispatches: number }[];
  readonly totalMs: number;
  /** 'timestamp-query': GPU timestamps around each dispatch; 'cpu': the host clock around each unit. */
  readonly source: 'timestamp-query' | 'cpu';
  /** How many runs the times are the mean of (see `ProfileOptions.runs`). */
  readonly runs: number;
  /**
   * The GPU's timestamps were quantized (Chrome rounds them to 100 µs unless its WebGPU developer
   * features are on), so the times are means over `runs` runs of quantized readings.
   */
  readonly coarseTimer: boolean;
}

/** What `profile()` takes besides its inputs. */
export interface ProfileOptions {
  /**
   * Runs to time and average (a positive integer). Default: 1, or 20 when the GPU's timestamps
   * turn out to be quantized (Chrome's 100 µs without developer features; `PlanProfile.coarseTimer`).
   */
  readonly runs?: number;
}

/**
 * A computation on inputs of fixed shapes, compiled once by a backend and run many times
 * (`Backend.compile`): on WebGPU an execution plan (one submit per run), on the CPU the ops run
 * eagerly. Runs are served in order.
 */
export interface Executable {
  readonly label: string;
  readonly inputShapes: readonly Shape[];
  readonly outputShapes: readonly Shape[];
  readonly memory: ExecutableMemory;
  /** One Float32Array per input; resolves to the outputs' values (none with `read: false`). */
  run(inputs: readonly Float32Array[], options?: { read?: boolean }): Promise<Float32Array[]>;
  /** One run, timed per unit of work and per scope (`Backend.scope`). */
  profile(inputs: readonly Float32Array[], options?: ProfileOptions): Promise<PlanProfile>;
  /** Frees what it holds. A second call is harmless. */
  dispose(): void;
}

export interface CompileOptions {
  /** Names it in errors and profiles. */
  label?: string;
  /** Share memory between tensors whose lifetimes do not overlap (default true). Off is a debug switch. */
  reuseMemory?: boolean;
  /**
   * Called as GPU pipelines are compiled: `done` of `total`, the distinct pipelines this
   * computation needs that were not compiled yet (first with 0; 0 of 0 when none are needed).
   */
  onProgress?: (done: number, total: number) => void;
}

export interface Backend {
  readonly name: BackendName;

  /** A tensor holding a copy of `data` (length must equal the product of `shape`). */
  tensor(data: Float32Array | readonly number[], shape: Shape): Tensor;
  /** A tensor of zeros. */
  zeros(shape: Shape): Tensor;
  /**
   * Overwrites a tensor's values in place (same length). On WebGPU the write is queued before
   * any work submitted after it, so a recorded plan sees the new values on its next run.
   */
  write(t: Tensor, data: Float32Array): void;
  /** Copies a tensor's values to the CPU. */
  read(t: Tensor): Promise<Float32Array>;
  /** Waits until all submitted work has finished. */
  sync(): Promise<void>;
  /** Frees everything the backend owns (the device too, for WebGPU if it created it). */
  dispose(): void;

  // Convolution. x (N, C, H, W); w (Cout, C/groups, kH, kW), or in connection-table mode
  // (Σ|table[o]|, kH, kW); bias (Cout). Returns (N, Cout, Ho, Wo).
  conv2d(x: Tensor, w: Tensor, bias: Tensor | undefined, params?: Conv2dParams): Tensor;

  // Pooling. x (N, C, H, W).
  pool2d(x: Tensor, params: Pool2dParams): Tensor;
  /** Global average or max over H and W: (N, C, H, W) → (N, C, 1, 1). */
  globalPool(x: Tensor, type: 'max' | 'avg'): Tensor;
  /**
   * Adaptive average pooling (PyTorch's AdaptiveAvgPool2d): (N, C, H, W) → (N, C, oh, ow), output
   * (i, j) the mean of rows floor(i·H/oh) .. ceil((i+1)·H/oh) - 1 and columns likewise. Any H×W,
   * smaller than the target included (values are then replicated).
   */
  adaptiveAvgPool(x: Tensor, params: AdaptivePoolParams): Tensor;
  /** LeNet-5's trainable subsampling: sum of each window × coeff[c] + bias[c], then activation. */
  subsample(x: Tensor, coeff: Tensor, bias: Tensor, params?: SubsampleParams): Tensor;
  /** Local response normalization across channels (PyTorch/ONNX convention: alpha is divided by size). */
  lrn(x: Tensor, params?: LrnParams): Tensor;

  // Matrix products.
  /** a (…, M, K) × b (…, K, N) (or transposed), batched over a leading dimension, + bias (N), then activation. */
  matmul(a: Tensor, b: Tensor, params?: MatmulParams): Tensor;
  /** Fully connected layer, PyTorch layout: x (N, in), w (out, in), bias (out) → (N, out). */
  dense(x: Tensor, w: Tensor, bias: Tensor | undefined, activation?: Activation): Tensor;
  /** Squared Euclidean distance of each row of x (N, F) to each row of centers (K, F) → (N, K). */
  rbf(x: Tensor, centers: Tensor): Tensor;
  /** Numerically stable softmax along `axis` (default: the last). */
  softmax(x: Tensor, axis?: number): Tensor;

  // Elementwise and shape.
  /** An activation applied elementwise. */
  activation(x: Tensor, act: Activation): Tensor;
  /** a + b with NumPy broadcasting (residual connections, bias adds). */
  add(a: Tensor, b: Tensor): Tensor;
  /** a × b with NumPy broadcasting. */
  mul(a: Tensor, b: Tensor): Tensor;
  /** Batch normalization with running statistics (inference), optionally fused with an activation. x (N, C, H, W) or (N, C). */
  batchNorm(x: Tensor, params: BatchNormParams): Tensor;
  /** Concatenation along `axis` (default 1: channels, as in Inception). */
  concat(xs: readonly Tensor[], axis?: number): Tensor;
  /** Same data, new shape (no copy). One dimension may be -1. */
  reshape(x: Tensor, shape: Shape): Tensor;
  /** Flattens dimensions from `axis` on (default 1): (N, C, H, W) → (N, C·H·W). No copy. */
  flatten(x: Tensor, axis?: number): Tensor;
  /** Dropout at inference: the identity (returns a new handle to the same data). */
  dropout(x: Tensor, rate: number): Tensor;

  /**
   * Runs a primitive defined by name (src/ops/primitive.ts) with this backend's implementation
   * of it. Shapes are inferred and checked before any work; a backend without an
   * implementation throws naming the primitive.
   */
  prim<A>(p: Primitive<A>, inputs: readonly Tensor[], attrs: A): Tensor;

  // ---- Running a computation many times ------------------------------------------------------
  /**
   * Compiles `build` (ops of this backend applied to placeholder inputs of `inputShapes`) into
   * an `Executable`. Tensors `build` reads that were made before (weights) stay the caller's.
   */
  compile(inputShapes: readonly Shape[], build: (inputs: Tensor[]) => readonly Tensor[], options?: CompileOptions): Promise<Executable>;
  /**
   * The dispatches `build` would issue on placeholder inputs of `inputShapes`, recorded but
   * neither compiled nor run: workgroups per dispatch and the share of multiply-adds in small
   * ones (see src/backends/dispatch_report.ts). GPU backends only.
   */
  dispatchReport?(inputShapes: readonly Shape[], build: (inputs: Tensor[]) => readonly Tensor[]): DispatchReport;
  /** Attributes the work `fn` issues to `label` (a layer's name) in profiles. */
  scope<T>(label: string, fn: () => T): T;
  /**
   * Refuses, before any work, a tensor of `shape` this backend cannot hold, naming `what`
   * (LimitExceededError). A `parameter` is said to be one; a `splittable` one (its layer can
   * take it in blocks of rows) fits when its blocks do.
   */
  checkFits(what: string, shape: Shape, kind?: { parameter?: boolean; splittable?: boolean }): void;

  // ---- Resources and their lifetime ------------------------------------------------------------
  /**
   * Which generation of resources is current: tensors and executables made in an earlier one
   * are gone (a lost GPU device was replaced). `null` while the backend cannot run work but
   * `prepare()` can make it so. Always 0 on the CPU.
   */
  readonly epoch: number | null;
  /** Makes the backend ready for new work if it can (acquires a new GPU device after a loss). */
  prepare(): Promise<void>;
  /**
   * Throws (DeviceLostError) if a call issued at `issued` (the epoch when it was made) can no
   * longer be served: every call pending when resources are lost fails, and only calls made
   * after are served by the new generation.
   */
  checkEpoch(issued: number | null, op: string): void;
  /** The error to reject a failed call with: a typed one when the backend knows why (the device was lost), else `error`. */
  explainFailure(op: string, error: unknown): Promise<unknown>;
}
