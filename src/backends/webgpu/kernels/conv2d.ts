/**
 * WebGPU conv2d: a tiled implicit-GEMM kernel (shared-memory tiles, register blocking) for
 * dense, grouped, depthwise and 1×1 convolutions; a direct kernel for `debug.forceNaive`; and
 * a direct kernel for connection-table mode. See the header comments of shaders/conv2d.wgsl
 * and shaders/conv2d_table.wgsl for what one workgroup and one invocation compute.
 */
import conv2dWgsl from '../../../../shaders/conv2d.wgsl?raw';
import conv2dTableWgsl from '../../../../shaders/conv2d_table.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, type UniformField, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { activationOverrides } from './elementwise.js';
import { type Conv2dParams, type Conv2dConfig, inferConv2d } from '../../../ops/conv2d.js';
import type { AdapterSummary } from '../../../device/device.js';
import { LimitExceededError } from '../../../errors.js';

const CONV_BINDINGS = ['uniform', 'read', 'read', 'read', 'write'] as const;
const GEMM: KernelSpec = { name: 'conv2d', code: withActivation(conv2dWgsl), entryPoint: 'gemm', bindings: CONV_BINDINGS };
const DIRECT: KernelSpec = { name: 'conv2d', code: GEMM.code, entryPoint: 'direct', bindings: CONV_BINDINGS };
const TABLE: KernelSpec = {
  name: 'conv2d_table',
  code: withActivation(conv2dTableWgsl),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'write'],
};

/** Workgroup size of the direct kernels. */
const DIRECT_WG = 64;
/** Register block limit of the GEMM kernel (MAX_R in conv2d.wgsl). */
const MAX_R = 4;

/**
 * One tiling of the implicit-GEMM kernel: a workgroup of wgX×wgY invocations computes
 * (wgY·rm) output channels × (wgX·rn) output pixels, stepping through K by tk.
 */
export interface Conv2dTile {
  readonly wgX: number;
  readonly wgY: number;
  readonly rm: number;
  readonly rn: number;
  readonly tk: number;
}

export interface Conv2dTuning {
  /** The general tiling. */
  readonly wide: Conv2dTile;
  /** For groups with at most `narrowMaxM` output channels (depthwise): a tall, thin tile wastes less. */
  readonly narrow: Conv2dTile;
  readonly narrowMaxM: number;
}

/**
 * Tile sizes per adapter kind (`vendor/architecture`, then `vendor`, then `default`). Both
 * tilings use 256 invocations and 8 KiB of workgroup memory, within WebGPU's default limits.
 */
export const CONV2D_TUNING: Readonly<Record<string, Conv2dTuning>> = {
  default: {
    wide: { wgX: 16, wgY: 16, rm: 4, rn: 4, tk: 16 }, // 64×64 tile
    narrow: { wgX: 64, wgY: 4, rm: 1, rn: 4, tk: 8 }, // 4×256 tile
    narrowMaxM: 4,
  },
};

export function conv2dTuning(info: AdapterSummary): Conv2dTuning {
  return CONV2D_TUNING[`${info.vendor}/${info.architecture}`] ?? CONV2D_TUNING[info.vendor] ?? CONV2D_TUNING.default;
}

/** Throws if a tiling breaks the kernel's assumptions or the device's limits. */
export function checkConv2dTile(t: Conv2dTile, limits: GPUSupportedLimits): void {
  const wgs = t.wgX * t.wgY;
  const tn = t.wgX * t.rn;
  const bytes = 4 * (t.wgY * t.rm * t.tk + t.tk * tn);
  const what = `conv2d tiling ${JSON.stringify(t)}`;
  if (![t.wgX, t.wgY, t.rm, t.rn, t.tk].every((v) => Number.isInteger(v) && v > 0) || t.rm > MAX_R || t.rn > MAX_R) {
    throw new Error(`${what}: sizes must be positive integers with rm, rn <= ${MAX_R}`);
  }
  // Each invocation loads a fixed column of each tile (conv2d.wgsl), so the workgroup must cover whole rows.
  if (wgs % tn !== 0 || wgs % t.tk !== 0) throw new Error(`${what}: wgX·wgY must be a multiple of wgX·rn and of tk`);
  if (wgs > limits.maxComputeInvocationsPerWorkgroup || t.wgX > limits.maxComputeWorkgroupSizeX || t.wgY > limits.maxComputeWorkgroupSizeY) {
    throw new LimitExceededError(`${what}: a ${t.wgX}×${t.wgY} workgroup exceeds this device's limits (maxComputeInvocationsPerWorkgroup ${limits.maxComputeInvocationsPerWorkgroup})`);
  }
  if (bytes > limits.maxComputeWorkgroupStorageSize) {
    throw new LimitExceededError(`${what}: needs ${bytes} bytes of workgroup memory, more than this device's maxComputeWorkgroupStorageSize (${limits.maxComputeWorkgroupStorageSize})`);
  }
}

const u = (v: number): UniformField => ['u32', v];
const i = (v: number): UniformField => ['i32', v];

function geometry(cfg: Conv2dConfig): UniformField[] {
  return [
    u(cfg.batch), u(cfg.inChannels), u(cfg.inH), u(cfg.inW),
    u(cfg.outChannels), u(cfg.outH), u(cfg.outW), u(cfg.kernelH), u(cfg.kernelW),
    u(cfg.stride[0]), u(cfg.stride[1]), u(cfg.dilation[0]), u(cfg.dilation[1]),
    i(cfg.pads.top), i(cfg.pads.left),
  ];
}

export function conv2dGpu(be: WebGpuBackend, x: GpuTensor, w: GpuTensor, bias: GpuTensor | undefined, params: Conv2dParams): GpuTensor {
  const cfg = inferConv2d(x.shape, w.shape, bias?.shape, params);
  const label = params.name ? `conv2d '${params.name}'` : 'conv2d';
  const m = cfg.outPerGroup; // GEMM M, N and K of one group
  const n = cfg.batch * cfg.outH * cfg.outW;
  const k = cfg.inPerGroup * cfg.kernelH * cfg.kernelW;
  const kind = cfg.table ? 'table' : be.debug.forceNaive ? 'direct' : 'gemm';
  const tuning = conv2dTuning(be.ctx.info);
  const tile = m <= tuning.narrowMaxM ? tuning.narrow : tuning.wide;
  if (kind === 'gemm') checkConv2dTile(tile, be.limits);

  const out = be.empty(cfg.outShape, 'conv2d'); // (N, Cout, Ho, Wo)
  if (out.size === 0) return out;
  const shared = { HAS_BIAS: bias ? 1 : 0, ...activationOverrides(cfg.activation) };
  // Without a bias the bias binding aliases the weights (both read-only); HAS_BIAS = 0 keeps it unread.
  const biasBuf = bias ?? w;
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;

  if (cfg.table) {
    const offsets = be.auxBuffer(cfg.table.offsets, 'conv2d table offsets'); // (Cout + 1)
    const indices = be.auxBuffer(cfg.table.indices, 'conv2d table indices'); // (Σ|table[o]|)
    be.run(
      {
        kernel: TABLE,
        overrides: { WG: DIRECT_WG, ...shared },
        uniforms: packUniforms([...geometry(cfg), u(out.size)]),
        workgroups: grid1d(ceilDiv(out.size, DIRECT_WG), maxDim, label),
        label,
      },
      [x, w, biasBuf, offsets, indices, out],
    );
  } else if (kind === 'direct') {
    be.run(
      {
        kernel: DIRECT,
        overrides: { WG: DIRECT_WG, ...shared },
        uniforms: packUniforms([...geometry(cfg), u(cfg.inPerGroup), u(m), u(k), u(n), u(0), u(0), u(out.size)]),
        workgroups: grid1d(ceilDiv(out.size, DIRECT_WG), maxDim, label),
        label,
      },
      [x, w, biasBuf, out],
    );
  } else {
    const tilesM = ceilDiv(m, tile.wgY * tile.rm);
    const tilesN = ceilDiv(n, tile.wgX * tile.rn);
    const [gx, gy] = grid1d(tilesM * tilesN, maxDim, label);
    be.run(
      {
        kernel: GEMM,
        overrides: { WG_X: tile.wgX, WG_Y: tile.wgY, RM: tile.rm, RN: tile.rn, TK: tile.tk, ...shared },
        uniforms: packUniforms([...geometry(cfg), u(cfg.inPerGroup), u(m), u(k), u(n), u(tilesM), u(tilesN), u(out.size)]),
        workgroups: [gx, gy, cfg.groups],
        label,
      },
      [x, w, biasBuf, out],
    );
  }
  return out;
}
