// Model.activations(): the intermediate outputs of the inference graph by layer name (what the
// demo shows as feature maps). On the GPU they equal the CPU model's, C1 equals a direct conv
// with C1's weights, the last one equals predict(), and bad names are refused before GPU work.
import { describe, it, expect } from 'vitest';
import { createModel, CpuBackend, InvalidArgumentError, ShapeError } from 'webcnn';
import { gpuIt, counts } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const TOL = { atol: 1e-4, rtol: 1e-4 };

function images(n: number, size: number, seed: number): Float32Array {
  return new Rng(seed).uniform(n * size * size, -0.1, 1.175);
}

describe('Model.activations', () => {
  gpuIt('LeNet-5 C1, S2, C3 (batch 2) on the GPU equal the CPU model, and C1 a direct conv', async (gpu) => {
    const cpu = new CpuBackend();
    const onGpu = createModel('lenet5', { backend: gpu, seed: 4 });
    const onCpu = createModel('lenet5', { backend: cpu, seed: 4 });
    const x = images(2, 32, 1);
    const names = ['c1', 's2', 'c3', 'output'];
    const got = await onGpu.activations(x, names);
    const ref = await onCpu.activations(x, names);
    expect([...got.keys()]).toEqual(names);
    expect(got.get('c1')!.shape).toEqual([2, 6, 28, 28]);
    expect(got.get('s2')!.shape).toEqual([2, 6, 14, 14]);
    expect(got.get('c3')!.shape).toEqual([2, 16, 10, 10]);
    for (const k of names) {
      counts.comparisons++;
      expect(got.get(k)!.shape).toEqual(ref.get(k)!.shape);
      expectClose(got.get(k)!.data, ref.get(k)!.data, k === 'output' ? { atol: 2e-3, rtol: 1e-4 } : TOL, k, ref.get(k)!.shape);
    }

    // C1 by hand on the CPU reference: conv with c1's weights and bias, scaled tanh.
    const w = onCpu.getWeights();
    const xt = cpu.tensor(x, [2, 1, 32, 32]);
    const wt = cpu.tensor(w.get('c1.weight')!, [6, 1, 5, 5]);
    const bt = cpu.tensor(w.get('c1.bias')!, [6]);
    const c1 = cpu.conv2d(xt, wt, bt, { activation: 'scaledTanh' });
    counts.comparisons++;
    expectClose(got.get('c1')!.data, await c1.read(), TOL, 'c1 by hand', c1.shape);
    for (const t of [xt, wt, bt, c1]) t.dispose();

    // The last one is what predict() returns.
    counts.comparisons++;
    expectClose(got.get('output')!.data, await onGpu.predict(x), { atol: 2e-3, rtol: 1e-4 }, 'output = predict');
    onGpu.dispose();
    onCpu.dispose();
  });

  gpuIt('names that do not exist or were fused away are refused before any GPU work', async (gpu) => {
    const model = createModel('lenet', { backend: gpu });
    const x = images(1, 28, 2);
    await model.predict(x); // weights and plan made, so only activations() could allocate below
    const buffers = gpu.memoryInfo().buffers;
    const submits = gpu.submitCount;
    await expect(model.activations(x, ['nope'])).rejects.toThrow(InvalidArgumentError);
    await expect(model.activations(x, ['nope'])).rejects.toThrow(/no layer 'nope' \(layers: input, act1, pool1/);
    await expect(model.activations(x, ['act1', 'conv1'])).rejects.toThrow(/layer 'conv1' runs fused with 'act1' at inference.*ask for 'act1', or build the model with fuse: false/);
    await expect(model.activations(x.subarray(0, 100), ['act1'])).rejects.toThrow(ShapeError);
    expect(gpu.memoryInfo().buffers).toBe(buffers);
    expect(gpu.submitCount).toBe(submits);

    // What is asked for is freed after reading: no buffer left behind.
    const got = await model.activations(x, ['act1', 'pool1', 'act2']);
    expect(got.get('act1')!.shape).toEqual([1, 6, 28, 28]);
    expect(got.get('act1')!.data.every((v) => v >= 0)).toBe(true); // ReLU fused into conv1
    expect(got.get('act2')!.shape).toEqual([1, 16, 10, 10]);
    expect(gpu.memoryInfo().buffers).toBe(buffers);
    model.dispose();
  });

  it('without fusion a convolution has its own (pre-activation) output', async () => {
    const model = createModel('lenet', { backend: new CpuBackend(), fuse: false, seed: 2 });
    const x = images(1, 28, 3);
    const got = await model.activations(x, ['conv1', 'act1']);
    const conv = got.get('conv1')!.data;
    const act = got.get('act1')!.data;
    expect(conv.some((v) => v < 0)).toBe(true);
    expectClose(act, conv.map((v) => Math.max(v, 0)), { atol: 0, rtol: 0 }, 'relu(conv1)');
  });
});
