/**
 * WebGPU matrix products: batched matmul with fused bias + activation (tiled kernel with
 * workgroup-memory slices and 4×4 register blocks; for M ≤ 4 with B transposed — batch-1
 * dense layers — the gemv kernel, which splits K across a workgroup instead of computing a
 * tile of padding; or the naive kernel under `forceNaive`),
 * dense (matmul with the weights transposed), LeNet-5's RBF layer (the same kernels in
 * squared-distance mode) and softmax (one workgroup per row).
 */
import matmulWgsl from '../../../../shaders/matmul.wgsl?raw';
import softmaxWgsl from '../../../../shaders/softmax.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { activationOverrides } from '../../../ops/activation.js';
import type { Activation } from '../../../ops/activation.js';
import { type MatmulParams, type MatmulGeometry, inferMatmul, inferDense, inferRbf, inferSoftmax } from '../../../ops/matmul.js';
import type { GpuContext } from '../../../device/device.js';
import { LimitExceededError } from '../../../errors.js';

const MATMUL_CODE = withActivation(matmulWgsl);
// Two entry points of one module: same name, so they share the compiled shader module.
const MATMUL_TILED: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'tiled', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const MATMUL_GEMV: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'gemv', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
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

/** A shape of the `gemv` kernel: one workgroup computes `cols` output columns for all M rows. */
export interface GemvTiling {
  /** Invocations splitting each column's K reduction (workgroup x); a power of two. */
  readonly splitK: number;
  /** Output columns per workgroup (workgroup y). */
  readonly cols: number;
  /** Largest M (output rows) that takes the gemv kernel; at most 4 (one vec4 of partial sums). 0 disables it. */
  readonly maxM: number;
}

/**
 * Gemv shapes by adapter, keyed like MATMUL_TUNING (`${vendor}/${architecture}`, then `default`,
 * then `compact`; the first that fits the limits is used). Mutable so a bench or a user can
 * retune it, or set `maxM: 0` to force the tiled kernel.
 */
export const MATMUL_GEMV_TUNING: Record<string, GemvTiling> = {
  // 32 K-splits × 8 columns: 256 invocations, 4 KiB of workgroup memory, 5 reduction barriers.
  default: { splitK: 32, cols: 8, maxM: 4 },
  compact: { splitK: 16, cols: 4, maxM: 4 },
};

/** Workgroup memory of a gemv tiling: one vec4 of partial sums per invocation. */
export function gemvTilingBytes(t: GemvTiling): number {
  return 16 * t.splitK * t.cols;
}

/**
 * The rule choosing the gemv kernel: M ≤ maxM (≤ 4), B transposed (stored (N, K): the dense and
 * RBF layout, contiguous along K) and A not (stored (M, K)). Returns the device's gemv tiling
 * (as selectMatmulTiling picks one), or null for the tiled kernel: other layouts, larger M, or
 * no entry that fits the limits.
 */
export function selectGemvTiling(
  ctx: Pick<GpuContext, 'info' | 'limits'>,
  g: Pick<MatmulGeometry, 'M' | 'transposeA' | 'transposeB'>,
  table: Readonly<Record<string, GemvTiling>> = MATMUL_GEMV_TUNING,
): GemvTiling | null {
  if (g.transposeA || !g.transposeB) return null;
  const { limits } = ctx;
  const fits = (t: GemvTiling): boolean =>
    t.splitK > 0 &&
    (t.splitK & (t.splitK - 1)) === 0 &&
    t.cols > 0 &&
    t.splitK * t.cols <= limits.maxComputeInvocationsPerWorkgroup &&
    t.splitK <= limits.maxComputeWorkgroupSizeX &&
    t.cols <= limits.maxComputeWorkgroupSizeY &&
    gemvTilingBytes(t) <= limits.maxComputeWorkgroupStorageSize;
  const keys = [`${ctx.info.vendor}/${ctx.info.architecture}`, 'default', 'compact'];
  for (const key of keys) {
    const t = table[key];
    if (t && fits(t)) return g.M <= Math.min(t.maxM, MATMUL_REGISTER_BLOCK) ? t : null;
  }
  return null;
}

/** K values one gemv invocation reduces at least before the partial sums meet in workgroup memory. */
export const GEMV_MIN_K_PER_SPLIT = 64;

/**
 * The K splits of a gemv over `k`: the tiling's `splitK`, fewer when each split would reduce
 * fewer than GEMV_MIN_K_PER_SPLIT values (a short K gains nothing from splitting and pays for
 * the reduction barriers), down to 1; a power of two.
 */
export function gemvSplit(t: GemvTiling, k: number): number {
  let split = t.splitK;
  while (split > 1 && k / split < GEMV_MIN_K_PER_SPLIT) split /= 2;
  return split;
}

/** Kernel, overrides and output block (columns, rows) per workgroup of one matmul. */
interface MatmulPlan {
  readonly kernel: KernelSpec;
  readonly overrides: Record<string, number>;
  readonly blockN: number;
  readonly blockM: number;
}

/** Naive kernel's workgroup: one invocation per output element. */
const NAIVE_WG = 8;

/** Chooses the kernel (naive under forceNaive, else gemv by selectGemvTiling's rule, else tiled) and its overrides. */
function planMatmul(be: WebGpuBackend, g: MatmulGeometry, hasBias: boolean, distance: boolean): MatmulPlan {
  // Every entry point reads these; each is passed only the overrides it uses.
  const common: Record<string, number> = {
    TRANSPOSE_A: g.transposeA ? 1 : 0,
    TRANSPOSE_B: g.transposeB ? 1 : 0,
    HAS_BIAS: hasBias ? 1 : 0,
    DISTANCE: distance ? 1 : 0,
    ...activationOverrides(g.act),
  };
  if (be.debug.forceNaive === true) {
    return { kernel: MATMUL_NAIVE, overrides: { WG_X: NAIVE_WG, WG_Y: NAIVE_WG, ...common }, blockN: NAIVE_WG, blockM: NAIVE_WG };
  }
  const gemv = selectGemvTiling(be.ctx, g);
  if (gemv) {
    // A is (M, K) and B is (N, K): both contiguous along K.
    const vec4 = g.K % 4 === 0 ? 1 : 0;
    return {
      kernel: MATMUL_GEMV,
      overrides: { WG_X: gemvSplit(gemv, g.K), WG_Y: gemv.cols, VEC4_A: vec4, VEC4_B: vec4, ...common },
      blockN: gemv.cols,
      blockM: MATMUL_REGISTER_BLOCK,
    };
  }
  const tiling = selectMatmulTiling(be.ctx);
  return {
    kernel: MATMUL_TILED,
    overrides: {
      WG_X: tiling.wgX,
      WG_Y: tiling.wgY,
      // The K slice and vec4 loads along each operand's contiguous dimension.
      TILE_K: tiling.tileK,
      VEC4_A: (g.transposeA ? g.M : g.K) % 4 === 0 ? 1 : 0,
      VEC4_B: (g.transposeB ? g.K : g.N) % 4 === 0 ? 1 : 0,
      ...common,
    },
    blockN: tiling.wgX * MATMUL_REGISTER_BLOCK,
    blockM: tiling.wgY * MATMUL_REGISTER_BLOCK,
  };
}

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
  const out = be.empty(g.outShape, op);
  if (out.size === 0) return out;
  const plan = planMatmul(be, g, bias !== undefined, distance);
  // The bias binding must hold a buffer even when HAS_BIAS = 0 (never read then).
  const biasBuffer = bias ?? be.auxBuffer(new Float32Array(4), `${op} no bias`);
  // Batch matrices go in z; more than the device allows per dimension are split into dispatches.
  const maxZ = be.limits.maxComputeWorkgroupsPerDimension;
  for (let base = 0; base < g.batch; base += maxZ) {
    const chunk = Math.min(maxZ, g.batch - base);
    be.run(
      {
        kernel: plan.kernel,
        overrides: plan.overrides,
        uniforms: packUniforms([
          ['u32', g.M], ['u32', g.N], ['u32', g.K], ['u32', base], ['u32', g.aBatchStride], ['u32', g.bBatchStride],
        ]),
        workgroups: [ceilDiv(g.N, plan.blockN), ceilDiv(g.M, plan.blockM), chunk],
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
