/**
 * conv2d on the wasm backend (wasm/conv2d.ts): im2col + the 4×8 GEMM microkernel, blocks of
 * output pixels sized so a block's im2col rows stay in a core's L2 cache. Connection-table
 * mode is not here: the backend runs it on the reference kernel.
 */
import type { Conv2dConfig } from '../../../ops/conv2d.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { activationArgs, threadsFor } from './fused.js';
import { depthwiseConv2dWasm, isDepthwise } from './depthwise.js';

/** Bytes of im2col rows a block may take. */
const BLOCK_BYTES = 192 * 1024;

export function conv2dWasm(rt: WasmRuntime, x: WasmTensor, w: WasmTensor, bias: WasmTensor | undefined, cfg: Conv2dConfig, y: WasmTensor): void {
  if (isDepthwise(cfg)) return depthwiseConv2dWasm(rt, x, w, bias, cfg, y);
  const { batch: N, inChannels: C, inH: H, inW: W, outChannels: Cout, kernelH: kh, kernelW: kw, outH: Ho, outW: Wo, groups: G } = cfg;
  const P = Ho * Wo;
  const K = (C / G) * kh * kw;
  const Pr = Math.ceil(P / 8) * 8;
  const nb = Math.min(Pr, Math.max(8, Math.floor(BLOCK_BYTES / (4 * K)) & ~7));
  const blocks = Math.ceil(P / nb);
  const nt = threadsFor(2 * N * Cout * P * K, rt.threads);
  // Too few blocks for the threads: split each group's output channels too.
  const units = N * G * blocks;
  const mChunks = units >= 2 * nt ? 1 : Math.min(Math.ceil(Cout / G / 4), Math.ceil((2 * nt) / units));
  const perThread = 128 + K * nb * 4 + 64;
  const scratch = rt.arena.alloc(perThread * nt, 'conv2d scratch');
  try {
    rt.call(
      'conv2d',
      [
        x.ptr, w.ptr, bias?.ptr ?? 0, y.ptr, scratch.ptr, perThread,
        N, C, H, W, Cout, Ho, Wo, kh, kw, cfg.stride[0], cfg.stride[1], cfg.pads.top, cfg.pads.left, cfg.dilation[0], cfg.dilation[1], G,
        ...activationArgs(cfg.activation), nb, mChunks,
      ],
      nt,
    );
  } finally {
    scratch.release();
  }
}
