/**
 * WebGPU matrix products: batched matmul with fused bias + activation (tiled kernel with
 * workgroup-memory slices and 4×4 register blocks; for M ≤ 4 with B transposed — batch-1
 * dense layers — the gemv kernel, which splits K across a workgroup instead of computing a
 * tile of padding; or the naive kernel under `forceNaive`; tiled and gemv split K across
 * workgroups too, then `split_sum`, when the output is too small for the adapter class's
 * occupancy: kernels/split_k.ts),
 * dense (matmul with the weights transposed), LeNet-5's RBF layer (the same kernels in
 * squared-distance mode) and softmax (one workgroup per row).
 */
import matmulWgsl from '../../../../shaders/matmul.wgsl?raw';
import softmaxWgsl from '../../../../shaders/softmax.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, ceilDiv, rowWorkgroup } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE, IEEE_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type TuningTable, type MatmulTiling, type GemvTiling, MATMUL_TUNING, MATMUL_GEMV_TUNING, tuningFor } from '../tuning.js';
import { activationOverrides } from '../../../ops/activation.js';
import type { Activation } from '../../../ops/activation.js';
import { type MatmulParams, type MatmulGeometry, type SoftmaxAttrs, inferMatmul, inferDense, inferRbf, inferSoftmax } from '../../../ops/matmul.js';
import type { AdapterSummary } from '../../../device/device.js';
import { LimitExceededError } from '../../../errors.js';
import { type KSplit, bestKSplit, occupancyTuning, runSplitK, tuningAdapter } from './split_k.js';

/** matmul.wgsl's uniforms: the product's sizes, the first batch matrix of this dispatch and the batch strides. */
const MATMUL_PARAMS = uniformStruct('MatmulParams', {
  M: 'u32', N: 'u32', K: 'u32',
  batch_base: 'u32',
  // Elements between batch matrices of a and b; 0 on a broadcast side.
  a_batch_stride: 'u32', b_batch_stride: 'u32',
  // `tiled`'s split-K: chunks of K and their length (1 and K without), and the output's size
  // (B·M·N: the distance between two splits' partials).
  splits: 'u32', k_chunk: 'u32', total: 'u32',
});
/** softmax.wgsl's uniforms: x viewed as (rows = outer·inner, axis_len), a row's values `inner` apart. */
const SOFTMAX_PARAMS = uniformStruct('SoftmaxParams', { rows: 'u32', axis_len: 'u32', inner: 'u32' });

const MATMUL_CODE = withActivation(withPreludes(matmulWgsl, MATMUL_PARAMS));
// Three entry points of one module: same name, so they share the compiled shader module.
const MATMUL_TILED: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'tiled', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const MATMUL_GEMV: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'gemv', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const MATMUL_NAIVE: KernelSpec = { name: 'matmul', code: MATMUL_CODE, entryPoint: 'naive', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const SOFTMAX: KernelSpec = {
  name: 'softmax',
  code: withPreludes(softmaxWgsl, SOFTMAX_PARAMS, INDEX_PRELUDE, IEEE_PRELUDE),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'write'],
};

/** Rows and columns of output one invocation of the tiled kernel computes (RM, RN in the WGSL). */
export const MATMUL_REGISTER_BLOCK = 4;

/** Workgroup memory of a tiling: the A and B slices, float32, rows padded as matmul.wgsl pads them. */
export function matmulTilingBytes(t: MatmulTiling): number {
  return 4 * t.tileK * (MATMUL_REGISTER_BLOCK * t.wgY + 2) + 16 * t.tileK * (t.wgX | 1);
}

/** Whether a workgroup of x × y invocations using `bytes` of workgroup memory fits the device's limits. */
function workgroupFits(limits: GPUSupportedLimits, x: number, y: number, bytes: number): boolean {
  return (
    x * y <= limits.maxComputeInvocationsPerWorkgroup &&
    x <= limits.maxComputeWorkgroupSizeX &&
    y <= limits.maxComputeWorkgroupSizeY &&
    bytes <= limits.maxComputeWorkgroupStorageSize
  );
}

/** What a kernel's configuration is chosen by: the adapter class (its tuning entries) and the device's limits. */
export interface TuningContext {
  readonly info: Pick<AdapterSummary, 'vendor' | 'architecture'>;
  readonly limits: GPUSupportedLimits;
}

/** The tiling for this device: the table's entry for its adapter (`tuningFor`) that fits its limits. */
export function selectMatmulTiling(ctx: TuningContext, table: TuningTable<MatmulTiling> = MATMUL_TUNING): MatmulTiling {
  const { limits } = ctx;
  const fits = (t: MatmulTiling): boolean => t.tileK % 4 === 0 && workgroupFits(limits, t.wgX, t.wgY, matmulTilingBytes(t));
  const t = tuningFor(table, ctx.info, fits);
  if (t) return t;
  throw new LimitExceededError(
    `matmul: no tiling fits this device (maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, ` +
      `maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize})`,
  );
}

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
  ctx: TuningContext,
  g: Pick<MatmulGeometry, 'M' | 'transposeA' | 'transposeB'>,
  table: TuningTable<GemvTiling> = MATMUL_GEMV_TUNING,
): GemvTiling | null {
  if (g.transposeA || !g.transposeB) return null;
  const fits = (t: GemvTiling): boolean =>
    t.splitK > 0 && (t.splitK & (t.splitK - 1)) === 0 && t.cols > 0 && workgroupFits(ctx.limits, t.splitK, t.cols, gemvTilingBytes(t));
  const t = tuningFor(table, ctx.info, fits);
  return t && g.M <= Math.min(t.maxM, MATMUL_REGISTER_BLOCK) ? t : null;
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

/**
 * Output columns per gemv workgroup: the tiling's `cols`, halved (down to 1) while `columns`
 * (over all batch matrices) would launch fewer workgroups than the adapter class keeps in
 * flight (`OccupancyTuning.targetWorkgroups`).
 */
export function gemvCols(t: GemvTiling, columns: number, targetWorkgroups: number): number {
  let cols = t.cols;
  while (cols > 1 && Math.ceil(columns / cols) < targetWorkgroups) cols = Math.floor(cols / 2);
  return cols;
}

/** The tuning tables a matmul picks its kernel's shape from; a test or a benchmark may pass its own. */
export interface MatmulTables {
  readonly tiled: TuningTable<MatmulTiling>;
  readonly gemv: TuningTable<GemvTiling>;
}

const MATMUL_TABLES: MatmulTables = { tiled: MATMUL_TUNING, gemv: MATMUL_GEMV_TUNING };

/** Kernel, overrides, output block (columns, rows) per workgroup and split-K of one matmul. */
interface MatmulPlan {
  readonly kernel: KernelSpec;
  readonly overrides: Record<string, number>;
  readonly blockN: number;
  readonly blockM: number;
  readonly split: KSplit;
}

/** Naive kernel's workgroup: one invocation per output element. */
const NAIVE_WG = 8;

/** Chooses the kernel (naive under forceNaive, else gemv by selectGemvTiling's rule, else tiled) and its overrides. */
function planMatmul(be: KernelContext, g: MatmulGeometry, hasBias: boolean, distance: boolean, tables: MatmulTables): MatmulPlan {
  // Every entry point reads these; each is passed only the overrides it uses.
  const common: Record<string, number> = {
    TRANSPOSE_A: g.transposeA ? 1 : 0,
    TRANSPOSE_B: g.transposeB ? 1 : 0,
    HAS_BIAS: hasBias ? 1 : 0,
    DISTANCE: distance ? 1 : 0,
    ...activationOverrides(g.act),
  };
  const noSplit: KSplit = { splits: 1, kChunk: g.K };
  if (be.debug.forceNaive === true) {
    return { kernel: MATMUL_NAIVE, overrides: { WG_X: NAIVE_WG, WG_Y: NAIVE_WG, ...common }, blockN: NAIVE_WG, blockM: NAIVE_WG, split: noSplit };
  }
  const ctx = { info: tuningAdapter(be), limits: be.limits };
  const gemv = selectGemvTiling(ctx, g, tables.gemv);
  if (gemv) {
    // A is (M, K) and B is (N, K): both contiguous along K.
    const vec4 = g.K % 4 === 0 ? 1 : 0;
    const occupancy = occupancyTuning(be);
    const cols = gemvCols(gemv, g.N * g.batch, occupancy.targetWorkgroups);
    const splitK = gemvSplit(gemv, g.K);
    // Still too few workgroups (a long K into few columns): split K across workgroups too.
    const { split } = bestKSplit(occupancy, {
      workgroups: ceilDiv(g.N, cols) * g.batch,
      tileWork: cols * g.M,
      k: g.K,
      step: 4 * splitK,
      outputs: g.batch * g.M * g.N,
      maxSplits: Math.floor(be.limits.maxComputeWorkgroupsPerDimension / g.batch),
    });
    return {
      kernel: MATMUL_GEMV,
      overrides: { WG_X: splitK, WG_Y: cols, VEC4_A: vec4, VEC4_B: vec4, ...common },
      blockN: cols,
      blockM: MATMUL_REGISTER_BLOCK,
      split,
    };
  }
  const tiling = selectMatmulTiling(ctx, tables.tiled);
  const tileM = tiling.wgY * MATMUL_REGISTER_BLOCK;
  const tileN = tiling.wgX * MATMUL_REGISTER_BLOCK;
  // Split-K only when the batch matrices and their splits fit one dispatch's z.
  const { split } = bestKSplit(occupancyTuning(be), {
    workgroups: ceilDiv(g.M, tileM) * ceilDiv(g.N, tileN) * g.batch,
    tileWork: tileM * tileN,
    k: g.K,
    step: tiling.tileK,
    outputs: g.batch * g.M * g.N,
    maxSplits: Math.floor(be.limits.maxComputeWorkgroupsPerDimension / g.batch),
  });
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
    blockN: tileN,
    blockM: tileM,
    split,
  };
}

/** Records out = act(op(a) · op(b) + bias) (or squared distances) for a resolved geometry. */
function recordMatmul(
  be: KernelContext,
  op: string,
  g: MatmulGeometry,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | undefined,
  distance: boolean,
  tables: MatmulTables,
): GpuTensor {
  const out = be.empty(g.outShape, op);
  if (out.size === 0) return out;
  const plan = planMatmul(be, g, bias !== undefined, distance, tables);
  const { split } = plan;
  // The bias binding must hold a buffer even when HAS_BIAS = 0 (never read then).
  const biasBuffer = bias ?? be.auxBuffer(new Float32Array(4), `${op} no bias`);
  // Batch matrices (times their splits) go in z; more than the device allows per dimension are
  // split into dispatches (planMatmul splits K only when they fit one).
  const maxZ = Math.floor(be.limits.maxComputeWorkgroupsPerDimension / split.splits);
  const record = (dst: GpuTensor, overrides: Record<string, number>) => {
    for (let base = 0; base < g.batch; base += maxZ) {
      const chunk = Math.min(maxZ, g.batch - base);
      be.run(
        {
          kernel: plan.kernel,
          overrides,
          uniforms: MATMUL_PARAMS.pack({
            M: g.M, N: g.N, K: g.K, batch_base: base, a_batch_stride: g.aBatchStride, b_batch_stride: g.bBatchStride,
            splits: split.splits, k_chunk: split.kChunk, total: out.size,
          }),
          workgroups: [ceilDiv(g.N, plan.blockN), ceilDiv(g.M, plan.blockM), chunk * split.splits],
          label: op,
          macs: chunk * g.M * g.N * g.K,
        },
        [a, b, biasBuffer, dst],
      );
    }
  };
  if (split.splits === 1) {
    record(out, plan.overrides);
  } else {
    // The partials carry no epilogue: split_sum adds the bias (per column) and the activation.
    const { HAS_BIAS: _bias, ACT: _act, ACT_A: _a, ACT_B: _b, ...overrides } = plan.overrides;
    runSplitK(be, out, split, { bias, biasInner: 1, biasOuter: g.N, activation: g.act }, op, (partials) => record(partials, { ...overrides, PARTIAL: 1 }));
  }
  return out;
}

export function matmulGpu(
  be: KernelContext,
  a: GpuTensor,
  b: GpuTensor,
  bias: GpuTensor | undefined,
  params: MatmulParams,
  tables: MatmulTables = MATMUL_TABLES,
): GpuTensor {
  const g = inferMatmul(a.shape, b.shape, bias?.shape, params);
  return recordMatmul(be, params.name ? `matmul '${params.name}'` : 'matmul', g, a, b, bias, false, tables);
}

export function denseGpu(
  be: KernelContext,
  x: GpuTensor,
  w: GpuTensor,
  bias: GpuTensor | undefined,
  act: Activation | undefined,
  tables: MatmulTables = MATMUL_TABLES,
): GpuTensor {
  const g = inferDense(x.shape, w.shape, bias?.shape, act);
  return recordMatmul(be, 'dense', g, x, w, bias, false, tables);
}

export function rbfGpu(be: KernelContext, x: GpuTensor, centers: GpuTensor): GpuTensor {
  const g = inferRbf(x.shape, centers.shape);
  return recordMatmul(be, 'rbf', g, x, centers, undefined, true, MATMUL_TABLES);
}

/** Softmax along `axis`, or with `log` log-softmax (the primitive logSoftmax). */
export function softmaxGpu(be: KernelContext, x: GpuTensor, axis: number, log = false): GpuTensor {
  const s = inferSoftmax(x.shape, axis);
  const out = be.empty(x.shape, log ? 'logSoftmax' : 'softmax');
  if (out.size === 0) return out;
  const wg = rowWorkgroup(s.axisLen, be.limits.maxComputeInvocationsPerWorkgroup);
  be.run(
    {
      kernel: SOFTMAX,
      overrides: { WG: wg, LOG: log ? 1 : 0 },
      uniforms: SOFTMAX_PARAMS.pack({ rows: s.rows, axis_len: s.axisLen, inner: s.inner }),
      workgroups: grid1d(s.rows, be.limits.maxComputeWorkgroupsPerDimension, 'softmax'),
      label: log ? 'logSoftmax' : 'softmax',
    },
    [x, out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = {
  logSoftmax: (kc: KernelContext, [x]: readonly GpuTensor[], { axis }: SoftmaxAttrs) => softmaxGpu(kc, x, axis, true),
};
