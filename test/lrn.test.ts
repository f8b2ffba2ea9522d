// GPU vs CPU reference: local response normalization across channels (AlexNet's constants,
// PyTorch's defaults, a strong alpha so the window sum matters), hand-computed values of the
// PyTorch/ONNX formula, and bad-input errors thrown before any GPU work.
import { describe, it, expect } from 'vitest';
import { InvalidArgumentError, ShapeError, type Backend, type LrnParams } from 'webcnn';
import { gpuIt, compareWithCpu, cpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

/** f32 pow() and a window of up to 5 squares against float64. */
const TOL = { atol: 1e-6, rtol: 2e-5 };

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

const CONSTANTS: [string, Omit<LrnParams, 'size'>][] = [
  ['AlexNet', { alpha: 1e-4, beta: 0.75, k: 2 }],
  ['PyTorch defaults', { alpha: 1e-4, beta: 0.75, k: 1 }],
  ['strong', { alpha: 2, beta: 0.6, k: 0.5 }],
];

describe('lrn', () => {
  const rng = new Rng(41);
  let i = 0;
  for (const lrnSize of [1, 3, 5]) {
    for (const channels of [1, 3, 7, 16]) {
      // Cycle through the constant sets and through batch/plane shapes (odd H/W, batch > 1).
      const [label, consts] = CONSTANTS[i % CONSTANTS.length];
      const shape = [[1, channels, 5, 7], [2, channels, 3, 3], [3, channels, 9, 1]][Math.floor(i / 3) % 3];
      i++;
      gpuIt(`lrn size ${lrnSize} ${label} ${JSON.stringify(consts)} ${JSON.stringify(shape)}`, async (gpu) => {
        // Large enough values that alpha/size · Σx² is not negligible even with alpha = 1e-4.
        const x = rng.uniform(size(shape), -30, 30);
        await compareWithCpu(gpu, (b, t) => b.lrn(t(x, shape), { size: lrnSize, ...consts }), TOL);
      });
    }
  }

  gpuIt('lrn AlexNet layer (size 5, defaults) [2,16,13,13]', async (gpu) => {
    const shape = [2, 16, 13, 13];
    const x = rng.normal(size(shape), 10);
    await compareWithCpu(gpu, (b, t) => b.lrn(t(x, shape)), TOL);
  });

  gpuIt('lrn even size 4 (asymmetric window) strong [1,7,3,5]', async (gpu) => {
    const shape = [1, 7, 3, 5];
    const x = rng.uniform(size(shape), -2, 2);
    await compareWithCpu(gpu, (b, t) => b.lrn(t(x, shape), { size: 4, alpha: 1, beta: 1, k: 1 }), TOL);
  });

  gpuIt('lrn on an (N, C) input [3,7]', async (gpu) => {
    const shape = [3, 7];
    const x = rng.uniform(size(shape), -3, 3);
    await compareWithCpu(gpu, (b, t) => b.lrn(t(x, shape), { size: 3, alpha: 0.3, beta: 0.75, k: 1 }), TOL);
  });

  gpuIt('lrn hand-computed values', async (gpu) => {
    // x = [1, 2, 3] over channels. size 3, alpha 3 (alpha/size = 1), beta 1, k 1:
    // c0: 1/(1+1+4) = 1/6, c1: 2/(1+1+4+9) = 2/15, c2: 3/(1+4+9) = 3/14.
    // size 2 (ONNX window c..c+1), alpha 2, beta 1, k 1: c0: 1/(1+1+4), c1: 2/(1+4+9), c2: 3/(1+9).
    // size 3, PyTorch's AlexNet constants (alpha 1e-4, beta 0.75, k 2): c1: 2/(2 + 1e-4/3·14)^0.75.
    const cases: [LrnParams, number[]][] = [
      [{ size: 3, alpha: 3, beta: 1, k: 1 }, [1 / 6, 2 / 15, 3 / 14]],
      [{ size: 2, alpha: 2, beta: 1, k: 1 }, [1 / 6, 2 / 14, 3 / 10]],
      [{ size: 3, alpha: 1e-4, beta: 0.75, k: 2 }, [1, 2, 3].map((v, c) => v / Math.pow(2 + (1e-4 / 3) * [5, 14, 13][c], 0.75))],
    ];
    for (const [params, want] of cases) {
      for (const b of [cpu, gpu] as Backend[]) {
        const x = b.tensor([1, 2, 3], [1, 3, 1, 1]);
        const y = b.lrn(x, params);
        expect(y.shape).toEqual([1, 3, 1, 1]);
        expectClose(await y.read(), want, { atol: 1e-7, rtol: 1e-6 }, `${b.name} ${JSON.stringify(params)}`);
        x.dispose();
        y.dispose();
      }
    }
  });

  gpuIt('lrn rejects bad input before any GPU work', async (gpu) => {
    type Tensor = ReturnType<Backend['zeros']>;
    const bad: [(b: Backend, x4: Tensor, x1: Tensor) => unknown, typeof ShapeError | typeof InvalidArgumentError, string][] = [
      [(b, x4) => b.lrn(x4, { size: 0, name: 'norm1' }), InvalidArgumentError, "lrn 'norm1': size must be a positive integer, got 0"],
      [(b, x4) => b.lrn(x4, { size: 2.5 }), InvalidArgumentError, 'lrn: size must be a positive integer, got 2.5'],
      [(b, x4) => b.lrn(x4, { k: 0 }), InvalidArgumentError, 'lrn: k must be finite and > 0, got 0'],
      [(b, x4) => b.lrn(x4, { alpha: -1 }), InvalidArgumentError, 'lrn: alpha must be finite and >= 0, got -1'],
      [(b, x4) => b.lrn(x4, { beta: Number.NaN }), InvalidArgumentError, 'lrn: beta must be finite, got NaN'],
      [(b, _x4, x1) => b.lrn(x1), ShapeError, 'lrn: input must have rank >= 2 (N, C, …), got [5]'],
    ];
    const [cx4, cx1, gx4, gx1] = [cpu.zeros([1, 3, 2, 2]), cpu.zeros([5]), gpu.zeros([1, 3, 2, 2]), gpu.zeros([5])];
    for (const [op, type, message] of bad) {
      expect(() => op(cpu, cx4, cx1)).toThrow(type);
      expect(() => op(cpu, cx4, cx1)).toThrow(message);
      const before = gpu.memoryInfo().buffers;
      expect(() => op(gpu, gx4, gx1)).toThrow(type);
      expect(() => op(gpu, gx4, gx1)).toThrow(message);
      expect(gpu.memoryInfo().buffers).toBe(before);
    }
    for (const t of [cx4, cx1, gx4, gx1]) t.dispose();
  });

  it('lrn keeps the input shape and defaults to AlexNet constants (size 5, alpha 1e-4, beta 0.75, k 2)', async () => {
    const x = cpu.tensor([3], [1, 1, 1, 1]);
    const y = cpu.lrn(x);
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expectClose(await y.read(), [3 / Math.pow(2 + (1e-4 / 5) * 9, 0.75)], { atol: 0, rtol: 1e-6 });
  });
});
