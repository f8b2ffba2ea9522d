/**
 * Every tuning table of the WebGPU kernels, and the one rule that picks a table's entry for an
 * adapter (`tuningFor`). A table maps adapter keys to entries; the keys tried, in order, are
 * `${vendor}/${architecture}` (as in `GpuContext.info`), `${vendor}`, `default`, and `compact`
 * (an optional fallback for devices whose limits the default exceeds, such as compatibility
 * mode's 128 invocations and 16 KiB of workgroup memory). The tables are readonly: a test or a
 * benchmark that wants other values passes a table of its own to the selecting function.
 *
 * The entries here say how a kernel tiles its work; the rules that turn an entry and a layer's
 * shape into a tiling (`selectMatmulTiling`, `selectConv2dTile`, `selectDwTile`, …) live with
 * their kernels in kernels/.
 */
import type { AdapterSummary } from '../../device/device.js';

/** Entries by adapter key; `default` is required. */
export type TuningTable<T> = { readonly default: T } & { readonly [key: string]: T };

/** The keys `tuningFor` tries for an adapter, in order. */
export function tuningKeys(info: Pick<AdapterSummary, 'vendor' | 'architecture'>): string[] {
  return [`${info.vendor}/${info.architecture}`, info.vendor, 'default', 'compact'];
}

/**
 * The table's entry for this adapter: the first of `tuningKeys` present in the table (and, with
 * `fits`, accepted by it: a kernel's check against the device's limits). Without `fits` that is
 * at the latest `default`; with it, undefined when no entry fits.
 */
export function tuningFor<T>(table: TuningTable<T>, info: Pick<AdapterSummary, 'vendor' | 'architecture'>): T;
export function tuningFor<T>(table: TuningTable<T>, info: Pick<AdapterSummary, 'vendor' | 'architecture'>, fits: (entry: T) => boolean): T | undefined;
export function tuningFor<T>(table: TuningTable<T>, info: Pick<AdapterSummary, 'vendor' | 'architecture'>, fits: (entry: T) => boolean = () => true): T | undefined {
  for (const key of tuningKeys(info)) {
    const entry = Object.hasOwn(table, key) ? table[key] : undefined;
    if (entry !== undefined && fits(entry)) return entry;
  }
  return undefined;
}

// ---- occupancy: split-K of the forward GEMMs (kernels/split_k.ts) -----------------------------

/**
 * How many workgroups an adapter class needs in flight, and how a forward GEMM (conv2d's
 * `gemm`, matmul's `tiled`) whose output tiles are fewer than that splits its K reduction to
 * launch more: `splits` workgroups per tile each reduce one chunk of K into a partial sum, and
 * a second dispatch (`split_sum`) adds the partials and applies bias and activation.
 */
export interface OccupancyTuning {
  /**
   * Workgroups a dispatch should launch to keep the device busy: about two per compute unit
   * (SM, CU, core). 1 turns the occupancy term and split-K off (the choice minimises work alone).
   */
  readonly targetWorkgroups: number;
  /** Fewest K values one split reduces (a shorter chunk pays more for its partials than it gains). */
  readonly minKPerSplit: number;
  /** Most splits of one GEMM. */
  readonly maxSplits: number;
  /** Largest scratch of partial sums (splits × output floats) a split may allocate. */
  readonly maxScratchBytes: number;
  /**
   * What writing one partial sum and reading it back in `split_sum` costs, in multiply-adds of
   * the GEMM (global memory, not workgroup memory; see `Conv2dTuning.loadCost`).
   */
  readonly partialCost: number;
}

const SPLIT_DEFAULTS = { minKPerSplit: 32, maxSplits: 32, maxScratchBytes: 32 << 20, partialCost: 32 } as const;

/**
 * By adapter class (`GPUAdapterInfo` vendor, then vendor/architecture), never by a specific
 * machine. Unknown adapters get the default, sized for a discrete GPU of 60–140 compute units
 * (two workgroups each would be 120–280): enough parallelism costs a small GPU little (a
 * split's partials), too little idles most of a large one. Integrated and mobile GPUs have
 * fewer units. A software adapter (SwiftShader: a few CPU threads) gains nothing from more
 * workgroups, so it keeps the choice by work alone.
 */
export const OCCUPANCY_TUNING: TuningTable<OccupancyTuning> = {
  default: { targetWorkgroups: 256, ...SPLIT_DEFAULTS },
  nvidia: { targetWorkgroups: 256, ...SPLIT_DEFAULTS },
  amd: { targetWorkgroups: 256, ...SPLIT_DEFAULTS },
  apple: { targetWorkgroups: 128, ...SPLIT_DEFAULTS },
  intel: { targetWorkgroups: 128, ...SPLIT_DEFAULTS },
  qualcomm: { targetWorkgroups: 64, ...SPLIT_DEFAULTS },
  arm: { targetWorkgroups: 32, ...SPLIT_DEFAULTS },
  'google/swiftshader': { targetWorkgroups: 1, ...SPLIT_DEFAULTS },
};

// ---- matmul (kernels/matmul.ts, shaders/matmul.wgsl) -----------------------------------------

/** A tiling of the `tiled` matmul kernel. Its output tile is (4·wgY) × (4·wgX). */
export interface MatmulTiling {
  /** Invocations per workgroup along output columns (x) and rows (y). */
  readonly wgX: number;
  readonly wgY: number;
  /** Depth of the K slice staged in workgroup memory; a multiple of 4 (slices are loaded in quads). */
  readonly tileK: number;
}

/** Tilings of the `tiled` kernel. Entries that do not fit the device's limits are skipped. */
export const MATMUL_TUNING: TuningTable<MatmulTiling> = {
  // 64 × 64 tile, K slices of 16: 8 KiB of workgroup memory, 256 invocations.
  default: { wgX: 16, wgY: 16, tileK: 16 },
  compact: { wgX: 8, wgY: 8, tileK: 16 },
};

/** A shape of the `gemv` matmul kernel: one workgroup computes `cols` output columns for all M rows. */
export interface GemvTiling {
  /** Invocations splitting each column's K reduction (workgroup x); a power of two. */
  readonly splitK: number;
  /** Output columns per workgroup (workgroup y). */
  readonly cols: number;
  /** Largest M (output rows) that takes the gemv kernel; at most 4 (one vec4 of partial sums). 0 disables it. */
  readonly maxM: number;
}

/** Shapes of the `gemv` kernel. Entries that do not fit the device's limits are skipped; `maxM: 0` turns gemv off. */
export const MATMUL_GEMV_TUNING: TuningTable<GemvTiling> = {
  // 32 K-splits × 8 columns: 256 invocations, 4 KiB of workgroup memory, 5 reduction barriers.
  default: { splitK: 32, cols: 8, maxM: 4 },
  compact: { splitK: 16, cols: 4, maxM: 4 },
};

// ---- conv2d forward (kernels/conv2d.ts, shaders/conv2d.wgsl) ---------------------------------

/**
 * One tiling of the implicit-GEMM conv2d kernel: a workgroup of wgX×wgY invocations, each with
 * a 4×4 register block, computes (4·wgY) output channels × (4·wgX) output pixels, stepping
 * through K by tk.
 */
export interface Conv2dTile {
  readonly wgX: number;
  readonly wgY: number;
  readonly tk: number;
}

export interface Conv2dTuning {
  /**
   * The GEMM tilings to choose from. A layer takes the one of least modelled cost for its
   * M × N (output channels per group × output pixels): the multiply-adds of its padded tiles,
   * each weighed with the loads that feed it (see `loadCost`). Few-channel layers (LeNet) get a
   * short, wide tile, few-pixel layers (a small image's last stages, a batch-1
   * fully-connected conv) a tall, narrow one, instead of computing mostly padding in the big
   * square tile; large layers the square tile, which loads least per multiply-add.
   */
  readonly gemm: readonly { readonly name: string; readonly tile: Conv2dTile }[];
  /**
   * What a load into workgroup memory costs, in multiply-adds. A tile of m channels × n pixels
   * loads 1/m + 1/n values per multiply-add, so its cost is padded multiply-adds ×
   * (1 + loadCost · (1/m + 1/n)).
   */
  readonly loadCost: number;
}

/** Every tiling fits WebGPU's default limits (at most 256 invocations and 16 KiB of workgroup memory). */
export const CONV2D_TUNING: TuningTable<Conv2dTuning> = {
  default: {
    gemm: [
      { name: 'narrow', tile: { wgX: 64, wgY: 1, tk: 8 } }, // 4×256 tile (channels × pixels), 64 invocations
      { name: 'small', tile: { wgX: 64, wgY: 4, tk: 8 } }, // 16×256
      { name: 'medium', tile: { wgX: 32, wgY: 8, tk: 16 } }, // 32×128
      { name: 'wide', tile: { wgX: 16, wgY: 16, tk: 16 } }, // 64×64, 256 invocations
      { name: 'column', tile: { wgX: 4, wgY: 16, tk: 16 } }, // 64×16
      { name: 'tall', tile: { wgX: 1, wgY: 16, tk: 16 } }, // 64×4, 16 invocations
    ],
    loadCost: 8,
  },
};

// ---- conv2d backward (kernels/conv2d_backward.ts, shaders/conv2d_backward.wgsl) --------------

/** The split-K GEMM of dw (`dw_split`): its tile sides and how the output positions are cut into chunks. */
export interface DwTuning {
  /** Positions staged per step of `dw_split`. */
  readonly tp: number;
  /** Largest workgroup side of `dw_split` (16 × 16 = 256 invocations, a 64 × 64 tile). */
  readonly maxSide: number;
  /** Split the positions until there are at least this many `dw_split` workgroups... */
  readonly targetWorkgroups: number;
  /** ...but give each at least this many positions (4 staging steps)... */
  readonly minChunk: number;
  /** ...and keep the partial sums under this many bytes. */
  readonly maxScratchBytes: number;
}

export const DW_TUNING: TuningTable<DwTuning> = {
  default: { tp: 16, maxSide: 16, targetWorkgroups: 128, minChunk: 64, maxScratchBytes: 64 << 20 },
};

/**
 * The col path's GEMM of dx (`col_gemm`) and when to use it. It has its own kernel rather than
 * matmulGpu: K = Cout/groups is short (16 for LeNet C3), so the tiled matmul's 64 × 64 tiles
 * each stage one or two K slices and pay their barriers for little work; on SwiftShader
 * (bench/conv2d-backward.ts) LeNet C3's dcol took ~790 ms by matmulGpu against ~60 ms by
 * `col_gemm`, ResNet's stride-2 3×3 ~520 ms against ~135 ms.
 */
export interface DxColTuning {
  /** `col_gemm` workgroup: wgX × wgY invocations of 4 × 4 blocks, 4·wgX pixels × 4·wgY rows. */
  readonly wgX: number;
  readonly wgY: number;
  /** Largest dcol scratch (N·C·kH·kW·Ho·Wo floats) the col path allocates; beyond it, forward or the gather. */
  readonly maxScratchBytes: number;
  /**
   * Fewest output channels per group (the GEMM's depth) for the col path. At depth 1
   * (depthwise) `col_gemm` is all overhead: 98 ms against the gather's 96 and the forward's
   * depthwise kernel's 31 ms (8×32×28×28, 3×3); at depth 4 (8 groups of 4) col takes 108 ms
   * against 163 (gather) and 138 (forward).
   */
  readonly minDepth: number;
}

export const DX_COL_TUNING: TuningTable<DxColTuning> = {
  default: { wgX: 16, wgY: 4, maxScratchBytes: 64 << 20, minDepth: 4 },
};
