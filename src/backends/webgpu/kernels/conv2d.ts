/**
 * WebGPU conv2d: a tiled implicit-GEMM kernel (shared-memory tiles, 4×4 register blocks, the
 * tile and split-K picked from the layer's shape and the adapter class's occupancy by
 * `selectConv2dGemm`; with split-K a second dispatch, `split_sum`, adds the partial sums and
 * applies bias and activation) for dense, grouped and 1×1 convolutions; a depthwise kernel for
 * groups = C; a direct kernel for `debug.forceNaive`.
 * Connection-table mode expands the table's weights into dense (Cout, C, kH, kW) weights with
 * zeros for the absent pairs (`table_expand`) and runs the dense kernels on them; under
 * `debug.forceNaive` it keeps its own direct kernel. See the header comments of
 * shaders/conv2d.wgsl and shaders/conv2d_table.wgsl for what one workgroup and one invocation
 * compute.
 */
import conv2dWgsl from '../../../../shaders/conv2d.wgsl?raw';
import conv2dTableWgsl from '../../../../shaders/conv2d_table.wgsl?raw';
import convDirectWgsl from '../../../../shaders/conv_direct.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { type UniformValues, uniformStruct } from '../uniform_struct.js';
import { type Conv2dTile, type Conv2dTuning, type OccupancyTuning, CONV2D_TUNING, tuningFor } from '../tuning.js';
import { type KSplit, bestKSplit, occupancyTuning, runSplitK, tuningAdapter } from './split_k.js';
import { activationOverrides } from '../../../ops/activation.js';
import { type Conv2dParams, type Conv2dConfig, inferConv2d } from '../../../ops/conv2d.js';
import { LimitExceededError } from '../../../errors.js';

/**
 * The uniform fields every conv2d kernel reads, forward and backward (conv2d.wgsl,
 * conv2d_table.wgsl, conv2d_backward.wgsl): x (batch, c, h, w), w (cout, c / groups, kh, kw),
 * out (batch, cout, ho, wo), stride, dilation, the top/left padding, and the per-group GEMM sizes.
 */
export const CONV_GEOMETRY = {
  // x (batch, c, h, w); out (batch, cout, ho, wo); the kernel window kh × kw.
  batch: 'u32', c: 'u32', h: 'u32', w: 'u32',
  cout: 'u32', ho: 'u32', wo: 'u32', kh: 'u32', kw: 'u32',
  // Stride, dilation, and the padding before the first row and column (the rest follows).
  sh: 'u32', sw: 'u32', dh: 'u32', dw: 'u32', pad_top: 'i32', pad_left: 'i32',
  // C / groups and Cout / groups (GEMM M; the channel multiplier of `depthwise`), GEMM K =
  // cg·kh·kw (im2col columns per group), and the output positions batch·ho·wo.
  cg: 'u32', mg: 'u32', kg: 'u32', q: 'u32',
} as const;

/** CONV_GEOMETRY's values for a layer. */
export function convGeometry(cfg: Conv2dConfig): UniformValues<typeof CONV_GEOMETRY> {
  return {
    batch: cfg.batch, c: cfg.inChannels, h: cfg.inH, w: cfg.inW,
    cout: cfg.outChannels, ho: cfg.outH, wo: cfg.outW, kh: cfg.kernelH, kw: cfg.kernelW,
    sh: cfg.stride[0], sw: cfg.stride[1], dh: cfg.dilation[0], dw: cfg.dilation[1], pad_top: cfg.pads.top, pad_left: cfg.pads.left,
    cg: cfg.inPerGroup, mg: cfg.outPerGroup, kg: cfg.inPerGroup * cfg.kernelH * cfg.kernelW, q: cfg.batch * cfg.outH * cfg.outW,
  };
}

/** The forward's uniforms (conv2d.wgsl, conv2d_table.wgsl). */
const CONV2D_PARAMS = uniformStruct('Conv2dParams', {
  ...CONV_GEOMETRY,
  // Tiles of `gemm` along M and N (0 for the other entry points).
  tiles_m: 'u32',
  tiles_n: 'u32',
  // Work items: output quads (`depthwise`), output values (`direct`, table `main`, `gemm`), dense weights (`table_expand`).
  total: 'u32',
  // `gemm`'s split-K: chunks of K and their length (1 and kg without split-K).
  splits: 'u32',
  k_chunk: 'u32',
});

const CONV_BINDINGS = ['uniform', 'read', 'read', 'read', 'write'] as const;
const GEMM: KernelSpec = {
  name: 'conv2d',
  code: withActivation(withPreludes(conv2dWgsl, CONV2D_PARAMS, INDEX_PRELUDE, convDirectWgsl)),
  entryPoint: 'gemm',
  bindings: CONV_BINDINGS,
};
const DEPTHWISE: KernelSpec = { name: 'conv2d', code: GEMM.code, entryPoint: 'depthwise', bindings: CONV_BINDINGS };
const DIRECT: KernelSpec = { name: 'conv2d', code: GEMM.code, entryPoint: 'direct', bindings: CONV_BINDINGS };
const TABLE: KernelSpec = {
  name: 'conv2d_table',
  code: withActivation(withPreludes(conv2dTableWgsl, CONV2D_PARAMS, INDEX_PRELUDE, convDirectWgsl)),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'write'],
};
const TABLE_EXPAND: KernelSpec = { ...TABLE, entryPoint: 'table_expand' };

/** Workgroup size of the direct and depthwise kernels. */
const DIRECT_WG = 64;
/** Outputs along W per invocation of the depthwise kernel (its vec4 accumulator). */
const DEPTHWISE_BLOCK = 4;
/** Smallest workgroup of the depthwise kernel: one wave of most GPUs (32 invocations). */
const DEPTHWISE_MIN_WG = 32;

/**
 * The depthwise kernel's workgroup size for `quads` work items: DIRECT_WG, halved (down to
 * DEPTHWISE_MIN_WG) while it would launch fewer workgroups than the adapter class keeps in
 * flight. A late-stage depthwise conv at batch 1 (7 × 7 × 576) has only a few hundred rows.
 */
export function depthwiseWorkgroup(quads: number, targetWorkgroups: number): number {
  let wg = DIRECT_WG;
  while (wg > DEPTHWISE_MIN_WG && Math.ceil(quads / wg) < targetWorkgroups) wg /= 2;
  return wg;
}

/** Register block of the GEMM kernel: each invocation computes REG channels × REG pixels (vec4s in conv2d.wgsl). */
const REG = 4;

/** Output channels × pixels of one workgroup's tile. */
export function conv2dTileExtent(t: Conv2dTile): { m: number; n: number } {
  return { m: REG * t.wgY, n: REG * t.wgX };
}

/**
 * The GEMM tiling for a group of `m` output channels over `n` output pixels (batch × Ho × Wo):
 * the least modelled cost (see `Conv2dTuning`); ties keep the table's order. By work alone:
 * `selectConv2dGemm` adds the device's occupancy and split-K.
 */
export function selectConv2dTile(tuning: Conv2dTuning, m: number, n: number): { readonly name: string; readonly tile: Conv2dTile } {
  return selectConv2dGemm(tuning, NO_OCCUPANCY, { m, n, k: 1, groups: 1 });
}

/** An occupancy tuning that never splits and has no occupancy term: the choice by work alone. */
const NO_OCCUPANCY: OccupancyTuning = { targetWorkgroups: 1, minKPerSplit: Infinity, maxSplits: 1, maxScratchBytes: 0, partialCost: 0 };

/** A conv2d GEMM's sizes: M and N of one group, K, and the groups (one GEMM each). */
export interface Conv2dGemmShape {
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly groups: number;
}

/**
 * The GEMM tiling and split-K for a conv2d, of least modelled cost: each tiling's workgroups
 * do its padded multiply-adds weighed with their loads (`Conv2dTuning.loadCost`), and a
 * dispatch of fewer workgroups than the adapter class keeps in flight costs as much as one of
 * that many (`bestKSplit`), unless split-K cuts K to launch more. Ties keep the table's order.
 * `tilings` (default the tuning's) may be narrowed, e.g. to those that fit the device.
 */
export function selectConv2dGemm(
  tuning: Conv2dTuning,
  occupancy: OccupancyTuning,
  shape: Conv2dGemmShape,
  tilings: Conv2dTuning['gemm'] = tuning.gemm,
): { readonly name: string; readonly tile: Conv2dTile; readonly split: KSplit } {
  const { m, n, k, groups } = shape;
  let best: { name: string; tile: Conv2dTile; split: KSplit; cost: number } | null = null;
  for (const { name, tile } of tilings) {
    const e = conv2dTileExtent(tile);
    const { split, cost } = bestKSplit(occupancy, {
      workgroups: Math.ceil(m / e.m) * Math.ceil(n / e.n) * groups,
      tileWork: e.m * e.n * (1 + tuning.loadCost * (1 / e.m + 1 / e.n)),
      k,
      step: tile.tk,
      outputs: m * n * groups,
    });
    if (!best || cost < best.cost) best = { name, tile, split, cost };
  }
  if (!best) throw new Error('selectConv2dGemm: the tuning has no GEMM tilings');
  return { name: best.name, tile: best.tile, split: best.split };
}

/**
 * Bytes of workgroup memory a tiling stages: an A tile (tk rows of 4·wgY channels, rows padded
 * to an odd number of vec4s; see conv2d.wgsl) and a B tile (tk × 4·wgX).
 */
export function conv2dTileBytes(t: Conv2dTile): number {
  return 4 * REG * t.tk * ((t.wgY | 1) + t.wgX);
}

/** Whether a tiling fits the device: its invocations, workgroup sides and workgroup memory. */
export function conv2dTileFits(t: Conv2dTile, limits: GPUSupportedLimits): boolean {
  return (
    t.wgX * t.wgY <= limits.maxComputeInvocationsPerWorkgroup &&
    t.wgX <= limits.maxComputeWorkgroupSizeX &&
    t.wgY <= limits.maxComputeWorkgroupSizeY &&
    conv2dTileBytes(t) <= limits.maxComputeWorkgroupStorageSize
  );
}

/**
 * The tuning with only the GEMM tilings that fit the device (a device with fewer invocations or
 * less workgroup memory than the table's largest tile, e.g. compatibility mode's 128); the
 * tuning itself when all fit. Throws `LimitExceededError` when none does.
 */
export function conv2dTuningForLimits(tuning: Conv2dTuning, limits: GPUSupportedLimits): Conv2dTuning {
  const gemm = tuning.gemm.filter((e) => conv2dTileFits(e.tile, limits));
  if (gemm.length === tuning.gemm.length) return tuning;
  if (gemm.length === 0) {
    throw new LimitExceededError(
      `conv2d: no GEMM tiling fits this device (maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup}, ` +
        `maxComputeWorkgroupStorageSize ${limits.maxComputeWorkgroupStorageSize})`,
    );
  }
  return { ...tuning, gemm };
}

/** Throws if a tiling breaks the kernel's assumptions or the device's limits. */
export function checkConv2dTile(t: Conv2dTile, limits: GPUSupportedLimits): void {
  const bytes = conv2dTileBytes(t);
  const what = `conv2d tiling ${JSON.stringify(t)}`;
  if (![t.wgX, t.wgY, t.tk].every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${what}: sizes must be positive integers`);
  if (t.wgX * t.wgY > limits.maxComputeInvocationsPerWorkgroup || t.wgX > limits.maxComputeWorkgroupSizeX || t.wgY > limits.maxComputeWorkgroupSizeY) {
    throw new LimitExceededError(`${what}: a ${t.wgX}×${t.wgY} workgroup exceeds this device's limits (maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup})`);
  }
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    throw new LimitExceededError(`${what}: needs ${bytes} bytes of workgroup memory, more than this device's maxComputeWorkgroupStorageSize (${limits.maxComputeWorkgroupStorageSize})`);
  }
}

/** The forward's uniforms for a layer: its geometry, the GEMM tile grid (0 × 0 outside `gemm`), the work items and `gemm`'s split-K. */
function conv2dUniforms(cfg: Conv2dConfig, total: number, tilesM = 0, tilesN = 0, split?: KSplit): ArrayBuffer {
  const kg = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  return CONV2D_PARAMS.pack({ ...convGeometry(cfg), tiles_m: tilesM, tiles_n: tilesN, total, splits: split?.splits ?? 1, k_chunk: split?.kChunk ?? kg });
}

export type Conv2dKernelKind = 'table' | 'expand' | 'direct' | 'depthwise' | 'gemm';

/**
 * Which kernel runs a conv2d: a connection table is expanded to dense weights ('expand', then
 * the dense choice for C → Cout), or under forceNaive runs its own direct kernel ('table');
 * forceNaive takes the direct kernel; groups = C (one input channel per output: depthwise,
 * with any channel multiplier) takes the depthwise kernel, whose K = kH·kW is too short for a
 * GEMM; the rest the GEMM.
 */
export function conv2dKind(cfg: Conv2dConfig, forceNaive: boolean): Conv2dKernelKind {
  if (cfg.table) return forceNaive ? 'table' : 'expand';
  if (forceNaive) return 'direct';
  return cfg.inPerGroup === 1 ? 'depthwise' : 'gemm';
}

/**
 * slot[o·C + ci] = the pair index j of (o, ci) in the table, or NO_PAIR when output map o does
 * not read input map ci: where each dense weight kernel comes from.
 */
export function tableSlots(cfg: Conv2dConfig): Uint32Array {
  if (!cfg.table) throw new Error('tableSlots: not a connection-table conv2d');
  const { offsets, indices } = cfg.table;
  const slots = new Uint32Array(cfg.outChannels * cfg.inChannels).fill(NO_PAIR);
  for (let o = 0; o < cfg.outChannels; o++) {
    for (let j = offsets[o]; j < offsets[o + 1]; j++) slots[o * cfg.inChannels + indices[j]] = j;
  }
  return slots;
}

/** Marks an absent (o, ci) pair in `tableSlots` (the WGSL's NO_PAIR). */
const NO_PAIR = 0xffffffff;

/**
 * The dense weights (Cout, C, kH, kW) of a connection-table conv2d: the table's kernels at
 * their (o, ci) and zeros for the pairs the table leaves out, so a dense convolution with
 * them equals the table convolution (absent pairs contribute exactly 0). The caller disposes
 * the result.
 */
export function expandTableWeights(be: KernelContext, cfg: Conv2dConfig, w: GpuTensor, label: string): GpuTensor {
  const dense = be.empty([cfg.outChannels, cfg.inChannels, cfg.kernelH, cfg.kernelW], 'conv2d expanded table weights'); // (Cout, C, kH, kW)
  if (dense.size === 0) return dense;
  const slots = be.auxBuffer(tableSlots(cfg), 'conv2d table slots'); // (Cout·C)
  be.run(
    {
      kernel: TABLE_EXPAND,
      overrides: { WG: DIRECT_WG },
      uniforms: conv2dUniforms(cfg, dense.size),
      workgroups: grid1d(ceilDiv(dense.size, DIRECT_WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} expand`),
      label: `${label} expand`,
    },
    // Only wt (binding 2), the slots (binding 4) and the output are read; the rest alias w.
    [w, w, w, slots, slots, dense],
  );
  return dense;
}

/** The params of the dense convolution that a table conv2d expands to: the same, minus the table. */
export function denseParams(params: Conv2dParams): Conv2dParams {
  const { connectionTable: _table, ...rest } = params;
  return rest;
}

export function conv2dGpu(be: KernelContext, x: GpuTensor, w: GpuTensor, bias: GpuTensor | undefined, params: Conv2dParams): GpuTensor {
  const cfg = inferConv2d(x.shape, w.shape, bias?.shape, params);
  const label = params.name ? `conv2d '${params.name}'` : 'conv2d';
  const m = cfg.outPerGroup; // GEMM M and N of one group
  const n = cfg.batch * cfg.outH * cfg.outW;
  const kind = conv2dKind(cfg, be.debug.forceNaive ?? false);
  if (kind === 'expand') {
    const dense = expandTableWeights(be, cfg, w, label);
    try {
      return conv2dGpu(be, x, dense, bias, denseParams(params));
    } finally {
      dense.dispose();
    }
  }
  const k = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  const { tile, split } = selectConv2dGemm(conv2dTuningForLimits(tuningFor(CONV2D_TUNING, tuningAdapter(be)), be.limits), occupancyTuning(be), { m, n, k, groups: cfg.groups });
  if (kind === 'gemm') checkConv2dTile(tile, be.limits);
  // Every output value is a sum of k products (depthwise and direct alike).
  const macs = cfg.batch * cfg.outChannels * cfg.outH * cfg.outW * k;

  const out = be.empty(cfg.outShape, 'conv2d'); // (N, Cout, Ho, Wo)
  if (out.size === 0) return out;
  const shared = { HAS_BIAS: bias ? 1 : 0, ...activationOverrides(cfg.activation) };
  // Without a bias the bias binding aliases the weights (both read-only); HAS_BIAS = 0 keeps it unread.
  const biasBuf = bias ?? w;
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;

  if (kind === 'table') {
    if (!cfg.table) throw new Error(`${label}: the table kernel needs a connection table`);
    const offsets = be.auxBuffer(cfg.table.offsets, 'conv2d table offsets'); // (Cout + 1)
    const indices = be.auxBuffer(cfg.table.indices, 'conv2d table indices'); // (Σ|table[o]|)
    be.run(
      {
        kernel: TABLE,
        overrides: { WG: DIRECT_WG, ...shared },
        uniforms: conv2dUniforms(cfg, out.size),
        workgroups: grid1d(ceilDiv(out.size, DIRECT_WG), maxDim, label),
        label,
        macs,
      },
      [x, w, biasBuf, offsets, indices, out],
    );
  } else if (kind === 'direct' || kind === 'depthwise') {
    // One work item per output value (direct) or per DEPTHWISE_BLOCK outputs along a row (depthwise).
    const total = kind === 'direct' ? out.size : cfg.batch * cfg.outChannels * cfg.outH * ceilDiv(cfg.outW, DEPTHWISE_BLOCK);
    const wg = kind === 'depthwise' ? depthwiseWorkgroup(total, occupancyTuning(be).targetWorkgroups) : DIRECT_WG;
    be.run(
      {
        kernel: kind === 'direct' ? DIRECT : DEPTHWISE,
        overrides: { WG: wg, ...shared },
        uniforms: conv2dUniforms(cfg, total),
        workgroups: grid1d(ceilDiv(total, wg), maxDim, label),
        label,
        macs,
      },
      [x, w, biasBuf, out],
    );
  } else {
    const tilesM = ceilDiv(m, tile.wgY * REG);
    const tilesN = ceilDiv(n, tile.wgX * REG);
    const [gx, gy] = grid1d(tilesM * tilesN * split.splits, maxDim, label);
    const gemm = (dst: GpuTensor, overrides: Record<string, number>) =>
      be.run(
        {
          kernel: GEMM,
          overrides: { WG_X: tile.wgX, WG_Y: tile.wgY, TK: tile.tk, ...overrides },
          uniforms: conv2dUniforms(cfg, out.size, tilesM, tilesN, split),
          workgroups: [gx, gy, cfg.groups],
          label,
          macs,
        },
        [x, w, biasBuf, dst],
      );
    if (split.splits === 1) {
      gemm(out, shared);
    } else {
      const epilogue = { bias, biasInner: cfg.outH * cfg.outW, biasOuter: cfg.outChannels, activation: cfg.activation };
      runSplitK(be, out, split, epilogue, label, (partials) => gemm(partials, { PARTIAL: 1 }));
    }
  }
  return out;
}
