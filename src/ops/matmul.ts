/** Matrix products: parameters and shape inference shared by the CPU reference and the WebGPU kernels. */
import type { Activation } from './activation.js';
import type { Tensor } from '../tensor.js';

export interface MatmulParams {
  /** Use aᵀ: a is (…, K, M). */
  transposeA?: boolean;
  /** Use bᵀ: b is (…, N, K) — PyTorch's Linear weight layout. */
  transposeB?: boolean;
  /** Added to every row: shape (N). */
  bias?: Tensor;
  activation?: Activation;
  name?: string;
}
