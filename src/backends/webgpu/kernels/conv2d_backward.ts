/**
 * WebGPU conv2d backward. See the header comment of shaders/conv2d_backward.wgsl.
 *
 * dx, one of three paths chosen by `conv2dDxKind` (conv2d_backward_paths.ts): 'col' (any stride, at least
 * DX_COL_TUNING's minDepth output channels per group, dcol within its cap), dcol = Wᵀ·dy per
 * image and group by a register-blocked GEMM (`col_gemm`), then `col2im` gathering dcol into
 * dx; 'forward' (stride 1, where col does not fit), a forward convolution of dy with the
 * weights rotated 180° and their in/out channels swapped (`w_flip`), padded by (k−1)·d − pad
 * on each side, run by the forward's kernels (conv2dGpu); 'gather', one invocation per dx
 * value visiting only the taps that land. `conv2dDxGpu` runs the dx paths alone, from the weights
 * and dy (conv2dTranspose's forward is one). dw: a split-K GEMM (dense, grouped and depthwise): the N·Ho·Wo
 * output positions are cut into chunks so that there are enough workgroups (`selectDwSplit`),
 * each workgroup computes a register-blocked tile of dw (`selectDwTile`) for one chunk, and a
 * second pass sums the chunks in order; debug.forceNaive keeps one workgroup per dw element.
 * db: one workgroup per channel, or per chunk of a channel then a sum of the chunks (few long channels).
 *
 * Connection tables: the table's weights are expanded into dense (Cout, C, kH, kW) weights with
 * zeros for the absent pairs (`expandTableWeights`, the forward's `table_expand`), dx and db
 * are those of the dense convolution, and `table_compact` gathers the table's entries out of the
 * dense dw. Under debug.forceNaive tables keep the direct kernels (the `dx` gather and `dw_reduce`
 * reading the table).
 */
import conv2dBackwardWgsl from '../../../../shaders/conv2d_backward.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type DxColTuning, DW_TUNING, DX_COL_TUNING, tuningFor } from '../tuning.js';
import {
  type Conv2dDxKind, type DwSplit, REG, selectDwTile, selectDwSplit, dxForwardFits, dxColFits, colGemmGrid, conv2dDxKind, conv2dDwKind, flippedExtent,
} from './conv2d_backward_paths.js';
import { selectReductionSplit } from '../reduction.js';
import { CONV_GEOMETRY, conv2dGpu, convGeometry, denseParams, expandTableWeights } from './conv2d.js';
import type { Conv2dParams, Conv2dConfig } from '../../../ops/conv2d.js';
import type { GradRequest } from '../../training.js';
import { inferConv2dBackward, wantedGrads } from '../../../ops/conv2d_backward.js';
import { LimitExceededError } from '../../../errors.js';
import { type Activation, activationOverrides, normalizeActivation } from '../../../ops/activation.js';

/** The backward's uniforms (conv2d_backward.wgsl): the forward's geometry and what each entry point adds. */
const CONV2D_BACKWARD_PARAMS = uniformStruct('Conv2dBackwardParams', {
  ...CONV_GEOMETRY,
  // Where each list of the connection table starts in `tbl` (TABLE = 1; else 0).
  tbl_out: 'u32', tbl_in: 'u32', tbl_reader_off: 'u32', tbl_readers: 'u32',
  // `dw_split`: tiles along K, tiles per group (M tiles × K tiles), positions per chunk, chunks (`dw_sum`: chunks).
  tiles_k: 'u32', tiles: 'u32', chunk: 'u32', splits: 'u32',
  // Elements of dw (the stride between the partial sums of two chunks).
  dw_size: 'u32',
  // `dx`, `col2im`: the step between landing taps, sH / gcd(sH, dH) and sW / gcd(sW, dW).
  step_y: 'u32', step_x: 'u32',
  // Work items: dx values (`dx`, `col2im`), dcol values (`col_gemm`, unused), w values (`w_flip`),
  // tiles × splits (`dw_split`), dw values (`dw_sum`, `dw_reduce`, `table_compact`), channels (`db`).
  total: 'u32',
});

// Every entry point shares one layout: uniforms, x, w, dy, the connection table, the output.
const BINDINGS = ['uniform', 'read', 'read', 'read', 'read', 'write'] as const;
const CODE = withActivation(withPreludes(conv2dBackwardWgsl, CONV2D_BACKWARD_PARAMS, INDEX_PRELUDE));
const spec = (entryPoint: string): KernelSpec => ({ name: 'conv2d_backward', code: CODE, entryPoint, bindings: BINDINGS });
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

/** Per-entry uniform fields beyond the geometry (see CONV2D_BACKWARD_PARAMS); absent ones are 0. */
interface Extra {
  tilesK?: number;
  tiles?: number;
  split?: DwSplit;
  /** The size of one chunk's partial sums that `dw_sum` adds; default dw's. */
  dwSize?: number;
  total: number;
}

function uniforms(cfg: Conv2dConfig, table: TableLayout | undefined, extra: Extra): ArrayBuffer {
  const [sH, sW] = cfg.stride;
  const [dH, dW] = cfg.dilation;
  return CONV2D_BACKWARD_PARAMS.pack({
    ...convGeometry(cfg),
    tbl_out: table?.out ?? 0, tbl_in: table?.in ?? 0, tbl_reader_off: table?.readerOff ?? 0, tbl_readers: table?.readers ?? 0,
    tiles_k: extra.tilesK ?? 0, tiles: extra.tiles ?? 0, chunk: extra.split?.chunk ?? 0, splits: extra.split?.splits ?? 0,
    dw_size: extra.dwSize ?? cfg.outChannels * cfg.inPerGroup * cfg.kernelH * cfg.kernelW,
    step_y: sH / gcd(sH, dH), step_x: sW / gcd(sW, dW),
    total: extra.total,
  });
}

/** Knobs for tests and benchmarks; the defaults are what training uses. */
export interface Conv2dBackwardOptions {
  /** Cut the output positions of the dw GEMM into this many chunks instead of `selectDwSplit`'s choice. */
  readonly dwSplits?: number;
  /** Run dx by this path instead of `conv2dDxKind`'s choice ('forward' only where `dxForwardFits`, 'col' only where `dxColFits`). */
  readonly dxKind?: Conv2dDxKind;
}

export function conv2dBackwardGpu(
  be: KernelContext,
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
  const colTuning = tuningFor(DX_COL_TUNING, be.ctx.info);
  const scratchCap = Math.min(colTuning.maxScratchBytes, be.limits.maxStorageBufferBindingSize, be.limits.maxBufferSize);
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  // A table takes the table gather under forceNaive; otherwise its expanded dense convolution
  // picks (and checks) its own path. A forced path is checked against the layer itself, so
  // 'col' and 'forward' reject a table.
  const dxKind = options.dxKind ?? (cfg.table ? 'gather' : conv2dDxKind(cfg, forceNaive, scratchCap, maxDim, colTuning));
  if (dxKind === 'forward' && !dxForwardFits(cfg)) throw new RangeError('conv2dBackward: dx cannot run as a forward convolution for this shape');
  if (dxKind === 'col' && !dxColFits(cfg, scratchCap, maxDim, colTuning)) {
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
    if (dxKind === 'forward') grads.dx = dxByForward(be, cfg, w, dy, params.name, label);
    else if (dxKind === 'col') grads.dx = dxByCol(be, cfg, w, dy, label, colTuning);
    else grads.dx = dxByGather(be, cfg, packed?.layout, buffers, label);
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
    if (db.size > 0) dbByChunks(be, cfg, packed?.layout, db, buffers, label);
    grads.db = db;
  }
  return grads;
}

/**
 * dx of the dense convolution `cfg` from its weights and dy alone: conv2d backward's input
 * gradient, which is also the transposed convolution of dy by w (conv2dTranspose's forward,
 * kernels/conv_transpose.ts). `conv2dDxKind` picks the path. The epilogue, a bias (C) and an
 * activation applied to dx, is fused into each path's last store: the 'forward' path's
 * convolution, `col2im`, or the `dx` gather.
 */
export function conv2dDxGpu(
  be: KernelContext,
  cfg: Conv2dConfig,
  w: GpuTensor,
  dy: GpuTensor,
  epilogue: { readonly bias?: GpuTensor; readonly activation?: Activation; readonly name?: string } = {},
): GpuTensor {
  if (cfg.table) throw new Error('conv2dDxGpu: connection tables take conv2dBackwardGpu');
  const colTuning = tuningFor(DX_COL_TUNING, be.ctx.info);
  const scratchCap = Math.min(colTuning.maxScratchBytes, be.limits.maxStorageBufferBindingSize, be.limits.maxBufferSize);
  const kind = conv2dDxKind(cfg, be.debug.forceNaive ?? false, scratchCap, be.limits.maxComputeWorkgroupsPerDimension, colTuning);
  const { bias, activation, name } = epilogue;
  const label = name ?? 'conv2d dx';
  if (kind === 'forward') return dxByForward(be, cfg, w, dy, name, label, bias, activation);
  const fused: Epilogue = { overrides: { ...(bias ? { HAS_BIAS: 1 } : {}), ...activationOverrides(normalizeActivation(label, activation)) }, bias };
  if (kind === 'col') return dxByCol(be, cfg, w, dy, label, colTuning, fused);
  return dxByGather(be, cfg, undefined, (out) => [bias ?? w, w, dy, w, out], label, fused.overrides);
}

/**
 * A connection table's gradients through the dense paths: the dense convolution of the expanded
 * weights (Cout, C, kH, kW) gives dx and db as they are and dw_dense, whose table entries
 * `table_compact` gathers into dw (Σ|table[o]|, kH, kW). The forced-path options (checked
 * against the table layer by the caller) apply to the dense convolution.
 */
function tableByDense(
  be: KernelContext,
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

/** What `dx` and `col2im` add at their store (conv2dDxGpu): the HAS_BIAS and activation overrides, and the bias (C). */
interface Epilogue {
  readonly overrides: Readonly<Record<string, number>>;
  readonly bias?: GpuTensor;
}

/** The input's shape, (N, C, H, W). */
const inputShape = (cfg: Conv2dConfig): number[] => [cfg.batch, cfg.inChannels, cfg.inH, cfg.inW];

/** dx as the gather (`dx` entry): one invocation per dx value. */
function dxByGather(
  be: KernelContext,
  cfg: Conv2dConfig,
  table: TableLayout | undefined,
  buffers: (out: GpuTensor) => (GpuTensor | GPUBuffer)[],
  label: string,
  epilogue: Readonly<Record<string, number>> = {},
): GpuTensor {
  const dx = be.empty(inputShape(cfg), 'conv2dBackward dx'); // (N, C, H, W)
  if (dx.size === 0) return dx;
  be.run(
    {
      kernel: DX,
      overrides: { WG, TABLE: table ? 1 : 0, ...epilogue },
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
 * (k−1)·d − pad on each side (so the output is H × W again), same dilation and groups. A bias
 * (C) and an activation (conv2dDxGpu's epilogue) are fused into that convolution's store.
 */
function dxByForward(
  be: KernelContext,
  cfg: Conv2dConfig,
  w: GpuTensor,
  dy: GpuTensor,
  name: string | undefined,
  label: string,
  bias?: GpuTensor,
  activation?: Activation,
): GpuTensor {
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
    const dx = conv2dGpu(be, dy, wf, bias, {
      padding: [eh - top, ew - left, eh - bottom, ew - right],
      dilation: cfg.dilation,
      groups: cfg.groups,
      activation,
      name: name ? `${name} dx` : 'conv2dBackward dx',
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
function dxByCol(be: KernelContext, cfg: Conv2dConfig, w: GpuTensor, dy: GpuTensor, label: string, tuning: DxColTuning, epilogue?: Epilogue): GpuTensor {
  const dx = be.empty(inputShape(cfg), 'conv2dBackward dx'); // (N, C, H, W)
  if (dx.size === 0) return dx;
  const kg = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  const dcol = be.empty([cfg.batch * cfg.groups, kg, cfg.outH * cfg.outW], 'conv2dBackward dcol'); // (N·groups, cg·kH·kW, Ho·Wo)
  try {
    be.run(
      {
        kernel: COL_GEMM,
        overrides: { WG_X: tuning.wgX, WG_Y: tuning.wgY },
        uniforms: uniforms(cfg, undefined, { total: dcol.size }),
        workgroups: colGemmGrid(cfg, tuning),
        label: `${label} dcol`,
      },
      // x's slot is unread: it aliases w.
      [w, w, dy, w, dcol],
    );
    be.run(
      {
        kernel: COL2IM,
        overrides: { WG, ...epilogue?.overrides },
        uniforms: uniforms(cfg, undefined, { total: dx.size }),
        workgroups: grid1d(ceilDiv(dx.size, WG), be.limits.maxComputeWorkgroupsPerDimension, `${label} col2im`),
        label: `${label} col2im`,
      },
      // wt's slot is unread, or holds the epilogue's bias.
      [dcol, epilogue?.bias ?? w, dy, w, dx],
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
 * db: `db` sums each channel's dy over its chunks of the N·Ho·Wo positions (one chunk unless
 * the channels are few and long: selectReductionSplit), into db itself or into a (chunks,
 * Cout) scratch that `dw_sum` then adds up in chunk order.
 */
function dbByChunks(
  be: KernelContext, cfg: Conv2dConfig, layout: TableLayout | undefined, db: GpuTensor,
  buffers: (out: GpuTensor) => (GpuTensor | GPUBuffer)[], label: string,
): void {
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  const cout = cfg.outChannels;
  const q = cfg.batch * cfg.outH * cfg.outW;
  const { parts, chunk } = selectReductionSplit(cout, q);
  const split: DwSplit = { splits: parts, chunk: Math.max(chunk, 1) };
  const partials = parts > 1 ? be.empty([parts, cout], 'conv2dBackward db partials') : db; // (chunks, Cout)
  try {
    be.run(
      {
        kernel: DB,
        overrides: { WG },
        uniforms: uniforms(cfg, layout, { split, total: cout * parts }),
        workgroups: grid1d(cout * parts, maxDim, `${label} db`),
        label: `${label} db`,
      },
      buffers(partials),
    );
    if (partials !== db) {
      const [, w, dy, tbl] = buffers(db);
      be.run(
        {
          kernel: DW_SUM,
          overrides: { WG },
          uniforms: uniforms(cfg, layout, { split, dwSize: cout, total: cout }),
          workgroups: grid1d(ceilDiv(cout, WG), maxDim, `${label} db sum`),
          label: `${label} db sum`,
        },
        [partials, w, dy, tbl, db],
      );
    }
  } finally {
    if (partials !== db) partials.dispose();
  }
}

/**
 * dw by the split-K GEMM: `dw_split` writes each chunk's partial dw, straight into dw when
 * there is one chunk, else into a (splits, dw) scratch tensor that `dw_sum` then folds into dw.
 */
function dwBySplitGemm(be: KernelContext, cfg: Conv2dConfig, x: GpuTensor, w: GpuTensor, dy: GpuTensor, dw: GpuTensor, label: string, requested?: number): void {
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  const m = cfg.outPerGroup;
  const k = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  const q = cfg.batch * cfg.outH * cfg.outW;
  const tuning = tuningFor(DW_TUNING, be.ctx.info);
  const tile = selectDwTile(m, k, tuning);
  const tilesM = ceilDiv(m, REG * tile.wgY);
  const tilesK = ceilDiv(k, REG * tile.wgX);
  const tiles = tilesM * tilesK;
  const split = selectDwSplit(tiles * cfg.groups, q, dw.size, tile.tp, requested, tuning);
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
