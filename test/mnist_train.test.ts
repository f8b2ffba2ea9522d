// A short GPU training run on real MNIST: LeNet on the first 1,024 training images lowers its
// loss and classifies held-out test digits far above chance (10%).
import { expect } from 'vitest';
import { createModel } from 'webcnn';
import { fit, evaluate, loadMnist } from 'webcnn/train';
import { gpuIt } from './helpers/gpu.js';

gpuIt('lenet trains on an MNIST subset on the GPU', async (gpu) => {
  const train = await loadMnist('train', { limit: 1024 });
  const test = await loadMnist('test', { limit: 500 });
  const model = createModel('lenet', { backend: gpu, seed: 3 });
  const before = await evaluate(model, test);
  const history = await fit(model, train, { epochs: 2, batchSize: 32, optimizer: { type: 'adam', lr: 2e-3 }, seed: 1 });
  const after = await evaluate(model, test);
  expect(history.epochs).toHaveLength(2);
  expect(after.loss).toBeLessThan(before.loss * 0.5);
  expect(after.accuracy).toBeGreaterThanOrEqual(0.7); // 78% measured: 64 steps on 1,024 images
  console.log(`MNIST subset: accuracy ${before.accuracy} -> ${after.accuracy}, ${history.epochs.map((e) => e.imagesPerSec.toFixed(0)).join(', ')} images/s`);
  model.dispose();
}, 300_000);
