/**
 * conv2d's backward on the wasm backend (wasm/conv2d_backward.ts): dw as GEMMs on the forward's
 * im2col blocks summed over batch slices, dx as wᵀ·dy per (image, channel) plane scattered back
 * by col2im, db as per-channel sums. A connection table runs as the dense convolution with its
 * missing (output, input) pairs' kernels set to zero; its dw is gathered back to the table's pairs.
 *
 * Block sizes and batch slices depend on the shapes only, never on the thread count, so every
 * gradient is the same on 1 thread as on 4.
 */
import type { Conv2dConfig } from '../../../ops/conv2d.js';
import type { WasmRuntime } from '../runtime.js';
import type { Block } from '../arena.js';
import { threadsFor } from './fused.js';

/** Bytes of im2col (or dcol) rows a block may take, as the forward's. */
const BLOCK_BYTES = 192 * 1024;

/** Pixels per block for `rows` rows of 4-byte values: a multiple of 8 (at most P rounded up). */
function blockPixels(rows: number, P: number): number {
  return Math.min(Math.ceil(P / 8) * 8, Math.max(8, Math.floor(BLOCK_BYTES / (4 * rows)) & ~7));
}

/** Addresses of the gradients to write (0: not wanted), each sized as the reference's. */
export interface Conv2dGradPtrs {
  dx: number;
  dw: number;
  db: number;
}

/** The dense (Cout, C, kH, kW) weights of a connection-table conv (at `w`), zero where the table has no pair. */
export function denseTableWeights(rt: WasmRuntime, cfg: Conv2dConfig, w: number): Block {
  const { offsets, indices } = cfg.table!;
  const khw = cfg.kernelH * cfg.kernelW;
  const C = cfg.inChannels;
  const block = rt.arena.zeros(cfg.outChannels * C * khw * 4, 'conv2dBackward dense weights');
  const dense = block.f32(cfg.outChannels * C * khw);
  const compact = new Float32Array(rt.arena.memory.buffer, w, indices.length * khw);
  for (let o = 0; o < cfg.outChannels; o++) {
    for (let j = offsets[o]; j < offsets[o + 1]; j++) dense.set(compact.subarray(j * khw, (j + 1) * khw), (o * C + indices[j]) * khw);
  }
  return block;
}

/** A connection-table conv's geometry as the dense convolution of its expanded weights. */
export function denseTableConfig(cfg: Conv2dConfig): Conv2dConfig {
  return { ...cfg, table: undefined, groups: 1, inPerGroup: cfg.inChannels, outPerGroup: cfg.outChannels };
}

export function conv2dBackwardWasm(rt: WasmRuntime, x: number, w: number, dy: number, cfg: Conv2dConfig, out: Conv2dGradPtrs): void {
  if (cfg.table) {
    const khw = cfg.kernelH * cfg.kernelW;
    const C = cfg.inChannels;
    const wd = denseTableWeights(rt, cfg, w);
    const dwd = out.dw ? rt.arena.alloc(cfg.outChannels * C * khw * 4, 'conv2dBackward dense dw') : undefined;
    try {
      conv2dBackwardWasm(rt, x, wd.ptr, dy, denseTableConfig(cfg), { ...out, dw: dwd?.ptr ?? 0 });
      if (dwd) {
        const { offsets, indices } = cfg.table;
        const from = dwd.f32(cfg.outChannels * C * khw);
        const to = new Float32Array(rt.arena.memory.buffer, out.dw, indices.length * khw);
        for (let o = 0; o < cfg.outChannels; o++) {
          for (let j = offsets[o]; j < offsets[o + 1]; j++) to.set(from.subarray((o * C + indices[j]) * khw, (o * C + indices[j] + 1) * khw), j * khw);
        }
      }
    } finally {
      wd.release();
      dwd?.release();
    }
    return;
  }
  const { batch: N, inChannels: C, inH: H, inW: W, outChannels: Cout, kernelH: kh, kernelW: kw, outH: Ho, outW: Wo, groups: G } = cfg;
  const geometry = [N, C, H, W, Cout, Ho, Wo, kh, kw, cfg.stride[0], cfg.stride[1], cfg.pads.top, cfg.pads.left, cfg.dilation[0], cfg.dilation[1], G];
  const P = Ho * Wo;
  const khw = kh * kw;
  const Cg = C / G, Coutg = Cout / G;
  const K = Cg * khw;
  const flops = 2 * N * Cout * P * K;

  if (out.db) rt.call('conv2d_backward_bias', [dy, out.db, N, Cout, P], threadsFor(N * Cout * P, rt.threads));

  if (out.dw) {
    const nt = threadsFor(flops, rt.threads);
    // Batch slices: enough units for a few threads even with one group of few output channels.
    const natural = G * Math.ceil(Coutg / 8);
    const S = natural >= 8 ? 1 : Math.min(N, Math.ceil(8 / natural));
    // Blocks run over a slice's pixels of all its images (small P: a block spans images).
    const nb = blockPixels(K, Math.ceil(N / S) * P);
    // Chunks of output channels (multiples of 8), then of input channels, until every thread has work.
    let coChunks = 1, cChunks = 1;
    const coMax = Math.ceil(Coutg / 8);
    while (S * G * coChunks * cChunks < 2 * nt && (coChunks < coMax || cChunks < Cg)) {
      if (coChunks < coMax) coChunks++;
      else cChunks++;
    }
    const coPer = Math.ceil(Math.ceil(Coutg / coChunks) / 8) * 8;
    const cPer = Math.ceil(Cg / cChunks);
    const ldT = coPer * 4;
    const perThread = 256 + cPer * khw * nb * 4 + nb * ldT + 64;
    const scratch = rt.arena.alloc(perThread * nt, 'conv2dBackward scratch');
    const parts = S > 1 ? rt.arena.alloc(S * Cout * K * 4, 'conv2dBackward partial dw') : undefined;
    try {
      rt.call('conv2d_backward_weight', [x, dy, parts?.ptr ?? out.dw, scratch.ptr, perThread, ...geometry, nb, S, cChunks, coPer, ldT], nt);
      if (parts) rt.call('sum_slices', [out.dw, parts.ptr, Cout * K, S], threadsFor(S * Cout * K, rt.threads));
    } finally {
      scratch.release();
      parts?.release();
    }
  }

  if (out.dx) {
    const nt = threadsFor(flops, rt.threads);
    const nb = blockPixels(khw, P);
    const perThread = 128 + Math.ceil((khw * Coutg * 4) / 64) * 64 + khw * nb * 4 + 64;
    const scratch = rt.arena.alloc(perThread * nt, 'conv2dBackward scratch');
    try {
      rt.call('conv2d_backward_input', [w, dy, out.dx, scratch.ptr, perThread, ...geometry, nb], nt);
    } finally {
      scratch.release();
    }
  }
}
