/**
 * The activations the wasm kernels apply in their epilogue (wasm/common.ts `act4`, wasm/math.ts
 * `actMath4`): every row of the table but sin and cos, which run as a second pass.
 */
import type { ActivationConfig } from '../../../ops/activation.js';
import type { Arg } from '../runtime.js';

const NOT_FUSED: ReadonlySet<string> = new Set(['sin', 'cos']);

/** Whether a kernel's epilogue applies `act` itself. */
export function fusesActivation(act: ActivationConfig): boolean {
  return !NOT_FUSED.has(act.name);
}

/** The three activation arguments (code, a, b) of a kernel call: none when the epilogue cannot apply it. */
export function activationArgs(act: ActivationConfig): Arg[] {
  return fusesActivation(act) ? [act.code, { f32: act.a }, { f32: act.b }] : [0, { f32: 0 }, { f32: 0 }];
}

/** Threads worth waking for `flops` of work: one below about 0.2 MFLOP. */
export function threadsFor(flops: number, threads: number): number {
  return flops < 2e5 ? 1 : threads;
}
