// GPU vs CPU reference: softmax (one workgroup per row, shared-memory max and sum) on rows of
// length 1 to 1001, along the last, middle and first axis of rank 1-4 tensors, with
// large-magnitude inputs that overflow exp without the max subtraction; plus axis errors.
import { describe, it, expect } from 'vitest';
import { ShapeError, WebGpuBackend, type GpuContext } from 'webcnn';
import { gpuIt, compareWithCpu, cpu, getGpu } from './helpers/gpu.js';
import { Rng } from './helpers/random.js';

// exp in float32 (a few ulp on SwiftShader) and a float64 reference.
const TOL = { atol: 1e-6, rtol: 1e-4 };

const size = (s: readonly number[]): number => s.reduce((p, d) => p * d, 1);

/** Checks every softmax row of `y` (shape, axis) sums to 1 and has no NaN. */
function expectRowsSumToOne(y: Float32Array, shape: readonly number[], axis: number): void {
  const a = axis < 0 ? axis + shape.length : axis;
  const outer = size(shape.slice(0, a));
  const len = shape[a];
  const inner = size(shape.slice(a + 1));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let sum = 0;
      for (let j = 0; j < len; j++) {
        const v = y[(o * len + j) * inner + i];
        expect(Number.isNaN(v), `NaN at row (${o}, ${i})`).toBe(false);
        sum += v;
      }
      expect(Math.abs(sum - 1), `row (${o}, ${i}) sums to ${sum}`).toBeLessThan(1e-4);
    }
  }
}

describe('softmax', () => {
  const rng = new Rng(21);
  const cases: [number[], number][] = [
    // Row lengths 1, 10, 1000 (ImageNet classes) and 1001 (not a multiple of the workgroup).
    [[3, 1], -1],
    [[4, 10], -1],
    [[2, 1000], -1],
    [[3, 1001], -1],
    [[17], -1],
    [[17], 0],
    // Rank 2, every axis.
    [[5, 7], 1],
    [[5, 7], 0],
    [[300, 3], 0],
    // Rank 3.
    [[2, 3, 5], -1],
    [[2, 3, 5], 1],
    [[2, 3, 5], 0],
    // Rank 4 (N, C, H, W): per-pixel softmax over channels, and the others.
    [[2, 3, 4, 5], 1],
    [[2, 3, 4, 5], -1],
    [[2, 3, 4, 5], 0],
    [[2, 3, 4, 5], -2],
    [[1, 10, 1, 1], 1],
  ];
  for (const [shape, axis] of cases) {
    gpuIt(`softmax ${JSON.stringify(shape)} axis ${axis}`, async (gpu) => {
      const x = rng.uniform(size(shape), -8, 8);
      const { got } = await compareWithCpu(gpu, (b, t) => b.softmax(t(x, shape), axis), TOL);
      expectRowsSumToOne(got, shape, axis);
    });
  }

  gpuIt('softmax large magnitudes (±1e4) [4,1000] axis -1 has no NaN and rows sum to 1', async (gpu) => {
    const shape = [4, 1000];
    const x = rng.uniform(size(shape), -1e4, 1e4);
    // A row of equal huge values, and one of huge values differing by little.
    x.fill(1e4, 1000, 2000);
    for (let j = 0; j < 1000; j++) x[2000 + j] = -1e4 + (j % 7);
    const { got } = await compareWithCpu(gpu, (b, t) => b.softmax(t(x, shape)), TOL);
    expectRowsSumToOne(got, shape, -1);
    expect(got[1000]).toBeCloseTo(1 / 1000, 7);
  });

  gpuIt('softmax large magnitudes (±1e4) [3,5,2] axis 1', async (gpu) => {
    const shape = [3, 5, 2];
    const x = rng.uniform(size(shape), -1e4, 1e4);
    const { got } = await compareWithCpu(gpu, (b, t) => b.softmax(t(x, shape), 1), TOL);
    expectRowsSumToOne(got, shape, 1);
  });

  gpuIt('softmax hand check [1,2,3] and a row of equal values', async (gpu) => {
    const { got } = await compareWithCpu(gpu, (b, t) => b.softmax(t([1, 2, 3, 5, 5, 5], [2, 3])), TOL);
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const s = e[0] + e[1] + e[2];
    const want = [...e.map((v) => v / s), 1 / 3, 1 / 3, 1 / 3];
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 6));
  });

  gpuIt('softmax [3,5] rows folded into y when rows > maxComputeWorkgroupsPerDimension', async (gpu) => {
    // A context that reports a limit of 2 workgroups per dimension: 3 rows become a 2 × 2 grid (one workgroup idle).
    const limits = new Proxy(gpu.ctx.limits, {
      get: (target, prop) => (prop === 'maxComputeWorkgroupsPerDimension' ? 2 : Reflect.get(target, prop)),
    });
    const ctx: GpuContext = { ...gpu.ctx, limits };
    const small = await WebGpuBackend.create({ context: ctx });
    try {
      const x = rng.uniform(15, -3, 3);
      const { got } = await compareWithCpu(small, (b, t) => b.softmax(t(x, [3, 5])), TOL);
      expectRowsSumToOne(got, [3, 5], -1);
    } finally {
      small.dispose();
    }
  });

  it('softmax rejects an axis out of range and a rank-0 input, on both backends before GPU work', async () => {
    const gpu = await getGpu();
    for (const be of [cpu, gpu]) {
      const x = be.zeros([2, 3]);
      const s = be.zeros([]);
      const buffers = gpu.memoryInfo().buffers;
      expect(() => be.softmax(x, 2)).toThrow(ShapeError);
      expect(() => be.softmax(x, 2)).toThrow('softmax: axis 2 is out of range for input [2,3] (rank 2: use -2..1)');
      expect(() => be.softmax(x, -3)).toThrow('softmax: axis -3 is out of range for input [2,3]');
      expect(() => be.softmax(x, 0.5)).toThrow('softmax: axis 0.5 is out of range');
      expect(() => be.softmax(s)).toThrow('softmax: input must have rank >= 1, got []');
      expect(gpu.memoryInfo().buffers).toBe(buffers);
      x.dispose();
      s.dispose();
    }
  });
});
