/**
 * WebGPU conv2d backward: dx as a gather (the transposed convolution, one invocation per dx
 * value); dw as a tiled GEMM-like reduction over the N·Ho·Wo output positions for dense and
 * grouped convolutions (a workgroup per TILE_M × TILE_K block of dw, the tile picked from the
 * group's output channels by `selectDwTile`), or one workgroup per dw element with a tree
 * reduction for connection tables, depthwise and debug.forceNaive; db as one workgroup per
 * channel. See the header comment of shaders/conv2d_backward.wgsl.
 */
import conv2dBackwardWgsl from '../../../../shaders/conv2d_backward.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, type UniformField, packUniforms, grid1d, ceilDiv } from '../program.js';
import type { Conv2dParams, Conv2dConfig } from '../../../ops/conv2d.js';
import type { GradRequest } from '../../training.js';
import { inferConv2dBackward, wantedGrads } from '../../../ops/conv2d_backward.js';

// Every entry point shares one layout: uniforms, x, w, dy, the connection table, the output.
const BINDINGS = ['uniform', 'read', 'read', 'read', 'read', 'write'] as const;
const spec = (entryPoint: string): KernelSpec => ({ name: 'conv2d_backward', code: conv2dBackwardWgsl, entryPoint, bindings: BINDINGS });
const DX = spec('dx');
const DW_GEMM = spec('dw_gemm');
const DW_REDUCE = spec('dw_reduce');
const DB = spec('db');

/** Workgroup size of `dx`, `dw_reduce` and `db`. */
const WG = 64;
/** Output positions per step of `dw_gemm`. */
const TP = 16;

/** A `dw_gemm` tiling: TILE_M × TILE_K dw elements (and invocations) per workgroup. */
export interface DwTile {
  readonly tileM: number;
  readonly tileK: number;
}

/**
 * The tile for a group of `m` output channels: always 256 invocations, as few rows as cover M
 * so that few-channel layers (LeNet's 6 and 16 maps) do not idle most of the workgroup.
 */
export function selectDwTile(m: number): DwTile {
  if (m <= 4) return { tileM: 4, tileK: 64 };
  if (m <= 8) return { tileM: 8, tileK: 32 };
  return { tileM: 16, tileK: 16 };
}

export type Conv2dDwKind = 'gemm' | 'reduce';

/** dw by the GEMM unless there is no shared im2col block to tile (tables, cg = 1) or forceNaive. */
export function conv2dDwKind(cfg: Conv2dConfig, forceNaive: boolean): Conv2dDwKind {
  return cfg.table || cfg.inPerGroup === 1 || forceNaive ? 'reduce' : 'gemm';
}

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

function uniforms(cfg: Conv2dConfig, table: TableLayout | undefined, tilesK: number, total: number): ArrayBuffer {
  return packUniforms([
    u(cfg.batch), u(cfg.inChannels), u(cfg.inH), u(cfg.inW),
    u(cfg.outChannels), u(cfg.outH), u(cfg.outW), u(cfg.kernelH), u(cfg.kernelW),
    u(cfg.stride[0]), u(cfg.stride[1]), u(cfg.dilation[0]), u(cfg.dilation[1]),
    i(cfg.pads.top), i(cfg.pads.left),
    u(cfg.inPerGroup), u(cfg.outPerGroup), u(cfg.inPerGroup * cfg.kernelH * cfg.kernelW),
    u(cfg.batch * cfg.outH * cfg.outW),
    u(table?.out ?? 0), u(table?.in ?? 0), u(table?.readerOff ?? 0), u(table?.readers ?? 0),
    u(tilesK), u(total),
  ]);
}

export function conv2dBackwardGpu(be: WebGpuBackend, x: GpuTensor, w: GpuTensor, dy: GpuTensor, params: Conv2dParams, want: GradRequest): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  const cfg = inferConv2dBackward(x.shape, w.shape, dy.shape, params);
  const wanted = wantedGrads(want);
  const label = params.name ? `conv2dBackward '${params.name}'` : 'conv2dBackward';
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  const packed = packTable(cfg);
  // Without a table the table binding aliases the weights (both read-only); TABLE = 0 keeps it unread.
  const tableBuf = packed ? be.auxBuffer(packed.data, 'conv2dBackward table') : w;
  const tableMode = packed ? 1 : 0;
  const buffers = (out: GpuTensor) => [x, w, dy, tableBuf, out];
  const grads: { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } = {};

  if (wanted.input) {
    const dx = be.empty(x.shape, 'conv2dBackward dx'); // (N, C, H, W)
    if (dx.size > 0) {
      be.run(
        {
          kernel: DX,
          overrides: { WG, TABLE: tableMode },
          uniforms: uniforms(cfg, packed?.layout, 0, dx.size),
          workgroups: grid1d(ceilDiv(dx.size, WG), maxDim, `${label} dx`),
          label: `${label} dx`,
        },
        buffers(dx),
      );
    }
    grads.dx = dx;
  }

  if (wanted.weight) {
    const dw = be.empty(w.shape, 'conv2dBackward dw'); // w's shape
    if (dw.size > 0) {
      if (conv2dDwKind(cfg, be.debug.forceNaive ?? false) === 'gemm') {
        const tile = selectDwTile(cfg.outPerGroup);
        const tilesM = ceilDiv(cfg.outPerGroup, tile.tileM);
        const tilesK = ceilDiv(cfg.inPerGroup * cfg.kernelH * cfg.kernelW, tile.tileK);
        const [gx, gy] = grid1d(tilesM * tilesK, maxDim, `${label} dw`);
        be.run(
          {
            kernel: DW_GEMM,
            overrides: { TILE_M: tile.tileM, TILE_K: tile.tileK, TP },
            uniforms: uniforms(cfg, packed?.layout, tilesK, tilesM * tilesK),
            workgroups: [gx, gy, cfg.groups],
            label: `${label} dw`,
          },
          buffers(dw),
        );
      } else {
        be.run(
          {
            kernel: DW_REDUCE,
            overrides: { WG, TABLE: tableMode },
            uniforms: uniforms(cfg, packed?.layout, 0, dw.size),
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
          uniforms: uniforms(cfg, packed?.layout, 0, cfg.outChannels),
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
