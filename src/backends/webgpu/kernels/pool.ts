/**
 * WebGPU pooling family: max/avg pooling, adaptive average pooling and LeNet-5's subsampling
 * (one invocation per output), global pooling (one workgroup per plane, shared-memory tree
 * reduction) and local response normalization (one invocation per output). Shapes and
 * parameters come from the pure functions in src/ops/pool.ts, so bad input throws before any
 * GPU work.
 */
import poolWgsl from '../../../../shaders/pool.wgsl?raw';
import lrnWgsl from '../../../../shaders/lrn.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, type UniformField, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { activationOverrides } from '../../../ops/activation.js';
import {
  type Pool2dParams,
  type SubsampleParams,
  type LrnParams,
  type AdaptivePoolParams,
  type WindowGeometry,
  inferPool2d,
  inferGlobalPool,
  inferAdaptiveAvgPool,
  inferSubsample,
  inferLrn,
} from '../../../ops/pool.js';

/** Invocations per workgroup of the one-output-per-invocation kernels. */
const WG = 256;

// One module (pool.wgsl with the activation prelude, which only `subsample` uses), four entry points.
const POOL_CODE = withActivation(poolWgsl);
const POOL2D: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'pool2d', bindings: ['uniform', 'read', 'write'] };
const GLOBAL_POOL: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'global_pool', bindings: ['uniform', 'read', 'write'] };
const ADAPTIVE_AVG_POOL: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'adaptive_avg_pool', bindings: ['uniform', 'read', 'write'] };
const SUBSAMPLE: KernelSpec = {
  name: 'pool',
  code: POOL_CODE,
  entryPoint: 'subsample',
  bindings: ['uniform', 'read', 'read', 'read', 'write'],
};
const LRN: KernelSpec = { name: 'lrn', code: lrnWgsl, entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };

const u32 = (v: number): UniformField => ['u32', v];

/** pool.wgsl's `Params` for a windowed op. */
function windowUniforms(g: WindowGeometry): ArrayBuffer {
  const { pads } = g;
  return packUniforms([
    u32(g.n * g.c * g.ho * g.wo), u32(g.c), u32(g.h), u32(g.w), u32(g.ho), u32(g.wo),
    u32(g.kernel[0]), u32(g.kernel[1]), u32(g.stride[0]), u32(g.stride[1]),
    u32(pads.top), u32(pads.left), u32(pads.bottom), u32(pads.right),
  ]);
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
  // A power of two for the tree reduction, no larger than the plane needs (7×7 → 64), 32..256.
  const wg = Math.min(256, Math.max(32, 2 ** Math.ceil(Math.log2(g.plane))));
  be.run(
    {
      kernel: GLOBAL_POOL,
      overrides: { WG: wg, POOL_MAX: type === 'max' ? 1 : 0 },
      // The whole Params struct (the binding must cover it); global_pool reads count, h and w,
      // and reduces each plane as one row of H·W values.
      uniforms: packUniforms([u32(planes), u32(g.c), u32(1), u32(g.plane), ...new Array<UniformField>(10).fill(u32(0))]),
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
      // The whole Params struct (the binding must cover it); adaptive_avg_pool reads count, h, w, ho and wo.
      uniforms: packUniforms([
        u32(out.size), u32(g.c), u32(g.h), u32(g.w), u32(g.ho), u32(g.wo), ...new Array<UniformField>(8).fill(u32(0)),
      ]),
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

export function lrnGpu(be: WebGpuBackend, x: GpuTensor, params: LrnParams): GpuTensor {
  const g = inferLrn(x.shape, params);
  const out = be.empty(x.shape, 'lrn');
  if (out.size === 0) return out;
  be.run(
    {
      kernel: LRN,
      overrides: { WG },
      uniforms: packUniforms([
        u32(out.size), u32(g.c), u32(g.plane), u32(g.before), u32(g.after),
        ['f32', g.alpha / g.size], ['f32', g.beta], ['f32', g.k],
      ]),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'lrn'),
      label: params.name ? `lrn '${params.name}'` : 'lrn',
    },
    [x, out],
  );
  return out;
}
