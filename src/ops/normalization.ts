/** Batch normalization and concatenation: parameters and shape inference shared by both backends. */
import type { Activation } from './activation.js';
import type { Tensor } from '../tensor.js';

export interface BatchNormParams {
  /** Scale γ, shape (C). */
  gamma: Tensor;
  /** Shift β, shape (C). */
  beta: Tensor;
  /** Running mean, shape (C). */
  mean: Tensor;
  /** Running variance, shape (C). */
  variance: Tensor;
  /** Default 1e-5 (PyTorch). */
  epsilon?: number;
  activation?: Activation;
  name?: string;
}
