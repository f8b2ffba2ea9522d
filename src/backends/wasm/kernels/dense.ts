/** dense on the wasm backend (wasm/dense.ts): dot products for batches under 4, else the GEMM microkernel. */
import type { MatmulGeometry } from '../../../ops/matmul.js';
import type { WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { activationArgs, threadsFor } from './fused.js';

/** g: dense's geometry (M = batch rows, K = in, N = out). */
export function denseWasm(rt: WasmRuntime, x: WasmTensor, w: WasmTensor, bias: WasmTensor | undefined, g: MatmulGeometry, y: WasmTensor): void {
  const rows = g.M, IN = g.K, OUT = g.N;
  const nt = threadsFor(2 * rows * IN * OUT, rt.threads);
  const perThread = 128 + (rows < 4 ? 0 : IN * Math.ceil(rows / 8) * 8 * 4) + 64;
  const scratch = rt.arena.alloc(perThread * nt, 'dense scratch');
  try {
    rt.call('dense', [x.ptr, w.ptr, bias?.ptr ?? 0, y.ptr, scratch.ptr, perThread, rows, IN, OUT, ...activationArgs(g.act)], nt);
  } finally {
    scratch.release();
  }
}
