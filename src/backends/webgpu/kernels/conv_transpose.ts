/**
 * WebGPU conv2dTranspose: the input gradient of the convolution it is the transpose of
 * (`asConv`, src/ops/conv_transpose.ts), computed by conv2d backward's dx paths
 * (`conv2dDxGpu`: a GEMM + col2im, the forward convolution of the flipped weights at stride 1,
 * or a gather visiting only the taps that land, by stride phase; shaders/conv2d_backward.wgsl),
 * with the bias and the fused activation as its epilogue.
 */
import type { Shape } from '../../../shape.js';
import { type Conv2dTransposeAttrs, inferConv2dTranspose } from '../../../ops/conv_transpose.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { conv2dDxGpu } from './conv2d_backward.js';

export function conv2dTransposeGpu(kc: KernelContext, [x, w, bias]: readonly GpuTensor[], attrs: Conv2dTransposeAttrs, _outShape: Shape): GpuTensor {
  const cfg = inferConv2dTranspose(x.shape, w.shape, bias?.shape, attrs);
  return conv2dDxGpu(kc, cfg.asConv, w, x, {
    ...(bias ? { bias } : {}),
    ...(attrs.activation !== undefined ? { activation: attrs.activation } : {}),
    name: attrs.name ? `conv2dTranspose '${attrs.name}'` : 'conv2dTranspose',
  });
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = { conv2dTranspose: conv2dTransposeGpu };
