/**
 * CPU reference: matmul, dense, rbf and softmax. Naive loops, float64 accumulation, float32
 * storage. Shapes come from the same inference functions the WebGPU kernels use.
 */
import type { HostTensor } from './host_tensor.js';
import type { CpuKernel } from './kernels.js';
import { type Activation, applyActivation } from '../../ops/activation.js';
import { type MatmulGeometry, type SoftmaxAttrs, inferMatmul, inferDense, inferRbf, inferSoftmax } from '../../ops/matmul.js';

/** `bias` is passed apart from params because params.bias is a backend Tensor. */
export interface MatmulCpuParams {
  transposeA?: boolean;
  transposeB?: boolean;
  activation?: Activation;
  name?: string;
}

/**
 * out[b, m, n] = act(Σ_k A[b, m, k] · B[b, k, n] + bias[n]), or with `distance`,
 * Σ_k (A[b, m, k] − B[b, k, n])² (no bias, no activation).
 */
function gemm(g: MatmulGeometry, a: Float32Array, b: Float32Array, bias: Float32Array | undefined, distance = false): Float32Array {
  const { M, K, N } = g;
  const out = new Float32Array(g.batch * M * N); // (B, M, N)
  // Element (m, k) of op(A) and (k, n) of op(B), as offsets within one batch matrix.
  const aAt = g.transposeA ? (m: number, k: number) => k * M + m : (m: number, k: number) => m * K + k;
  const bAt = g.transposeB ? (k: number, n: number) => n * K + k : (k: number, n: number) => k * N + n;
  for (let bi = 0; bi < g.batch; bi++) {
    const aOff = bi * g.aBatchStride;
    const bOff = bi * g.bBatchStride;
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        let acc = 0;
        for (let k = 0; k < K; k++) {
          const av = a[aOff + aAt(m, k)];
          const bv = b[bOff + bAt(k, n)];
          acc += distance ? (av - bv) * (av - bv) : av * bv;
        }
        if (bias) acc += bias[n];
        out[(bi * M + m) * N + n] = applyActivation(acc, g.act);
      }
    }
  }
  return out;
}

export function matmulCpu(a: HostTensor, b: HostTensor, bias: HostTensor | undefined, params: MatmulCpuParams): HostTensor {
  const g = inferMatmul(a.shape, b.shape, bias?.shape, params);
  return { data: gemm(g, a.data, b.data, bias?.data), shape: g.outShape };
}

export function denseCpu(x: HostTensor, w: HostTensor, bias: HostTensor | undefined, act: Activation | undefined): HostTensor {
  const g = inferDense(x.shape, w.shape, bias?.shape, act);
  return { data: gemm(g, x.data, w.data, bias?.data), shape: g.outShape };
}

export function rbfCpu(x: HostTensor, centers: HostTensor): HostTensor {
  const g = inferRbf(x.shape, centers.shape);
  return { data: gemm(g, x.data, centers.data, undefined, true), shape: g.outShape };
}

/** Softmax along `axis`, or with `log` log-softmax: (x − max) − log Σ exp(x − max). */
export function softmaxCpu(x: HostTensor, axis: number, log = false): HostTensor {
  const { outer, axisLen, inner } = inferSoftmax(x.shape, axis);
  const out = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * axisLen * inner + i;
      let max = -Infinity;
      for (let j = 0; j < axisLen; j++) max = Math.max(max, x.data[base + j * inner]);
      let sum = 0;
      for (let j = 0; j < axisLen; j++) sum += Math.exp(x.data[base + j * inner] - max);
      for (let j = 0; j < axisLen; j++) {
        const v = x.data[base + j * inner] - max;
        out[base + j * inner] = log ? v - Math.log(sum) : Math.exp(v) / sum;
      }
    }
  }
  return { data: out, shape: x.shape };
}

export const cpuKernels: Readonly<Record<string, CpuKernel>> = {
  logSoftmax: ([x]: readonly HostTensor[], { axis }: SoftmaxAttrs) => softmaxCpu(x, axis, true),
};
