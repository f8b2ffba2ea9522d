/**
 * WebGPU backward of dense and LeNet-5's RBF layer, and the losses:
 * - denseBackward: dx = dy·W and dW = dyᵀ·x on the matmul kernels (`matmulGpu`), db = Σ_n dy
 *   with the column-sum kernel of shaders/reduce.wgsl.
 * - rbfBackward: two gather kernels of shaders/reduce.wgsl (over the classes for dx, over the
 *   batch for the centers' gradient).
 * - softmaxCrossEntropy, mseLoss, rbfLoss: one workgroup per sample (shaders/loss.wgsl).
 * Shapes are checked by the same functions as the CPU reference, before any GPU work. Label
 * values are not (that would need a readback): the loss kernels clamp them into range, and the
 * trainer validates labels on the host with `checkClassLabels` before uploading them.
 */
import reduceWgsl from '../../../../shaders/reduce.wgsl?raw';
import lossWgsl from '../../../../shaders/loss.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, packUniforms, grid1d, ceilDiv } from '../program.js';
import { matmulGpu } from './matmul.js';
import type { Activation } from '../../../ops/activation.js';
import type { GradRequest } from '../../training.js';
import {
  inferDenseBackward,
  inferRbfBackward,
  inferLabelLoss,
  inferMseLoss,
  resolveGradRequest,
} from '../../cpu/matmul_backward.js';

// Entry points of one module share its name (and so the compiled module).
const SUM_AXIS: KernelSpec = { name: 'reduce', code: reduceWgsl, entryPoint: 'sum_axis', bindings: ['uniform', 'read', 'write'] };
const RBF_DX: KernelSpec = { name: 'reduce', code: reduceWgsl, entryPoint: 'rbf_dx', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const RBF_DCENTERS: KernelSpec = { name: 'reduce', code: reduceWgsl, entryPoint: 'rbf_dcenters', bindings: ['uniform', 'read', 'read', 'read', 'write'] };
const lossKernel = (entryPoint: string): KernelSpec => ({ name: 'loss', code: lossWgsl, entryPoint, bindings: ['uniform', 'read', 'read', 'write', 'write'] });
const SOFTMAX_XENT = lossKernel('softmax_cross_entropy');
const MSE = lossKernel('mse');
const RBF_LOSS = lossKernel('rbf_loss');

/** Workgroup of the elementwise kernel (4 values per invocation). */
const ELEMENTWISE_WG = 256;
/** Workgroup of the gather reductions (one output per invocation). */
const GATHER_WG = 64;

/** out[o, i] = Σ_j x[o, j, i] for x viewed as (outer, len, inner); the output has `outShape`. */
function sumAxis(be: WebGpuBackend, x: GpuTensor, outer: number, len: number, inner: number, outShape: number[], op: string): GpuTensor {
  const out = be.empty(outShape, op);
  const count = outer * inner;
  if (count === 0) return out;
  be.run(
    {
      kernel: SUM_AXIS,
      overrides: { WG: GATHER_WG },
      uniforms: packUniforms([['u32', count], ['u32', len], ['u32', inner]]),
      workgroups: grid1d(ceilDiv(count, GATHER_WG), be.limits.maxComputeWorkgroupsPerDimension, op),
      label: op,
    },
    [x, out],
  );
  return out;
}

export function denseBackwardGpu(be: WebGpuBackend, x: GpuTensor, w: GpuTensor, dy: GpuTensor, want: GradRequest): { dx?: GpuTensor; dw?: GpuTensor; db?: GpuTensor } {
  const { n, outF } = inferDenseBackward(x.shape, w.shape, dy.shape);
  const req = resolveGradRequest(want);
  return {
    // (N, in) = dy (N, out) · W (out, in)
    dx: req.input ? matmulGpu(be, dy, w, undefined, { name: 'denseBackward dx' }) : undefined,
    // (out, in) = dyᵀ (out, N) · x (N, in)
    dw: req.weight ? matmulGpu(be, dy, x, undefined, { transposeA: true, name: 'denseBackward dW' }) : undefined,
    // (out) = Σ_n dy (N, out): a column sum
    db: req.bias ? sumAxis(be, dy, 1, n, outF, [outF], 'denseBackward db') : undefined,
  };
}

export function rbfBackwardGpu(be: WebGpuBackend, x: GpuTensor, centers: GpuTensor, dy: GpuTensor): { dx: GpuTensor; dcenters: GpuTensor } {
  const { n, f, k } = inferRbfBackward(x.shape, centers.shape, dy.shape);
  const uniforms = packUniforms([['u32', n], ['u32', f], ['u32', k]]);
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  const gather = (kernel: KernelSpec, shape: number[], label: string): GpuTensor => {
    const out = be.empty(shape, label);
    if (out.size === 0) return out;
    be.run(
      { kernel, overrides: { WG: GATHER_WG }, uniforms, workgroups: grid1d(ceilDiv(out.size, GATHER_WG), maxDim, label), label },
      [x, centers, dy, out],
    );
    return out;
  };
  return {
    dx: gather(RBF_DX, [n, f], 'rbfBackward dx'), // (N, F)
    dcenters: gather(RBF_DCENTERS, [k, f], 'rbfBackward dcenters'), // (K, F)
  };
}

/** Loss workgroup size: the row length rounded up to a power of two, in [32, 256]. */
function lossWorkgroup(cols: number, maxInvocations: number): number {
  const cap = Math.min(256, maxInvocations);
  let wg = 1;
  while (wg * 2 <= cap && (wg < 32 || wg < cols)) wg *= 2;
  return wg;
}

/** Records one loss kernel over n rows of k values; `aux` is the labels or the target. */
function runLoss(be: WebGpuBackend, kernel: KernelSpec, op: string, pred: GpuTensor, aux: GpuTensor, n: number, k: number): { loss: GpuTensor; grad: GpuTensor } {
  const loss = be.empty([n], `${op} loss`);
  const grad = be.empty(pred.shape, `${op} grad`);
  if (n === 0) return { loss, grad };
  be.run(
    {
      kernel,
      overrides: { WG: lossWorkgroup(k, be.limits.maxComputeInvocationsPerWorkgroup) },
      uniforms: packUniforms([['u32', n], ['u32', k]]),
      workgroups: grid1d(n, be.limits.maxComputeWorkgroupsPerDimension, op),
      label: op,
    },
    [pred, aux, loss, grad],
  );
  return { loss, grad };
}

export function softmaxCrossEntropyGpu(be: WebGpuBackend, logits: GpuTensor, labels: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  const { n, k } = inferLabelLoss('softmaxCrossEntropy', logits.shape, labels.shape, 'logits');
  return runLoss(be, SOFTMAX_XENT, 'softmaxCrossEntropy', logits, labels, n, k);
}

export function mseLossGpu(be: WebGpuBackend, pred: GpuTensor, target: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  const { n, k } = inferMseLoss(pred.shape, target.shape);
  return runLoss(be, MSE, 'mseLoss', pred, target, n, k);
}

export function rbfLossGpu(be: WebGpuBackend, distances: GpuTensor, labels: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  const { n, k } = inferLabelLoss('rbfLoss', distances.shape, labels.shape, 'distances');
  return runLoss(be, RBF_LOSS, 'rbfLoss', distances, labels, n, k);
}
