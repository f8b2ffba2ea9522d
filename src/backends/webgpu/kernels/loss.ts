/**
 * WebGPU losses: softmax cross-entropy, mean squared error and LeCun's Euclidean RBF loss, one
 * workgroup per sample (shaders/loss.wgsl), each giving the per-sample loss (N) and the gradient
 * of the batch mean. Shapes are checked by the same functions as the CPU reference
 * (src/ops/loss.ts), before any GPU work. Label values are not (that would need a readback):
 * the kernels clamp them into range, and a trainer validates labels on the host with
 * `checkClassLabels` before uploading them.
 */
import lossWgsl from '../../../../shaders/loss.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, rowWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE, IEEE_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { inferLabelLoss, inferMseLoss } from '../../../ops/loss.js';

/** loss.wgsl's uniforms: the prediction is (rows, cols) = (N, K). */
const LOSS_PARAMS = uniformStruct('LossParams', { rows: 'u32', cols: 'u32' });

// Entry points of one module share its name (and so the compiled module).
const CODE = withPreludes(lossWgsl, LOSS_PARAMS, INDEX_PRELUDE, IEEE_PRELUDE);
const lossKernel = (entryPoint: string): KernelSpec => ({ name: 'loss', code: CODE, entryPoint, bindings: ['uniform', 'read', 'read', 'write', 'write'] });
const SOFTMAX_XENT = lossKernel('softmax_cross_entropy');
const MSE = lossKernel('mse');
const RBF_LOSS = lossKernel('rbf_loss');

/** Records one loss kernel over n rows of k values; `aux` is the labels or the target. */
function runLoss(be: KernelContext, kernel: KernelSpec, op: string, pred: GpuTensor, aux: GpuTensor, n: number, k: number): { loss: GpuTensor; grad: GpuTensor } {
  const loss = be.empty([n], `${op} loss`); // (N)
  const grad = be.empty(pred.shape, `${op} grad`); // pred's shape
  if (n === 0) return { loss, grad };
  be.run(
    {
      kernel,
      overrides: { WG: rowWorkgroup(k, be.limits.maxComputeInvocationsPerWorkgroup) },
      uniforms: LOSS_PARAMS.pack({ rows: n, cols: k }),
      workgroups: grid1d(n, be.limits.maxComputeWorkgroupsPerDimension, op),
      label: op,
    },
    [pred, aux, loss, grad],
  );
  return { loss, grad };
}

export function softmaxCrossEntropyGpu(be: KernelContext, logits: GpuTensor, labels: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  const { n, k } = inferLabelLoss('softmaxCrossEntropy', logits.shape, labels.shape, 'logits');
  return runLoss(be, SOFTMAX_XENT, 'softmaxCrossEntropy', logits, labels, n, k);
}

export function mseLossGpu(be: KernelContext, pred: GpuTensor, target: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  const { n, k } = inferMseLoss(pred.shape, target.shape);
  return runLoss(be, MSE, 'mseLoss', pred, target, n, k);
}

export function rbfLossGpu(be: KernelContext, distances: GpuTensor, labels: GpuTensor): { loss: GpuTensor; grad: GpuTensor } {
  const { n, k } = inferLabelLoss('rbfLoss', distances.shape, labels.shape, 'distances');
  return runLoss(be, RBF_LOSS, 'rbfLoss', distances, labels, n, k);
}
