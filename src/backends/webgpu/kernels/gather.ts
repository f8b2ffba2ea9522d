/** WebGPU gather and gatherElements and their gradients (shaders/gather.wgsl, gather_elements.wgsl): one invocation per output element. */
import gatherWgsl from '../../../../shaders/gather.wgsl?raw';
import gatherElementsWgsl from '../../../../shaders/gather_elements.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { sizeOf, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import { type GatherAttrs, type GatherGradAttrs, inferGather, inferGatherElements } from '../../../ops/gather.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

/** Output elements; the data as (outer, axis_len, inner); the number of indices. */
const GATHER_PARAMS = uniformStruct('GatherParams', { out_count: 'u32', axis_len: 'u32', inner: 'u32', count: 'u32' });

const CODE = withPreludes(gatherWgsl, GATHER_PARAMS, INDEX_PRELUDE);
const spec = (entryPoint: string): KernelSpec => ({ name: 'gather', code: CODE, entryPoint, bindings: ['uniform', 'read', 'read', 'write'] });
const GATHER = spec('gather');
const GATHER_GRAD = spec('gather_grad');

function run(kernel: KernelSpec, op: string, kc: KernelContext, x: GpuTensor, indices: GpuTensor, data: Shape, axis: number, outShape: Shape): GpuTensor {
  const WG = flatWorkgroup(kc.limits);
  const g = inferGather(data, indices.shape, axis, op);
  const count = sizeOf(outShape);
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, op);
  // Nothing to read (no indices, or an empty axis): the output is empty, or zeros for the gradient.
  if (sizeOf(x.shape) === 0 || g.count === 0) return kc.zeroed(outShape);
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

/** Largest rank of gatherElements: the per-axis lists are two vec4s of the uniforms. */
const MAX_RANK = 8;

/** Output elements, rank, the gathered axis and its length in the data; the data's strides, the indices' dims and strides. */
const GATHER_ELEMENTS_PARAMS = uniformStruct('GatherElementsParams', {
  count: 'u32', rank: 'u32', axis: 'u32', axis_len: 'u32',
  data_strides: ['u32', MAX_RANK], idx_dims: ['u32', MAX_RANK], idx_strides: ['u32', MAX_RANK],
});
const ELEMENTS_CODE = withPreludes(gatherElementsWgsl, GATHER_ELEMENTS_PARAMS, INDEX_PRELUDE);
const elementsSpec = (entryPoint: string): KernelSpec => ({ name: 'gather_elements', code: ELEMENTS_CODE, entryPoint, bindings: ['uniform', 'read', 'read', 'write'] });
const GATHER_ELEMENTS = elementsSpec('gather_elements');
const GATHER_ELEMENTS_GRAD = elementsSpec('gather_elements_grad');

function runElements(kernel: KernelSpec, op: string, kc: KernelContext, x: GpuTensor, indices: GpuTensor, data: Shape, axis: number, outShape: Shape): GpuTensor {
  const WG = flatWorkgroup(kc.limits);
  const a = inferGatherElements(data, indices.shape, axis, op).axis;
  if (data.length > MAX_RANK) throw new ShapeError(op, `rank ${data.length} is above the supported ${MAX_RANK}`);
  const count = sizeOf(outShape);
  const workgroups = grid1d(ceilDiv(count, WG), kc.limits.maxComputeWorkgroupsPerDimension, op);
  if (sizeOf(indices.shape) === 0) return kc.zeroed(outShape);
  const out = kc.empty(outShape, op);
  if (count === 0) return out;
  kc.run(
    {
      kernel,
      overrides: { WG },
      uniforms: GATHER_ELEMENTS_PARAMS.pack({
        count, rank: data.length, axis: a, axis_len: data[a],
        data_strides: stridesOf(data), idx_dims: indices.shape, idx_strides: stridesOf(indices.shape),
      }),
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
  gatherElements: (kc, [data, indices], { axis }: GatherAttrs, outShape) => runElements(GATHER_ELEMENTS, 'gatherElements', kc, data, indices, data.shape, axis, outShape),
  gatherElementsGrad: (kc, [dy, indices], { axis, shape }: GatherGradAttrs, outShape) => runElements(GATHER_ELEMENTS_GRAD, 'gatherElementsGrad', kc, dy, indices, shape, axis, outShape),
};
