// A loss that becomes NaN or ±Infinity stops `fit` with NonFiniteLossError, on the GPU and on
// the CPU reference: from a NaN in the data (named by its sample), and from a learning rate
// that diverges (read back only at the end of an epoch, and every batch with onBatchEnd). The
// model keeps the weights of its last completed epoch.
import { describe, expect } from 'vitest';
import { Sequential, layers, CpuBackend, NonFiniteLossError, WebCnnError, type Backend, type Model } from 'webcnn';
import { fit, type FitOptions } from 'webcnn/train';
import { gpuIt } from './helpers/gpu.js';
import { Rng } from './helpers/random.js';

function net(backend: Backend): Model {
  return new Sequential({ inputShape: [1, 4, 4], name: 'tiny', backend, seed: 2 })
    .add(layers.conv2d({ filters: 2, kernelSize: 3, padding: 1, activation: 'relu' }), 'conv')
    .add(layers.maxPool2d({ kernelSize: 2 }), 'pool')
    .add(layers.flatten(), 'flat')
    .add(layers.dense({ units: 3 }), 'fc');
}

function data(n: number): { images: Float32Array; labels: Float32Array } {
  const rng = new Rng(11);
  return { images: rng.uniform(n * 16, -1, 1), labels: Float32Array.from({ length: n }, (_, i) => i % 3) };
}

async function rejection(model: Model, d: ReturnType<typeof data>, options: FitOptions): Promise<NonFiniteLossError> {
  const err = await fit(model, d, options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NonFiniteLossError);
  expect(err).toBeInstanceOf(WebCnnError);
  return err as NonFiniteLossError;
}

const backends: [string, (gpu: Backend) => Backend][] = [
  ['GPU', (gpu) => gpu],
  ['CPU', () => new CpuBackend()],
];

describe('fit stops on a non-finite loss', () => {
  for (const [where, pick] of backends) {
    gpuIt(`${where}: a NaN in sample 5 stops fit at the batch holding it, naming the sample; the weights stay`, async (gpu) => {
      const d = data(12);
      d.images[5 * 16 + 7] = NaN;
      const model = net(pick(gpu));
      const before = model.getWeights();
      const batches: number[] = [];
      const err = await rejection(model, d, { epochs: 2, batchSize: 4, shuffle: false, callbacks: { onBatchEnd: (l) => void batches.push(l.batch) } });
      expect([err.epoch, err.batch, err.step]).toEqual([0, 1, 2]);
      expect(Number.isNaN(err.loss)).toBe(true);
      expect(err.message).toBe(
        'fit: the loss became NaN at epoch 0, batch 1 (step 2), first in the loss of sample 5 of the data: training diverged or the data holds NaN or Infinity. ' +
          'Lower the learning rate or check the inputs; the model keeps the weights of its last completed epoch.',
      );
      expect(batches, 'onBatchEnd ran for the batch before only').toEqual([0]);
      for (const [k, w] of model.getWeights()) expect(Array.from(w), k).toEqual(Array.from(before.get(k)!));
      model.dispose();
    });

    gpuIt(`${where}: SGD at lr 100 on a least-squares fit diverges; without callbacks the end-of-epoch read stops fit`, async (gpu) => {
      // Each step multiplies the residual by about 1 − lr·|x|²/N ≈ −100: it overflows within ~20 steps.
      const model = new Sequential({ inputShape: [16], name: 'linear', backend: pick(gpu), seed: 2 }).add(layers.dense({ units: 3 }), 'fc');
      const d = { images: data(16).images, labels: new Rng(12).uniform(16 * 3, -1, 1) };
      const err = await rejection(model, d, { epochs: 40, batchSize: 4, shuffle: false, loss: 'mse', optimizer: { type: 'sgd', lr: 100 } });
      expect(Number.isFinite(err.loss)).toBe(false);
      expect(err.batch, 'the loss is read at the last batch of an epoch').toBe(3);
      expect(err.step).toBe(4 * (err.epoch + 1));
      expect(err.message).toMatch(new RegExp(`^fit: the loss became (NaN|Infinity) at epoch ${err.epoch}, batch 3 \\(step ${err.step}\\) \\((no earlier loss was read back|the last loss read back, at step ${err.step - 4}, was finite)\\)`));
      model.dispose();
    });
  }
});
