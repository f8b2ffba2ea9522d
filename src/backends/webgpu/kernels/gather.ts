/** WebGPU gather and its gradient (shaders/gather.wgsl): one invocation per output element. */
import gatherWgsl from '../../../../shaders/gather.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { sizeOf } from '../../../shape.js';
import { type GatherAttrs, type GatherGradAttrs, inferGather } from '../../../ops/gather.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

const WG = 256;

/** Output elements; the data as (outer, axis_len, inner); the number of indices. */
const GATHER_PARAMS = uniformStruct('GatherParams', { out_count: 'u32', axis_len: 'u32', inner: 'u32', count: 'u32' });

const CODE = withPreludes(gatherWgsl, GATHER_PARAMS, INDEX_PRELUDE);
const spec = (entryPoint: string): KernelSpec => ({ name: 'gather', code: CODE, entryPoint, bindings: ['uniform', 'read', 'read', 'write'] });
const GATHER = spec('gather');
const GATHER_GRAD = spec('gather_grad');

function run(kernel: KernelSpec, op: string, kc: KernelContext, x: GpuTensor, indices: GpuTensor, data: Shape, axis: number, outShape: Shape): GpuTensor {
  const g = inferGather(data, indices.shape, axis, op);
  const count = sizeOf(outShape);
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, op);
  // Nothing to read (no indices, or an empty axis): the output is empty, or zeros for the gradient.
  if (sizeOf(x.shape) === 0 || g.count === 0) return kc.zeros(outShape);
  const out = kc.empty(outShape, op);
  if (count === 0) return out;
  kc.run(
    {
      kernel,
      overrides: { WG },
      uniforms: GATHER_PARAMS.pack({ out_count: count, axis_len: g.axisLen, inner: Math.max(g.inner, 1), count: g.count }),
      workgroups,
      label: op,
    },
    [x, indices, out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = {
  gather: (kc, [data, indices], { axis }: GatherAttrs, outShape) => run(GATHER, 'gather', kc, data, indices, data.shape, axis, outShape),
  gatherGrad: (kc, [dy, indices], { axis, shape }: GatherGradAttrs, outShape) => run(GATHER_GRAD, 'gatherGrad', kc, dy, indices, shape, axis, outShape),
};
