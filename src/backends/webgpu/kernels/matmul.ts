/**
 * WebGPU matrix products: batched matmul with fused bias + activation (tiled kernel with
 * workgroup-memory slices and 4×4 register blocks, or the naive kernel under `forceNaive`),
 * dense (matmul with the weights transposed), LeNet-5's RBF layer (the same kernels in
 * squared-distance mode) and softmax (one workgroup per row).
 */
import matmulWgsl from '../../../../shaders/matmul.wgsl?raw';
import softmaxWgsl from '../../../../shaders/softmax.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { activationOverrides } from './elementwise.js';
import type { Activation } from '../../../ops/activation.js';
import { type MatmulParams, type MatmulGeometry, inferMatmul, inferDense, inferRbf, inferSoftmax } from '../../../ops/matmul.js';
import type { GpuContext } from '../../../device/device.js';
import { LimitExceededError } from '../../../errors.js';

const MATMUL_CODE = withActivation(matmulWgsl);
// Two entry points of one module: same name, so they share the compiled shader module.
const MATMUL_TILED: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'tiled', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const MATMUL_NAIVE: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'naive', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const SOFTMAX: KernelSpec = { name: 'softmax', code: softmaxWgsl, entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };

/** Rows and columns of output one invocation of the tiled kernel computes (RM, RN in the WGSL). */
export const MATMUL_REGISTER_BLOCK = 4;

/** A tiling of the `tiled` kernel. The output tile is (4·wgY) × (4·wgX). */
export interface MatmulTiling {
  /** Invocations per workgroup along output columns (x) and rows (y). */
  readonly wgX: number;
  readonly wgY: number;
  /** Depth of the K slice staged in workgroup memory; a multiple of 4 (slices are loaded in quads). */
  readonly tileK: number;
}

/**
 * Tilings by adapter: the key `${vendor}/${architecture}` (as in `GpuContext.info`) wins over
 * `default`. Entries that do not fit the device's limits are skipped; `compact` fits even
 * compatibility-mode limits (128 invocations, 16 KiB).
 */
export const MATMUL_TUNING: Readonly<Record<string, MatmulTiling>> = {
  // 64 × 64 tile, K slices of 16: 8 KiB of workgroup memory, 256 invocations.
  default: { wgX: 16, wgY: 16, tileK: 16 },
  compact: { wgX: 8, wgY: 8, tileK: 16 },
};

/** Workgroup memory of a tiling: the A and B slices, float32. */
export function matmulTilingBytes(t: MatmulTiling): number {
  return 4 * t.tileK * MATMUL_REGISTER_BLOCK * (t.wgX + t.wgY);
}

/** The tiling for this device: its adapter's entry, else `default`, else `compact`, whichever first fits the limits. */
export function selectMatmulTiling(ctx: Pick<GpuContext, 'info' | 'limits'>, table: Readonly<Record<string, MatmulTiling>> = MATMUL_TUNING): MatmulTiling {
  const { limits } = ctx;
  const fits = (t: MatmulTiling): boolean =>
    t.tileK % 4 === 0 &&
    t.wgX * t.wgY <= limits.maxComputeInvocationsPerWorkgroup &&
    t.wgX <= limits.maxComputeWorkgroupSizeX &&
    t.wgY <= limits.maxComputeWorkgroupSizeY &&
    matmulTilingBytes(t) <= limits.maxComputeWorkgroupStorageSize;
  const keys = [`${ctx.info.vendor}/${ctx.info.architecture}`, 'default', 'compact'];
  for (const key of keys) {
    const t = table[key];
    if (t && fits(t)) return t;
  }
  throw new LimitExceededError(
    `matmul: no tiling fits this device (maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, ` +
      `maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize})`,
  );
}

/** Naive kernel's workgroup: one invocation per output element. */
const NAIVE_WG = 8;

/** Records out = act(op(a) · op(b) + bias) (or squared distances) for a resolved geometry. */
function recordMatmul(
  be: WebGpuBackend,
  op: string,
  g: MatmulGeometry,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | undefined,
  distance = false,
): GpuTensor {
  const naive = be.debug.forceNaive === true;
  const tiling = naive ? null : selectMatmulTiling(be.ctx);
  const out = be.empty(g.outShape, op);
  if (out.size === 0) return out;
  const overrides: Record<string, number> = {
    WG_X: tiling ? tiling.wgX : NAIVE_WG,
    WG_Y: tiling ? tiling.wgY : NAIVE_WG,
    // Tiled only: the K slice and vec4 loads along each operand's contiguous dimension.
    ...(tiling
      ? {
          TILE_K: tiling.tileK,
          VEC4_A: (g.transposeA ? g.M : g.K) % 4 === 0 ? 1 : 0,
          VEC4_B: (g.transposeB ? g.K : g.N) % 4 === 0 ? 1 : 0,
        }
      : {}),
    TRANSPOSE_A: g.transposeA ? 1 : 0,
    TRANSPOSE_B: g.transposeB ? 1 : 0,
    HAS_BIAS: bias ? 1 : 0,
    DISTANCE: distance ? 1 : 0,
    ...activationOverrides(g.act),
  };
  const blockN = tiling ? tiling.wgX * MATMUL_REGISTER_BLOCK : NAIVE_WG;
  const blockM = tiling ? tiling.wgY * MATMUL_REGISTER_BLOCK : NAIVE_WG;
  // The bias binding must hold a buffer even when HAS_BIAS = 0 (never read then).
  const biasBuffer = bias ?? be.auxBuffer(new Float32Array(4), `${op} no bias`);
  // Batch matrices go in z; more than the device allows per dimension are split into dispatches.
  const maxZ = be.limits.maxComputeWorkgroupsPerDimension;
  for (let base = 0; base < g.batch; base += maxZ) {
    const chunk = Math.min(maxZ, g.batch - base);
    be.run(
      {
        kernel: naive ? MATMUL_NAIVE : MATMUL_TILED,
        overrides,
        uniforms: packUniforms([
          ['u32', g.M], ['u32', g.N], ['u32', g.K], ['u32', base], ['u32', g.aBatchStride], ['u32', g.bBatchStride],
        ]),
        workgroups: [ceilDiv(g.N, blockN), ceilDiv(g.M, blockM), chunk],
        label: op,
      },
      [a, b, biasBuffer, out],
    );
  }
  return out;
}

export function matmulGpu(be: WebGpuBackend, a: GpuTensor, b: GpuTensor, bias: GpuTensor | undefined, params: MatmulParams): GpuTensor {
  const g = inferMatmul(a.shape, b.shape, bias?.shape, params);
  return recordMatmul(be, params.name ? `matmul '${params.name}'` : 'matmul', g, a, b, bias);
}

export function denseGpu(be: WebGpuBackend, x: GpuTensor, w: GpuTensor, bias: GpuTensor | undefined, act: Activation | undefined): GpuTensor {
  const g = inferDense(x.shape, w.shape, bias?.shape, act);
  return recordMatmul(be, 'dense', g, x, w, bias);
}

export function rbfGpu(be: WebGpuBackend, x: GpuTensor, centers: GpuTensor): GpuTensor {
  const g = inferRbf(x.shape, centers.shape);
  return recordMatmul(be, 'rbf', g, x, centers, undefined, true);
}

/** Softmax workgroup size: the row length rounded up to a power of two, in [32, 256]. */
function softmaxWorkgroup(axisLen: number, maxInvocations: number): number {
  const cap = Math.min(256, maxInvocations);
  let wg = 1;
  while (wg * 2 <= cap && (wg < 32 || wg < axisLen)) wg *= 2;
  return wg;
}

export function softmaxGpu(be: WebGpuBackend, x: GpuTensor, axis: number): GpuTensor {
  const s = inferSoftmax(x.shape, axis);
  const out = be.empty(x.shape, 'softmax');
  if (out.size === 0) return out;
  const wg = softmaxWorkgroup(s.axisLen, be.limits.maxComputeInvocationsPerWorkgroup);
  be.run(
    {
      kernel: SOFTMAX,
      overrides: { WG: wg },
      uniforms: packUniforms([['u32', s.rows], ['u32', s.axisLen], ['u32', s.inner]]),
      workgroups: grid1d(s.rows, be.limits.maxComputeWorkgroupsPerDimension, 'softmax'),
      label: 'softmax',
    },
    [x, out],
  );
  return out;
}
