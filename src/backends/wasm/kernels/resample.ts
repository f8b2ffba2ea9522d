/**
 * resample on the wasm backend (wasm/resample.ts) when it maps the last two axes (resize of
 * NCHW: U-Net's upsampling, nearest or linear or cubic); other axis layouts (pad along other
 * axes, 1-D or 3-D maps) run the reference kernel.
 */
import type { ResampleAttrs } from '../../../ops/resample.js';
import { sizeOf } from '../../../shape.js';
import type { WasmKernel } from '../kernels.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { threadsFor } from './fused.js';

function resampleWasm(rt: WasmRuntime, [x]: readonly WasmTensor[], { axis, maps, fill }: ResampleAttrs, out: WasmTensor): boolean {
  const rank = x.shape.length;
  if (maps.length !== 2 || axis !== rank - 2) return false;
  const [my, mx] = maps;
  const H = x.shape[rank - 2], W = x.shape[rank - 1];
  const Ho = my.offsets.length - 1, Wo = mx.offsets.length - 1;
  const planes = sizeOf(x.shape.slice(0, rank - 2));
  const arrays = [my.offsets, my.index, my.weight, mx.offsets, mx.index, mx.weight];
  const perThread = Math.ceil(W / 4) * 16 + 64;
  const nt = threadsFor(2 * planes * Ho * (W * (my.index.length / Math.max(Ho, 1)) + mx.index.length), rt.threads);
  const bytes = arrays.reduce((s, a) => s + Math.ceil(a.length / 16) * 64 + 64, 0) + perThread * nt;
  const block = rt.arena.alloc(bytes, 'resample maps');
  try {
    const ptrs: number[] = [];
    let at = block.ptr;
    for (const a of arrays) {
      const view = a instanceof Float32Array ? new Float32Array(rt.arena.memory.buffer, at, a.length) : new Uint32Array(rt.arena.memory.buffer, at, a.length);
      view.set(a);
      ptrs.push(at);
      at += Math.ceil(a.length / 16) * 64 + 64;
    }
    rt.call('resample2d', [x.ptr, out.ptr, planes, H, W, Ho, Wo, ...ptrs, { f32: fill }, at, perThread], nt);
  } finally {
    block.release();
  }
  return true;
}

export const wasmKernels: Readonly<Record<string, WasmKernel>> = { resample: resampleWasm as WasmKernel };
