/** Pooling on the wasm backend (wasm/pool.ts): pool2d max/avg with every parameter, global max/avg, adaptive average. */
import type { AdaptivePoolConfig, Pool2dConfig } from '../../../ops/pool.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { threadsFor } from './fused.js';

export function pool2dWasm(rt: WasmRuntime, x: WasmTensor, g: Pool2dConfig, y: WasmTensor): void {
  const { pads } = g;
  const nt = threadsFor(g.n * g.c * g.ho * g.wo * g.kernel[0] * g.kernel[1], rt.threads);
  rt.call(
    'pool2d',
    [
      x.ptr, y.ptr, g.n * g.c, g.h, g.w, g.ho, g.wo, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1],
      pads.top, pads.left, pads.bottom, pads.right, g.dilation[0], g.dilation[1], g.type === 'avg' ? 1 : 0, g.countIncludePad ? 1 : 0,
    ],
    nt,
  );
}

export function globalPoolWasm(rt: WasmRuntime, x: WasmTensor, g: { n: number; c: number; plane: number }, type: 'max' | 'avg', y: WasmTensor): void {
  rt.call('globalPool', [x.ptr, y.ptr, g.n * g.c, g.plane, type === 'avg' ? 1 : 0], threadsFor(g.n * g.c * g.plane, rt.threads));
}

export function adaptiveAvgPoolWasm(rt: WasmRuntime, x: WasmTensor, g: AdaptivePoolConfig, y: WasmTensor): void {
  rt.call('adaptiveAvgPool', [x.ptr, y.ptr, g.n * g.c, g.h, g.w, g.ho, g.wo], threadsFor(g.n * g.c * g.h * g.w, rt.threads));
}
