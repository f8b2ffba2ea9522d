/**
 * Elementwise ops on the wasm backend (wasm/elementwise.ts): activations over a buffer (every
 * row of the table but sin and cos; wasm/math.ts has the exp-based ones) and the broadcasting
 * binary ops (arithmetic, max/min, comparisons, prelu) with a fused activation. Broadcasting is
 * reduced to the fewest dims first (size-1 dims dropped, neighbours merged where both operands
 * step through them contiguously), so the kernel's inner loop runs along a long last dim with
 * each operand read as a vector or splatted.
 */
import type { ActivationConfig } from '../../../ops/activation.js';
import { type BinaryAttrs, binaryOpDef } from '../../../ops/binary.js';
import { normalizeActivation } from '../../../ops/activation.js';
import { inferBinary } from '../../../ops/elementwise.js';
import { sizeOf } from '../../../shape.js';
import type { WasmKernel } from '../kernels.js';
import type { Arg, WasmRuntime } from '../runtime.js';
import type { WasmTensor } from '../wasm_tensor.js';
import { fusesActivation, threadsFor } from './fused.js';

/** Threads worth waking for `n` values of elementwise work. */
function threadsForValues(n: number, rt: WasmRuntime): number {
  return threadsFor(4 * n, rt.threads);
}

/** y = act(x) (y may be x); false when the kernel does not have `act` (the reference then runs it). */
export function activationWasm(rt: WasmRuntime, x: WasmTensor, act: ActivationConfig, y: WasmTensor): boolean {
  if (!fusesActivation(act)) return false;
  const n = sizeOf(x.shape);
  rt.call('activation', [x.ptr, y.ptr, n, act.code, { f32: act.a }, { f32: act.b }], threadsForValues(n, rt));
  return true;
}

/** The binary ops wasm/elementwise.ts's op4 computes. */
const OPS: ReadonlySet<string> = new Set(['add', 'mul', 'sub', 'div', 'max', 'min', 'equal', 'less', 'lessOrEqual', 'greater', 'greaterOrEqual', 'prelu']);

/** The most dims the kernel takes after merging. */
const MAX_RANK = 8;

/** (dims, strides of a, strides of b) with size-1 dims dropped and mergeable neighbours merged. */
export function collapseBroadcast(out: readonly number[], sa: readonly number[], sb: readonly number[]): { dims: number[]; sa: number[]; sb: number[] } {
  const dims: number[] = [], ra: number[] = [], rb: number[] = [];
  out.forEach((d, i) => {
    if (d === 1) return;
    const k = dims.length - 1;
    if (k >= 0 && ra[k] === sa[i] * d && rb[k] === sb[i] * d) {
      dims[k] *= d;
      ra[k] = sa[i];
      rb[k] = sb[i];
    } else {
      dims.push(d);
      ra.push(sa[i]);
      rb.push(sb[i]);
    }
  });
  if (dims.length === 0) return { dims: [1], sa: [0], sb: [0] };
  return { dims, sa: ra, sb: rb };
}

/** y = act(a ∘ b) with broadcasting; false for an op or activation the kernel does not have. */
export function binaryWasm(rt: WasmRuntime, op: string, a: WasmTensor, b: WasmTensor, act: ActivationConfig, y: WasmTensor): boolean {
  if (!OPS.has(op) || !fusesActivation(act)) return false;
  const { outShape, aStrides, bStrides } = inferBinary(op, a.shape, b.shape);
  const c = collapseBroadcast(outShape, aStrides, bStrides);
  if (c.dims.length > MAX_RANK) return false;
  const args: Arg[] = [a.ptr, b.ptr, y.ptr, binaryOpDef(op).code, act.code, { f32: act.a }, { f32: act.b }, c.dims.length, ...c.dims, ...c.sa, ...c.sb];
  rt.call('binary', args, threadsForValues(sizeOf(outShape), rt));
  return true;
}

export const wasmKernels: Readonly<Record<string, WasmKernel>> = {
  binary: ((rt: WasmRuntime, [a, b]: readonly WasmTensor[], { op, activation }: BinaryAttrs, out: WasmTensor) =>
    binaryWasm(rt, op, a, b, normalizeActivation(op, activation), out)) as WasmKernel,
};
