// Backward of the pooling family: max/avg pooling (overlapping 3/2 windows, padding, ceil mode,
// countIncludePad, max ties), global pooling, adaptive average pooling, LeNet-5's subsampling
// (dx, dcoeff, dbias) and LRN. The CPU twin is checked against finite differences of the CPU
// forward; the GPU gathers against the CPU twin; bad input must throw before any GPU work.
import { describe, it, expect } from 'vitest';
import {
  ShapeError,
  InvalidArgumentError,
  type Backend,
  type CpuTensor,
  type Tensor,
  type TrainingBackend,
  type WebGpuBackend,
  type Pool2dParams,
  type AdaptivePoolParams,
  type SubsampleParams,
  type LrnParams,
} from 'webcnn';
import { gpuIt, compareWithCpu, cpu } from './helpers/gpu.js';
import { expectClose } from './helpers/compare.js';
import { expectGradient, project } from './helpers/gradcheck.js';
import { Rng } from './helpers/random.js';

/** A few f32 additions of dy (or dy / divisor) against one rounding of a float64 sum. */
const ROUTE_TOL = { atol: 1e-6, rtol: 1e-5 };
/** Per-channel reductions over N·Ho·Wo window sums, or f32 pow(). */
const REDUCE_TOL = { atol: 1e-5, rtol: 1e-4 };

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const tb = (b: Backend) => b as TrainingBackend;
const host = (t: Tensor) => (t as CpuTensor).data;

/** `n` distinct values 0.05 apart in random order: finite differences with eps 1e-2 never reorder a max. */
function distinct(rng: Rng, n: number): Float32Array {
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [v[i], v[j]] = [v[j], v[i]];
  }
  return Float32Array.from(v);
}

/**
 * Finite-difference check of d(Σ forward(x)·r)/dx against `backward(x, r)`, all on the CPU
 * reference. `forward` and `backward` get a fresh CPU tensor of `shape`.
 */
function gradCheck(
  label: string,
  shape: number[],
  x: Float32Array,
  rng: Rng,
  forward: (x: Tensor) => Tensor,
  backward: (x: Tensor, dy: Tensor) => Tensor,
): void {
  const outShape = forward(cpu.tensor(x, shape)).shape;
  const r = rng.uniform(size(outShape), -1, 1);
  const analytic = host(backward(cpu.tensor(x, shape), cpu.tensor(r, outShape)));
  expectGradient((xp) => project(host(forward(cpu.tensor(xp, shape))), r), x, analytic, { label, maxChecks: 48 });
}

// ---- pool2d ----------------------------------------------------------------------------------

const POOL_GRAD_CASES: [number[], Pool2dParams][] = [
  [[2, 3, 9, 7], { type: 'max', kernelSize: 3, stride: 2 }], // AlexNet's overlapping 3/2, batch 2
  [[2, 3, 9, 7], { type: 'avg', kernelSize: 3, stride: 2 }],
  [[1, 2, 7, 7], { type: 'max', kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 2, 7, 7], { type: 'avg', kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 2, 7, 7], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, countIncludePad: true }],
  [[2, 2, 8, 8], { type: 'max', kernelSize: 3, stride: 2, ceilMode: true }],
  [[1, 2, 6, 6], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true }], // overhang
  [[1, 2, 6, 6], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
  [[1, 3, 5, 8], { type: 'max', kernelSize: [2, 3], stride: [1, 2], padding: [1, 1] }],
  [[2, 2, 7, 6], { type: 'avg', kernelSize: 2, stride: 3 }], // gaps: cells in no window
  [[1, 2, 5, 5], { type: 'max', kernelSize: 3, stride: 1, padding: 2 }], // padding up to kernel - 1 (ONNX)
  [[1, 2, 5, 6], { type: 'avg', kernelSize: 3, stride: 2, padding: [2, 1, 2, 2], countIncludePad: true }],
];

const POOL_GPU_CASES: [number[], Pool2dParams][] = [
  [[2, 3, 9, 7], { type: 'max', kernelSize: 3, stride: 2 }],
  [[2, 3, 9, 7], { type: 'avg', kernelSize: 3, stride: 2 }],
  [[1, 5, 13, 13], { type: 'max', kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 5, 13, 13], { type: 'avg', kernelSize: 3, stride: 2, padding: 1 }],
  [[1, 5, 13, 13], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, countIncludePad: true }],
  [[2, 3, 8, 8], { type: 'max', kernelSize: 3, stride: 2, ceilMode: true }],
  [[2, 3, 8, 8], { type: 'avg', kernelSize: 3, stride: 2, ceilMode: true, countIncludePad: true }],
  [[1, 3, 6, 6], { type: 'max', kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
  [[1, 3, 6, 6], { type: 'avg', kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: true }],
  [[3, 5, 7, 9], { type: 'max', kernelSize: [2, 3], stride: [2, 1] }],
  [[1, 6, 9, 9], { type: 'avg', kernelSize: 3, stride: 1, padding: 'same' }],
  [[1, 3, 11, 10], { type: 'max', kernelSize: 5, stride: 3, padding: 2 }],
  [[3, 6, 5, 5], { type: 'max', kernelSize: 2, stride: 3 }], // gaps: cells in no window get 0
  [[2, 3, 6, 7], { type: 'avg', kernelSize: 3, stride: 1, padding: 2 }], // padding up to kernel - 1 (ONNX)
  [[1, 4, 7, 6], { type: 'max', kernelSize: [3, 4], stride: [2, 3], padding: [2, 3, 1, 2], ceilMode: true }],
];

describe('pool2dBackward', () => {
  const rng = new Rng(101);
  gpuIt('pool2dBackward refuses dilation (dilated pooling runs at inference only), on both backends', async (gpu) => {
    for (const b of [cpu, gpu]) {
      const x = b.zeros([1, 1, 5, 5]);
      const dy = b.zeros([1, 1, 3, 3]);
      expect(() => b.pool2dBackward(x, dy, { type: 'max', kernelSize: 2, stride: 1, dilation: 2 })).toThrow('pool2dBackward: dilation [2,2] is not supported (dilated pooling runs at inference only)');
      x.dispose();
      dy.dispose();
    }
  });
  for (const [shape, params] of POOL_GRAD_CASES) {
    it(`pool2dBackward gradient check ${JSON.stringify(shape)} ${JSON.stringify(params)}`, () => {
      const x = params.type === 'max' ? distinct(rng, size(shape)) : rng.uniform(size(shape), -2, 2);
      gradCheck('pool2dBackward', shape, x, rng, (t) => cpu.pool2d(t, params), (t, dy) => cpu.pool2dBackward(t, dy, params));
    });
  }

  for (const [shape, params] of POOL_GPU_CASES) {
    gpuIt(`pool2dBackward ${JSON.stringify(shape)} ${JSON.stringify(params)}`, async (gpu) => {
      const x = rng.uniform(size(shape), -3, 3);
      const outShape = cpu.pool2d(cpu.zeros(shape), params).shape;
      const dy = rng.uniform(size(outShape), -1, 1);
      await compareWithCpu(gpu, (b, t) => tb(b).pool2dBackward(t(x, shape), t(dy, outShape), params), ROUTE_TOL);
    });
  }

  // Small integers: most windows hold several maxima; both backends must pick the first one.
  for (const [shape, params] of [
    [[2, 3, 9, 9], { type: 'max', kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
    [[1, 4, 7, 8], { type: 'max', kernelSize: 2, stride: 1 }],
  ] as [number[], Pool2dParams][]) {
    gpuIt(`pool2dBackward max ties (values 0..2) ${JSON.stringify(shape)} ${JSON.stringify(params)}`, async (gpu) => {
      const x = Float32Array.from({ length: size(shape) }, () => rng.int(0, 2));
      const outShape = cpu.pool2d(cpu.zeros(shape), params).shape;
      const dy = Float32Array.from({ length: size(outShape) }, () => rng.int(1, 4));
      await compareWithCpu(gpu, (b, t) => tb(b).pool2dBackward(t(x, shape), t(dy, outShape), params), ROUTE_TOL);
    });
  }

  gpuIt('pool2dBackward max ties route to the first maximum in scan order (exact)', async (gpu) => {
    // 5×5 with kernel 3, stride 2: windows start at rows/columns 0 and 2.
    //   plane 0 is constant: each window's top-left cell wins, so the centre (2,2), which
    //   all four windows share, gets only the last window's dy.
    //   plane 1 has the maximum 9 several times in every window: the first in row-major order wins.
    const p1 = [
      0, 0, 9, 0, 0,
      0, 9, 0, 0, 0,
      9, 0, 0, 9, 9,
      0, 0, 0, 0, 0,
      0, 0, 9, 0, 9,
    ];
    const x = [...new Array<number>(25).fill(1), ...p1];
    const dy = [1, 2, 3, 4, 10, 20, 30, 40];
    const want = new Array<number>(50).fill(0);
    want[0] = 1; want[2] = 2; want[10] = 3; want[12] = 4; // plane 0: top-left cells
    // plane 1: window (0,0) → (0,2); window (0,1) rows 0..2 cols 2..4 → (0,2); window (1,0)
    // rows 2..4 cols 0..2 → (2,0); window (1,1) rows 2..4 cols 2..4 → (2,3).
    want[25 + 2] = 10 + 20; want[25 + 10] = 30; want[25 + 13] = 40;
    for (const b of [cpu, gpu] as Backend[]) {
      const xt = b.tensor(x, [1, 2, 5, 5]);
      const dyt = b.tensor(dy, [1, 2, 2, 2]);
      const dx = tb(b).pool2dBackward(xt, dyt, { type: 'max', kernelSize: 3, stride: 2 });
      expect(Array.from(await dx.read()), b.name).toEqual(want);
      for (const t of [xt, dyt, dx]) t.dispose();
    }
  });

  gpuIt('pool2dBackward avg divisors (countIncludePad, ceil-mode overhang)', async (gpu) => {
    // One row of 6, kernel [1,3], stride [1,2], padding [0,1], ceil mode: windows start at
    // columns -1, 1, 3, 5; the last covers 5..7, clipped to the padded input at 5..6, so its
    // divisor is 1 real cell, or 2 with countIncludePad. dy = 1 everywhere.
    const params: Pool2dParams = { type: 'avg', kernelSize: [1, 3], stride: [1, 2], padding: [0, 1], ceilMode: true };
    const real = [1 / 2, 1 / 2 + 1 / 3, 1 / 3, 2 / 3, 1 / 3, 1 / 3 + 1];
    const withPad = [1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 1 / 3 + 1 / 2];
    for (const b of [cpu, gpu] as Backend[]) {
      for (const [countIncludePad, want] of [[false, real], [true, withPad]] as const) {
        const xt = b.tensor(new Array<number>(6).fill(0), [1, 1, 1, 6]);
        const dyt = b.tensor([1, 1, 1, 1], [1, 1, 1, 4]);
        const dx = tb(b).pool2dBackward(xt, dyt, { ...params, countIncludePad });
        expectClose(await dx.read(), want, ROUTE_TOL, `${b.name} countIncludePad ${countIncludePad}`);
        for (const t of [xt, dyt, dx]) t.dispose();
      }
    }
  });
});

// ---- globalPool ------------------------------------------------------------------------------

describe('globalPoolBackward', () => {
  const rng = new Rng(201);
  for (const type of ['max', 'avg'] as const) {
    it(`globalPoolBackward ${type} gradient check [2,3,4,5]`, () => {
      const shape = [2, 3, 4, 5];
      const x = type === 'max' ? distinct(rng, size(shape)) : rng.uniform(size(shape), -2, 2);
      gradCheck('globalPoolBackward', shape, x, rng, (t) => cpu.globalPool(t, type), (t, dy) => cpu.globalPoolBackward(t, dy, type));
    });
  }

  const cases: [number[], 'max' | 'avg', string][] = [
    [[2, 3, 5, 7], 'max', ''],
    [[2, 3, 5, 7], 'avg', ''],
    [[1, 5, 17, 19], 'max', ''], // 323 values: strided slices before the tree reduction
    [[2, 5, 6, 6], 'max', ' ties (values 0..1)'],
  ];
  for (const [shape, type, what] of cases) {
    gpuIt(`globalPoolBackward ${type}${what} ${JSON.stringify(shape)}`, async (gpu) => {
      const x = what ? Float32Array.from({ length: size(shape) }, () => rng.int(0, 1)) : rng.uniform(size(shape), -2, 2);
      const outShape = [shape[0], shape[1], 1, 1];
      const dy = rng.uniform(size(outShape), -1, 1);
      await compareWithCpu(gpu, (b, t) => tb(b).globalPoolBackward(t(x, shape), t(dy, outShape), type), ROUTE_TOL);
    });
  }

  gpuIt('globalPoolBackward max ties go to the first maximum (exact)', async (gpu) => {
    // A plane of 300 (> one workgroup's 256 invocations) whose maximum 7 sits at 299, 40 and 260.
    const x = new Array<number>(300).fill(0);
    x[299] = 7;
    x[40] = 7;
    x[260] = 7;
    for (const b of [cpu, gpu] as Backend[]) {
      const xt = b.tensor(x, [1, 1, 15, 20]);
      const dyt = b.tensor([3], [1, 1, 1, 1]);
      const dx = tb(b).globalPoolBackward(xt, dyt, 'max');
      const got = await dx.read();
      expect(got[40], b.name).toBe(3);
      expect(got.reduce((s, v) => s + Math.abs(v), 0), b.name).toBe(3);
      for (const t of [xt, dyt, dx]) t.dispose();
    }
  });
});

// ---- adaptiveAvgPool -------------------------------------------------------------------------

describe('adaptiveAvgPoolBackward', () => {
  const rng = new Rng(301);
  const cases: [number[], AdaptivePoolParams][] = [
    [[2, 3, 13, 13], { outputSize: 6 }], // AlexNet's 13 → 6: overlapping bins
    [[1, 5, 3, 3], { outputSize: 5 }], // upsampling: replicated rows
    [[2, 3, 7, 9], { outputSize: [3, 4] }],
    [[1, 3, 1, 1], { outputSize: 6 }],
  ];
  for (const [shape, params] of cases.slice(0, 3)) {
    it(`adaptiveAvgPoolBackward gradient check ${JSON.stringify(shape)} ${JSON.stringify(params)}`, () => {
      gradCheck('adaptiveAvgPoolBackward', shape, rng.uniform(size(shape), -2, 2), rng,
        (t) => cpu.adaptiveAvgPool(t, params), (t, dy) => cpu.adaptiveAvgPoolBackward(t, dy, params));
    });
  }
  for (const [shape, params] of cases) {
    gpuIt(`adaptiveAvgPoolBackward ${JSON.stringify(shape)} ${JSON.stringify(params)}`, async (gpu) => {
      const x = rng.uniform(size(shape), -2, 2);
      const outShape = cpu.adaptiveAvgPool(cpu.zeros(shape), params).shape;
      const dy = rng.uniform(size(outShape), -1, 1);
      await compareWithCpu(gpu, (b, t) => tb(b).adaptiveAvgPoolBackward(t(x, shape), t(dy, outShape), params), ROUTE_TOL);
    });
  }
});

// ---- subsample -------------------------------------------------------------------------------

describe('subsampleBackward', () => {
  const rng = new Rng(401);
  const cases: [number[], SubsampleParams][] = [
    [[2, 6, 10, 10], { kernelSize: 2, activation: 'scaledTanh' }], // LeNet-5 S4-like, batch 2 (activation ignored)
    [[1, 5, 9, 9], { kernelSize: 3, stride: 2 }], // overlapping
    [[3, 3, 8, 7], { kernelSize: 2, stride: 3 }], // gaps: cells in no window
    [[2, 7, 5, 6], {}],
  ];

  for (const [shape, params] of cases.slice(1, 4)) {
    it(`subsampleBackward gradient check (dx, dcoeff, dbias) ${JSON.stringify(shape)} ${JSON.stringify(params)}`, () => {
      const c = shape[1];
      const x = rng.uniform(size(shape), -1, 1);
      const coeff = rng.uniform(c, -1, 1);
      const bias = rng.uniform(c, -0.5, 0.5);
      const fwd = (xv: Float32Array, cv: Float32Array, bv: Float32Array) =>
        host(cpu.subsample(cpu.tensor(xv, shape), cpu.tensor(cv, [c]), cpu.tensor(bv, [c]), params));
      const outShape = cpu.subsample(cpu.zeros(shape), cpu.zeros([c]), cpu.zeros([c]), params).shape;
      const r = rng.uniform(size(outShape), -1, 1);
      const g = cpu.subsampleBackward(cpu.tensor(x, shape), cpu.tensor(coeff, [c]), cpu.tensor(r, outShape), params);
      expect(g.dcoeff.shape).toEqual([c]);
      expect(g.dbias.shape).toEqual([c]);
      expectGradient((xp) => project(fwd(xp, coeff, bias), r), x, host(g.dx), { label: 'dx', maxChecks: 48 });
      expectGradient((cp) => project(fwd(x, cp, bias), r), coeff, host(g.dcoeff), { label: 'dcoeff' });
      expectGradient((bp) => project(fwd(x, coeff, bp), r), bias, host(g.dbias), { label: 'dbias' });
    });
  }

  for (const [shape, params] of cases) {
    gpuIt(`subsampleBackward ${JSON.stringify(shape)} ${JSON.stringify(params)}`, async (gpu) => {
      const c = shape[1];
      const x = rng.uniform(size(shape), -1, 1);
      const coeff = rng.uniform(c, -1, 1);
      const outShape = cpu.subsample(cpu.zeros(shape), cpu.zeros([c]), cpu.zeros([c]), params).shape;
      const dy = rng.uniform(size(outShape), -1, 1);
      for (const which of ['dx', 'dcoeff', 'dbias'] as const) {
        await compareWithCpu(gpu, (b, t) => {
          const g = tb(b).subsampleBackward(t(x, shape), t(coeff, [c]), t(dy, outShape), params);
          for (const k of ['dx', 'dcoeff', 'dbias'] as const) if (k !== which) g[k].dispose();
          return g[which];
        }, which === 'dx' ? ROUTE_TOL : REDUCE_TOL, which);
      }
    });
  }
});

// ---- lrn -------------------------------------------------------------------------------------

describe('lrnBackward', () => {
  const rng = new Rng(501);
  const cases: [number[], LrnParams][] = [
    [[2, 7, 3, 5], { size: 5, alpha: 1, beta: 0.75, k: 2 }], // AlexNet's size with a strong alpha
    [[1, 6, 3, 4], { size: 2, alpha: 0.5, beta: 0.75, k: 1 }], // even size: window c .. c+1
    [[2, 3, 4, 4], { size: 1, alpha: 0.8, beta: 0.6, k: 0.5 }],
    [[3, 9], { size: 3, alpha: 1.5, beta: 1.2, k: 1 }], // (N, C) input
    [[1, 4, 3, 3], { size: 7, alpha: 1, beta: 0.75, k: 1 }], // window wider than C
  ];
  for (const [shape, params] of cases) {
    it(`lrnBackward gradient check ${JSON.stringify(shape)} ${JSON.stringify(params)}`, () => {
      gradCheck('lrnBackward', shape, rng.uniform(size(shape), -1.5, 1.5), rng, (t) => cpu.lrn(t, params), (t, dy) => cpu.lrnBackward(t, dy, params));
    });
  }
  for (const [shape, params] of [...cases, [[2, 16, 5, 5], {}] as [number[], LrnParams]]) {
    gpuIt(`lrnBackward ${JSON.stringify(shape)} ${JSON.stringify(params)}`, async (gpu) => {
      // With AlexNet's default alpha 1e-4, values large enough that the window term matters.
      const scale = params.alpha === undefined ? 30 : 1.5;
      const x = rng.uniform(size(shape), -scale, scale);
      const dy = rng.uniform(size(shape), -1, 1);
      await compareWithCpu(gpu, (b, t) => tb(b).lrnBackward(t(x, shape), t(dy, shape), params), REDUCE_TOL);
    });
  }
});

// ---- bad input -------------------------------------------------------------------------------

/** Expects `op` to throw `type` with `message` on the CPU and on the GPU, before any GPU buffer is made. */
function expectBoth(gpu: WebGpuBackend, op: (b: TrainingBackend) => unknown, type: typeof ShapeError | typeof InvalidArgumentError, message: string): void {
  expect(() => op(cpu)).toThrow(type);
  expect(() => op(cpu)).toThrow(message);
  const before = gpu.memoryInfo().buffers;
  expect(() => op(gpu)).toThrow(type);
  expect(() => op(gpu)).toThrow(message);
  expect(gpu.memoryInfo().buffers).toBe(before);
}

describe('pooling backward bad input', () => {
  gpuIt('pooling backward ops reject a dy that is not the forward output shape, before any GPU work', async (gpu) => {
    const shapes: Record<string, number[]> = {
      x: [1, 3, 4, 4], x3: [3, 4, 4], pooled: [1, 3, 2, 2], wrong: [1, 3, 3, 3], g: [1, 3, 1, 1], g2: [1, 2, 1, 1], c3: [3], c4: [4], lrnDy: [1, 3, 4, 5],
    };
    const made = new Map<Backend, Record<string, Tensor>>();
    for (const b of [cpu, gpu] as Backend[]) {
      made.set(b, Object.fromEntries(Object.entries(shapes).map(([k, s]) => [k, b.zeros(s)])));
    }
    const T = (b: Backend) => made.get(b) as Record<string, Tensor>;

    expectBoth(gpu, (b) => b.pool2dBackward(T(b).x, T(b).wrong, { type: 'max', kernelSize: 2, name: 'p1' }), ShapeError,
      "pool2dBackward 'p1': dy has shape [1,3,3,3] but the forward output is [1,3,2,2] (input [1,3,4,4])");
    expectBoth(gpu, (b) => b.pool2dBackward(T(b).x, T(b).g, { type: 'avg', kernelSize: 3, stride: 1 }), ShapeError,
      'pool2dBackward: dy has shape [1,3,1,1] but the forward output is [1,3,2,2] (input [1,3,4,4])');
    expectBoth(gpu, (b) => b.pool2dBackward(T(b).x3, T(b).pooled, { type: 'max', kernelSize: 2 }), ShapeError, 'pool2d: input must have rank 4, got [3,4,4]');
    expectBoth(gpu, (b) => b.pool2dBackward(T(b).x, T(b).pooled, { type: 'max', kernelSize: 0 }), InvalidArgumentError, 'pool2d: kernelSize must be positive integers, got 0');
    expectBoth(gpu, (b) => b.globalPoolBackward(T(b).x, T(b).g2, 'max'), ShapeError,
      'globalPoolBackward: dy has shape [1,2,1,1] but the forward output is [1,3,1,1] (input [1,3,4,4])');
    expectBoth(gpu, (b) => b.globalPoolBackward(T(b).x, T(b).pooled, 'avg'), ShapeError,
      'globalPoolBackward: dy has shape [1,3,2,2] but the forward output is [1,3,1,1] (input [1,3,4,4])');
    expectBoth(gpu, (b) => b.adaptiveAvgPoolBackward(T(b).x, T(b).pooled, { outputSize: 3, name: 'ap' }), ShapeError,
      "adaptiveAvgPoolBackward 'ap': dy has shape [1,3,2,2] but the forward output is [1,3,3,3] (input [1,3,4,4])");
    expectBoth(gpu, (b) => b.adaptiveAvgPoolBackward(T(b).x, T(b).pooled, { outputSize: 0 }), InvalidArgumentError, 'adaptiveAvgPool: outputSize must be');
    expectBoth(gpu, (b) => b.subsampleBackward(T(b).x, T(b).c3, T(b).wrong, { name: 's2' }), ShapeError,
      "subsampleBackward 's2': dy has shape [1,3,3,3] but the forward output is [1,3,2,2] (input [1,3,4,4])");
    expectBoth(gpu, (b) => b.subsampleBackward(T(b).x, T(b).c4, T(b).pooled), ShapeError,
      'subsample: coeff must have shape [3] (one value per input channel), got [4] (input [1,3,4,4])');
    expectBoth(gpu, (b) => b.lrnBackward(T(b).x, T(b).lrnDy, { name: 'n1' }), ShapeError,
      "lrnBackward 'n1': dy has shape [1,3,4,5] but the forward output is [1,3,4,4] (input [1,3,4,4])");
    expectBoth(gpu, (b) => b.lrnBackward(T(b).x, T(b).x, { size: 0 }), InvalidArgumentError, 'lrn: size must be a positive integer, got 0');

    for (const ts of made.values()) for (const t of Object.values(ts)) t.dispose();
  });
});
