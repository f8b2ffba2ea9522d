/**
 * WebGPU backward of the pooling family, as gathers (one invocation per dx value, looping over
 * the outputs whose windows contain it: no atomics, no races): max/avg pooling, adaptive
 * average pooling and LeNet-5's subsampling (dx). Global pooling and subsampling's
 * per-channel dcoeff/dbias use one workgroup per plane or channel with a shared-memory tree
 * reduction. Shape checks are the pure `infer*Backward` functions shared with the CPU twin,
 * so bad input throws before any GPU work.
 */
import poolBackwardWgsl from '../../../../shaders/pool_backward.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { KernelSpec } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { POOL_PARAMS, POOL_WINDOW_PRELUDE, poolCall, maxOrAvg, windowUniforms, globalPoolDispatch } from './pool.js';
import type { Pool2dParams, SubsampleParams, AdaptivePoolParams } from '../../../ops/pool.js';
import { inferPool2dBackward, inferGlobalPoolBackward, inferAdaptiveAvgPoolBackward, inferSubsampleBackward } from '../../../ops/pool_backward.js';

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

export function pool2dBackwardGpu(be: KernelContext, x: GpuTensor, dy: GpuTensor, params: Pool2dParams): GpuTensor {
  const g = inferPool2dBackward(x.shape, dy.shape, params);
  const dx = be.empty(x.shape, 'pool2dBackward');
  if (dx.size === 0) return dx;
  const call = { kernel: POOL2D_BACKWARD, op: 'pool2dBackward', name: params.name, overrides: maxOrAvg(g), uniforms: windowUniforms(g, dx.size) };
  be.run(poolCall(call, be.limits), [x, dy, dx]);
  return dx;
}

export function globalPoolBackwardGpu(be: KernelContext, x: GpuTensor, dy: GpuTensor, type: 'max' | 'avg'): GpuTensor {
  const g = inferGlobalPoolBackward(x.shape, dy.shape, type);
  const dx = be.empty(x.shape, 'globalPoolBackward');
  const planes = g.n * g.c;
  if (planes === 0) return dx;
  be.run(poolCall(globalPoolDispatch(GLOBAL_POOL_BACKWARD, 'globalPoolBackward', type, g), be.limits), [x, dy, dx]);
  return dx;
}

export function adaptiveAvgPoolBackwardGpu(be: KernelContext, x: GpuTensor, dy: GpuTensor, params: AdaptivePoolParams): GpuTensor {
  const g = inferAdaptiveAvgPoolBackward(x.shape, dy.shape, params);
  const dx = be.empty(x.shape, 'adaptiveAvgPoolBackward');
  if (dx.size === 0) return dx;
  const uniforms = { count: dx.size, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo };
  // x is bound (the entry points share one layout) but not read.
  be.run(poolCall({ kernel: ADAPTIVE_AVG_POOL_BACKWARD, op: 'adaptiveAvgPoolBackward', name: params.name, uniforms }, be.limits), [x, dy, dx]);
  return dx;
}

export function subsampleBackwardGpu(be: KernelContext, x: GpuTensor, coeff: GpuTensor, dy: GpuTensor, params: SubsampleParams): { dx: GpuTensor; dcoeff: GpuTensor; dbias: GpuTensor } {
  const g = inferSubsampleBackward(x.shape, coeff.shape, dy.shape, params);
  const dx = be.empty(x.shape, 'subsampleBackward');
  const dcoeff = be.empty([g.c], 'subsampleBackward');
  const dbias = be.empty([g.c], 'subsampleBackward');
  const op = 'subsampleBackward';
  if (dx.size > 0) {
    be.run(poolCall({ kernel: SUBSAMPLE_BACKWARD_DX, op, name: params.name, uniforms: windowUniforms(g, dx.size, g.n) }, be.limits), [coeff, dy, dx]);
  }
  if (g.c > 0) {
    // One workgroup per channel, reducing its N·Ho·Wo outputs; with an empty batch it writes zeros.
    const label = params.name ? `${op} '${params.name}' dcoeff/dbias` : `${op} dcoeff/dbias`;
    be.run(poolCall({ kernel: SUBSAMPLE_BACKWARD_PARAMS, op, label, uniforms: windowUniforms(g, g.c, g.n), reduceOver: g.n * g.ho * g.wo }, be.limits), [x, dy, dcoeff, dbias]);
  }
  return { dx, dcoeff, dbias };
}
