/**
 * CPU reference of the losses: softmax cross-entropy, mean squared error and LeCun's Euclidean
 * RBF loss, each giving the per-sample loss (N) and the gradient of the batch mean. Naive loops,
 * float64 accumulation, float32 storage. Shape inference: src/ops/loss.ts.
 */
import type { HostTensor } from './host_tensor.js';
import { inferLabelLoss, inferMseLoss, checkClassLabels } from '../../ops/loss.js';

export function softmaxCrossEntropyCpu(logits: HostTensor, labels: HostTensor): { loss: HostTensor; grad: HostTensor } {
  const op = 'softmaxCrossEntropy';
  const { n, k } = inferLabelLoss(op, logits.shape, labels.shape, 'logits');
  checkClassLabels(op, labels.data, k);
  const loss = new Float32Array(n); // (N)
  const grad = new Float32Array(n * k); // (N, K)
  for (let s = 0; s < n; s++) {
    const row = s * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits.data[row + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits.data[row + j] - max);
    const label = labels.data[s];
    // −log softmax[label] = log Σ exp(x − max) − (x[label] − max)
    loss[s] = Math.log(sum) - (logits.data[row + label] - max);
    for (let j = 0; j < k; j++) {
      const p = Math.exp(logits.data[row + j] - max) / sum;
      grad[row + j] = (p - (j === label ? 1 : 0)) / n;
    }
  }
  return { loss: { data: loss, shape: [n] }, grad: { data: grad, shape: [n, k] } };
}

export function mseLossCpu(pred: HostTensor, target: HostTensor): { loss: HostTensor; grad: HostTensor } {
  const { n, k } = inferMseLoss(pred.shape, target.shape);
  const loss = new Float32Array(n); // (N)
  const grad = new Float32Array(n * k); // pred's shape
  for (let s = 0; s < n; s++) {
    let acc = 0;
    for (let j = s * k; j < (s + 1) * k; j++) {
      const d = pred.data[j] - target.data[j];
      acc += d * d;
      grad[j] = d / n;
    }
    loss[s] = 0.5 * acc;
  }
  return { loss: { data: loss, shape: [n] }, grad: { data: grad, shape: pred.shape } };
}

export function rbfLossCpu(distances: HostTensor, labels: HostTensor): { loss: HostTensor; grad: HostTensor } {
  const op = 'rbfLoss';
  const { n, k } = inferLabelLoss(op, distances.shape, labels.shape, 'distances');
  checkClassLabels(op, labels.data, k);
  const loss = new Float32Array(n); // (N)
  const grad = new Float32Array(n * k); // (N, K)
  for (let s = 0; s < n; s++) {
    const label = labels.data[s];
    loss[s] = distances.data[s * k + label];
    grad[s * k + label] = 1 / n;
  }
  return { loss: { data: loss, shape: [n] }, grad: { data: grad, shape: [n, k] } };
}
