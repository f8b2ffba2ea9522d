/**
 * The wasm backend's training kernels besides conv2d's backward (wasm/train_ops.ts): dense's
 * backward, activation gradients, pooling and subsampling backward, SGD and Adam steps. Each
 * takes addresses in the backend's memory and sizes already checked by the ops' infer functions.
 */
import type { ActivationConfig } from '../../../ops/activation.js';
import type { Pool2dConfig, SubsampleConfig } from '../../../ops/pool.js';
import type { SgdConfig, AdamConfig } from '../../../ops/optimizer.js';
import type { WasmRuntime } from '../runtime.js';
import { activationArgs, threadsFor } from './fused.js';

/**
 * Elementwise work is bound by memory and a pass over 256k values takes ~0.1 ms on one core,
 * about what waking the workers costs: threads only from 1M values.
 */
const elementwise = (rt: WasmRuntime, count: number) => (count < 1 << 20 ? 1 : rt.threads);

/** dx = dy·w (N, IN), dw = dyᵀ·x (OUT, IN), db = Σ_n dy (OUT); 0 for a gradient not wanted. */
export function denseBackwardWasm(rt: WasmRuntime, x: number, w: number, dy: number, N: number, IN: number, OUT: number, dx: number, dw: number, db: number): void {
  const nt = threadsFor(2 * N * IN * OUT, rt.threads);
  if (dx) {
    const scratch = rt.arena.alloc(128 * nt, 'denseBackward scratch');
    try {
      rt.call('dense_backward_input', [dy, w, dx, N, IN, OUT, scratch.ptr, 128], nt);
    } finally {
      scratch.release();
    }
  }
  if (dw || db) {
    const perThread = 128 + 4 * N * 4 + 64;
    const scratch = rt.arena.alloc(perThread * nt, 'denseBackward scratch');
    try {
      rt.call('dense_backward_weight', [x, dy, dw, db, N, IN, OUT, scratch.ptr, perThread], nt);
    } finally {
      scratch.release();
    }
  }
}

/** The activations whose gradient wasm/train_ops.ts computes (all from the output y). */
const GRADS = new Set(['relu', 'leakyRelu', 'clip', 'sigmoid', 'tanh', 'scaledTanh']);

/** Whether activationBackwardWasm computes `act`'s gradient. */
export function hasActivationGrad(act: ActivationConfig): boolean {
  return GRADS.has(act.name);
}

export function activationBackwardWasm(rt: WasmRuntime, y: number, dy: number, dx: number, count: number, act: ActivationConfig): void {
  rt.call('activation_backward', [y, dy, dx, count, act.code, { f32: act.a }, { f32: act.b }], elementwise(rt, count));
}

export function pool2dBackwardWasm(rt: WasmRuntime, x: number, dy: number, dx: number, g: Pool2dConfig): void {
  const { pads } = g;
  rt.call(
    'pool2d_backward',
    [x, dy, dx, g.n * g.c, g.h, g.w, g.ho, g.wo, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1], pads.top, pads.left, pads.bottom, pads.right, g.type === 'avg' ? 1 : 0, g.countIncludePad ? 1 : 0],
    threadsFor(g.n * g.c * g.ho * g.wo * g.kernel[0] * g.kernel[1] * 4, rt.threads),
  );
}

export function subsampleBackwardWasm(rt: WasmRuntime, x: number, coeff: number, dy: number, dx: number, dcoeff: number, dbias: number, g: SubsampleConfig): void {
  rt.call(
    'subsample_backward',
    [x, coeff, dy, dx, dcoeff, dbias, g.n, g.c, g.h, g.w, g.ho, g.wo, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1]],
    threadsFor(g.n * g.c * g.ho * g.wo * g.kernel[0] * g.kernel[1] * 4, rt.threads),
  );
}

export function sgdStepWasm(rt: WasmRuntime, param: number, grad: number, velocity: number, hyper: number, count: number, cfg: SgdConfig): void {
  rt.call('sgd_step', [param, grad, cfg.momentum > 0 ? velocity : 0, hyper, count, { f32: cfg.momentum }, { f32: cfg.weightDecay }, cfg.nesterov ? 1 : 0], elementwise(rt, count));
}

export function adamStepWasm(rt: WasmRuntime, param: number, grad: number, m: number, v: number, hyper: number, count: number, cfg: AdamConfig): void {
  rt.call('adam_step', [param, grad, m, v, hyper, count, { f32: cfg.beta1 }, { f32: cfg.beta2 }, { f32: cfg.epsilon }, { f32: cfg.weightDecay }], elementwise(rt, count));
}

/** LeNet-5's subsampling into `y`, with its activation when the kernel's epilogue applies it (see fusesActivation). */
export function subsampleWasm(rt: WasmRuntime, x: number, coeff: number, bias: number, y: number, g: SubsampleConfig): void {
  rt.call(
    'subsample',
    [x, coeff, bias, y, g.n, g.c, g.h, g.w, g.ho, g.wo, g.kernel[0], g.kernel[1], g.stride[0], g.stride[1], ...activationArgs(g.activation)],
    threadsFor(g.n * g.c * g.ho * g.wo * g.kernel[0] * g.kernel[1] * 2, rt.threads),
  );
}
