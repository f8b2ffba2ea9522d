/**
 * WebGPU layer / group / instance normalization (shaders/norm.wgsl, norm_backward.wgsl): the
 * forward is one dispatch, one workgroup per normalized row with its statistics computed in the
 * kernel; the backward is the rows' statistics, dx (a workgroup per row) and the scale and
 * bias gradients (a workgroup per scale index).
 */
import normWgsl from '../../../../shaders/norm.wgsl?raw';
import normBackwardWgsl from '../../../../shaders/norm_backward.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { type NormAttrs, type NormGeometry, type NormStatsAttrs, normGeometry } from '../../../ops/norm.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, rowWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

/** The layout (see src/ops/norm.ts `NormGeometry`) and ε. */
const NORM_PARAMS = uniformStruct('NormParams', { rows: 'u32', row_len: 'u32', groups: 'u32', spatial: 'u32', outer: 'u32', params: 'u32', epsilon: 'f32' });

const FORWARD_CODE = withPreludes(normWgsl, NORM_PARAMS, INDEX_PRELUDE);
const BACKWARD_CODE = withPreludes(normBackwardWgsl, NORM_PARAMS, INDEX_PRELUDE);
const FORWARD: KernelSpec = { name: 'norm', code: FORWARD_CODE, entryPoint: 'main', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const STATS: KernelSpec = { name: 'norm', code: FORWARD_CODE, entryPoint: 'stats', bindings: ['uniform', 'read', 'write'] };
const GRAD_INPUT: KernelSpec = { name: 'norm_backward', code: BACKWARD_CODE, entryPoint: 'grad_input', bindings: ['uniform', 'read', 'read', 'read', 'read', 'write'] };
const GRAD_PARAMS: KernelSpec = { name: 'norm_backward', code: BACKWARD_CODE, entryPoint: 'grad_params', bindings: ['uniform', 'read', 'read', 'read', 'write'] };

/** Runs `kernel` with a workgroup per item (`count` of them, each over `length` elements). */
function dispatch(
  kc: KernelContext, kernel: KernelSpec, g: NormGeometry, attrs: NormAttrs, count: number, length: number, buffers: readonly GpuTensor[], label: string, overrides: Record<string, number> = {},
): void {
  if (count === 0) return;
  kc.run(
    {
      kernel,
      overrides: { WG: rowWorkgroup(length, kc.limits.maxComputeInvocationsPerWorkgroup), ...overrides },
      uniforms: NORM_PARAMS.pack({ rows: g.rows, row_len: g.rowLen, groups: g.groups, spatial: g.spatial, outer: g.outer, params: g.params, epsilon: attrs.epsilon }),
      workgroups: grid1d(count, kc.limits.maxComputeWorkgroupsPerDimension, label),
      label,
    },
    buffers,
  );
}

export function normGpu(kc: KernelContext, [x, scale, bias]: readonly GpuTensor[], attrs: NormAttrs, outShape: Shape): GpuTensor {
  const g = normGeometry('norm', x.shape, attrs);
  grid1d(g.rows, kc.limits.maxComputeWorkgroupsPerDimension, 'norm');
  const y = kc.empty(outShape, 'norm');
  dispatch(kc, FORWARD, g, attrs, g.rows, g.rowLen, [x, scale, bias, y], 'norm');
  return y;
}

export function normStatsGpu(kc: KernelContext, [x]: readonly GpuTensor[], attrs: NormStatsAttrs, outShape: Shape): GpuTensor {
  const g = normGeometry('normStats', x.shape, attrs);
  grid1d(g.rows, kc.limits.maxComputeWorkgroupsPerDimension, 'normStats');
  const stats = kc.empty(outShape, 'normStats');
  dispatch(kc, STATS, g, attrs, g.rows, g.rowLen, [x, stats], 'norm stats', { STAT: attrs.stat === 'mean' ? 1 : attrs.stat === 'invStd' ? 2 : 0 });
  return stats;
}

export function normGradInputGpu(kc: KernelContext, [x, scale, stats, dy]: readonly GpuTensor[], attrs: NormAttrs, outShape: Shape): GpuTensor {
  const g = normGeometry('normGradInput', x.shape, attrs);
  grid1d(g.rows, kc.limits.maxComputeWorkgroupsPerDimension, 'normGradInput');
  const dx = kc.empty(outShape, 'normGradInput');
  dispatch(kc, GRAD_INPUT, g, attrs, g.rows, g.rowLen, [x, scale, stats, dy, dx], 'norm grad input');
  return dx;
}

export function normGradParamsGpu(kc: KernelContext, [x, stats, dy]: readonly GpuTensor[], attrs: NormAttrs, outShape: Shape): GpuTensor {
  const g = normGeometry('normGradParams', x.shape, attrs);
  grid1d(g.params, kc.limits.maxComputeWorkgroupsPerDimension, 'normGradParams');
  const out = kc.empty(outShape, 'normGradParams');
  dispatch(kc, GRAD_PARAMS, g, attrs, g.params, g.outer * g.spatial, [x, stats, dy, out], 'norm grad params');
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = {
  norm: normGpu,
  normStats: normStatsGpu,
  normGradInput: normGradInputGpu,
  normGradParams: normGradParamsGpu,
};
