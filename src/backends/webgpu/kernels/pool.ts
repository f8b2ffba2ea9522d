/**
 * WebGPU pooling family: max/avg pooling, adaptive average pooling and LeNet-5's subsampling
 * (one invocation per output) and global pooling (one workgroup per plane, shared-memory tree
 * reduction). Shapes and parameters come from the pure functions in src/ops/pool.ts, so bad
 * input throws before any GPU work. The backward kernels (pool_backward.ts) share the uniforms.
 */
import poolWgsl from '../../../../shaders/pool.wgsl?raw';
import poolWindowWgsl from '../../../../shaders/pool_window.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, type KernelCall, type WorkgroupLimits, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
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
  // The spacing of a pool2d window's cells (1: contiguous).
  dh: 'u32', dw: 'u32',
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
  dilation?: readonly [number, number];
}

function poolUniforms(u: PoolUniforms): ArrayBuffer {
  const [kh, kw] = u.kernel ?? [0, 0];
  const [sh, sw] = u.stride ?? [0, 0];
  const p = u.pads ?? { top: 0, left: 0, bottom: 0, right: 0 };
  return POOL_PARAMS.pack({
    count: u.count,
    channels: u.c ?? 0,
    h: u.h, w: u.w, ho: u.ho ?? 0, wo: u.wo ?? 0, kh, kw, sh, sw,
    pad_top: p.top, pad_left: p.left, pad_bottom: p.bottom, pad_right: p.right,
    batch: u.batch ?? 0,
    dh: u.dilation?.[0] ?? 1, dw: u.dilation?.[1] ?? 1,
  });
}

/**
 * A power of two for a tree reduction over `n` values per workgroup, no larger than needed
 * (7×7 → 64), 32..256 and within the device's limit (`flatWorkgroup`: 256 or less).
 */
function reductionWg(n: number, limits: WorkgroupLimits): number {
  return Math.min(flatWorkgroup(limits), Math.max(32, 2 ** Math.ceil(Math.log2(Math.max(1, n)))));
}

/** One dispatch of a pooling entry point, forward or backward (pool.wgsl, pool_backward.wgsl). */
export interface PoolDispatch {
  readonly kernel: KernelSpec;
  /** The op, for errors; with `name`, the label `op 'name'`. */
  readonly op: string;
  readonly name?: string;
  readonly label?: string;
  /** Overrides besides WG (POOL_MAX, COUNT_PAD, the activation). */
  readonly overrides?: Readonly<Record<string, number>>;
  readonly uniforms: PoolUniforms;
  /** One workgroup per work item, reducing this many values each (a power-of-two tree); else one invocation per work item, WG to a workgroup. */
  readonly reduceOver?: number;
}

/**
 * The call of a pooling dispatch over its `uniforms.count` work items, folded into y when large;
 * one-output-per-invocation kernels take `flatWorkgroup` invocations per workgroup.
 */
export function poolCall(d: PoolDispatch, limits: WorkgroupLimits & Pick<GPUSupportedLimits, 'maxComputeWorkgroupsPerDimension'>): KernelCall {
  const perWorkgroup = d.reduceOver !== undefined;
  const count = d.uniforms.count;
  const wg = flatWorkgroup(limits);
  return {
    kernel: d.kernel,
    overrides: { WG: perWorkgroup ? reductionWg(d.reduceOver, limits) : wg, ...d.overrides },
    uniforms: poolUniforms(d.uniforms),
    workgroups: grid1d(perWorkgroup ? count : ceilDiv(count, wg), limits.maxComputeWorkgroupsPerDimension, d.op),
    label: d.label ?? (d.name ? `${d.op} '${d.name}'` : d.op),
  };
}

/** Max or average pooling's overrides: POOL_MAX, and for averages COUNT_PAD. */
export function maxOrAvg(g: { type: 'max' | 'avg'; countIncludePad?: boolean }): Record<string, number> {
  return g.type === 'max' ? { POOL_MAX: 1 } : { POOL_MAX: 0, COUNT_PAD: g.countIncludePad ? 1 : 0 };
}

/** A windowed op's uniforms (pooling, subsampling) over `count` work items. */
export function windowUniforms(g: WindowGeometry, count: number, batch?: number): PoolUniforms {
  return { count, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo, kernel: g.kernel, stride: g.stride, pads: g.pads, batch };
}

// One module (pool.wgsl with the activation prelude, which only `subsample` uses), four entry points.
const POOL_CODE = withActivation(withPreludes(poolWgsl, POOL_PARAMS, POOL_WINDOW_PRELUDE, INDEX_PRELUDE));
const POOL2D: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'pool2d', bindings: ['uniform', 'read', 'write'] };
const GLOBAL_POOL: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'global_pool', bindings: ['uniform', 'read', 'write'] };
const GLOBAL_POOL_THREAD: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'global_pool_thread', bindings: ['uniform', 'read', 'write'] };
/**
 * Largest H·W a global pool reduces with one invocation per plane (`global_pool_thread`):
 * up to 8×8 a plane is a short loop, and a workgroup per plane would leave most of its
 * invocations idle (7×7 in a 64-wide workgroup) and pay log₂ WG barriers.
 */
const GLOBAL_POOL_THREAD_MAX = 64;
const ADAPTIVE_AVG_POOL: KernelSpec = { name: 'pool', code: POOL_CODE, entryPoint: 'adaptive_avg_pool', bindings: ['uniform', 'read', 'write'] };
const SUBSAMPLE: KernelSpec = {
  name: 'pool',
  code: POOL_CODE,
  entryPoint: 'subsample',
  bindings: ['uniform', 'read', 'read', 'read', 'write'],
};

export function pool2dGpu(be: KernelContext, x: GpuTensor, params: Pool2dParams): GpuTensor {
  const g = inferPool2d(x.shape, params);
  const out = be.empty(g.outShape, 'pool2d');
  if (out.size === 0) return out;
  const call = { kernel: POOL2D, op: 'pool2d', name: params.name, overrides: maxOrAvg(g), uniforms: { ...windowUniforms(g, out.size), dilation: g.dilation } };
  be.run(poolCall(call, be.limits), [x, out]);
  return out;
}

export function globalPoolGpu(be: KernelContext, x: GpuTensor, type: 'max' | 'avg'): GpuTensor {
  const g = inferGlobalPool(x.shape, type);
  const out = be.empty(g.outShape, 'globalPool');
  const planes = g.n * g.c;
  if (planes === 0) return out;
  const d = globalPoolDispatch(GLOBAL_POOL, 'globalPool', type, g);
  // A small plane is one invocation's loop; a large one a workgroup's tree reduction.
  const call = g.plane <= GLOBAL_POOL_THREAD_MAX ? { ...d, kernel: GLOBAL_POOL_THREAD, reduceOver: undefined } : d;
  be.run(poolCall(call, be.limits), [x, out]);
  return out;
}

/** A global pool's dispatch, forward or backward: one workgroup per (n, c) plane, each plane one row of H·W values. */
export function globalPoolDispatch(kernel: KernelSpec, op: string, type: 'max' | 'avg', g: { n: number; c: number; plane: number }): PoolDispatch {
  const uniforms = { count: g.n * g.c, c: g.c, h: 1, w: g.plane };
  return { kernel, op, label: `${op} ${type}`, overrides: { POOL_MAX: type === 'max' ? 1 : 0 }, uniforms, reduceOver: g.plane };
}

export function adaptiveAvgPoolGpu(be: KernelContext, x: GpuTensor, params: AdaptivePoolParams): GpuTensor {
  const g = inferAdaptiveAvgPool(x.shape, params);
  const out = be.empty(g.outShape, 'adaptiveAvgPool');
  if (out.size === 0) return out;
  const uniforms = { count: out.size, c: g.c, h: g.h, w: g.w, ho: g.ho, wo: g.wo };
  be.run(poolCall({ kernel: ADAPTIVE_AVG_POOL, op: 'adaptiveAvgPool', name: params.name, uniforms }, be.limits), [x, out]);
  return out;
}

export function subsampleGpu(be: KernelContext, x: GpuTensor, coeff: GpuTensor, bias: GpuTensor, params: SubsampleParams): GpuTensor {
  const g = inferSubsample(x.shape, coeff.shape, bias.shape, params);
  const out = be.empty(g.outShape, 'subsample');
  if (out.size === 0) return out;
  const call = { kernel: SUBSAMPLE, op: 'subsample', name: params.name, overrides: activationOverrides(g.activation), uniforms: windowUniforms(g, out.size) };
  be.run(poolCall(call, be.limits), [x, coeff, bias, out]);
  return out;
}
