/**
 * WebGPU pooling family: max/avg pooling, adaptive average pooling and LeNet-5's subsampling
 * (one invocation per output) and global pooling (one workgroup per plane, shared-memory tree
 * reduction). Shapes and parameters come from the pure functions in src/ops/pool.ts, so bad
 * input throws before any GPU work. The backward kernels (pool_backward.ts) share the uniforms.
 */
import poolWgsl from '../../../../shaders/pool.wgsl?raw';
import poolWindowWgsl from '../../../../shaders/pool_window.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { activationOverrides } from '../../../ops/activation.js';
import {
  type Pool2dParams,
  type SubsampleParams,
  type AdaptivePoolParams,
  type WindowGeometry,
  inferPool2d,
  inferGlobalPool,
  inferAdaptiveAvgPool,
  inferSubsample,
} from '../../../ops/pool.js';

/** The uniforms of pool.wgsl and pool_backward.wgsl; an entry point reads only some of them (see `poolUniforms`). */
export const POOL_PARAMS = uniformStruct('PoolParams', {
  // Work items: outputs (N·C·Ho·Wo) or dx values (N·C·H·W) for the one-value-per-invocation
  // entries, planes (N·C) for the global pools, channels (C) for subsample_backward_params.
  count: 'u32',
  // C, to find a plane's channel (subsample's coeff and bias).
  channels: 'u32',
  // Input and output planes, the window, its stride and the padding on each side.
  h: 'u32', w: 'u32', ho: 'u32', wo: 'u32', kh: 'u32', kw: 'u32', sh: 'u32', sw: 'u32',
  pad_top: 'u32', pad_left: 'u32', pad_bottom: 'u32', pad_right: 'u32',
  // N, for subsample_backward_params.
  batch: 'u32',
});

/** The pooling window prelude of pool.wgsl and pool_backward.wgsl: POOL_MAX, COUNT_PAD, `window_span`, `avg_divisor`. */
export const POOL_WINDOW_PRELUDE = poolWindowWgsl;

/** What a pooling entry point reads; the fields it does not are packed as 0. */
export interface PoolUniforms {
  count: number;
  c?: number;
  h: number;
  w: number;
  ho?: number;
  wo?: number;
  kernel?: readonly [number, number];
  stride?: readonly [number, number];
  pads?: { top: number; left: number; bottom: number; right: number };
  batch?: number;
}

export function poolUniforms(u: PoolUniforms): ArrayBuffer {
  const [kh, kw] = u.kernel ?? [0, 0];
  const [sh, sw] = u.stride ?? [0, 0];
  const p = u.pads ?? { top: 0, left: 0, bottom: 0, right: 0 };
  return POOL_PARAMS.pack({
    count: u.count,
    channels: u.c ?? 0,
    h: u.h, w: u.w, ho: u.ho ?? 0, wo: u.wo ?? 0, kh, kw, sh, sw,
    pad_top: p.top, pad_left: p.left, pad_bottom: p.bottom, pad_right: p.right,
    batch: u.batch ?? 0,
  });
}

/** Invocations per workgroup of the one-output-per-invocation kernels. */
const WG = 256;

/** A power of two for a tree reduction over `n` values per workgroup, no larger than needed (7×7 → 64), 32..256. */
export function reductionWg(n: number): number {
  return Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(1, n)))));
}

// One module (pool.wgsl with the activation prelude, which only `subsample` uses), four entry points.
const POOL_CODE = withActivation(withPreludes(poolWgsl, POOL_PARAMS, POOL_WINDOW_PRELUDE, INDEX_PRELUDE));
const POOL2D: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'pool2d', bindings: ['uniform', 'read', 'write'] };
const GLOBAL_POOL: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'global_pool', bindings: ['uniform', 'read', 'write'] };
const ADAPTIVE_AVG_POOL: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'adaptive_avg_pool', bindings: ['uniform', 'read', 'write'] };
const SUBSAMPLE: KernelSpec = {
  name: 'pool',
  code: POOL_CODE,
  entryPoint: 'subsample',
  bindings: ['uniform', 'read', 'read', 'read', 'write'],
};

/** The uniforms of a windowed op's forward: one work item per output. */
function windowUniforms(g: WindowGeometry): ArrayBuffer {
  return poolUniforms({ count: g.n * g.c * g.ho * g.wo, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo, kernel: g.kernel, stride: g.stride, pads: g.pads });
}

export function pool2dGpu(be: WebGpuBackend, x: GpuTensor, params: Pool2dParams): GpuTensor {
  const g = inferPool2d(x.shape, params);
  const out = be.empty(g.outShape, 'pool2d');
  if (out.size === 0) return out;
  const isMax = g.type === 'max';
  be.run(
    {
      kernel: POOL2D,
      overrides: isMax ? { WG, POOL_MAX: 1 } : { WG, POOL_MAX: 0, COUNT_PAD: g.countIncludePad ? 1 : 0 },
      uniforms: windowUniforms(g),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'pool2d'),
      label: params.name ? `pool2d '${params.name}'` : 'pool2d',
    },
    [x, out],
  );
  return out;
}

export function globalPoolGpu(be: WebGpuBackend, x: GpuTensor, type: 'max' | 'avg'): GpuTensor {
  const g = inferGlobalPool(x.shape, type);
  const out = be.empty(g.outShape, 'globalPool');
  const planes = g.n * g.c;
  if (planes === 0) return out;
  be.run(
    {
      kernel: GLOBAL_POOL,
      overrides: { WG: reductionWg(g.plane), POOL_MAX: type === 'max' ? 1 : 0 },
      // Each plane as one row of H·W values.
      uniforms: poolUniforms({ count: planes, c: g.c, h: 1, w: g.plane }),
      workgroups: grid1d(planes, be.limits.maxComputeWorkgroupsPerDimension, 'globalPool'),
      label: `globalPool ${type}`,
    },
    [x, out],
  );
  return out;
}

export function adaptiveAvgPoolGpu(be: WebGpuBackend, x: GpuTensor, params: AdaptivePoolParams): GpuTensor {
  const g = inferAdaptiveAvgPool(x.shape, params);
  const out = be.empty(g.outShape, 'adaptiveAvgPool');
  if (out.size === 0) return out;
  be.run(
    {
      kernel: ADAPTIVE_AVG_POOL,
      overrides: { WG },
      uniforms: poolUniforms({ count: out.size, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo }),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'adaptiveAvgPool'),
      label: params.name ? `adaptiveAvgPool '${params.name}'` : 'adaptiveAvgPool',
    },
    [x, out],
  );
  return out;
}

export function subsampleGpu(be: WebGpuBackend, x: GpuTensor, coeff: GpuTensor, bias: GpuTensor, params: SubsampleParams): GpuTensor {
  const g = inferSubsample(x.shape, coeff.shape, bias.shape, params);
  const out = be.empty(g.outShape, 'subsample');
  if (out.size === 0) return out;
  be.run(
    {
      kernel: SUBSAMPLE,
      overrides: { WG, ...activationOverrides(g.activation) },
      uniforms: windowUniforms(g),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'subsample'),
      label: params.name ? `subsample '${params.name}'` : 'subsample',
    },
    [x, coeff, bias, out],
  );
  return out;
}
