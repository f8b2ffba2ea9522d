/**
 * The ops that take a `SplitTensor` (a parameter held in row blocks, split_tensor.ts), run one
 * block at a time with the ordinary kernels. A dense weight (out, in) is split by output rows,
 * so block i gives output columns [starts[i], …) of y; a conv2d weight (Cout, C, kH, kW) by
 * output channels, so block i gives channels [starts[i], …). The blocks' outputs are joined by
 * concat along axis 1; in the backward, dy is sliced the same way, dx is the sum of the blocks'
 * contributions, and dw comes back split like w. An optimizer step runs block by block over
 * parameter, gradient and state split alike.
 */
import { LimitExceededError } from '../../errors.js';
import { fmtShape } from '../../shape.js';
import type { Activation } from '../../ops/activation.js';
import type { Conv2dParams } from '../../ops/conv2d.js';
import type { GradRequest, SgdParams, AdamParams } from '../training.js';
import type { KernelContext } from './kernel_context.js';
import type { GpuTensor } from './gpu_tensor.js';
import { SplitTensor } from './split_tensor.js';
import { denseGpu } from './kernels/matmul.js';
import { denseBackwardGpu } from './kernels/matmul_backward.js';
import { conv2dGpu } from './kernels/conv2d.js';
import { conv2dBackwardGpu } from './kernels/conv2d_backward.js';
import { concatGpu, sliceGpu } from './kernels/tensor_ops.js';
import { addGpu } from './kernels/elementwise.js';
import { sgdStepGpu, adamStepGpu } from './kernels/optimizer.js';

type Grads = { dx?: GpuTensor; dw?: GpuTensor | SplitTensor; db?: GpuTensor };

/** The error for an op that cannot run on a split tensor. */
export function splitRefused(op: string, what: string, t: SplitTensor, maxBytes: number): LimitExceededError {
  return new LimitExceededError(
    `${op}: ${what} ${fmtShape(t.shape)} (${t.size * 4} bytes, more than this device's maxStorageBufferBindingSize, ${maxBytes} bytes) is held in ${t.parts.length} blocks of rows; ` +
      `${op} cannot read a split tensor (only the weights of dense, and of conv2d without groups, can be split)`,
  );
}

/** Runs `fn` on each block of w with its slice of the bias (or of dy), joining the outputs along axis 1. */
function byBlocks(be: KernelContext, w: SplitTensor, bias: GpuTensor | undefined, fn: (wi: GpuTensor, bi: GpuTensor | undefined) => GpuTensor): GpuTensor {
  const starts = w.starts;
  const ys = w.parts.map((wi, i) => {
    const bi = bias && sliceGpu(be, bias, 0, starts[i], wi.shape[0]);
    try {
      return fn(wi, bi);
    } finally {
      bi?.dispose();
    }
  });
  try {
    return concatGpu(be, ys, 1);
  } finally {
    for (const y of ys) y.dispose();
  }
}

export function denseSplit(be: KernelContext, x: GpuTensor, w: SplitTensor, bias: GpuTensor | undefined, act: Activation | undefined): GpuTensor {
  return byBlocks(be, w, bias, (wi, bi) => denseGpu(be, x, wi, bi, act));
}

export function conv2dSplit(be: KernelContext, x: GpuTensor, w: SplitTensor, bias: GpuTensor | undefined, params: Conv2dParams): GpuTensor {
  if ((params.groups ?? 1) !== 1 || params.connectionTable) throw splitRefused('conv2d with groups or a connection table', 'weights', w, be.limits.maxStorageBufferBindingSize);
  return byBlocks(be, w, bias, (wi, bi) => conv2dGpu(be, x, wi, bi, params));
}

/** The backward of a block-split op: each block's gradients from its slice of dy (axis 1), then dx summed, dw split, db joined. */
function backwardByBlocks(be: KernelContext, w: SplitTensor, dy: GpuTensor, fn: (wi: GpuTensor, dyi: GpuTensor) => Grads): Grads {
  const starts = w.starts;
  const parts = w.parts.map((wi, i) => {
    const dyi = sliceGpu(be, dy, 1, starts[i], wi.shape[0]);
    try {
      return fn(wi, dyi);
    } finally {
      dyi.dispose();
    }
  });
  let dx: GpuTensor | undefined;
  for (const p of parts) {
    if (!p.dx) continue;
    if (!dx) {
      dx = p.dx;
      continue;
    }
    const sum = addGpu(be, dx, p.dx);
    dx.dispose();
    p.dx.dispose();
    dx = sum;
  }
  const dws = parts.map((p) => p.dw as GpuTensor | undefined);
  const dw = dws.every((d) => d !== undefined) ? new SplitTensor(w.backend, dws as GpuTensor[], w.shape) : undefined;
  const dbs = parts.map((p) => p.db);
  let db: GpuTensor | undefined;
  if (dbs.every((d) => d !== undefined)) {
    db = concatGpu(be, dbs as GpuTensor[], 0);
    for (const d of dbs) d!.dispose();
  }
  return { dx, dw, db };
}

export function denseBackwardSplit(be: KernelContext, x: GpuTensor, w: SplitTensor, dy: GpuTensor, want: GradRequest): Grads {
  return backwardByBlocks(be, w, dy, (wi, dyi) => denseBackwardGpu(be, x, wi, dyi, want));
}

export function conv2dBackwardSplit(be: KernelContext, x: GpuTensor, w: SplitTensor, dy: GpuTensor, params: Conv2dParams, want: GradRequest): Grads {
  if ((params.groups ?? 1) !== 1 || params.connectionTable) throw splitRefused('conv2dBackward with groups or a connection table', 'weights', w, be.limits.maxStorageBufferBindingSize);
  return backwardByBlocks(be, w, dy, (wi, dyi) => conv2dBackwardGpu(be, x, wi, dyi, params, want));
}

/** The blocks of `t` when split like `param`, or an error naming `what`. */
function alike(op: string, param: SplitTensor, t: GpuTensor | SplitTensor, what: string, maxBytes: number): readonly GpuTensor[] {
  const same = t instanceof SplitTensor && t.parts.length === param.parts.length && t.parts.every((p, i) => p.shape[0] === param.parts[i].shape[0]);
  if (!same) {
    throw new LimitExceededError(`${op}: the parameter ${fmtShape(param.shape)} is held in ${param.parts.length} blocks (over maxStorageBufferBindingSize, ${maxBytes} bytes), but its ${what} ${fmtShape(t.shape)} is not split alike`);
  }
  return (t as SplitTensor).parts;
}

export function sgdStepSplit(be: KernelContext, param: SplitTensor, grad: GpuTensor | SplitTensor, velocity: GpuTensor | SplitTensor | undefined, hyper: GpuTensor, params: SgdParams): void {
  const max = be.limits.maxStorageBufferBindingSize;
  const g = alike('sgdStep', param, grad, 'gradient', max);
  const v = velocity && alike('sgdStep', param, velocity, 'velocity', max);
  param.parts.forEach((p, i) => sgdStepGpu(be, p, g[i], v?.[i], hyper, params));
}

export function adamStepSplit(be: KernelContext, param: SplitTensor, grad: GpuTensor | SplitTensor, m: GpuTensor | SplitTensor, v: GpuTensor | SplitTensor, hyper: GpuTensor, params: AdamParams): void {
  const max = be.limits.maxStorageBufferBindingSize;
  const g = alike('adamStep', param, grad, 'gradient', max);
  const ms = alike('adamStep', param, m, 'first moment', max);
  const vs = alike('adamStep', param, v, 'second moment', max);
  param.parts.forEach((p, i) => adamStepGpu(be, p, g[i], ms[i], vs[i], hyper, params));
}
