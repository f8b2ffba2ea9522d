// GPU vs CPU reference: adaptive average pooling (PyTorch's AdaptiveAvgPool2d) down to and up to
// AlexNet's 6×6 and VGG's 7×7, uneven and overlapping bins, replication when the input is smaller
// than the target, plus hand-computed bins, agreement with avg pool2d when the sizes divide, and
// bad-input errors thrown before any GPU work.
import { describe, it, expect } from 'vitest';
import { ShapeError, InvalidArgumentError, type AdaptivePoolParams, type Backend, type WebGpuBackend } from 'webcnn';
import { gpuIt, compareWithCpu, cpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

/** Sequential f32 sums of up to 3025 terms (55×55 → 1) and one division, against float64. */
const TOL = { atol: 1e-5, rtol: 1e-4 };

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// [input shape, outputSize].
const CASES: [number[], AdaptivePoolParams['outputSize']][] = [
  [[1, 3, 1, 1], 6], // 1×1 → 6×6: every output copies the single value
  [[1, 5, 3, 3], 6], // upsampling: each input cell feeds two outputs
  [[2, 5, 6, 6], 6], // identity
  [[1, 3, 7, 7], 7], // identity, VGG's size
  [[1, 5, 13, 13], 6], // AlexNet at 224: overlapping bins of 3
  [[3, 3, 13, 13], 7], // 13 → 7: bins of 2 and 3, overlapping
  [[1, 3, 14, 14], 7], // divisible: plain 2×2 windows
  [[2, 3, 55, 55], 6], // uneven bins of 10 and 11
  [[1, 3, 55, 55], 1], // one 3025-cell bin per plane (global average)
  [[2, 5, 14, 13], 1],
  [[1, 5, 13, 14], [3, 5]],
  [[2, 3, 7, 6], [3, 5]],
  [[1, 3, 3, 13], [7, 7]], // rows upsampled, columns downsampled
  [[1, 5, 6, 7], [13, 14]], // upsampling by non-integer factors
  [[1, 3, 1, 55], [6, 6]],
  [[2, 5, 7, 14], [6, 7]],
];

describe('adaptiveAvgPool', () => {
  const rng = new Rng(41);
  for (const [shape, outputSize] of CASES) {
    gpuIt(`adaptiveAvgPool ${JSON.stringify(shape)} -> ${JSON.stringify(outputSize)}`, async (gpu) => {
      const x = rng.uniform(size(shape), -3, 3);
      const [oh, ow] = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
      const { shape: outShape } = await compareWithCpu(gpu, (b, t) => b.adaptiveAvgPool(t(x, shape), { outputSize }), TOL);
      expect(outShape).toEqual([shape[0], shape[1], oh, ow]);
    });
  }

  gpuIt('adaptiveAvgPool exact values (hand-computed bins)', async (gpu) => {
    const cases: [number[], number[], AdaptivePoolParams['outputSize'], number[]][] = [
      // 5 → 3 on a row: bins [0,1], [1,2,3], [3,4].
      [[1, 2, 3, 4, 5], [1, 1, 1, 5], [1, 3], [1.5, 3, 4.5]],
      // 2 → 3: bins [0], [0,1], [1].
      [[2, 6], [1, 1, 1, 2], [1, 3], [2, 4, 6]],
      // 3 → 2 on a column: bins [0,1], [1,2].
      [[1, 3, 8], [1, 1, 3, 1], [2, 1], [2, 5.5]],
      // 1×1 → 6×6 replicates, per channel.
      [[-1.5, 4], [1, 2, 1, 1], 6, [...new Array<number>(36).fill(-1.5), ...new Array<number>(36).fill(4)]],
      // 2×2 → 1×1 is the mean.
      [[1, 2, 3, 6], [1, 1, 2, 2], 1, [3]],
    ];
    for (const [x, shape, outputSize, want] of cases) {
      for (const b of [cpu, gpu] as Backend[]) {
        const t = b.tensor(x, shape);
        const y = b.adaptiveAvgPool(t, { outputSize });
        expectClose(await y.read(), want, { atol: 1e-7, rtol: 1e-6 }, `${b.name} ${JSON.stringify(shape)} -> ${JSON.stringify(outputSize)}`);
        t.dispose();
        y.dispose();
      }
    }
  });

  gpuIt('adaptiveAvgPool equals avg pool2d with kernel = stride = H/oh when the sizes divide', async (gpu) => {
    const rng2 = new Rng(42);
    const cases: [number[], [number, number]][] = [
      [[1, 3, 14, 14], [7, 7]],
      [[2, 5, 12, 12], [4, 3]],
      [[1, 3, 6, 9], [6, 3]],
      [[1, 1, 5, 5], [1, 1]],
    ];
    for (const [shape, [oh, ow]] of cases) {
      const x = rng2.uniform(size(shape), -3, 3);
      for (const b of [cpu, gpu] as Backend[]) {
        const t = b.tensor(x, shape);
        const a = b.adaptiveAvgPool(t, { outputSize: [oh, ow] });
        const p = b.pool2d(t, { type: 'avg', kernelSize: [shape[2] / oh, shape[3] / ow] });
        expect(a.shape).toEqual(p.shape);
        expectClose(await a.read(), await p.read(), { atol: 1e-6, rtol: 1e-6 }, `${b.name} ${JSON.stringify(shape)} -> [${oh},${ow}]`);
        for (const y of [t, a, p]) y.dispose();
      }
    }
  });

  it('adaptiveAvgPool output shapes', () => {
    const shapeOf = (s: number[], outputSize: AdaptivePoolParams['outputSize']) => cpu.adaptiveAvgPool(cpu.zeros(s), { outputSize }).shape;
    expect(shapeOf([1, 256, 13, 13], 6)).toEqual([1, 256, 6, 6]);
    expect(shapeOf([2, 512, 7, 7], 7)).toEqual([2, 512, 7, 7]);
    expect(shapeOf([1, 256, 1, 1], [6, 6])).toEqual([1, 256, 6, 6]);
    expect(shapeOf([0, 3, 4, 4], [2, 3])).toEqual([0, 3, 2, 3]);
  });
});

/** Expects `op` to throw `type` with `message` on the CPU and on the GPU, before any GPU buffer is made. */
async function expectBoth(
  gpu: WebGpuBackend,
  op: (b: Backend) => unknown,
  type: typeof ShapeError | typeof InvalidArgumentError,
  message: string,
): Promise<void> {
  expect(() => op(cpu)).toThrow(type);
  expect(() => op(cpu)).toThrow(message);
  const before = gpu.memoryInfo().buffers;
  expect(() => op(gpu)).toThrow(type);
  expect(() => op(gpu)).toThrow(message);
  expect(gpu.memoryInfo().buffers).toBe(before);
}

describe('adaptiveAvgPool bad input', () => {
  gpuIt('adaptiveAvgPool rejects bad input before any GPU work', async (gpu) => {
    const made = new Map<string, Map<Backend, ReturnType<Backend['zeros']>>>();
    const mk = (b: Backend, s: number[]) => {
      const key = JSON.stringify(s);
      if (!made.has(key)) made.set(key, new Map());
      const m = made.get(key)!;
      if (!m.has(b)) m.set(b, b.zeros(s));
      return m.get(b)!;
    };
    // Tensors are made up front, outside the counted region.
    for (const b of [cpu, gpu] as Backend[]) for (const s of [[1, 3, 4, 4], [3, 4, 4], [1, 3, 0, 4]]) mk(b, s);
    const x4 = (b: Backend) => mk(b, [1, 3, 4, 4]);
    await expectBoth(gpu, (b) => b.adaptiveAvgPool(mk(b, [3, 4, 4]), { outputSize: 6, name: 'avgpool' }), ShapeError,
      "adaptiveAvgPool 'avgpool': input must have rank 4, got [3,4,4]");
    await expectBoth(gpu, (b) => b.adaptiveAvgPool(x4(b), { outputSize: 0, name: 'avgpool' }), InvalidArgumentError,
      "adaptiveAvgPool 'avgpool': outputSize must be a positive integer or [oh, ow] of positive integers, got 0 (input [1,3,4,4])");
    await expectBoth(gpu, (b) => b.adaptiveAvgPool(x4(b), { outputSize: [6, 2.5] }), InvalidArgumentError,
      'adaptiveAvgPool: outputSize must be a positive integer or [oh, ow] of positive integers, got [6,2.5] (input [1,3,4,4])');
    await expectBoth(gpu, (b) => b.adaptiveAvgPool(x4(b), { outputSize: [7, -1] }), InvalidArgumentError,
      'adaptiveAvgPool: outputSize must be a positive integer or [oh, ow] of positive integers, got [7,-1] (input [1,3,4,4])');
    await expectBoth(gpu, (b) => b.adaptiveAvgPool(x4(b), { outputSize: [6] as unknown as [number, number] }), InvalidArgumentError,
      'adaptiveAvgPool: outputSize must be a positive integer or [oh, ow] of positive integers, got [6] (input [1,3,4,4])');
    await expectBoth(gpu, (b) => b.adaptiveAvgPool(mk(b, [1, 3, 0, 4]), { outputSize: 6 }), ShapeError,
      'adaptiveAvgPool: cannot pool an empty plane (input [1,3,0,4], outputSize [6,6])');
    for (const m of made.values()) for (const t of m.values()) t.dispose();
  });
});
