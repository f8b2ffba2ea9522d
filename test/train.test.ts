// Training: the step recorded on WebGPU matches the same step on the CPU reference (weights
// after a few SGD/Adam steps, batch norm running statistics, dropout masks), each step is one
// submit, and training lowers the loss.
import { describe, it, expect } from 'vitest';
import { Model, Sequential, input, apply, layers, CpuBackend, InvalidArgumentError, createModel, type Backend } from 'webcnn';
import { fit, evaluate, type OptimizerConfig } from 'webcnn/train';
import { gpuIt } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

/** conv → bn → relu → maxpool → residual-free concat branch → dense, with dropout. */
function smallNet(backend: Backend, seed = 1): Model {
  const x = input([2, 8, 8], 'x');
  const c1 = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 1, useBias: false }), x, 'conv1');
  const bn = apply(layers.batchNorm({ activation: 'relu' }), c1, 'bn1');
  const side = apply(layers.conv2d({ filters: 2, kernelSize: 1, activation: 'tanh' }), x, 'side');
  const cat = apply(layers.concat(), [bn, side], 'cat');
  const pool = apply(layers.maxPool2d({ kernelSize: 2 }), cat, 'pool');
  const c2 = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 1 }), pool, 'conv2');
  const res = apply(layers.add({ activation: 'relu' }), [c2, apply(layers.conv2d({ filters: 4, kernelSize: 1 }), pool, 'proj')], 'res');
  const gap = apply(layers.avgPool2d({ kernelSize: 2 }), res, 'avg');
  const flat = apply(layers.flatten(), gap, 'flat');
  const drop = apply(layers.dropout(0.25), flat, 'drop');
  const fc = apply(layers.dense({ units: 3 }), drop, 'fc');
  return new Model({ inputs: x, outputs: fc, name: 'small', backend, seed });
}

/** Three classes separable by which channel/quadrant is bright. */
function synthetic(n: number, seed: number): { images: Float32Array; labels: Float32Array } {
  const rng = new Rng(seed);
  const images = rng.uniform(n * 2 * 8 * 8, 0, 0.3);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = rng.int(0, 2);
    labels[i] = c;
    const base = i * 128;
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++) {
        if (c === 0 && y < 4) images[base + y * 8 + x] += 1;
        if (c === 1 && y >= 4) images[base + 64 + y * 8 + x] += 1;
        if (c === 2 && x < 4) images[base + y * 8 + x] += 1;
      }
    }
  }
  return { images, labels };
}

describe('fit on WebGPU vs the CPU reference', () => {
  const optimizers: [string, OptimizerConfig][] = [
    ['sgd+nesterov', { type: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }],
    ['adam', { type: 'adam', lr: 0.01 }],
  ];
  for (const [name, optimizer] of optimizers) {
    gpuIt(`three ${name} steps give the same weights, running statistics and losses`, async (gpu) => {
      const data = synthetic(12, 3);
      const onGpu = smallNet(gpu);
      const onCpu = smallNet(new CpuBackend());
      const opts = { epochs: 1, batchSize: 4, optimizer, shuffle: true, seed: 9 } as const;
      const losses: Record<string, number[]> = { gpu: [], cpu: [] };
      await fit(onGpu, data, { ...opts, callbacks: { onBatchEnd: (l) => void losses.gpu.push(l.loss!) } });
      await fit(onCpu, data, { ...opts, callbacks: { onBatchEnd: (l) => void losses.cpu.push(l.loss!) } });
      expectClose(losses.gpu, losses.cpu, { atol: 1e-4, rtol: 1e-3 }, 'batch losses');
      const wg = onGpu.getWeights();
      for (const [k, v] of onCpu.getWeights()) expectClose(wg.get(k)!, v, { atol: 1e-4, rtol: 1e-3 }, k);
      onGpu.dispose();
    });
  }

  gpuIt('each training step is one submit; no readback unless asked', async (gpu) => {
    const model = smallNet(gpu);
    const submits: number[] = [];
    await fit(model, synthetic(20, 4), {
      batchSize: 4,
      logEvery: 1000,
      callbacks: { onBatchEnd: () => void submits.push(gpu.submitCount) },
    });
    const deltas = submits.slice(1).map((s, i) => s - submits[i]);
    expect(deltas).toEqual([1, 1, 1, 1]);
    model.dispose();
  });

  gpuIt('training lowers the loss and learns a separable problem', async (gpu) => {
    const model = smallNet(gpu, 2);
    const train = synthetic(96, 5);
    const test = synthetic(48, 6);
    const before = await evaluate(model, test);
    const history = await fit(model, train, { epochs: 4, batchSize: 16, optimizer: { type: 'adam', lr: 0.02 }, validationData: test });
    expect(history.epochs).toHaveLength(4);
    expect(history.epochs[3].valLoss!).toBeLessThan(before.loss);
    expect(history.epochs[3].valAccuracy!).toBeGreaterThanOrEqual(0.9);
    model.dispose();
  });
});

describe('whole-network gradients (CPU reference vs finite differences)', () => {
  // One plain SGD step with lr 1 moves every parameter by minus its gradient, so the step's
  // update is the analytic gradient of the batch's mean loss; evaluate() gives the loss.
  // lenet is checked in its smooth variant (sigmoid, average pooling): finite differences
  // across a ReLU or max-pool kink disagree with any correct gradient.
  for (const name of ['lenet5', 'lenet'] as const) {
    it(`${name}: every layer's parameters`, async () => {
      const cpu = new CpuBackend();
      const rng = new Rng(5);
      const side = name === 'lenet5' ? 32 : 28;
      const data = { images: rng.uniform(2 * side * side, 0, 1), labels: new Float32Array([3, 7]) };
      const opts = { backend: cpu, seed: 1, activation: 'sigmoid', pooling: 'avg' } as const;
      const model = createModel(name, name === 'lenet' ? opts : { backend: cpu, seed: 1 });
      const before = model.getWeights();
      await fit(model, data, { batchSize: 2, shuffle: false, optimizer: { type: 'sgd', lr: 1 } });
      const after = model.getWeights();
      const lossAt = async (key: string, i: number, delta: number) => {
        const w = new Map(before);
        const v = before.get(key)!.slice();
        v[i] += delta;
        w.set(key, v);
        const m = createModel(name, name === 'lenet' ? opts : { backend: cpu, seed: 1 });
        m.setWeights(w);
        return (await evaluate(m, data)).loss;
      };
      for (const [key, w0] of before) {
        for (const i of [0, Math.floor(w0.length / 2), w0.length - 1]) {
          const analytic = w0[i] - after.get(key)![i];
          const numeric = ((await lossAt(key, i, 1e-2)) - (await lossAt(key, i, -1e-2))) / 2e-2;
          expect(Math.abs(analytic - numeric), `${key}[${i}]: analytic ${analytic}, numeric ${numeric}`).toBeLessThanOrEqual(2e-3 + 3e-2 * Math.abs(numeric));
        }
      }
    }, 60_000);
  }
});

describe('fit input checks', () => {
  it('rejects labels outside the classes, bad options, and partial samples', async () => {
    const model = new Sequential({ inputShape: [4], backend: new CpuBackend() }).add(layers.dense({ units: 3 }), 'fc');
    const images = new Float32Array(8);
    await expect(fit(model, { images, labels: new Float32Array([0, 3]) })).rejects.toThrow('fit: label 1 is 3; labels must be class indices 0..2');
    await expect(fit(model, { images, labels: new Float32Array([0, 1.5]) })).rejects.toThrow(InvalidArgumentError);
    await expect(fit(model, { images, labels: new Float32Array([0, 1]) }, { optimizer: { type: 'sgd', lr: -1 } })).rejects.toThrow('optimizer: lr must be a positive number');
    await expect(fit(model, { images: new Float32Array(7), labels: new Float32Array([0, 1]) })).rejects.toThrow('not a whole number of samples');
  });
});
