// GPU vs CPU reference: max/avg pooling (overlapping AlexNet windows, padding forms, ceil mode,
// count_include_pad), global pooling (workgroup tree reduction) and LeNet-5's subsampling, plus
// hand-computed PyTorch values and bad-input errors thrown before any GPU work.
import { describe, it, expect } from 'vitest';
import { ShapeError, InvalidArgumentError, WebGpuBackend, type Activation, type Backend, type Pool2dParams } from 'webcnn';
import { gpuIt, compareWithCpu, cpu, inErrorScopes } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { Rng } from './helpers/random.js';

/** A max is one of its inputs: exact. */
const MAX_TOL = { atol: 0, rtol: 0 };
/** A short f32 sum and one division against float64. */
const AVG_TOL = { atol: 1e-6, rtol: 1e-5 };
/** Up to 3136-term f32 tree sums, or activations after them. */
const REDUCE_TOL = { atol: 1e-5, rtol: 1e-4 };

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

// [input shape, window parameters]; each runs as max and as avg (both countIncludePad settings
// when the window can reach padding or overhang the input in ceil mode).
const POOL_CASES: [number[], Omit<Pool2dParams, 'type'>][] = [
  [[1, 1, 4, 4], { kernelSize: 2 }],
  [[3, 3, 9, 7], { kernelSize: 3, stride: 2 }], // AlexNet's overlapping pooling
  [[1, 5, 13, 13], { kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 6, 8, 8], { kernelSize: 2, stride: 2 }],
  [[3, 1, 7, 9], { kernelSize: 1, stride: 2 }],
  [[1, 3, 11, 10], { kernelSize: 5, stride: 3, padding: 2 }],
  [[1, 3, 9, 11], { kernelSize: [2, 3], stride: [2, 1] }],
  [[1, 5, 8, 8], { kernelSize: 3, stride: 2, ceilMode: true }], // ceil adds a partial last window
  [[2, 3, 7, 9], { kernelSize: 2, stride: 2, padding: 'same' }],
  [[1, 6, 9, 9], { kernelSize: 3, stride: 1, padding: 'same' }],
  [[1, 3, 10, 9], { kernelSize: 3, stride: 2, padding: [0, 1, 1, 0] }], // asymmetric
  [[1, 3, 6, 6], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }], // window overhangs the padding
  [[3, 5, 13, 11], { kernelSize: 3, stride: 3, ceilMode: true }],
  [[1, 1, 5, 5], { kernelSize: 5 }], // window = input
  [[1, 3, 6, 7], { kernelSize: 2, stride: 1 }],
  [[2, 6, 15, 15], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
  [[1, 5, 9, 10], { kernelSize: [3, 2], stride: [1, 2], padding: [1, 1], ceilMode: true }],
  [[3, 6, 5, 5], { kernelSize: 2, stride: 3, padding: 'valid' }],
  [[1, 3, 6, 7], { kernelSize: 3, stride: 1, padding: 2 }], // padding up to kernel - 1 (ONNX): corner windows hold one real cell
  [[2, 2, 5, 6], { kernelSize: [3, 4], stride: [2, 3], padding: [2, 3, 1, 2], ceilMode: true }],
  [[1, 3, 8, 9], { kernelSize: 2, stride: 1, dilation: 2 }], // dilated windows (ONNX's MaxPool dilations)
  [[2, 2, 9, 7], { kernelSize: [3, 2], stride: [2, 1], dilation: [2, 3], padding: [1, 1, 2, 1], ceilMode: true }],
];

const reachesPadding = (p: Omit<Pool2dParams, 'type'>) =>
  (p.padding !== undefined && p.padding !== 0 && p.padding !== 'valid') || p.ceilMode === true;

describe('pool2d', () => {
  const rng = new Rng(11);
  for (const [shape, p] of POOL_CASES) {
    const variants: Pool2dParams[] = [{ ...p, type: 'max' }, { ...p, type: 'avg' }];
    if (reachesPadding(p)) variants.push({ ...p, type: 'avg', countIncludePad: true });
    for (const params of variants) {
      gpuIt(`pool2d ${params.type} ${JSON.stringify(shape)} ${JSON.stringify(p)}${params.countIncludePad ? ' countIncludePad' : ''}`, async (gpu) => {
        const x = rng.uniform(size(shape), -3, 3);
        await compareWithCpu(gpu, (b, t) => b.pool2d(t(x, shape), params), params.type === 'max' ? MAX_TOL : AVG_TOL);
      });
    }
  }

  gpuIt('pool2d max never picks a padded cell on all-negative input', async (gpu) => {
    const shape = [1, 3, 7, 7];
    const x = new Rng(12).uniform(size(shape), -5, -1);
    const { ref } = await compareWithCpu(gpu, (b, t) => b.pool2d(t(x, shape), { type: 'max', kernelSize: 3, stride: 2, padding: 1, ceilMode: true }), MAX_TOL);
    expect(Math.max(...ref)).toBeLessThan(-1 + 1e-6);
  });

  gpuIt('pool2d 4x4 exact values (max and avg, kernel 2)', async (gpu) => {
    const x = Array.from({ length: 16 }, (_, i) => i);
    for (const b of [cpu, gpu] as Backend[]) {
      const t = b.tensor(x, [1, 1, 4, 4]);
      const mx = b.pool2d(t, { type: 'max', kernelSize: 2 });
      const av = b.pool2d(t, { type: 'avg', kernelSize: 2 });
      expect(mx.shape).toEqual([1, 1, 2, 2]);
      expect(Array.from(await mx.read())).toEqual([5, 7, 13, 15]);
      expect(Array.from(await av.read())).toEqual([2.5, 4.5, 10.5, 12.5]);
      for (const y of [t, mx, av]) y.dispose();
    }
  });

  gpuIt('pool2d avg divisors match PyTorch (countIncludePad, ceil mode overhang)', async (gpu) => {
    const ones = (s: number[]) => new Array<number>(size(s)).fill(1);
    const cases: [number[], Pool2dParams, number[]][] = [
      // 3×3 ones, k3 s2 pad 1: each window holds 2×2 real cells of its 3×3.
      [[1, 1, 3, 3], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, countIncludePad: true }, [4 / 9, 4 / 9, 4 / 9, 4 / 9]],
      [[1, 1, 3, 3], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }, [1, 1, 1, 1]],
      // 5×5 ones, k2 s2 ceil: the last window overhangs the input with no padding to count → 1, not 0.5.
      [[1, 1, 5, 5], { type: 'avg', kernelSize: 2, stride: 2, ceilMode: true, countIncludePad: true }, new Array<number>(9).fill(1)],
      // 1×6 rows of ones, k3 s2 pad 1 ceil (4 outputs per row): first window 1 pad + 2 real → 2/3,
      // middle windows 3 real → 1, last window starts at 5: 1 real + 1 pad (the 3rd cell is past the padding) → 1/2.
      [[1, 1, 3, 6], { type: 'avg', kernelSize: [1, 3], stride: [1, 2], padding: [0, 1], ceilMode: true, countIncludePad: true },
        [2 / 3, 1, 1, 1 / 2, 2 / 3, 1, 1, 1 / 2, 2 / 3, 1, 1, 1 / 2]],
    ];
    for (const [shape, params, want] of cases) {
      for (const b of [cpu, gpu] as Backend[]) {
        const t = b.tensor(ones(shape), shape);
        const y = b.pool2d(t, params);
        expectClose(await y.read(), want, { atol: 1e-7, rtol: 1e-6 }, `${b.name} ${JSON.stringify(params)}`);
        t.dispose();
        y.dispose();
      }
    }
  });

  it('pool2d output shapes follow PyTorch (floor, ceil, same)', () => {
    const shapeOf = (s: number[], p: Pool2dParams) => cpu.pool2d(cpu.zeros(s), p).shape;
    expect(shapeOf([1, 1, 8, 8], { type: 'max', kernelSize: 3, stride: 2 })).toEqual([1, 1, 3, 3]);
    expect(shapeOf([1, 1, 8, 8], { type: 'max', kernelSize: 3, stride: 2, ceilMode: true })).toEqual([1, 1, 4, 4]);
    expect(shapeOf([1, 1, 55, 55], { type: 'max', kernelSize: 3, stride: 2 })).toEqual([1, 1, 27, 27]); // AlexNet pool1
    expect(shapeOf([1, 1, 7, 7], { type: 'max', kernelSize: 2, stride: 2, padding: 'same' })).toEqual([1, 1, 4, 4]);
    expect(shapeOf([1, 1, 6, 6], { type: 'max', kernelSize: 3, stride: 2, padding: 1, ceilMode: true })).toEqual([1, 1, 4, 4]);
    // Ceil mode never starts a window in the bottom/right padding: ceil((5+2-2)/2)+1 = 4 would start at 6 = H + pad.
    expect(shapeOf([1, 1, 5, 5], { type: 'max', kernelSize: 2, stride: 2, padding: 1, ceilMode: true })).toEqual([1, 1, 3, 3]);
  });
});

describe('globalPool', () => {
  const rng = new Rng(21);
  for (const type of ['max', 'avg'] as const) {
    // Planes up to 8×8 take one invocation each (EfficientNet's 7×7 with many channels), larger ones a workgroup.
    for (const shape of [[1, 3, 1, 1], [1, 5, 7, 7], [1, 6, 13, 11], [1, 3, 56, 56], [2, 7, 9, 5], [2, 3, 17, 19], [3, 301, 7, 7], [2, 5, 8, 8], [2, 5, 5, 13]]) {
      gpuIt(`globalPool ${type} ${JSON.stringify(shape)}`, async (gpu) => {
        const x = rng.uniform(size(shape), -2, 2);
        const { shape: outShape } = await compareWithCpu(gpu, (b, t) => b.globalPool(t(x, shape), type), type === 'max' ? MAX_TOL : REDUCE_TOL);
        expect(outShape).toEqual([shape[0], shape[1], 1, 1]);
      });
    }
  }

  it('globalPool folds its grid into y past maxComputeWorkgroupsPerDimension (lowered to 8), by plane and by invocation', async () => {
    const be = await WebGpuBackend.create({ limitOverrides: { maxComputeWorkgroupsPerDimension: 8 } });
    try {
      const rng = new Rng(23);
      // 2,100 planes of 7×7: 9 workgroups of 256 invocations; 20 planes of 9×9: 20 workgroups.
      for (const shape of [[3, 700, 7, 7], [4, 5, 9, 9]]) {
        const x = rng.uniform(size(shape), -2, 2);
        for (const type of ['max', 'avg'] as const) {
          const ref = await cpu.globalPool(cpu.tensor(x, shape), type).read();
          const got = await inErrorScopes(be, () => be.globalPool(be.tensor(x, shape), type).read());
          expectClose(got, ref, type === 'max' ? MAX_TOL : REDUCE_TOL, `${type} ${JSON.stringify(shape)}`);
        }
      }
    } finally {
      be.dispose();
    }
  });

  gpuIt('globalPool over more than 65535 planes', async (gpu) => {
    const shape = [1, 70001, 1, 2];
    const x = new Rng(22).uniform(size(shape), -2, 2);
    await compareWithCpu(gpu, (b, t) => b.globalPool(t(x, shape), 'max'), MAX_TOL);
  });

  gpuIt('globalPool exact values', async (gpu) => {
    const x = [1, -2, 3, 4, -8, 0, 5, 6];
    for (const b of [cpu, gpu] as Backend[]) {
      const t = b.tensor(x, [1, 2, 2, 2]);
      const mx = b.globalPool(t, 'max');
      const av = b.globalPool(t, 'avg');
      expect(Array.from(await mx.read())).toEqual([4, 6]);
      expect(Array.from(await av.read())).toEqual([1.5, 0.75]);
      for (const y of [t, mx, av]) y.dispose();
    }
  });
});

describe('subsample', () => {
  const rng = new Rng(31);
  const cases: [number[], number | undefined, number | undefined, Activation][] = [
    [[1, 6, 28, 28], 2, undefined, 'scaledTanh'], // LeNet-5 S2
    [[2, 16, 10, 10], 2, 2, 'scaledTanh'], // LeNet-5 S4, batch 2
    [[1, 3, 9, 7], 3, 2, 'none'], // overlapping, odd
    [[3, 5, 7, 7], undefined, undefined, 'sigmoid'], // defaults, odd input drops the last row/column
    [[1, 1, 8, 6], 2, 1, 'tanh'],
    [[2, 3, 11, 11], 3, 3, 'relu'],
    [[1, 5, 6, 9], 2, 3, { type: 'leakyRelu', alpha: 0.1 }],
  ];
  for (const [shape, kernelSize, stride, activation] of cases) {
    gpuIt(`subsample k${kernelSize ?? 2} s${stride ?? kernelSize ?? 2} ${JSON.stringify(activation)} ${JSON.stringify(shape)}`, async (gpu) => {
      const c = shape[1];
      const x = rng.uniform(size(shape), -1, 1);
      const coeff = rng.uniform(c, -1, 1);
      const bias = rng.uniform(c, -0.5, 0.5);
      await compareWithCpu(gpu, (b, t) => b.subsample(t(x, shape), t(coeff, [c]), t(bias, [c]), { kernelSize, stride, activation }), REDUCE_TOL);
    });
  }

  gpuIt('subsample exact values', async (gpu) => {
    // Channel 0: windows sum 1+2+5+6=14 and 3+4+7+8=22, × 0.5 + 0.25; channel 1: all ones, × -1 + 1.
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 1, 1, 1, 1, 1, 1, 1, 1];
    for (const b of [cpu, gpu] as Backend[]) {
      const t = b.tensor(x, [1, 2, 2, 4]);
      const coeff = b.tensor([0.5, -1], [2]);
      const bias = b.tensor([0.25, 1], [2]);
      const y = b.subsample(t, coeff, bias);
      expect(y.shape).toEqual([1, 2, 1, 2]);
      expect(Array.from(await y.read())).toEqual([7.25, 11.25, -3, -3]);
      for (const z of [t, coeff, bias, y]) z.dispose();
    }
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

describe('pooling bad input', () => {
  // Tensors are made once per backend, outside the counted region.
  const mk = (shape: number[]) => {
    const cache = new Map<Backend, ReturnType<Backend['zeros']>>();
    return (b: Backend) => {
      let t = cache.get(b);
      if (!t) cache.set(b, (t = b.zeros(shape)));
      return t;
    };
  };
  const x4 = mk([1, 3, 4, 4]);
  const x3 = mk([3, 4, 4]);
  const c3 = mk([3]);
  const c4 = mk([4]);

  gpuIt('pool2d, globalPool and subsample reject bad input before any GPU work', async (gpu) => {
    for (const b of [cpu, gpu] as Backend[]) for (const t of [x4, x3, c3, c4]) t(b);
    await expectBoth(gpu, (b) => b.pool2d(x3(b), { type: 'max', kernelSize: 2, name: 'p1' }), ShapeError, "pool2d 'p1': input must have rank 4, got [3,4,4]");
    await expectBoth(gpu, (b) => b.pool2d(x4(b), { type: 'max', kernelSize: 0 }), InvalidArgumentError, 'pool2d: kernelSize must be positive integers, got 0');
    await expectBoth(gpu, (b) => b.pool2d(x4(b), { type: 'avg', kernelSize: 2, stride: [1, -1] }), InvalidArgumentError, 'pool2d: stride must be positive integers, got [1,-1]');
    await expectBoth(gpu, (b) => b.pool2d(x4(b), { type: 'max', kernelSize: 5 }), ShapeError,
      'pool2d: window 5 is larger than the padded input 4 (input [1,3,4,4], kernel [5,5], stride [5,5], padding [0,0,0,0])');
    await expectBoth(gpu, (b) => b.pool2d(x4(b), { type: 'max', kernelSize: 3, padding: 3 }), InvalidArgumentError,
      'pool2d: padding must be smaller than the kernel, got padding [3,3,3,3] for kernel [3,3] (input [1,3,4,4])');
    await expectBoth(gpu, (b) => b.pool2d(x4(b), { type: 'min' as 'max', kernelSize: 2 }), InvalidArgumentError, `pool2d: type must be 'max' or 'avg', got "min"`);
    await expectBoth(gpu, (b) => b.pool2d(x4(b), { type: 'max', kernelSize: 2, dilation: 5, padding: 1 }), ShapeError,
      'pool2d: with dilation [5,5] the window at row 0 covers only padding (input [1,3,4,4], kernel [2,2], padding [1,1,1,1])');
    await expectBoth(gpu, (b) => b.globalPool(x3(b), 'avg'), ShapeError, 'globalPool: input must have rank 4, got [3,4,4]');
    await expectBoth(gpu, (b) => b.subsample(x4(b), c4(b), c3(b), { name: 's2' }), ShapeError,
      "subsample 's2': coeff must have shape [3] (one value per input channel), got [4] (input [1,3,4,4])");
    await expectBoth(gpu, (b) => b.subsample(x4(b), c3(b), c4(b)), ShapeError,
      'subsample: bias must have shape [3] (one value per input channel), got [4] (input [1,3,4,4])');
    await expectBoth(gpu, (b) => b.subsample(x4(b), c3(b), c3(b), { kernelSize: 5 }), ShapeError, 'subsample: window 5 is larger than the padded input 4');
    await expectBoth(gpu, (b) => b.subsample(x4(b), c3(b), c3(b), { stride: 0 }), InvalidArgumentError, 'subsample: stride must be positive integers, got 0');
    await expectBoth(gpu, (b) => b.subsample(x3(b), c3(b), c3(b)), ShapeError, 'subsample: input must have rank 4, got [3,4,4]');
    for (const b of [cpu, gpu] as Backend[]) for (const t of [x4, x3, c3, c4]) t(b).dispose();
  });
});
