// Reliability, device limits, tested with lowered limits (`limitOverrides`): a model whose
// declared sizes at a batch exceed maxStorageBufferBindingSize is refused with a
// LimitExceededError naming the layer and the shape, before any buffer is made or anything is
// submitted (a conv or dense weight over the limit is held in blocks instead: see
// large_params.test.ts); dispatches above maxComputeWorkgroupsPerDimension are folded into a second
// dimension (results equal the CPU reference), and past limit² refused in words; grids that
// are not folded (matmul tiles, conv groups) are refused, and an op refused after it had
// allocated its output frees it.
// Each test makes its own backend and collects its uncaptured errors itself.
import { describe, it, expect } from 'vitest';
import { createModel, CpuBackend, LimitExceededError } from 'webcnn';
import { withBackend } from './helpers/gpu.js';
import { closeReport } from './helpers/compare.js';
import { lcgImage as image } from './helpers/bits.js';

const cpu = new CpuBackend();
const TOL = { atol: 1e-4, rtol: 1e-3 };

describe('maxStorageBufferBindingSize', () => {
  it('LeNet-5 under a 256 KiB limit: batch 16 is refused naming the layer, before any GPU work; batch 1 runs', async () => {
    await withBackend({ limitOverrides: { maxStorageBufferBindingSize: 256 * 1024 } }, async (be) => {
      const model = createModel('lenet5', { backend: be, seed: 1 });
      const before = be.memoryInfo();
      const submits = be.submitCount;
      const big = model.predict(new Float32Array(16 * 32 * 32), 16);
      await expect(big).rejects.toThrow(LimitExceededError);
      await expect(model.predict(new Float32Array(16 * 32 * 32), 16)).rejects.toThrow(
        "predict: model 'lenet5' layer 'c1' (conv2d) output [16,6,28,28] needs 301056 bytes, more than this device's maxStorageBufferBindingSize (262144 bytes)",
      );
      expect(be.memoryInfo(), 'no weights uploaded, no plan made').toEqual(before);
      expect(be.submitCount).toBe(submits);
      // An input alone over the limit is named as the input.
      await expect(model.predict(new Float32Array(65 * 32 * 32), 65)).rejects.toThrow("model 'lenet5' input 'input' [65,1,32,32] needs 266240 bytes");
      const x = image(32 * 32, 4);
      const ref = await createModel('lenet5', { backend: cpu, seed: 1 }).predict(x);
      expect(closeReport(await model.predict(x), ref, TOL)).toBeNull();
      model.dispose();
    });
  }, 600_000);

  it('a conv weight over the limit is held in blocks of output channels and the model equals the CPU', async () => {
    // ResNet-18's parameters above 4 MiB: layer4's 3×3 convs, 512·256·9 and 512·512·9 floats.
    await withBackend({ limitOverrides: { maxStorageBufferBindingSize: 4 * 1024 * 1024 } }, async (be) => {
      const x = image(3 * 16 * 16, 7);
      const model = createModel('resnet18', { backend: be, inputSize: 16, numClasses: 10, seed: 2 });
      const ref = await createModel('resnet18', { backend: cpu, inputSize: 16, numClasses: 10, seed: 2 }).predict(x);
      expect(closeReport(await model.predict(x), ref, TOL)).toBeNull();
      model.dispose();
    });
  }, 600_000);
});

describe('maxComputeWorkgroupsPerDimension', () => {
  it('a dispatch above the limit is folded into y and equals the CPU; above limit² it is refused in words', async () => {
    await withBackend({ limitOverrides: { maxComputeWorkgroupsPerDimension: 8 } }, async (be) => {
      expect(be.limits.maxComputeWorkgroupsPerDimension).toBe(8);
      // 12,000 values: more than 8 workgroups of 256 invocations (activation: 12, 4 values each;
      // add: 47, one value each), fewer than 8² = 64.
      const data = image(12_000, 2);
      const x = be.tensor(data, [12_000]);
      const y = be.activation(x, 'tanh');
      const ref = cpu.activation(cpu.tensor(data, [12_000]), 'tanh');
      expect(closeReport(await y.read(), await ref.read(), TOL)).toBeNull();
      const z = be.add(x, y);
      const zr = cpu.add(cpu.tensor(data, [12_000]), ref);
      expect(closeReport(await z.read(), await zr.read(), TOL)).toBeNull();
      // 8² workgroups of 256 invocations cover 65,536 invocations: 1M values is past that.
      const huge = be.zeros([1 << 20]);
      const before = be.memoryInfo();
      expect(() => be.activation(huge, 'relu')).toThrow(LimitExceededError);
      expect(() => be.activation(huge, 'relu')).toThrow('activation needs 1024 workgroups, more than 8² (maxComputeWorkgroupsPerDimension²)');
      expect(() => be.add(huge, huge)).toThrow('add needs 4096 workgroups, more than 8²');
      expect(be.memoryInfo(), 'refused before the output was allocated').toEqual(before);
      for (const t of [x, y, z, huge]) t.dispose();
    });
  }, 600_000);

  it('an op refused after it allocated (a matmul grid, a grouped conv) leaves no buffer behind', async () => {
    await withBackend({ limitOverrides: { maxComputeWorkgroupsPerDimension: 8 } }, async (be) => {
      // matmul: 4,096 output columns are more than 8 column tiles, which are not folded.
      const a = be.tensor(image(2 * 4, 1), [2, 4]);
      const b = be.tensor(image(4 * 4096, 2), [4, 4096]);
      // conv2d: 16 groups go in z, over the limit of 8.
      const x = be.tensor(image(32 * 6 * 6, 3), [1, 32, 6, 6]);
      const w = be.tensor(image(32 * 2 * 3 * 3, 4), [32, 2, 3, 3]);
      const dy = be.zeros([1, 32, 4, 4]);
      const before = be.memoryInfo();
      expect(() => be.matmul(a, b)).toThrow(LimitExceededError);
      expect(() => be.matmul(a, b)).toThrow(/^matmul: dispatch \[\d+,1,1\] exceeds maxComputeWorkgroupsPerDimension 8$/);
      expect(() => be.conv2d(x, w, undefined, { groups: 16 })).toThrow(/^conv2d: dispatch \[\d+,\d+,16\] exceeds maxComputeWorkgroupsPerDimension 8$/);
      expect(() => be.conv2dBackward(x, w, dy, { groups: 16 })).toThrow(LimitExceededError);
      expect(be.memoryInfo(), 'the outputs allocated before the refusal were freed').toEqual(before);
      // Within the limit the same shapes run.
      const small = be.tensor(image(4 * 16, 5), [4, 16]);
      const y = be.matmul(a, small);
      expect(closeReport(await y.read(), await cpu.matmul(cpu.tensor(image(2 * 4, 1), [2, 4]), cpu.tensor(image(4 * 16, 5), [4, 16])).read(), TOL)).toBeNull();
      for (const t of [a, b, x, w, dy, small, y]) t.dispose();
    });
  }, 600_000);

  it('LeNet-5 at batch 4 under a limit of 16 workgroups per dimension equals the CPU', async () => {
    await withBackend({ limitOverrides: { maxComputeWorkgroupsPerDimension: 16 } }, async (be) => {
      const x = image(4 * 32 * 32, 6);
      const got = await createModel('lenet5', { backend: be, seed: 3 }).predict(x, 4);
      const ref = await createModel('lenet5', { backend: cpu, seed: 3 }).predict(x, 4);
      expect(closeReport(got, ref, TOL, [4, 10])).toBeNull();
    });
  }, 600_000);
});
