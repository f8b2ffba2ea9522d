/**
 * The backend interface: every op of the engine, with the same signature on the CPU reference
 * and on WebGPU. Ops validate shapes before doing any work and throw `ShapeError` or
 * `InvalidArgumentError` naming the op and the shapes.
 */
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import type { Activation } from '../ops/activation.js';
import type { Conv2dParams } from '../ops/conv2d.js';
import type { Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../ops/pool.js';
import type { MatmulParams } from '../ops/matmul.js';
import type { BatchNormParams } from '../ops/normalization.js';

export type BackendName = 'webgpu' | 'cpu' | 'meta';

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
}
