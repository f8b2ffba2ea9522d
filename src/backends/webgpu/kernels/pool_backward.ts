/**
 * WebGPU backward of the pooling family, as gathers (one invocation per dx value, looping over
 * the outputs whose windows contain it: no atomics, no races): max/avg pooling, adaptive
 * average pooling and LeNet-5's subsampling (dx). Global pooling and subsampling's
 * per-channel dcoeff/dbias use one workgroup per plane or channel with a shared-memory tree
 * reduction. Shape checks are the pure `infer*Backward` functions shared with the CPU twin,
 * so bad input throws before any GPU work.
 */
import poolBackwardWgsl from '../../../../shaders/pool_backward.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { POOL_PARAMS, POOL_WINDOW_PRELUDE, poolUniforms, reductionWg } from './pool.js';
import type { Pool2dParams, SubsampleParams, AdaptivePoolParams } from '../../../ops/pool.js';
import { inferPool2dBackward, inferGlobalPoolBackward, inferAdaptiveAvgPoolBackward, inferSubsampleBackward } from '../../../ops/pool_backward.js';

/** Invocations per workgroup of the one-value-per-invocation kernels. */
const WG = 256;

// One module, five entry points (see the header of pool_backward.wgsl for the bindings).
const CODE = withPreludes(poolBackwardWgsl, POOL_PARAMS, POOL_WINDOW_PRELUDE, INDEX_PRELUDE);
const spec = (entryPoint: string, outputs: 1 | 2): KernelSpec => ({
  name: 'pool_backward',
  code: CODE,
  entryPoint,
  bindings: outputs === 1 ? ['uniform', 'read', 'read', 'write'] : ['uniform', 'read', 'read', 'write', 'write'],
});
const POOL2D_BACKWARD = spec('pool2d_backward', 1);
const GLOBAL_POOL_BACKWARD = spec('global_pool_backward', 1);
const ADAPTIVE_AVG_POOL_BACKWARD = spec('adaptive_avg_pool_backward', 1);
const SUBSAMPLE_BACKWARD_DX = spec('subsample_backward_dx', 1);
const SUBSAMPLE_BACKWARD_PARAMS = spec('subsample_backward_params', 2);

const labelOf = (op: string, name?: string) => (name ? `${op} '${name}'` : op);

export function pool2dBackwardGpu(be: WebGpuBackend, x: GpuTensor, dy: GpuTensor, params: Pool2dParams): GpuTensor {
  const g = inferPool2dBackward(x.shape, dy.shape, params);
  const dx = be.empty(x.shape, 'pool2dBackward');
  if (dx.size === 0) return dx;
  const isMax = g.type === 'max';
  be.run(
    {
      kernel: POOL2D_BACKWARD,
      overrides: isMax ? { WG, POOL_MAX: 1 } : { WG, POOL_MAX: 0, COUNT_PAD: g.countIncludePad ? 1 : 0 },
      uniforms: poolUniforms({ count: dx.size, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo, kernel: g.kernel, stride: g.stride, pads: g.pads }),
      workgroups: grid1d(ceilDiv(dx.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'pool2dBackward'),
      label: labelOf('pool2dBackward', params.name),
    },
    [x, dy, dx],
  );
  return dx;
}

export function globalPoolBackwardGpu(be: WebGpuBackend, x: GpuTensor, dy: GpuTensor, type: 'max' | 'avg'): GpuTensor {
  const g = inferGlobalPoolBackward(x.shape, dy.shape, type);
  const dx = be.empty(x.shape, 'globalPoolBackward');
  const planes = g.n * g.c;
  if (planes === 0) return dx;
  be.run(
    {
      kernel: GLOBAL_POOL_BACKWARD,
      overrides: { WG: reductionWg(g.plane), POOL_MAX: type === 'max' ? 1 : 0 },
      // Each plane as one row of H·W values.
      uniforms: poolUniforms({ count: planes, c: g.c, h: 1, w: g.plane }),
      workgroups: grid1d(planes, be.limits.maxComputeWorkgroupsPerDimension, 'globalPoolBackward'),
      label: `globalPoolBackward ${type}`,
    },
    [x, dy, dx],
  );
  return dx;
}

export function adaptiveAvgPoolBackwardGpu(be: WebGpuBackend, x: GpuTensor, dy: GpuTensor, params: AdaptivePoolParams): GpuTensor {
  const g = inferAdaptiveAvgPoolBackward(x.shape, dy.shape, params);
  const dx = be.empty(x.shape, 'adaptiveAvgPoolBackward');
  if (dx.size === 0) return dx;
  be.run(
    {
      kernel: ADAPTIVE_AVG_POOL_BACKWARD,
      overrides: { WG },
      uniforms: poolUniforms({ count: dx.size, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo }),
      workgroups: grid1d(ceilDiv(dx.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'adaptiveAvgPoolBackward'),
      label: labelOf('adaptiveAvgPoolBackward', params.name),
    },
    // x is bound (the entry points share one layout) but not read.
    [x, dy, dx],
  );
  return dx;
}

export function subsampleBackwardGpu(be: WebGpuBackend, x: GpuTensor, coeff: GpuTensor, dy: GpuTensor, params: SubsampleParams): { dx: GpuTensor; dcoeff: GpuTensor; dbias: GpuTensor } {
  const g = inferSubsampleBackward(x.shape, coeff.shape, dy.shape, params);
  const dx = be.empty(x.shape, 'subsampleBackward');
  const dcoeff = be.empty([g.c], 'subsampleBackward');
  const dbias = be.empty([g.c], 'subsampleBackward');
  const uniforms = (count: number) =>
    poolUniforms({ count, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo, kernel: g.kernel, stride: g.stride, batch: g.n });
  const label = labelOf('subsampleBackward', params.name);
  if (dx.size > 0) {
    be.run(
      {
        kernel: SUBSAMPLE_BACKWARD_DX,
        overrides: { WG },
        uniforms: uniforms(dx.size),
        workgroups: grid1d(ceilDiv(dx.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'subsampleBackward'),
        label,
      },
      [coeff, dy, dx],
    );
  }
  if (g.c > 0) {
    // With an empty batch the reduction runs over nothing and writes zeros.
    be.run(
      {
        kernel: SUBSAMPLE_BACKWARD_PARAMS,
        overrides: { WG: reductionWg(g.n * g.ho * g.wo) },
        uniforms: uniforms(g.c),
        workgroups: grid1d(g.c, be.limits.maxComputeWorkgroupsPerDimension, 'subsampleBackward'),
        label: `${label} dcoeff/dbias`,
      },
      [x, dy, dcoeff, dbias],
    );
  }
  return { dx, dcoeff, dbias };
}
