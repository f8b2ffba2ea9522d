// GPU vs CPU reference: batch normalization (inference, fused activation; ranks 2 to 4,
// variance near 0, both vec4 paths) and concatenation (every axis, negative axis, 1 to 4
// inputs of different sizes, Inception-style channel concat, inputs empty along the axis),
// hand-computed values, and the errors bad inputs get.
import { describe, it, expect } from 'vitest';
import { ShapeError, InvalidArgumentError, type Activation, type Backend, type Tensor, type Shape } from 'webcnn';
import { gpuIt, compareWithCpu, cpu, getGpu, inErrorScopes, type MakeTensor } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

describe('batchNorm', () => {
  const rng = new Rng(11);
  // f32 kernel vs f64 reference; one subtraction, one division, a sqrt: a few ulps.
  const TOL = { atol: 1e-5, rtol: 1e-5 };
  const SHAPES: number[][] = [[1, 1, 1, 1], [2, 3, 5, 7], [3, 16, 4, 4], [2, 5], [2, 3, 9]];
  const CONFIGS: { act: Activation; epsilon: number; nearZeroVariance?: boolean }[] = [
    { act: 'none', epsilon: 1e-5 },
    { act: 'relu', epsilon: 1e-3 },
    { act: 'relu6', epsilon: 1e-5 },
    { act: 'none', epsilon: 1e-3, nearZeroVariance: true },
  ];

  /** Builds batch norm with random statistics on backend `b` (the same values on both backends). */
  function bnCase(shape: number[], act: Activation, epsilon: number, nearZeroVariance = false) {
    const c = shape[1];
    const x = rng.uniform(numel(shape), -4, 4);
    const gamma = rng.uniform(c, -2, 2);
    const beta = rng.uniform(c, -1, 1);
    const mean = rng.uniform(c, -1, 1);
    const variance = nearZeroVariance ? rng.uniform(c, 0, 1e-6) : rng.uniform(c, 0.05, 3);
    return (b: Backend, t: MakeTensor): Tensor =>
      b.batchNorm(t(x, shape), {
        gamma: t(gamma, [c]), beta: t(beta, [c]), mean: t(mean, [c]), variance: t(variance, [c]),
        epsilon, activation: act,
      });
  }

  for (const shape of SHAPES) {
    for (const { act, epsilon, nearZeroVariance } of CONFIGS) {
      const name = `batchNorm ${JSON.stringify(shape)} act=${String(act)} eps=${epsilon}${nearZeroVariance ? ' variance~0' : ''}`;
      const build = bnCase(shape, act, epsilon, nearZeroVariance);
      gpuIt(name, async (gpu) => {
        await compareWithCpu(gpu, build, TOL);
      });
    }
  }

  const perChannel = bnCase([2, 24, 1, 1], 'sigmoid', 1e-5);
  gpuIt('batchNorm [2,24,1,1] (per-channel, spatial 1) act=sigmoid eps=1e-5', async (gpu) => {
    await compareWithCpu(gpu, perChannel, TOL);
  });

  const large = bnCase([1, 3, 33, 33], { type: 'leakyRelu', alpha: 0.1 }, 1e-3);
  gpuIt('batchNorm [1,3,33,33] (several workgroups, unaligned) act=leakyRelu eps=1e-3', async (gpu) => {
    await compareWithCpu(gpu, large, TOL);
  });

  gpuIt('batchNorm hand-computed values, epsilon 0 and the 1e-5 default', async (gpu) => {
    for (const b of [cpu, gpu] as Backend[]) {
      // x (1, 2, 2): channel 0 is [1, 3], channel 1 is [-2, 4].
      const x = b.tensor([1, 3, -2, 4], [1, 2, 2]);
      const p = {
        gamma: b.tensor([2, 0.5], [2]), beta: b.tensor([1, -1], [2]),
        mean: b.tensor([1, 2], [2]), variance: b.tensor([4, 0.25], [2]),
      };
      // c0: 2·(1−1)/2+1 = 1, 2·(3−1)/2+1 = 3; c1: 0.5·(−2−2)/0.5−1 = −5, 0.5·(4−2)/0.5−1 = 1.
      const y = b.batchNorm(x, { ...p, epsilon: 0 });
      expectClose(await y.read(), [1, 3, -5, 1], { atol: 1e-6, rtol: 1e-6 }, b.name);
      const r = b.batchNorm(x, { ...p, epsilon: 0, activation: 'relu' });
      expectClose(await r.read(), [1, 3, 0, 1], { atol: 1e-6, rtol: 1e-6 }, `${b.name} relu`);
      // Variance 0: only the default epsilon keeps it finite: 1 / sqrt(1e-5).
      const one = b.tensor([1], [1]);
      const zero = b.tensor([0], [1]);
      const d = b.batchNorm(b.tensor([1], [1, 1]), { gamma: one, beta: zero, mean: zero, variance: zero });
      expectClose(await d.read(), [1 / Math.sqrt(1e-5)], { atol: 0, rtol: 1e-5 }, `${b.name} default epsilon`);
      for (const t of [x, ...Object.values(p), y, r, one, zero, d]) t.dispose();
    }
  });
});

describe('concat', () => {
  const rng = new Rng(12);
  // A copy: exact.
  const EXACT = { atol: 0, rtol: 0 };

  function concatCase(shapes: readonly number[][], axis: number) {
    const data = shapes.map((s) => rng.uniform(numel(s), -10, 10));
    return (b: Backend, t: MakeTensor): Tensor => b.concat(shapes.map((s, i) => t(data[i], s)), axis);
  }

  const CASES: [string, number[][], number][] = [
    ['inception-like channels 3,5,2,7', [[2, 3, 5, 5], [2, 5, 5, 5], [2, 2, 5, 5], [2, 7, 5, 5]], 1],
    ['inception-like channels 3,5,2,7 at 17x17', [[2, 3, 17, 17], [2, 5, 17, 17], [2, 2, 17, 17], [2, 7, 17, 17]], 1],
    ['channels 4,8 (vec4-aligned rows)', [[1, 4, 4, 4], [1, 8, 4, 4]], 1],
    ['batch 1,2,3', [[1, 3, 4, 5], [2, 3, 4, 5], [3, 3, 4, 5]], 0],
    ['height 3,4', [[2, 3, 3, 5], [2, 3, 4, 5]], 2],
    ['width 1,6,3', [[2, 3, 4, 1], [2, 3, 4, 6], [2, 3, 4, 3]], 3],
    ['width 4,4 (axis -1, aligned)', [[2, 2, 3, 4], [2, 2, 3, 4]], -1],
    ['rank 3 last axis 5,2', [[2, 3, 5], [2, 3, 2]], -1],
    ['rank 2 rows 3,5', [[3, 7], [5, 7]], 0],
    ['rank 2 features 3,9,1', [[4, 3], [4, 9], [4, 1]], 1],
    ['rank 3 axis -2', [[3, 2, 5], [3, 6, 5]], -2],
    ['one input', [[2, 3, 5, 5]], 1],
    ['an input empty along the axis', [[2, 3, 4, 4], [2, 0, 4, 4], [2, 2, 4, 4]], 1],
    ['all inputs empty along the axis', [[2, 0, 3], [2, 0, 3]], 1],
  ];
  for (const [what, shapes, axis] of CASES) {
    const build = concatCase(shapes, axis);
    gpuIt(`concat axis=${axis} ${what} ${JSON.stringify(shapes)}`, async (gpu) => {
      const { shape } = await compareWithCpu(gpu, build, EXACT);
      const a = axis < 0 ? axis + shapes[0].length : axis;
      expect(shape[a]).toBe(shapes.reduce((s, x) => s + x[a], 0));
    });
  }

  // Random rank, axis, input count and sizes.
  for (let k = 0; k < 4; k++) {
    const rank = rng.int(2, 4);
    const base = Array.from({ length: rank }, () => rng.int(1, 5));
    const axis = rng.int(-rank, rank - 1);
    const a = axis < 0 ? axis + rank : axis;
    const shapes = Array.from({ length: rng.int(2, 4) }, () => base.map((d, i) => (i === a ? rng.int(1, 7) : d)));
    const build = concatCase(shapes, axis);
    gpuIt(`concat axis=${axis} random ${JSON.stringify(shapes)}`, async (gpu) => {
      await compareWithCpu(gpu, build, EXACT);
    });
  }

  gpuIt('concat hand-computed values on axis 1 and axis 0', async (gpu) => {
    for (const b of [cpu, gpu] as Backend[]) {
      const x = b.tensor([1, 2, 3, 4], [2, 2]);
      const y = b.tensor([5, 6], [2, 1]);
      const z = b.tensor([7, 8], [1, 2]);
      const c1 = b.concat([x, y]);
      expect(c1.shape, b.name).toEqual([2, 3]);
      expect(Array.from(await c1.read()), b.name).toEqual([1, 2, 5, 3, 4, 6]);
      const c0 = b.concat([x, z], 0);
      expect(c0.shape, b.name).toEqual([3, 2]);
      expect(Array.from(await c0.read()), b.name).toEqual([1, 2, 3, 4, 7, 8]);
      for (const t of [x, y, z, c1, c0]) t.dispose();
    }
  });
});

describe('batchNorm / concat bad input', () => {
  /**
   * Expects `build` to throw `type` with `message` on the CPU and on the GPU, and the GPU to
   * have allocated nothing and compiled nothing for it (the check runs before any GPU work).
   */
  async function expectBothThrow(
    build: (b: Backend, t: (shape: Shape) => Tensor) => unknown,
    type: typeof ShapeError | typeof InvalidArgumentError,
    message: string,
  ): Promise<void> {
    const gpu = await getGpu();
    for (const b of [cpu, gpu] as Backend[]) {
      const made: Tensor[] = [];
      const t = (shape: Shape): Tensor => {
        const x = b.zeros(shape);
        made.push(x);
        return x;
      };
      await inErrorScopes(gpu, async () => {
        const before = gpu.memoryInfo();
        let err: unknown;
        try {
          build(b, t);
        } catch (e) {
          err = e;
        }
        expect(err, b.name).toBeInstanceOf(type);
        expect((err as Error).message, b.name).toContain(message);
        // Only the inputs were allocated on the GPU, and no pipeline was created.
        const after = gpu.memoryInfo();
        expect(after.buffers, `${b.name}: no GPU buffer before the check`).toBe(before.buffers + (b === gpu ? made.length : 0));
        expect(after.pipelines, `${b.name}: no pipeline before the check`).toBe(before.pipelines);
      });
      for (const x of made) x.dispose();
    }
  }

  const bn = (xShape: Shape, lens: { gamma?: number; beta?: number; mean?: number; variance?: number }, extra = {}) =>
    (b: Backend, t: (shape: Shape) => Tensor) => {
      const c = xShape[1] ?? 1;
      return b.batchNorm(t(xShape), {
        gamma: t([lens.gamma ?? c]), beta: t([lens.beta ?? c]), mean: t([lens.mean ?? c]), variance: t([lens.variance ?? c]),
        name: 'bn1', ...extra,
      });
    };

  it('batchNorm names the parameter of the wrong length', async () => {
    await expectBothThrow(bn([2, 16, 5, 5], { gamma: 8 }), ShapeError, "batchNorm 'bn1': gamma has 8 values, input has 16 channels (input [2,16,5,5])");
    await expectBothThrow(bn([2, 16, 5, 5], { beta: 15 }), ShapeError, "batchNorm 'bn1': beta has 15 values, input has 16 channels (input [2,16,5,5])");
    await expectBothThrow(bn([2, 4], { mean: 5 }), ShapeError, "batchNorm 'bn1': mean has 5 values, input has 4 channels (input [2,4])");
    await expectBothThrow(bn([2, 3, 9], { variance: 1 }), ShapeError, "batchNorm 'bn1': variance has 1 values, input has 3 channels (input [2,3,9])");
  });

  it('batchNorm wants parameters of shape (C), not broadcast shapes', async () => {
    const build = (b: Backend, t: (shape: Shape) => Tensor) =>
      b.batchNorm(t([1, 3, 2, 2]), { gamma: t([1, 3, 1, 1]), beta: t([3]), mean: t([3]), variance: t([3]) });
    await expectBothThrow(build, ShapeError, 'batchNorm: gamma must have shape [3], got [1,3,1,1] (input [1,3,2,2])');
  });

  it('batchNorm rejects rank < 2 and a bad epsilon', async () => {
    await expectBothThrow(bn([5], { gamma: 5, beta: 5, mean: 5, variance: 5 }), ShapeError, "batchNorm 'bn1': input must have rank >= 2 (N, C, …), got [5]");
    await expectBothThrow(bn([2, 3], {}, { epsilon: -1e-5 }), InvalidArgumentError, "batchNorm 'bn1': epsilon must be a finite number >= 0, got -0.00001");
    await expectBothThrow(bn([2, 3], {}, { epsilon: Number.NaN }), InvalidArgumentError, "batchNorm 'bn1': epsilon must be a finite number >= 0, got NaN");
  });

  it('concat names the input whose other dimensions differ', async () => {
    await expectBothThrow(
      (b, t) => b.concat([t([2, 3, 5, 5]), t([2, 4, 5, 6])], 1),
      ShapeError,
      'concat: input 1 has shape [2,4,5,6], expected [2,*,5,5] (concatenating along axis 1, every other dimension must match input 0)',
    );
    await expectBothThrow(
      (b, t) => b.concat([t([2, 3, 5]), t([2, 3, 5]), t([1, 3, 4])], -1),
      ShapeError,
      'concat: input 2 has shape [1,3,4], expected [2,3,*] (concatenating along axis 2',
    );
  });

  it('concat rejects a rank mismatch, an empty list and an axis out of range', async () => {
    await expectBothThrow(
      (b, t) => b.concat([t([2, 3, 4, 4]), t([2, 3, 4])]),
      ShapeError,
      'concat: input 1 has rank 3, expected rank 4 like input 0 (inputs [2,3,4,4], [2,3,4])',
    );
    await expectBothThrow((b) => b.concat([]), ShapeError, 'concat: needs at least one input, got an empty list');
    await expectBothThrow(
      (b, t) => b.concat([t([2, 3, 4, 4]), t([2, 1, 4, 4])], 4),
      ShapeError,
      'concat: axis 4 is out of range for rank 4 (inputs [2,3,4,4], [2,1,4,4])',
    );
    await expectBothThrow((b, t) => b.concat([t([2, 3])], -3), ShapeError, 'concat: axis -3 is out of range for rank 2 (inputs [2,3])');
    await expectBothThrow((b, t) => b.concat([t([2, 3])], 0.5), ShapeError, 'concat: axis 0.5 is out of range for rank 2');
  });
});
