/** WebGPU maxPoolIndices (shaders/max_pool_indices.wgsl): one invocation per output index, the pooling family's uniforms. */
import maxPoolIndicesWgsl from '../../../../shaders/max_pool_indices.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { inferPool2d } from '../../../ops/pool.js';
import type { MaxPoolIndicesAttrs } from '../../../ops/max_pool_indices.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import type { KernelSpec } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { POOL_PARAMS, poolCall, windowUniforms } from './pool.js';

const MAX_POOL_INDICES: KernelSpec = {
  name: 'maxPoolIndices',
  code: withPreludes(maxPoolIndicesWgsl, POOL_PARAMS, INDEX_PRELUDE),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'write'],
};

export function maxPoolIndicesGpu(kc: KernelContext, [x]: readonly GpuTensor[], { window, columnMajor }: MaxPoolIndicesAttrs, outShape: Shape): GpuTensor {
  const g = inferPool2d(x.shape, { ...window, type: 'max' });
  const out = kc.empty(outShape, 'maxPoolIndices');
  if (out.size === 0) return out;
  const uniforms = { ...windowUniforms(g, out.size), dilation: g.dilation };
  kc.run(poolCall({ kernel: MAX_POOL_INDICES, op: 'maxPoolIndices', name: window.name, overrides: { COLUMN_MAJOR: columnMajor ? 1 : 0 }, uniforms }, kc.limits), [x, out]);
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = { maxPoolIndices: maxPoolIndicesGpu };
