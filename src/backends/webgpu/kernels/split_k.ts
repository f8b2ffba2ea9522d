/**
 * Split-K for the forward GEMMs (conv2d's `gemm`, matmul's `tiled`): when a GEMM's output
 * tiles are fewer than the workgroups the adapter class needs in flight (`OCCUPANCY_TUNING`),
 * each tile's K reduction is cut into chunks, one workgroup per chunk writes a partial sum of
 * every value of its tile into a (splits, output) scratch tensor, and `split_sum`
 * (shaders/split_sum.wgsl) adds the partials in split order and applies the epilogue (bias,
 * activation). This is the forward twin of the conv backward's `dw_split` + `dw_sum`.
 */
import splitSumWgsl from '../../../../shaders/split_sum.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type OccupancyTuning, OCCUPANCY_TUNING, tuningFor } from '../tuning.js';
import type { AdapterSummary } from '../../../device/device.js';
import type { ActivationConfig } from '../../../ops/activation.js';
import { activationOverrides } from '../../../ops/activation.js';

/** How a GEMM's K reduction is cut: `splits` chunks of `kChunk` values (the last shorter). One split is no split. */
export interface KSplit {
  readonly splits: number;
  readonly kChunk: number;
}

/** The adapter whose tuning entries a kernel uses: `debug.tuningAdapter`, else the device's own. */
export function tuningAdapter(kc: Pick<KernelContext, 'ctx' | 'debug'>): Pick<AdapterSummary, 'vendor' | 'architecture'> {
  return kc.debug.tuningAdapter ?? kc.ctx.info;
}

/** The occupancy tuning for a kernel context's adapter class. */
export function occupancyTuning(kc: Pick<KernelContext, 'ctx' | 'debug'>): OccupancyTuning {
  return tuningFor(OCCUPANCY_TUNING, tuningAdapter(kc));
}

/** K cut into chunks of whole `step`s (a kernel's K slice) for about `wanted` splits. */
export function kSplit(k: number, wanted: number, step: number): KSplit {
  const kChunk = Math.max(step, ceilDiv(ceilDiv(k, Math.max(1, wanted)), step) * step);
  return { splits: Math.max(1, ceilDiv(k, kChunk)), kChunk };
}

/** What a GEMM tiling costs, for `bestKSplit`. */
export interface GemmShape {
  /** Output tiles (workgroups without split-K), over all groups and batch matrices. */
  readonly workgroups: number;
  /** Multiply-adds one workgroup does per K step, padding included, weighed with its loads. */
  readonly tileWork: number;
  /** The reduction's length, and the K slice a workgroup stages at once. */
  readonly k: number;
  readonly step: number;
  /** Output values (the partials one split writes). */
  readonly outputs: number;
  /** Most splits the caller can dispatch (a grid limit), besides the tuning's own. */
  readonly maxSplits?: number;
}

/**
 * The split of least modelled cost and the cost. The device runs `targetWorkgroups` workgroups
 * at once, so a dispatch of fewer takes as long as one of that many: the GEMM costs
 * max(workgroups · splits, target) · tileWork · kChunk, plus `partialCost` per partial sum
 * written and read back when split. With target 1 this is the work alone and never splits.
 * The split is bounded by `minKPerSplit`, `maxSplits` and `maxScratchBytes`.
 */
export function bestKSplit(t: OccupancyTuning, g: GemmShape): { split: KSplit; cost: number } {
  const cost = (s: KSplit) =>
    Math.max(g.workgroups * s.splits, t.targetWorkgroups) * g.tileWork * s.kChunk +
    (s.splits > 1 ? s.splits * g.outputs * t.partialCost : 0);
  const most = Math.max(1, Math.min(t.maxSplits, g.maxSplits ?? Infinity, Math.floor(g.k / t.minKPerSplit), Math.floor(t.maxScratchBytes / (4 * g.outputs))));
  // Without splits the chunk is all of K (its cost is the unsplit kernel's, whatever the step).
  let best = { split: { splits: 1, kChunk: g.k }, cost: 0 };
  best.cost = cost(best.split);
  if (g.workgroups >= t.targetWorkgroups) return best;
  let last = 1;
  for (let wanted = 2; wanted <= most; wanted++) {
    const split = kSplit(g.k, wanted, g.step);
    if (split.splits === last) continue; // the same chunks as a smaller `wanted`
    last = split.splits;
    const c = cost(split);
    if (c < best.cost) best = { split, cost: c };
  }
  return best;
}

/** split_sum.wgsl's uniforms. */
const SPLIT_SUM_PARAMS = uniformStruct('SplitSumParams', {
  // Output values, partial sums per value, and the bias index rule (i / bias_inner) % bias_outer.
  total: 'u32', splits: 'u32', bias_inner: 'u32', bias_outer: 'u32',
});

const SPLIT_SUM: KernelSpec = {
  name: 'split_sum',
  code: withActivation(withPreludes(splitSumWgsl, SPLIT_SUM_PARAMS, INDEX_PRELUDE)),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'read', 'write'],
};

const WG = 64;

/** The epilogue `split_sum` applies: bias (indexed (i / inner) % outer) and activation. */
export interface SplitEpilogue {
  readonly bias?: GpuTensor;
  readonly biasInner: number;
  readonly biasOuter: number;
  readonly activation: ActivationConfig;
}

/**
 * Runs `gemm` into a (splits, out.size) scratch tensor of partial sums, then `split_sum` into
 * `out` with the epilogue; frees the scratch (a plan's memory planner reuses it).
 */
export function runSplitK(be: KernelContext, out: GpuTensor, split: KSplit, epilogue: SplitEpilogue, label: string, gemm: (partials: GpuTensor) => void): void {
  const partials = be.empty([split.splits, out.size], `${label} split-K partials`); // (splits, output)
  try {
    gemm(partials);
    be.run(
      {
        kernel: SPLIT_SUM,
        overrides: { WG, HAS_BIAS: epilogue.bias ? 1 : 0, ...activationOverrides(epilogue.activation) },
        uniforms: SPLIT_SUM_PARAMS.pack({ total: out.size, splits: split.splits, bias_inner: epilogue.biasInner, bias_outer: epilogue.biasOuter }),
        workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} split-K sum`),
        label: `${label} split-K sum`,
      },
      // Without a bias the bias binding aliases the partials (HAS_BIAS = 0 keeps it unread).
      [partials, epilogue.bias ?? partials, out],
    );
  } finally {
    partials.dispose();
  }
}
