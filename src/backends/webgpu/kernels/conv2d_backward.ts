/**
 * WebGPU conv2d backward. See the header comment of shaders/conv2d_backward.wgsl.
 *
 * dx, one of three paths chosen by `conv2dDxKind`: 'col' (any stride, at least
 * DX_COL_TUNING.minDepth output channels per group, dcol within its cap), dcol = Wᵀ·dy per
 * image and group by a register-blocked GEMM (`col_gemm`), then `col2im` gathering dcol into
 * dx; 'forward' (stride 1, where col does not fit), a forward convolution of dy with the
 * weights rotated 180° and their in/out channels swapped (`w_flip`), padded by (k−1)·d − pad
 * on each side, run by the forward's kernels (conv2dGpu); 'gather', one invocation per dx
 * value visiting only the taps that land. dw: a split-K GEMM (dense, grouped and depthwise): the N·Ho·Wo
 * output positions are cut into chunks so that there are enough workgroups (`selectDwSplit`),
 * each workgroup computes a register-blocked tile of dw (`selectDwTile`) for one chunk, and a
 * second pass sums the chunks in order; debug.forceNaive keeps one workgroup per dw element.
 * db: one workgroup per channel.
 *
 * Connection tables: the table's weights are expanded into dense (Cout, C, kH, kW) weights with
 * zeros for the absent pairs (`expandTableWeights`, the forward's `table_expand`), dx and db
 * are those of the dense convolution, and `table_compact` gathers the table's entries out of the
 * dense dw. Under debug.forceNaive tables keep the direct kernels (the `dx` gather and `dw_reduce`
 * reading the table).
 */
import conv2dBackwardWgsl from '../../../../shaders/conv2d_backward.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, type UniformField, packUniforms, grid1d, ceilDiv } from '../program.js';
import { conv2dGpu, denseParams, expandTableWeights } from './conv2d.js';
import type { Conv2dParams, Conv2dConfig } from '../../../ops/conv2d.js';
import type { GradRequest } from '../../training.js';
import { inferConv2dBackward, wantedGrads } from '../../../ops/conv2d_backward.js';
import { LimitExceededError } from '../../../errors.js';

// Every entry point shares one layout: uniforms, x, w, dy, the connection table, the output.
const BINDINGS = ['uniform', 'read', 'read', 'read', 'read', 'write'] as const;
const spec = (entryPoint: string): KernelSpec => ({ name: 'conv2d_backward', code: conv2dBackwardWgsl, entryPoint, bindings: BINDINGS });
const DX = spec('dx');
const W_FLIP = spec('w_flip');
const COL2IM = spec('col2im');
const COL_GEMM = spec('col_gemm');
const DW_SPLIT = spec('dw_split');
const DW_SUM = spec('dw_sum');
const DW_REDUCE = spec('dw_reduce');
const DB = spec('db');
const TABLE_COMPACT = spec('table_compact');

/** Workgroup size of `dx`, `col2im`, `w_flip`, `dw_sum`, `dw_reduce`, `table_compact` and `db`. */
const WG = 64;
/** Register block of `dw_split`: each invocation computes REG channels × REG columns of dw. */
const REG = 4;

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

export const DW_TUNING = {
  /** Positions staged per step of `dw_split`. */
  tp: 16,
  /** Largest workgroup side of `dw_split` (16 × 16 = 256 invocations, a 64 × 64 tile). */
  maxSide: 16,
  /** Split the positions until there are at least this many `dw_split` workgroups... */
  targetWorkgroups: 128,
  /** ...but give each at least this many positions (4 staging steps)... */
  minChunk: 64,
  /** ...and keep the partial sums under this many bytes. */
  maxScratchBytes: 64 << 20,
} as const;

const pow2Ceil = (v: number) => 2 ** Math.ceil(Math.log2(Math.max(1, v)));

/**
 * The tile for a group of `m` output channels and `k` = cg·kH·kW im2col columns: the
 * smallest power-of-two sides that cover them (up to 16 × 16 invocations), at least 4 columns
 * of invocations, so LeNet's 6 × 25 and depthwise's 1 × 9 do not idle most of a 64 × 64 tile.
 * The split over positions supplies the parallelism that small tiles give up.
 */
export function selectDwTile(m: number, k: number): DwTile {
  const side = (v: number, lo: number) => Math.min(DW_TUNING.maxSide, Math.max(lo, pow2Ceil(Math.ceil(v / REG))));
  return { wgX: side(k, 4), wgY: side(m, 1), tp: DW_TUNING.tp };
}

/**
 * How many chunks to cut `q` output positions into, for `blocks` dw tiles (over all groups)
 * of a dw with `dwSize` elements: enough for `targetWorkgroups` workgroups, chunks of at
 * least `minChunk` positions and a whole number of staging steps. `requested` (tests,
 * benchmarks) overrides the count; the chunk is still rounded to whole steps, so the result
 * may have fewer splits.
 */
export function selectDwSplit(blocks: number, q: number, dwSize: number, tp: number, requested?: number): DwSplit {
  let s: number;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 1) throw new RangeError(`conv2dBackward: split must be a positive integer, got ${requested}`);
    s = requested;
  } else {
    s = Math.ceil(DW_TUNING.targetWorkgroups / Math.max(1, blocks));
    s = Math.min(s, Math.max(1, Math.floor(q / DW_TUNING.minChunk)));
    s = Math.min(s, Math.max(1, Math.floor(DW_TUNING.maxScratchBytes / (4 * dwSize))));
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

/**
 * The col path's GEMM (`col_gemm`) and when to use it. It has its own kernel rather than
 * matmulGpu: K = Cout/groups is short (16 for LeNet C3), so the tiled matmul's 64 × 64 tiles
 * each stage one or two K slices and pay their barriers for little work; on SwiftShader
 * (bench/conv2d-backward.ts) LeNet C3's dcol took ~790 ms by matmulGpu against ~60 ms by
 * `col_gemm`, ResNet's stride-2 3×3 ~520 ms against ~135 ms.
 */
export const DX_COL_TUNING = {
  /** `col_gemm` workgroup: wgX × wgY invocations of 4 × 4 blocks, 4·wgX pixels × 4·wgY rows. */
  wgX: 16,
  wgY: 4,
  /** Largest dcol scratch (N·C·kH·kW·Ho·Wo floats) the col path allocates; beyond it, forward or the gather. */
  maxScratchBytes: 64 << 20,
  /**
   * Fewest output channels per group (the GEMM's depth) for the col path. At depth 1
   * (depthwise) `col_gemm` is all overhead: 98 ms against the gather's 96 and the forward's
   * depthwise kernel's 31 ms (8×32×28×28, 3×3); at depth 4 (8 groups of 4) col takes 108 ms
   * against 163 (gather) and 138 (forward).
   */
  minDepth: 4,
} as const;

/** Bytes of the col path's dcol scratch: (N, C·kH·kW, Ho·Wo) floats. */
export function dxColScratchBytes(cfg: Conv2dConfig): number {
  return 4 * cfg.batch * cfg.inChannels * cfg.kernelH * cfg.kernelW * cfg.outH * cfg.outW;
}

/**
 * Whether dx can run by the col path: no table, a dcol scratch within `maxScratchBytes`
 * (DX_COL_TUNING's cap, or the device's binding-size limit when smaller) and a `col_gemm`
 * grid within `maxWorkgroups` per dimension (pixel blocks in x, row blocks in y, N·groups in z).
 */
export function dxColFits(cfg: Conv2dConfig, maxScratchBytes: number = DX_COL_TUNING.maxScratchBytes, maxWorkgroups = 65535): boolean {
  if (cfg.table || dxColScratchBytes(cfg) > maxScratchBytes) return false;
  return colGemmGrid(cfg).every((n) => n <= maxWorkgroups);
}

/** `col_gemm`'s dispatch: pixel blocks, row blocks, images × groups. */
function colGemmGrid(cfg: Conv2dConfig): [number, number, number] {
  const { wgX, wgY } = DX_COL_TUNING;
  const kg = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  return [ceilDiv(cfg.outH * cfg.outW, REG * wgX), ceilDiv(kg, REG * wgY), cfg.batch * cfg.groups];
}

/**
 * The dx path, first match wins (a connection table outside forceNaive runs as the dense
 * convolution of its expanded weights, so it gets that convolution's path):
 *  1. forceNaive → 'gather';
 *  2. at least DX_COL_TUNING.minDepth output channels per group and dcol within
 *     `maxScratchBytes` (and the grid within `maxWorkgroups`) → 'col', any stride;
 *  3. `dxForwardFits` (stride 1) with at least DX_FORWARD_MIN_CHANNELS input channels per
 *     group, or depthwise with multiplier 1 (the forward's depthwise kernel) → 'forward';
 *  4. otherwise → 'gather'.
 * Measured on SwiftShader (bench/conv2d-backward.ts, two runs, a training run sharing the
 * CPU), col against the previous choice: LeNet C3 at batch 64 84–92 ms vs 284–295 (gather),
 * ResNet 64→64 3×3 356–399 vs 422 (forward, a tie within the noise), 1×1 51–56 vs 134–157
 * (forward), 64→128 3×3 s2 177–184 vs 1015–1182 (gather).
 */
export function conv2dDxKind(cfg: Conv2dConfig, forceNaive: boolean, maxScratchBytes: number = DX_COL_TUNING.maxScratchBytes, maxWorkgroups = 65535): Conv2dDxKind {
  if (forceNaive) return 'gather';
  if (cfg.table) return conv2dDxKind({ ...cfg, table: undefined }, forceNaive, maxScratchBytes, maxWorkgroups);
  if (cfg.outPerGroup >= DX_COL_TUNING.minDepth && dxColFits(cfg, maxScratchBytes, maxWorkgroups)) return 'col';
  const depthwise = cfg.inPerGroup === 1 && cfg.outPerGroup === 1;
  if (dxForwardFits(cfg) && (cfg.inPerGroup >= DX_FORWARD_MIN_CHANNELS || depthwise)) return 'forward';
  return 'gather';
}

/** dw by the split GEMM (for tables, on the expanded weights, then `table_compact`) unless forceNaive. */
export function conv2dDwKind(forceNaive: boolean): Conv2dDwKind {
  return forceNaive ? 'reduce' : 'split';
}

/** (kH−1)·dH and (kW−1)·dW: the kernel's extent − 1. */
function flippedExtent(cfg: Conv2dConfig): [number, number] {
  return [(cfg.kernelH - 1) * cfg.dilation[0], (cfg.kernelW - 1) * cfg.dilation[1]];
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** Where each list starts in the packed table buffer. */
interface TableLayout {
  out: number;
  in: number;
  readerOff: number;
  readers: number;
}

/**
 * Packs the connection table for the kernels: per pair j its output map and input map, and per
 * input map c the pairs that read it (CSR: offsets (C + 1), then the pair ids).
 */
function packTable(cfg: Conv2dConfig): { data: Uint32Array; layout: TableLayout } | undefined {
  if (!cfg.table) return undefined;
  const { offsets, indices } = cfg.table;
  const pairs = indices.length;
  const C = cfg.inChannels;
  const layout: TableLayout = { out: 0, in: pairs, readerOff: 2 * pairs, readers: 2 * pairs + C + 1 };
  const data = new Uint32Array(3 * pairs + C + 1);
  for (let o = 0; o < cfg.outChannels; o++) {
    for (let j = offsets[o]; j < offsets[o + 1]; j++) data[layout.out + j] = o;
  }
  data.set(indices, layout.in);
  // Readers of input map c, in pair order.
  const counts = new Uint32Array(C);
  for (const c of indices) counts[c]++;
  for (let c = 0; c < C; c++) data[layout.readerOff + c + 1] = data[layout.readerOff + c] + counts[c];
  const fill = new Uint32Array(C);
  for (let j = 0; j < pairs; j++) {
    const c = indices[j];
    data[layout.readers + data[layout.readerOff + c] + fill[c]++] = j;
  }
  return { data, layout };
}

const u = (v: number): UniformField => ['u32', v];
const i = (v: number): UniformField => ['i32', v];

/** Per-entry uniform fields beyond the geometry (see Params in the WGSL). */
interface Extra {
  tilesK?: number;
  tiles?: number;
  split?: DwSplit;
  total: number;
}

function uniforms(cfg: Conv2dConfig, table: TableLayout | undefined, extra: Extra): ArrayBuffer {
  const [sH, sW] = cfg.stride;
  const [dH, dW] = cfg.dilation;
  return packUniforms([
    u(cfg.batch), u(cfg.inChannels), u(cfg.inH), u(cfg.inW),
    u(cfg.outChannels), u(cfg.outH), u(cfg.outW), u(cfg.kernelH), u(cfg.kernelW),
    u(sH), u(sW), u(dH), u(dW),
    i(cfg.pads.top), i(cfg.pads.left),
    u(cfg.inPerGroup), u(cfg.outPerGroup), u(cfg.inPerGroup * cfg.kernelH * cfg.kernelW),
    u(cfg.batch * cfg.outH * cfg.outW),
    u(table?.out ?? 0), u(table?.in ?? 0), u(table?.readerOff ?? 0), u(table?.readers ?? 0),
    u(extra.tilesK ?? 0), u(extra.tiles ?? 0), u(extra.split?.chunk ?? 0), u(extra.split?.splits ?? 0),
    u(cfg.outChannels * cfg.inPerGroup * cfg.kernelH * cfg.kernelW),
    u(sH / gcd(sH, dH)), u(sW / gcd(sW, dW)),
    u(extra.total), u(0),
  ]);
}

/** Knobs for tests and benchmarks; the defaults are what training uses. */
export interface Conv2dBackwardOptions {
  /** Cut the output positions of the dw GEMM into this many chunks instead of `selectDwSplit`'s choice. */
  readonly dwSplits?: number;
  /** Run dx by this path instead of `conv2dDxKind`'s choice ('forward' only where `dxForwardFits`, 'col' only where `dxColFits`). */
  readonly dxKind?: Conv2dDxKind;
}

export function conv2dBackwardGpu(
  be: WebGpuBackend,
  x: GpuTensor,
  w: GpuTensor,
  dy: GpuTensor,
  params: Conv2dParams,
  want: GradRequest,
  options: Conv2dBackwardOptions = {},
): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  const cfg = inferConv2dBackward(x.shape, w.shape, dy.shape, params);
  const wanted = wantedGrads(want);
  const forceNaive = be.debug.forceNaive ?? false;
  const scratchCap = Math.min(DX_COL_TUNING.maxScratchBytes, be.limits.maxStorageBufferBindingSize, be.limits.maxBufferSize);
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  // A table takes the table gather under forceNaive; otherwise its expanded dense convolution
  // picks (and checks) its own path. A forced path is checked against the layer itself, so
  // 'col' and 'forward' reject a table.
  const dxKind = options.dxKind ?? (cfg.table ? 'gather' : conv2dDxKind(cfg, forceNaive, scratchCap, maxDim));
  if (dxKind === 'forward' && !dxForwardFits(cfg)) throw new RangeError('conv2dBackward: dx cannot run as a forward convolution for this shape');
  if (dxKind === 'col' && !dxColFits(cfg, scratchCap, maxDim)) {
    throw new RangeError(`conv2dBackward: dx cannot run by the col path for this shape (a connection table, or dcol over ${scratchCap} bytes or its grid over ${maxDim} workgroups)`);
  }
  const dwKind = conv2dDwKind(forceNaive);
  const label = params.name ? `conv2dBackward '${params.name}'` : 'conv2dBackward';
  if (wanted.weight && dwKind === 'split' && cfg.groups > maxDim) {
    throw new LimitExceededError(`${label} dw: ${cfg.groups} groups exceed maxComputeWorkgroupsPerDimension ${maxDim}`);
  }
  const packed = packTable(cfg);
  // Without a table the table binding aliases the weights (both read-only); TABLE = 0 keeps it unread.
  const tableBuf = packed ? be.auxBuffer(packed.data, 'conv2dBackward table') : w;
  if (packed && !forceNaive) return tableByDense(be, cfg, x, w, dy, params, want, options, packed.layout, tableBuf, label);
  const tableMode = packed ? 1 : 0;
  const buffers = (out: GpuTensor) => [x, w, dy, tableBuf, out];
  const grads: { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } = {};

  if (wanted.input) {
    if (dxKind === 'forward') grads.dx = dxByForward(be, cfg, w, dy, params, label);
    else if (dxKind === 'col') grads.dx = dxByCol(be, cfg, x, w, dy, label);
    else grads.dx = dxByGather(be, cfg, packed?.layout, buffers, x, label);
  }

  if (wanted.weight) {
    const dw = be.empty(w.shape, 'conv2dBackward dw'); // w's shape
    if (dw.size > 0) {
      if (dwKind === 'split') {
        dwBySplitGemm(be, cfg, x, w, dy, dw, label, options.dwSplits);
      } else {
        be.run(
          {
            kernel: DW_REDUCE,
            overrides: { WG, TABLE: tableMode },
            uniforms: uniforms(cfg, packed?.layout, { total: dw.size }),
            workgroups: grid1d(dw.size, maxDim, `${label} dw`),
            label: `${label} dw`,
          },
          buffers(dw),
        );
      }
    }
    grads.dw = dw;
  }

  if (wanted.bias) {
    const db = be.empty([cfg.outChannels], 'conv2dBackward db'); // (Cout)
    if (db.size > 0) {
      be.run(
        {
          kernel: DB,
          overrides: { WG },
          uniforms: uniforms(cfg, packed?.layout, { total: cfg.outChannels }),
          workgroups: grid1d(cfg.outChannels, maxDim, `${label} db`),
          label: `${label} db`,
        },
        buffers(db),
      );
    }
    grads.db = db;
  }
  return grads;
}

/**
 * A connection table's gradients through the dense paths: the dense convolution of the expanded
 * weights (Cout, C, kH, kW) gives dx and db as they are and dw_dense, whose table entries
 * `table_compact` gathers into dw (Σ|table[o]|, kH, kW). The forced-path options (checked
 * against the table layer by the caller) apply to the dense convolution.
 */
function tableByDense(
  be: WebGpuBackend,
  cfg: Conv2dConfig,
  x: GpuTensor,
  w: GpuTensor,
  dy: GpuTensor,
  params: Conv2dParams,
  want: GradRequest,
  options: Conv2dBackwardOptions,
  table: TableLayout,
  tableBuf: GpuTensor | GPUBuffer,
  label: string,
): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  const dense = expandTableWeights(be, cfg, w, label); // (Cout, C, kH, kW)
  let grads: { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor };
  try {
    grads = conv2dBackwardGpu(be, x, dense, dy, denseParams(params), want, options);
  } finally {
    dense.dispose();
  }
  const denseDw = grads.dw; // (Cout, C, kH, kW)
  if (!denseDw) return grads;
  try {
    const dw = be.empty(w.shape, 'conv2dBackward dw'); // (Σ|table[o]|, kH, kW)
    if (dw.size > 0) {
      be.run(
        {
          kernel: TABLE_COMPACT,
          overrides: { WG },
          uniforms: uniforms(cfg, table, { total: dw.size }),
          workgroups: grid1d(ceilDiv(dw.size, WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} dw compact`),
          label: `${label} dw compact`,
        },
        [denseDw, w, dy, tableBuf, dw],
      );
    }
    return { ...grads, dw };
  } catch (e) {
    grads.dx?.dispose();
    grads.db?.dispose();
    throw e;
  } finally {
    denseDw.dispose();
  }
}

/** dx as the gather (`dx` entry): one invocation per dx value. */
function dxByGather(
  be: WebGpuBackend,
  cfg: Conv2dConfig,
  table: TableLayout | undefined,
  buffers: (out: GpuTensor) => (GpuTensor | GPUBuffer)[],
  x: GpuTensor,
  label: string,
): GpuTensor {
  const dx = be.empty(x.shape, 'conv2dBackward dx'); // (N, C, H, W)
  if (dx.size === 0) return dx;
  be.run(
    {
      kernel: DX,
      overrides: { WG, TABLE: table ? 1 : 0 },
      uniforms: uniforms(cfg, table, { total: dx.size }),
      workgroups: grid1d(ceilDiv(dx.size, WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} dx`),
      label: `${label} dx`,
    },
    buffers(dx),
  );
  return dx;
}

/**
 * dx (stride 1) as the forward convolution of dy (N, Cout, Ho, Wo) with wf (C, Cout/groups,
 * kH, kW), the weights rotated 180° with in/out channels swapped per group, padded by
 * (k−1)·d − pad on each side (so the output is H × W again), same dilation and groups.
 */
function dxByForward(be: WebGpuBackend, cfg: Conv2dConfig, w: GpuTensor, dy: GpuTensor, params: Conv2dParams, label: string): GpuTensor {
  const [eh, ew] = flippedExtent(cfg);
  const wf = be.empty([cfg.inChannels, cfg.outPerGroup, cfg.kernelH, cfg.kernelW], 'conv2dBackward flipped weights'); // (C, Cout/groups, kH, kW)
  try {
    if (wf.size > 0) {
      be.run(
        {
          kernel: W_FLIP,
          overrides: { WG },
          uniforms: uniforms(cfg, undefined, { total: w.size }),
          workgroups: grid1d(ceilDiv(w.size, WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} flip`),
          label: `${label} flip`,
        },
        [w, w, dy, w, wf],
      );
    }
    const { top, left, bottom, right } = cfg.pads;
    const dx = conv2dGpu(be, dy, wf, undefined, {
      padding: [eh - top, ew - left, eh - bottom, ew - right],
      dilation: cfg.dilation,
      groups: cfg.groups,
      name: params.name ? `${params.name} dx` : 'conv2dBackward dx',
    });
    const [n, c, h, wd] = dx.shape;
    if (n !== cfg.batch || c !== cfg.inChannels || h !== cfg.inH || wd !== cfg.inW) {
      dx.dispose();
      throw new Error(`${label}: dx by forward convolution has shape [${dx.shape.join(',')}], expected the input's`);
    }
    return dx;
  } finally {
    wf.dispose();
  }
}

/**
 * dx by the col path: `col_gemm` computes dcol (N·groups, cg·kH·kW, Ho·Wo), for each image n
 * and group g the product of group g's weights transposed (cg·kH·kW, Cout/groups) with image
 * n's dy of that group (Cout/groups, Ho·Wo); `col2im` then sums each dx value's landing
 * entries of dcol (laid out as (N, C·kH·kW, Ho·Wo), since c = g·cg + ci).
 */
function dxByCol(be: WebGpuBackend, cfg: Conv2dConfig, x: GpuTensor, w: GpuTensor, dy: GpuTensor, label: string): GpuTensor {
  const dx = be.empty(x.shape, 'conv2dBackward dx'); // (N, C, H, W)
  if (dx.size === 0) return dx;
  const kg = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  const dcol = be.empty([cfg.batch * cfg.groups, kg, cfg.outH * cfg.outW], 'conv2dBackward dcol'); // (N·groups, cg·kH·kW, Ho·Wo)
  try {
    be.run(
      {
        kernel: COL_GEMM,
        overrides: { WG_X: DX_COL_TUNING.wgX, WG_Y: DX_COL_TUNING.wgY },
        uniforms: uniforms(cfg, undefined, { total: dcol.size }),
        workgroups: colGemmGrid(cfg),
        label: `${label} dcol`,
      },
      [x, w, dy, w, dcol],
    );
    be.run(
      {
        kernel: COL2IM,
        overrides: { WG },
        uniforms: uniforms(cfg, undefined, { total: dx.size }),
        workgroups: grid1d(ceilDiv(dx.size, WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} col2im`),
        label: `${label} col2im`,
      },
      [dcol, w, dy, w, dx],
    );
  } catch (e) {
    dx.dispose();
    throw e;
  } finally {
    dcol.dispose();
  }
  return dx;
}

/**
 * dw by the split-K GEMM: `dw_split` writes each chunk's partial dw, straight into dw when
 * there is one chunk, else into a (splits, dw) scratch tensor that `dw_sum` then folds into dw.
 */
function dwBySplitGemm(be: WebGpuBackend, cfg: Conv2dConfig, x: GpuTensor, w: GpuTensor, dy: GpuTensor, dw: GpuTensor, label: string, requested?: number): void {
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  const m = cfg.outPerGroup;
  const k = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  const q = cfg.batch * cfg.outH * cfg.outW;
  const tile = selectDwTile(m, k);
  const tilesM = ceilDiv(m, REG * tile.wgY);
  const tilesK = ceilDiv(k, REG * tile.wgX);
  const tiles = tilesM * tilesK;
  const split = selectDwSplit(tiles * cfg.groups, q, dw.size, tile.tp, requested);
  const [gx, gy] = grid1d(tiles * split.splits, maxDim, `${label} dw`);
  const partials = split.splits > 1 ? be.empty([split.splits, dw.size], 'conv2dBackward dw partials') : dw; // (splits, Cout, cg·kH·kW)
  try {
    be.run(
      {
        kernel: DW_SPLIT,
        overrides: { WG_X: tile.wgX, WG_Y: tile.wgY, TP: tile.tp },
        uniforms: uniforms(cfg, undefined, { tilesK, tiles, split, total: tiles * split.splits }),
        workgroups: [gx, gy, cfg.groups],
        label: `${label} dw`,
      },
      [x, w, dy, w, partials],
    );
    if (partials !== dw) {
      be.run(
        {
          kernel: DW_SUM,
          overrides: { WG },
          uniforms: uniforms(cfg, undefined, { split, total: dw.size }),
          workgroups: grid1d(ceilDiv(dw.size, WG), maxDim, `${label} dw sum`),
          label: `${label} dw sum`,
        },
        [partials, w, dy, w, dw],
      );
    }
  } finally {
    if (partials !== dw) partials.dispose();
  }
}
