/**
 * How conv2d backward runs a layer, decided from its shape, the device's limits and the tuning
 * tables before any GPU work: the dx path ('col', 'forward' or 'gather', `conv2dDxKind`), the
 * dw path ('split' or 'reduce'), and the split-K GEMM's tile and split over the output positions
 * (`selectDwTile`, `selectDwSplit`). The kernels that run them: conv2d_backward.ts.
 */
import { ceilDiv } from '../program.js';
import { type DwTuning, type DxColTuning, DW_TUNING, DX_COL_TUNING } from '../tuning.js';
import type { Conv2dConfig } from '../../../ops/conv2d.js';

/** Register block of `dw_split` and `col_gemm`: each invocation computes REG × REG values. */
export const REG = 4;

/**
 * A `dw_split` tiling: a wgX × wgY workgroup computes (4·wgY) channels × (4·wgX) im2col
 * columns of dw, stepping through its chunk of output positions tp at a time.
 */
export interface DwTile {
  readonly wgX: number;
  readonly wgY: number;
  readonly tp: number;
}

/** The split of the N·Ho·Wo output positions: `splits` chunks of `chunk` (the last shorter). */
export interface DwSplit {
  readonly splits: number;
  readonly chunk: number;
}

const pow2Ceil = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/**
 * The tile for a group of `m` output channels and `k` = cg·kH·kW im2col columns: the
 * smallest power-of-two sides that cover them (up to 16 × 16 invocations), at least 4 columns
 * of invocations, so LeNet's 6 × 25 and depthwise's 1 × 9 do not idle most of a 64 × 64 tile.
 * The split over positions supplies the parallelism that small tiles give up.
 */
export function selectDwTile(m: number, k: number, tuning: DwTuning = DW_TUNING.default): DwTile {
  const side = (v: number, lo: number) => Math.min(tuning.maxSide, Math.max(lo, pow2Ceil(Math.ceil(v / REG))));
  return { wgX: side(k, 4), wgY: side(m, 1), tp: tuning.tp };
}

/**
 * How many chunks to cut `q` output positions into, for `blocks` dw tiles (over all groups)
 * of a dw with `dwSize` elements: enough for `targetWorkgroups` workgroups, chunks of at
 * least `minChunk` positions and a whole number of staging steps. `requested` (tests,
 * benchmarks) overrides the count; the chunk is still rounded to whole steps, so the result
 * may have fewer splits.
 */
export function selectDwSplit(blocks: number, q: number, dwSize: number, tp: number, requested?: number, tuning: DwTuning = DW_TUNING.default): DwSplit {
  let s: number;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`conv2dBackward: split must be a positive integer, got ${requested}`);
    s = requested;
  } else {
    s = Math.ceil(tuning.targetWorkgroups / Math.max(1, blocks));
    s = Math.min(s, Math.max(1, Math.floor(q / tuning.minChunk)));
    s = Math.min(s, Math.max(1, Math.floor(tuning.maxScratchBytes / (4 * dwSize))));
  }
  const chunk = Math.max(tp, ceilDiv(ceilDiv(q, s), tp) * tp);
  return { splits: Math.max(1, ceilDiv(q, chunk)), chunk };
}

export type Conv2dDxKind = 'forward' | 'col' | 'gather';
export type Conv2dDwKind = 'split' | 'reduce';

/**
 * Input channels per group from which dx runs as a forward convolution when the col path does
 * not fit. Below it the forward GEMM's M (= C/groups) fills few rows of its tile and its im2col
 * of dy (K = Cout/groups·kH·kW per pixel) costs more than the gather: on SwiftShader
 * (bench/conv2d-backward.ts) LeNet's C = 1 and C = 6 take 166 and 229 ms by the forward
 * against 77 and 176 ms by the gather, while ResNet's 64 channels take 210 ms against 753 ms.
 */
export const DX_FORWARD_MIN_CHANNELS = 16;

/**
 * Whether dx can run as a forward convolution of dy: stride 1, no table, and padding at most
 * the kernel's extent − 1 on every side (the flipped convolution's padding, (k−1)·d − pad,
 * must not be negative).
 */
export function dxForwardFits(cfg: Conv2dConfig): boolean {
  if (cfg.table || cfg.stride[0] !== 1 || cfg.stride[1] !== 1) return false;
  const [eh, ew] = flippedExtent(cfg);
  const { top, left, bottom, right } = cfg.pads;
  return top <= eh && bottom <= eh && left <= ew && right <= ew;
}

/** Bytes of the col path's dcol scratch: (N, C·kH·kW, Ho·Wo) floats. */
export function dxColScratchBytes(cfg: Conv2dConfig): number {
  return 4 * cfg.batch * cfg.inChannels * cfg.kernelH * cfg.kernelW * cfg.outH * cfg.outW;
}

/**
 * Whether dx can run by the col path: no table, a dcol scratch within `maxScratchBytes`
 * (the tuning's cap, or the device's binding-size limit when smaller) and a `col_gemm`
 * grid within `maxWorkgroups` per dimension (pixel blocks in x, row blocks in y, N·groups in z).
 */
export function dxColFits(
  cfg: Conv2dConfig,
  maxScratchBytes: number = DX_COL_TUNING.default.maxScratchBytes,
  maxWorkgroups = 65535,
  tuning: DxColTuning = DX_COL_TUNING.default,
): boolean {
  if (cfg.table || dxColScratchBytes(cfg) > maxScratchBytes) return false;
  return colGemmGrid(cfg, tuning).every((n) => n <= maxWorkgroups);
}

/** `col_gemm`'s dispatch: pixel blocks, row blocks, images × groups. */
export function colGemmGrid(cfg: Conv2dConfig, tuning: DxColTuning): [number, number, number] {
  const { wgX, wgY } = tuning;
  const kg = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  return [ceilDiv(cfg.outH * cfg.outW, REG * wgX), ceilDiv(kg, REG * wgY), cfg.batch * cfg.groups];
}

/**
 * The dx path, first match wins (a connection table outside forceNaive runs as the dense
 * convolution of its expanded weights, so it gets that convolution's path):
 *  1. forceNaive → 'gather';
 *  2. at least the tuning's `minDepth` output channels per group and dcol within
 *     `maxScratchBytes` (and the grid within `maxWorkgroups`) → 'col', any stride;
 *  3. `dxForwardFits` (stride 1) with at least DX_FORWARD_MIN_CHANNELS input channels per
 *     group, or depthwise with multiplier 1 (the forward's depthwise kernel) → 'forward';
 *  4. otherwise → 'gather'.
 * Measured on SwiftShader (bench/conv2d-backward.ts, two runs, a training run sharing the
 * CPU), col against the previous choice: LeNet C3 at batch 64 84–92 ms vs 284–295 (gather),
 * ResNet 64→64 3×3 356–399 vs 422 (forward, a tie within the noise), 1×1 51–56 vs 134–157
 * (forward), 64→128 3×3 s2 177–184 vs 1015–1182 (gather).
 */
export function conv2dDxKind(
  cfg: Conv2dConfig,
  forceNaive: boolean,
  maxScratchBytes: number = DX_COL_TUNING.default.maxScratchBytes,
  maxWorkgroups = 65535,
  tuning: DxColTuning = DX_COL_TUNING.default,
): Conv2dDxKind {
  if (forceNaive) return 'gather';
  if (cfg.table) return conv2dDxKind({ ...cfg, table: undefined }, forceNaive, maxScratchBytes, maxWorkgroups, tuning);
  if (cfg.outPerGroup >= tuning.minDepth && dxColFits(cfg, maxScratchBytes, maxWorkgroups, tuning)) return 'col';
  const depthwise = cfg.inPerGroup === 1 && cfg.outPerGroup === 1;
  if (dxForwardFits(cfg) && (cfg.inPerGroup >= DX_FORWARD_MIN_CHANNELS || depthwise)) return 'forward';
  return 'gather';
}

/** dw by the split GEMM (for tables, on the expanded weights, then `table_compact`) unless forceNaive. */
export function conv2dDwKind(forceNaive: boolean): Conv2dDwKind {
  return forceNaive ? 'reduce' : 'split';
}

/** (kH−1)·dH and (kW−1)·dW: the kernel's extent − 1. */
export function flippedExtent(cfg: Conv2dConfig): [number, number] {
  return [(cfg.kernelH - 1) * cfg.dilation[0], (cfg.kernelW - 1) * cfg.dilation[1]];
}
